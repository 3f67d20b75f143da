"""The Bluesky source, through the atproto SDK: the brand account's notifications with reason `mention` or
`reply` (`app.bsky.notification.listNotifications`). One `Source` named "bluesky:mentions"; its checkpoint is
the `indexedAt` time of the newest notification stored, or, while a backlog longer than `max_pages` is paged
through, where that paging goes on. The optional direct messages and search (bluesky_messages.py,
bluesky_search.py) share its login.

It logs in with an app password from the environment (`com.atproto.server.createSession`, a POST that only opens
a session) and otherwise only reads (GET). Notifications come newest first with a cursor to older ones and no
"since" parameter, so a poll pages back until it passes the checkpoint; what it reads twice at the boundary the
store keeps once. A failed page raises a `SourceError` before anything is returned, so the checkpoint never moves
past a post that was not stored. Rate limits come from the `ratelimit-*` headers; 429 waits for the reset, and
5xx, time-outs and broken connections back off with a cap and jitter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from atproto import Client, models
from atproto_client import exceptions as at_errors
from atproto_client.request import Request

from bot.config.settings import BlueskySource as BlueskySettings
from bot.config.settings import Settings
from bot.errors import ConfigError, RateLimited, SourceAuthError, SourceError, SourceUnavailable
from bot.mention import Mention, parse_time
from bot.sources.base import Batch, Reject
from bot.sources.bluesky.mapping import PAGE_SIZE, BrandAccount, map_notifications, newest_of, split_new
from bot.sources.bluesky.messages import BlueskyMessagesSource
from bot.sources.bluesky.search import BlueskySearchSource
from bot.sources.credentials import from_environment
from bot.sources.pacing import Backoff, RateState, RetryGate, header_time, next_pause, rate_state, retry_at_after_429

log = logging.getLogger(__name__)

__all__ = ["PAGE_SIZE", "BlueskyApi", "BlueskyMentionsSource", "BlueskySession", "app_password", "build_bluesky_source",
           "build_bluesky_sources", "build_client", "check_bluesky", "login_handle", "session"]

REASONS = ["mention", "reply"]
_LIST = "app.bsky.notification.listNotifications"


def app_password(settings: BlueskySettings, environ: Mapping[str, str] | None = None) -> str:
    """The app password from the environment variable the config names; never from a file."""
    return from_environment(settings.app_password_env, (
        f"Bluesky: the environment variable {settings.app_password_env} is not set; set it to an app password "
        f"of the brand account (Settings > Privacy and security > App passwords) before starting the bot"), environ)


def login_handle(settings: Settings) -> str:
    handle = settings.sources.bluesky.handle.strip().lstrip("@") or next(iter(settings.brand.bluesky_handles), "")
    if not handle:
        raise ConfigError("sources.bluesky is enabled but neither sources.bluesky.handle nor brand.bluesky_handles "
                          "names the account; add the brand's handle, such as tulpair.bsky.social, to "
                          "brand.bluesky_handles")
    return handle


def build_client(settings: BlueskySettings) -> Client:
    """An atproto Client for the configured service with the configured time-out on every request."""
    return Client(base_url=settings.service_url.strip(), request=Request(timeout=settings.timeout_seconds))


@dataclass
class BlueskySession:
    """The one login the Bluesky sources share: the client, who logs in, and (once logged in) the account's DID."""

    client: Client
    handle: str
    password: str = field(repr=False)
    did: str | None = None
    logged_in_as: str = ""
    chat: Client | None = None  # the same login, proxied to the chat service (direct messages)


