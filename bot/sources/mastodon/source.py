"""The Mastodon source, through Mastodon.py: the `mention` notifications of the brand account that the access
token belongs to. One `Source` named "mastodon:mentions"; its checkpoint is the newest notification id stored.

It only reads (GET). With a checkpoint it pages forward with `min_id` (the page just after it, then the next),
so nothing between two polls is skipped; on a first start it reads back `backfill_hours`. A failed page raises a
`SourceError` before anything is returned, so the checkpoint never moves past a post that was not stored.
Rate limits come from Mastodon's `X-RateLimit-*` headers (Mastodon.py reads them into the client); a 429 waits
for the window's reset, and 5xx, time-outs and broken connections back off with a cap and jitter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import mastodon as mastodon_py
from mastodon import Mastodon

from bot.bounded_http import BoundedSession, Cancelled
from bot.config.settings import MastodonSource as MastodonSettings
from bot.config.settings import Settings
from bot.errors import ConfigError, RateLimited, SourceAuthError, SourceError, SourceUnavailable
from bot.mention import Mention, parse_time
from bot.sources.base import Batch, Reject
from bot.sources.credentials import from_environment
from bot.sources.mastodon.mapping import BrandAccount, map_notifications, map_statuses, qualify
from bot.sources.pacing import Backoff, RateState, RetryGate, next_pause, retry_at_after_429

log = logging.getLogger(__name__)

__all__ = ["MastodonApi", "MastodonHashtagSource", "MastodonMentionsSource", "MastodonPoller", "PAGE_SIZE",
           "access_token", "build_client", "build_mastodon_source", "build_mastodon_sources", "check_mastodon"]

PAGE_SIZE = 40  # the most notifications Mastodon serves per page


def access_token(settings: MastodonSettings, environ: Mapping[str, str] | None = None) -> str:
    """The access token from the environment variable the config names; never from a file."""
    return from_environment(settings.access_token_env, (
        f"Mastodon: the environment variable {settings.access_token_env} is not set; set it to the access token "
        f"of an application on the brand account (Preferences > Development > New application, scopes "
        f"read:accounts read:notifications read:statuses) before starting the bot"), environ)


def build_client(settings: MastodonSettings, environ: Mapping[str, str] | None = None,
                 stop: threading.Event | None = None) -> Mastodon:
    """A Mastodon.py client for the configured server that never sleeps on its own: a 429 raises at once (the
    scheduler waits, not the poll). Each request is bounded by `timeout_seconds` in total, and `stop` (the
    daemon's) cuts one in flight short."""
    if not settings.api_base_url.strip():
        raise ConfigError("sources.mastodon.api_base_url is empty; set it to the brand account's server, such as "
                          "https://mastodon.social")
    return Mastodon(access_token=access_token(settings, environ), api_base_url=settings.api_base_url.strip(),
                    ratelimit_method="throw", request_timeout=settings.timeout_seconds, version_check_mode="none",
                    user_agent="webcare-triage", session=BoundedSession(settings.timeout_seconds, stop))


class MastodonApi:
    """Calls one read method of the Mastodon.py client and reports failures as our errors, with the rate-limit
    window after every answer. `where` names the source in every message; the token never appears in one."""

    def __init__(self, client: Mastodon, settings: MastodonSettings, where: str, backoff: Backoff) -> None:
        self.client = client
        self.settings = settings
        self.where = where
        self.backoff = backoff

    @property
    def server(self) -> str:
        return urlsplit(str(self.client.api_base_url)).hostname or str(self.client.api_base_url)

    def rate(self) -> RateState | None:
        """The window Mastodon.py read from the last answer's X-RateLimit-* headers (None before any)."""
        reset, lastcall = self.client.ratelimit_reset, self.client.ratelimit_lastcall
        if reset is None or lastcall is None:
            return None
        return RateState(self.client.ratelimit_limit, self.client.ratelimit_remaining,
                         datetime.fromtimestamp(float(reset), timezone.utc))

    def get(self, call: Callable[..., Any], *args: Any, missing_ok: bool = False, **params: Any) -> Any:
        name = getattr(call, "__name__", "a request")
        try:
            result = call(*args, **params)
        except mastodon_py.MastodonRatelimitError:
            reset = self.client.ratelimit_reset
            reset_at = datetime.fromtimestamp(float(reset), timezone.utc) if reset else None
            retry_at = retry_at_after_429(reset_at, self.settings.max_rate_limit_wait_seconds,
                                          self.backoff.next_delay())
            raise RateLimited(f"{self.where}: Mastodon answered 429 Too Many Requests for {name}; the next call "
                              f"waits until {retry_at:%H:%M:%S} UTC", retry_at) from None
        except mastodon_py.MastodonUnauthorizedError:
            raise SourceAuthError(f"{self.where}: {self.server} refused the access token (401 Unauthorized); put a "
                                  f"valid token in the environment variable {self.settings.access_token_env}") from None
        except mastodon_py.MastodonNotFoundError:
            if missing_ok:
                return None
            raise SourceError(f"{self.where}: {self.server} has no {name} (404 Not Found); check "
                              f"sources.mastodon.api_base_url") from None
        except mastodon_py.MastodonServerError as e:
            raise self._unavailable(f"{self.server} answered {_status(e)} for {name}") from None
        except mastodon_py.MastodonNetworkError as e:
            if isinstance(e.__context__, Cancelled):  # Mastodon.py wraps whatever the session raised
                raise SourceUnavailable(f"{self.where}: the daemon is stopping; this poll was cut short and the "
                                        f"checkpoint did not move") from None
            raise self._unavailable(f"no answer from {self.server} within {self.settings.timeout_seconds:g}s, or "
                                    f"no connection") from None
        except mastodon_py.MastodonAPIError as e:
            status = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else None
            if status is None:  # Mastodon.py's "could not parse response as JSON"
                raise self._unavailable(f"{self.server} sent a body that is not JSON for {name}") from None
            if status == 403:
                raise SourceAuthError(f"{self.where}: {self.server} refused {name} (403 Forbidden: {_status(e)}); "
                                      f"give the application the read:notifications and read:statuses "
                                      f"scopes") from None
            raise SourceError(f"{self.where}: {self.server} refused {name} ({_status(e)})") from None
        self.backoff.reset()
        return result

    def _unavailable(self, reason: str) -> SourceUnavailable:
        return self.backoff.unavailable(self.where, reason)


def _status(e: Exception) -> str:
    args = [a for a in e.args[1:] if a is not None]
    return " ".join(str(a) for a in args) or "an error"


def _newest(ids: list[str]) -> str:
    # Mastodon ids are numbers in text, other servers' are fixed-length sortable strings: length, then text.
    return max(ids, key=lambda i: (len(i), i))


class MastodonPoller:
    """What the Mastodon sources share: the API seam, the retry gate, the brand account, and paging forward from
    the checkpoint (back in time on a first start). A subclass says what one page is and how it maps."""

    name: str

    def __init__(self, client: Mastodon, settings: MastodonSettings, brand_handles: list[str]) -> None:
        self.client = client
        self.settings = settings
        self.brand_handles = frozenset(h.casefold() for h in brand_handles)
        self.api = MastodonApi(client, settings, self.name,
                               Backoff(settings.interval_seconds, settings.max_backoff_seconds))
        self.gate = RetryGate(self.name)
        self._me: BrandAccount | None = None

    def fetch(self, checkpoint: str | None) -> Batch:
        return self.gate.run(lambda: self._fetch(checkpoint))

    def brand(self) -> BrandAccount:
        """The account the token belongs to (asked once per run) and the brand's handles."""
        if self._me is None:
            me = self.api.get(self.client.account_verify_credentials)
            if not isinstance(me, Mapping) or me.get("id") is None:
                raise SourceUnavailable(f"{self.name}: {self.api.server} sent no account for the access token")
            handle = qualify(me, self.api.server)
            if self.brand_handles and handle.casefold() not in self.brand_handles:
                log.warning("%s: the access token belongs to @%s, which is not in brand.mastodon_handles",
                            self.name, handle)
            self._me = BrandAccount(str(me["id"]), self.brand_handles | {handle.casefold()})
        return self._me

    def _parent(self, status_id: str) -> Mapping[str, Any] | None:
        parent = self.api.get(self.client.status, status_id, missing_ok=True)
        if parent is None:
            log.info("%s: the post %s replied to is gone (deleted or not visible)", self.name, status_id)
        return parent if isinstance(parent, Mapping) else None

    def _page(self, number: int, **params: Any) -> list[Any]:
        raise NotImplementedError

    def _map(self, page: list[Any], brand: BrandAccount, where: str) -> tuple[list[Mention], list[Reject]]:
        raise NotImplementedError

    def _list(self, page: Any, number: int, what: str) -> list[Any]:
        if not isinstance(page, list):
            raise SourceUnavailable(f"{self.name}: {self.api.server} sent a {type(page).__name__} for page {number}, "
                                    f"not a list of {what}")
        return page

    def _fetch(self, checkpoint: str | None) -> Batch:
        brand = self.brand()
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        ids: list[str] = [checkpoint] if checkpoint else []
        cutoff = datetime.now(timezone.utc) - timedelta(hours=self.settings.backfill_hours)
        cursor = checkpoint
        for number in range(1, self.settings.max_pages + 1):
            page = self._page(number, **({"min_id": cursor} if checkpoint else ({"max_id": cursor} if cursor else {})))
            found, bad = self._map(page, brand, f"{self.name} page {number}")
            page_ids = [str(n["id"]) for n in page if isinstance(n, Mapping) and n.get("id") is not None]
            if checkpoint is None:  # a first start reads back in time, as far as backfill_hours
                found = [m for m in found if m.created_at >= cutoff]
            mentions += found
            rejects += bad
            ids += page_ids
            if not page_ids:  # paging forward ends on an empty page; back in time, at the oldest notification
                break
            if checkpoint:
                cursor = _newest(page_ids)
            else:
                cursor = min(page_ids, key=lambda i: (len(i), i))
                oldest = min((t for n in page if isinstance(n, Mapping) and (t := _created(n)) is not None),
                             default=None)
                if oldest is not None and oldest < cutoff:
                    break
        else:
            log.warning("%s: read %d pages (sources.mastodon.max_pages); the rest follows at the next poll",
                        self.name, self.settings.max_pages)
        pause = next_pause(self.name, self.api.rate(), self.settings.interval_seconds, 1,
                           self.settings.max_rate_limit_wait_seconds)
        return Batch(mentions, _newest(ids) if ids else checkpoint, rejects, next_poll_after=pause)


class MastodonMentionsSource(MastodonPoller):
    """The brand account's mentions; direct messages, replies to our posts and plain mentions alike."""

    name = "mastodon:mentions"

    def _page(self, number: int, **params: Any) -> list[Any]:
        page = self.api.get(self.client.notifications, types=["mention"], limit=PAGE_SIZE, **params)
        return self._list(page, number, "notifications")

    def _map(self, page: list[Any], brand: BrandAccount, where: str) -> tuple[list[Mention], list[Reject]]:
        return map_notifications(page, brand, self.api.server, where, self._parent)


class MastodonHashtagSource(MastodonPoller):
    """Public posts with one hashtag (`timeline_hashtag`), for listening: mostly "about", which is expected."""

    def __init__(self, client: Mastodon, settings: MastodonSettings, brand_handles: list[str], tag: str) -> None:
        self.tag = tag
        self.name = f"mastodon:hashtag:{tag}"
        super().__init__(client, settings, brand_handles)

    def _page(self, number: int, **params: Any) -> list[Any]:
        page = self.api.get(self.client.timeline_hashtag, self.tag, limit=PAGE_SIZE, **params)
        return self._list(page, number, "statuses")

    def _map(self, page: list[Any], brand: BrandAccount, where: str) -> tuple[list[Mention], list[Reject]]:
        return map_statuses(page, brand, self.api.server, where, self._parent)


def _created(notification: Mapping[str, Any]) -> datetime | None:
    value = notification.get("created_at")
    try:
        return parse_time(value if isinstance(value, datetime | str) else str(value))
    except (TypeError, ValueError):
        return None


def build_mastodon_sources(settings: Settings, client: Mastodon | None = None,
                           environ: Mapping[str, str] | None = None,
                           stop: threading.Event | None = None) -> list[MastodonPoller]:
    """The Mastodon sources a config enables, sharing one client: the mentions, and one per hashtag. Raises
    SourceAuthError when the token's variable is empty and ConfigError when the server or the brand's Mastodon
    handles are missing."""
    m = settings.sources.mastodon
    if not settings.brand.mastodon_handles:
        raise ConfigError("sources.mastodon is enabled but brand.mastodon_handles is empty; add the brand's "
                          "account with its server, such as tulpair@mastodon.social")
    client = client or build_client(m, environ, stop)
    handles = settings.brand.mastodon_handles
    return [MastodonMentionsSource(client, m, handles),
            *(MastodonHashtagSource(client, m, handles, tag) for tag in dict.fromkeys(m.hashtags))]


def build_mastodon_source(settings: Settings, client: Mastodon | None = None,
                          environ: Mapping[str, str] | None = None) -> MastodonPoller:
    """The mentions source alone (tests, notebooks)."""
    return build_mastodon_sources(settings, client, environ)[0]


def check_mastodon(settings: Settings, client: Mastodon) -> list[str]:
    """`webcare mastodon check`: the token works, whose it is, and the rate-limit window. Two GETs."""
    m = settings.sources.mastodon
    api = MastodonApi(client, m, "mastodon check", Backoff(m.interval_seconds, m.max_backoff_seconds))
    me = api.get(client.account_verify_credentials)
    handle = qualify(me, api.server)
    lines = [f"access token from {m.access_token_env}: accepted", f"logged in as @{handle} (account id {me['id']})"]
    if handle.casefold() not in {h.casefold() for h in settings.brand.mastodon_handles}:
        lines.append(f"warning: @{handle} is not in brand.mastodon_handles; add it so replies to it count as replies "
                     f"to the brand")
    api.get(client.notifications, types=["mention"], limit=1)
    rate = api.rate()
    lines.append(f"notifications: {rate.describe() if rate else 'the server sent no rate-limit headers'}")
    return lines


