"""The X (Twitter) source, API v2 through tweepy: the mentions of each brand account, and optionally a search for
the brand's names. Each is its own `Source` with its own checkpoint (the newest post id stored):
"x:mentions:<handle>" and "x:search".

It only reads. A failed page raises a `SourceError` before anything is returned, so the checkpoint never moves
past a post that was not stored; the pipeline records the error and the scheduler waits as the error says.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import tweepy

from bot.config.settings import Settings
from bot.config.settings import XSource as XSettings
from bot.errors import ConfigError, SourceError
from bot.mention import Mention
from bot.sources.base import Batch, Reject
from bot.sources.pacing import Backoff, RetryGate, next_pause
from bot.sources.x.client import EXPANSIONS, TWEET_FIELDS, USER_FIELDS, Page, XApi, build_client
from bot.sources.x.mapping import BrandAccounts, map_page

log = logging.getLogger(__name__)

__all__ = ["MENTIONS_SERVED", "MemoryUserIds", "UserIds", "XMentionsSource", "XSearchSource", "build_x_sources", "resolve_handles",
           "search_query", "snowflake_time"]

MENTIONS_SERVED = 800  # X serves only this many of an account's most recent mentions
MAX_QUERY = 512
SEARCH_DAYS = 7
_MENTION_PAGES = MENTIONS_SERVED // 100 + 1
_TWITTER_EPOCH_MS = 1288834974657


class UserIds(Protocol):
    """Where resolved handle -> user id pairs are kept (the store, across restarts)."""

    def x_user_id(self, handle: str) -> str | None: ...

    def remember_x_user(self, handle: str, user_id: str) -> None: ...


class MemoryUserIds:
    """A `UserIds` for a run without a store (`webcare x check` without a database, notebooks)."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def x_user_id(self, handle: str) -> str | None:
        return self._ids.get(handle.casefold())

    def remember_x_user(self, handle: str, user_id: str) -> None:
        self._ids[handle.casefold()] = user_id


def snowflake_time(post_id: str) -> datetime:
    """When X made a post id (ids carry their creation time in milliseconds since X's epoch)."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + _TWITTER_EPOCH_MS) / 1000, timezone.utc)


def resolve_handles(api: XApi, client: tweepy.Client, handles: Iterable[str], ids: UserIds) -> dict[str, str]:
    """Each handle's user id, asking X only for those not resolved before. Raises SourceError naming a handle
    X does not know."""
    handles = list(handles)
    missing = [h for h in handles if ids.x_user_id(h) is None]
    if missing:
        page = api.get(client.get_users, usernames=missing, user_fields=USER_FIELDS)
        for user in page.payload.get("data") or []:
            ids.remember_x_user(str(user["username"]), str(user["id"]))
    unknown = [h for h in handles if ids.x_user_id(h) is None]
    if unknown:
        raise SourceError(f"{api.where}: X knows no account @{', @'.join(unknown)}; check the handles in "
                          f"sources.x.accounts (or brand.handles)")
    return {h: str(ids.x_user_id(h)) for h in handles}


def search_query(settings: Settings) -> str:
    """The recent-search query for the brand's names: exclusions, languages, no reposts unless asked, and
    none of the posts the mentions source already reads or the brand's own. Raises ConfigError when too long."""
    x, brand = settings.sources.x, settings.brand
    s = x.search

    def quote(term: str) -> str:
        term = term.replace('"', "").strip()
        return term if term.replace("_", "").isalnum() else f'"{term}"'

    terms = s.terms or brand.names or [brand.name]
    parts = ["(" + " OR ".join(quote(t) for t in terms) + ")"]
    parts += [f"-{quote(t)}" for t in s.exclude_terms]
    parts += [f"-@{h}" for h in (x.accounts or brand.handles)]
    parts += [f"-from:{h}" for h in dict.fromkeys([*brand.handles, *brand.own_accounts, *brand.staff_accounts])]
    if s.languages:
        langs = [f"lang:{lang}" for lang in s.languages]
        parts.append(langs[0] if len(langs) == 1 else "(" + " OR ".join(langs) + ")")
    if not s.include_reposts:
        parts.append("-is:retweet")
    query = " ".join(parts)
    if len(query) > MAX_QUERY:
        raise ConfigError(f"sources.x.search: the search query is {len(query)} characters long and X allows "
                          f"{MAX_QUERY}; use fewer terms, exclude_terms or staff_accounts")
    return query


