"""Every error of ours, named for the condition. A leaf module.

    WebcareError                  base of everything below; entry points turn it into a message and an exit code
    ├── ConfigError               a config file is invalid (file, line and reason in the message)
    │   └── CannotListen          a configured port is taken or not ours (web.port, ops.port)
    ├── StoreError                the database cannot be used (locked too long, unwritable, newer schema)
    ├── NotFound                  a queue item, mention or user that does not exist
    ├── InvalidTransition         a queue action that the item's state forbids (claim a resolved item, ...)
    │   └── HeldByAnother         the item is claimed by someone else; `holder` names them (web: 409)
    ├── NotAllowed                an action only a team lead may take (take over, assign)
    ├── AccountError              a web account that cannot be made as asked (name taken, unknown role, short password)
    └── SourceError               a platform could not be read this time; the checkpoint did not move
        ├── RateLimited           the platform said 429; `retry_at` says when it allows the next call
        ├── SourceUnavailable     5xx, a time-out or a broken connection: back off and try again
        └── SourceAuthError       credentials missing or refused: needs a human, retrying will not help
"""

from __future__ import annotations

from datetime import datetime


class WebcareError(Exception):
    """Base class; its message is meant for the person who has to act on it."""


class ConfigError(WebcareError):
    pass


class CannotListen(ConfigError):
    """A server could not listen where config says: `key` names the setting to change."""

    def __init__(self, key: str, host: str, port: int, error: OSError) -> None:
        super().__init__(f"{key}: cannot listen on {host}:{port} ({error.strerror}); choose a free port or 0 for any")


class StoreError(WebcareError):
    pass


class NotFound(WebcareError):
    pass


class InvalidTransition(WebcareError):
    pass


class HeldByAnother(InvalidTransition):
    """Only the holder of a claimed item (or a lead, after taking it over) may act on it."""

    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


class NotAllowed(WebcareError):
    pass


class AccountError(WebcareError):
    pass


class SourceError(WebcareError):
    """`retry_at`, when set, is the earliest moment the source should be polled again (a rate-limit reset, or
    the end of a back-off): the pipeline passes it on to the scheduler."""

    kind = "error"

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class RateLimited(SourceError):
    kind = "rate_limited"


class SourceUnavailable(SourceError):
    kind = "unavailable"


class SourceAuthError(SourceError):
    kind = "auth"