class BlueskyApi:
    """Calls read queries of the atproto Client for one source (logging in on first use), reporting failures as
    our errors with the rate-limit window of every answer. The password never appears in a message."""

    def __init__(self, session: BlueskySession, settings: BlueskySettings, where: str, backoff: Backoff) -> None:
        self.session = session
        self.client = session.client
        self.settings = settings
        self.handle = session.handle
        self.where = where
        self.backoff = backoff
        self.rate: RateState | None = None

    @property
    def logged_in_as(self) -> str:
        return self.session.logged_in_as

    def login(self) -> str:
        """The DID of the account, logging in on first use (one createSession per run; atproto refreshes it)."""
        s = self.session
        if s.did is None:
            profile = self._call(lambda: s.client.login(s.handle, s.password), "login")
            did = getattr(profile, "did", None) or getattr(getattr(s.client, "me", None), "did", None)
            if not did:
                raise SourceUnavailable(f"{self.where}: {self.settings.service_url} sent no profile for @{s.handle}")
            s.did, s.logged_in_as = str(did), str(getattr(profile, "handle", s.handle))
        return s.did

    def query(self, nsid: str, params: Any, chat: bool = False) -> dict[str, Any]:
        """One XRPC query; `chat` sends it through the PDS to Bluesky's chat service (atproto-proxy header)."""
        self.login()
        client = self.client
        if chat:
            if self.session.chat is None:
                self.session.chat = self.client.with_bsky_chat_proxy()  # shares the session, after the login
            client = self.session.chat
        response = self._call(lambda: client.invoke_query(nsid, params=params), nsid)
        self.rate = rate_state(response.headers, "ratelimit-")
        if not isinstance(response.content, dict):
            raise self._unavailable(f"{self.settings.service_url} sent a body that is not a JSON object for {nsid}")
        return response.content

    def _call(self, call: Any, name: str) -> Any:
        host = self.settings.service_url
        try:
            result = call()
        except at_errors.RateLimitExceededError as e:
            headers = e.response.headers if e.response is not None else {}
            retry_at = retry_at_after_429(header_time(headers, "ratelimit-reset"),
                                          self.settings.max_rate_limit_wait_seconds, self.backoff.next_delay())
            raise RateLimited(f"{self.where}: Bluesky answered 429 Too Many Requests for {name}; the next call "
                              f"waits until {retry_at:%H:%M:%S} UTC", retry_at) from None
        except at_errors.UnauthorizedError as e:
            if name.startswith("chat."):
                raise SourceAuthError(f"{self.where}: {host} refused {name} ({_describe(e)}); make an app password "
                                      f"with \"allow access to your direct messages\" and put it in the environment "
                                      f"variable {self.settings.app_password_env}, or turn "
                                      f"sources.bluesky.direct_messages off") from None
            raise SourceAuthError(f"{self.where}: {host} refused @{self.handle} ({_describe(e)}); put a valid app "
                                  f"password in the environment variable {self.settings.app_password_env}") from None
        except at_errors.InvokeTimeoutError:
            raise self._unavailable(f"no answer from {host} within {self.settings.timeout_seconds:g}s") from None
        except at_errors.NetworkError as e:
            if e.response is None:
                raise self._unavailable(f"cannot reach {host}") from None
            raise self._unavailable(f"{host} answered {_describe(e)} for {name}") from None
        except at_errors.RequestErrorBase as e:
            status = e.response.status_code if e.response is not None else None
            if status is not None and status >= 500:
                raise self._unavailable(f"{host} answered {_describe(e)} for {name}") from None
            raise SourceError(f"{self.where}: {host} refused {name} ({_describe(e)})") from None
        except at_errors.ModelError as e:
            raise self._unavailable(f"{host} sent an answer that is not the lexicon's shape for {name} ({e})") from None
        self.backoff.reset()
        return result

    def _unavailable(self, reason: str) -> SourceUnavailable:
        return self.backoff.unavailable(self.where, reason)


def _describe(e: at_errors.RequestErrorBase) -> str:
    r = e.response
    if r is None:
        return type(e).__name__
    content = r.content
    detail = ": ".join(str(x) for x in (getattr(content, "error", None), getattr(content, "message", None)) if x)
    return f"{r.status_code}" + (f" {detail}" if detail else "")


class BlueskyMentionsSource:
    """The brand account's mentions and the replies to its posts."""

    name = "bluesky:mentions"

    def __init__(self, api: BlueskyApi, settings: BlueskySettings, brand_handles: list[str]) -> None:
        self.api = api
        self.settings = settings
        self.brand_handles = frozenset(h.casefold() for h in brand_handles)
        self.gate = RetryGate(self.name)

    def fetch(self, checkpoint: str | None) -> Batch:
        position = self._position(checkpoint)  # a bad checkpoint fails before the platform is called
        return self.gate.run(lambda: self._fetch(position, first=checkpoint is None))

    def _position(self, checkpoint: str | None) -> _Position:
        """The checkpoint read: a time (everything up to it is stored), or a backlog being paged through."""
        try:
            if checkpoint is None:
                since = datetime.now(timezone.utc) - timedelta(hours=self.settings.backfill_hours)
                return _Position(since, None, None)
            if not checkpoint.startswith("{"):
                since = parse_time(checkpoint)
                return _Position(since, (since, checkpoint), None)
            state = json.loads(checkpoint)
            newest = (parse_time(state["newest"]), str(state["newest"])) if state.get("newest") else None
            return _Position(parse_time(state["since"]), newest, str(state["cursor"]))
        except (KeyError, TypeError, ValueError):
            raise SourceError(f"{self.name}: the stored checkpoint {checkpoint!r} is neither a time nor a "
                              f"backlog position") from None

    def _fetch(self, position: _Position, first: bool) -> Batch:
        did = self.api.login()
        brand = BrandAccount(did, self.brand_handles | {self.api.logged_in_as.casefold()})
        since, newest, cursor = position
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        for number in range(1, self.settings.max_pages + 1):
            params = models.AppBskyNotificationListNotifications.Params(reasons=REASONS, limit=PAGE_SIZE, cursor=cursor)
            page = self.api.query(_LIST, params)
            items = page.get("notifications")
            where = f"{self.name} page {number}"
            if not isinstance(items, list):
                raise SourceUnavailable(f"{where}: 'notifications' must be a list, got {type(items).__name__}")
            times, newest = newest_of(items, newest)
            fresh, again = split_new(items, since, first)
            found, bad = map_notifications(fresh, brand, where)
            mentions += found + map_notifications(again, brand, where)[0]
            rejects += bad
            cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
            if not cursor or not items or any(t < since for t, _ in times):
                checkpoint = newest[1] if newest else position.since_text()
                break
        else:
            # A backlog longer than max_pages (after an outage): remember where paging stopped and go on from
            # there at the next poll, so nothing between the last checkpoint and now is skipped.
            log.info("%s: read %d pages (sources.bluesky.max_pages); the backlog goes on at the next poll",
                     self.name, self.settings.max_pages)
            checkpoint = json.dumps({"since": position.since_text(), "newest": newest[1] if newest else None,
                                     "cursor": cursor})
        pause = next_pause(self.name, self.api.rate, self.settings.interval_seconds, 1,
                           self.settings.max_rate_limit_wait_seconds)
        return Batch(mentions, checkpoint, rejects, next_poll_after=pause)