class _XPoller:
    """What both X sources share: the API seam, the retry gate, paging from a checkpoint, the log lines."""

    name: str

    def __init__(self, client: tweepy.Client, settings: XSettings, brand: BrandAccounts, brand_handles: list[str],
                 ids: UserIds, calls_per_poll: int = 1) -> None:
        self.client = client
        self.settings = settings
        self.brand = brand
        self.brand_handles = brand_handles
        self.ids = ids
        self.calls_per_poll = calls_per_poll
        self.api = XApi(client, settings, self.name, Backoff(settings.interval_seconds, settings.max_backoff_seconds))
        self.gate = RetryGate(self.name)

    def fetch(self, checkpoint: str | None) -> Batch:
        if checkpoint is not None and not checkpoint.isdigit():
            raise SourceError(f"{self.name}: the stored checkpoint {checkpoint!r} is not a post id")
        return self.gate.run(lambda: self._fetch(checkpoint))

    def _fetch(self, checkpoint: str | None) -> Batch:
        raise NotImplementedError

    def _brand(self) -> BrandAccounts:
        known = (self.ids.x_user_id(h) for h in self.brand_handles)
        return BrandAccounts(self.brand.handles, frozenset(i for i in known if i))

    def _pages(self, call: Callable[..., Any], args: tuple[Any, ...], params: dict[str, Any], token_name: str,
               since_id: str | None, max_pages: int) -> tuple[list[Mention], list[Reject], Page | None, str | None]:
        """Follow next_token until the checkpoint is reached; returns the posts, the rejects, the last page and
        a next_token still left when `max_pages` ran out."""
        brand = self._brand()
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        token: str | None = None
        page: Page | None = None
        for number in range(1, max_pages + 1):
            page = self.api.get(call, *args, **params, **({token_name: token} if token else {}))
            found, bad = map_page(page.payload, brand, f"{self.name} page {number}")
            mentions += found
            rejects += bad
            self._log_errors(page.payload.get("errors"))
            token, oldest = self._paging(page)
            if not token or (since_id and oldest and int(oldest) <= int(since_id)):
                return mentions, rejects, page, None
        return mentions, rejects, page, token

    def _paging(self, page: Page) -> tuple[str | None, str | None]:
        """The page's next_token and oldest_id. A `meta` X would never send cannot be paged on: the poll fails
        as unavailable (and backs off) rather than guessing where the posts end."""
        meta = page.payload.get("meta") or {}
        token = meta.get("next_token") if isinstance(meta, Mapping) else None
        oldest = meta.get("oldest_id") if isinstance(meta, Mapping) else None
        newest = meta.get("newest_id") if isinstance(meta, Mapping) else None
        problems = [] if isinstance(meta, Mapping) else [f"it is a {type(meta).__name__}, not an object"]
        if token is not None and not (isinstance(token, str) and token):
            problems.append(f"next_token is {token!r}")
        for name, value in (("oldest_id", oldest), ("newest_id", newest)):
            if value is not None and not str(value).isdigit():
                problems.append(f"{name} is {value!r}")
        if problems:
            raise self.api.unavailable(f"X sent a page whose 'meta' cannot be read ({'; '.join(problems)[:200]})")
        return token, str(oldest) if oldest is not None else None

    def _log_errors(self, errors: Any) -> None:
        """A partial `errors` array (deleted or withheld posts, suspended authors): note it, keep the rest."""
        if not errors or not isinstance(errors, list):
            return
        items = [f"{e.get('resource_type', '?')} {e.get('resource_id') or e.get('value', '?')}: "
                 f"{e.get('title', e.get('detail', '?'))}" for e in errors if isinstance(e, Mapping)]
        log.warning("%s: X left out %d item(s), the rest is kept: %s", self.name, len(items), "; ".join(items[:10]))

    def _batch(self, mentions: list[Mention], rejects: list[Reject], page: Page | None,
               checkpoint: str | None) -> Batch:
        ids = [int(m.id) for m in mentions if m.id.isdigit()]
        newest = (page.payload.get("meta") or {}).get("newest_id") if page else None
        candidates = ids + ([int(newest)] if newest and str(newest).isdigit() else [])
        if checkpoint:
            candidates.append(int(checkpoint))
        new_checkpoint = str(max(candidates)) if candidates else None
        pause = next_pause(self.name, page.rate if page else None, self.settings.interval_seconds,
                           self.calls_per_poll, self.settings.max_rate_limit_wait_seconds)
        return Batch(mentions, new_checkpoint, rejects, next_poll_after=pause)

    def _start_time(self, hours: float, limit_days: float | None = None) -> datetime:
        # X wants a start_time a little in the past; search reaches back 7 days at most.
        now = datetime.now(timezone.utc)
        back = max(timedelta(hours=hours), timedelta(seconds=30))
        if limit_days is not None:
            back = min(back, timedelta(days=limit_days) - timedelta(minutes=1))
        return now - back