class _Position(NamedTuple):
    since: datetime  # everything before is stored (or older than backfill_hours)
    newest: tuple[datetime, str] | None  # the newest notification seen so far (its time and its text)
    cursor: str | None  # where paging through a backlog goes on; None starts at the newest

    def since_text(self) -> str:
        return self.since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_bluesky_sources(settings: Settings, client: Client | None = None,
                          environ: Mapping[str, str] | None = None
                          ) -> list[BlueskyMentionsSource | BlueskyMessagesSource | BlueskySearchSource]:
    """The Bluesky sources a config enables, sharing one login: the mentions, and the direct messages and the
    search when enabled."""
    shared = session(settings, client, environ)
    b, brand = settings.sources.bluesky, settings.brand
    sources: list[BlueskyMentionsSource | BlueskyMessagesSource | BlueskySearchSource] = [BlueskyMentionsSource(_api(settings, shared, "bluesky:mentions"), b, brand.bluesky_handles)]
    if b.direct_messages:
        sources.append(BlueskyMessagesSource(_api(settings, shared, "bluesky:messages"), b))
    if b.search.enabled:
        terms = list(dict.fromkeys(b.search.terms or brand.names or [brand.name]))
        sources.append(BlueskySearchSource(_api(settings, shared, "bluesky:search"), b, terms, brand.bluesky_handles))
    return sources


def build_bluesky_source(settings: Settings, client: Client | None = None,
                         environ: Mapping[str, str] | None = None) -> BlueskyMentionsSource:
    """The Bluesky source a config enables. Raises SourceAuthError when the app password's variable is empty
    and ConfigError when no handle names the account."""
    return BlueskyMentionsSource(_api(settings, session(settings, client, environ), "bluesky:mentions"),
                                 settings.sources.bluesky, settings.brand.bluesky_handles)


def session(settings: Settings, client: Client | None = None,
            environ: Mapping[str, str] | None = None) -> BlueskySession:
    """The login the Bluesky sources of a config share. Raises SourceAuthError when the app password's variable is
    empty and ConfigError when no handle names the account."""
    b = settings.sources.bluesky
    return BlueskySession(client or build_client(b), login_handle(settings), app_password(b, environ))


def _api(settings: Settings, shared: BlueskySession, where: str) -> BlueskyApi:
    b = settings.sources.bluesky
    return BlueskyApi(shared, b, where, Backoff(b.interval_seconds, b.max_backoff_seconds))


def check_bluesky(settings: Settings, client: Client, environ: Mapping[str, str] | None = None) -> list[str]:
    """`webcare bluesky check`: the app password works, whose account it is, and the rate-limit window."""
    b = settings.sources.bluesky
    api = _api(settings, session(settings, client, environ), "bluesky check")
    did = api.login()
    lines = [f"app password from {b.app_password_env}: accepted",
             f"logged in as @{api.logged_in_as} ({did}) on {b.service_url}"]
    if api.logged_in_as.casefold() not in {h.casefold() for h in settings.brand.bluesky_handles}:
        lines.append(f"warning: @{api.logged_in_as} is not in brand.bluesky_handles; add it so the classifier "
                     f"knows the handle as the brand's")
    api.query(_LIST, models.AppBskyNotificationListNotifications.Params(reasons=REASONS, limit=1))
    lines.append(f"notifications: {api.rate.describe() if api.rate else 'the server sent no rate-limit headers'}")
    if b.direct_messages:
        api.query("chat.bsky.convo.listConvos", models.ChatBskyConvoListConvos.Params(limit=1), chat=True)
        lines.append("direct messages: the app password may read them")
    return lines