class XMentionsSource(_XPoller):
    """The mentions of one brand account, newest id as checkpoint; on a first start, back `backfill_hours`."""

    def __init__(self, client: tweepy.Client, settings: XSettings, account: str, brand: BrandAccounts,
                 brand_handles: list[str], ids: UserIds, calls_per_poll: int = 1) -> None:
        self.account = account
        self.name = f"x:mentions:{account}"
        super().__init__(client, settings, brand, brand_handles, ids, calls_per_poll)

    def _fetch(self, checkpoint: str | None) -> Batch:
        user_id = resolve_handles(self.api, self.client, [self.account], self.ids)[self.account]
        params: dict[str, Any] = {"max_results": 100, "expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS,
                                  "user_fields": USER_FIELDS}
        if checkpoint:
            params["since_id"] = checkpoint
        else:
            params["start_time"] = self._start_time(self.settings.backfill_hours)
        mentions, rejects, page, left = self._pages(self.client.get_users_mentions, (user_id,), params,
                                                    "pagination_token", checkpoint, _MENTION_PAGES)
        if checkpoint and (len(mentions) + len(rejects) >= MENTIONS_SERVED or left):
            oldest = min((m.created_at for m in mentions), default=datetime.now(timezone.utc))
            log.warning("%s: X serves only the %d most recent mentions; mentions between %s and %s (after a "
                        "long outage) may be missing", self.name, MENTIONS_SERVED,
                        f"{snowflake_time(checkpoint):%Y-%m-%d %H:%M} UTC", f"{oldest:%Y-%m-%d %H:%M} UTC")
        return self._batch(mentions, rejects, page, checkpoint)


class XSearchSource(_XPoller):
    """Recent posts that name the brand without @-mentioning it; mostly "about", which is expected."""

    name = "x:search"

    def __init__(self, client: tweepy.Client, settings: XSettings, query: str, brand: BrandAccounts,
                 brand_handles: list[str], ids: UserIds) -> None:
        self.query = query
        super().__init__(client, settings, brand, brand_handles, ids)

    def _fetch(self, checkpoint: str | None) -> Batch:
        params: dict[str, Any] = {"max_results": 100, "expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS,
                                  "user_fields": USER_FIELDS}
        if checkpoint:
            params["since_id"] = checkpoint
        else:
            params["start_time"] = self._start_time(self.settings.backfill_hours, SEARCH_DAYS)
        mentions, rejects, page, left = self._pages(self.client.search_recent_tweets, (self.query,), params,
                                                    "next_token", checkpoint, self.settings.search.max_pages)
        if left:
            oldest = min((m.created_at for m in mentions), default=datetime.now(timezone.utc))
            log.warning("%s: read %d pages (sources.x.search.max_pages); posts before %s in this gap are skipped",
                        self.name, self.settings.search.max_pages, f"{oldest:%Y-%m-%d %H:%M} UTC")
        return self._batch(mentions, rejects, page, checkpoint)



def build_x_sources(settings: Settings, ids: UserIds | None = None, client: tweepy.Client | None = None,
                    environ: Mapping[str, str] | None = None,
                    stop: threading.Event | None = None) -> list[XMentionsSource | XSearchSource]:
    """The X sources a config enables, sharing one client: a mentions source per account, and the search.
    Raises SourceAuthError when the bearer token's environment variable is empty, ConfigError for a bad query."""
    x = settings.sources.x
    client = client or build_client(x, environ, stop)
    accounts = list(dict.fromkeys(x.accounts or settings.brand.handles))
    brand_handles = list(dict.fromkeys([*settings.brand.handles, *settings.brand.own_accounts, *accounts]))
    brand = BrandAccounts.of(brand_handles)
    ids = ids if ids is not None else MemoryUserIds()
    # The accounts share the mentions endpoint's window, so each one paces for all of them.
    sources: list[XMentionsSource | XSearchSource] = [
        XMentionsSource(client, x, account, brand, brand_handles, ids, calls_per_poll=len(accounts))
        for account in accounts
    ]
    if x.search.enabled:
        sources.append(XSearchSource(client, x, search_query(settings), brand, brand_handles, ids))
    return sources
