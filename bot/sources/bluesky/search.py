"""The Bluesky search source: recent posts that name the brand (`app.bsky.feed.searchPosts`, newest first), for
"about" listening beside the mentions. One `Source` named "bluesky:search", sharing the mentions source's login;
its checkpoint is the `indexedAt` time of the newest post read. One search per term; a gap longer than
`search.max_pages` pages is skipped with a warning (these posts are counted, not answered)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from atproto import models

from bot.config.settings import BlueskySource as BlueskySettings
from bot.errors import SourceError, SourceUnavailable
from bot.mention import Mention, parse_time
from bot.sources.base import Batch, Reject
from bot.sources.bluesky.mapping import PAGE_SIZE, BrandAccount, map_notifications, newest_of, split_new
from bot.sources.pacing import RetryGate, next_pause

if TYPE_CHECKING:
    from bot.sources.bluesky.source import BlueskyApi

log = logging.getLogger(__name__)

__all__ = ["BlueskySearchSource"]

_SEARCH = "app.bsky.feed.searchPosts"


class BlueskySearchSource:
    name = "bluesky:search"

    def __init__(self, api: BlueskyApi, settings: BlueskySettings, terms: list[str], brand_handles: list[str]) -> None:
        self.api = api
        self.settings = settings
        self.terms = terms
        self.brand_handles = frozenset(h.casefold() for h in brand_handles)
        self.gate = RetryGate(self.name)

    def fetch(self, checkpoint: str | None) -> Batch:
        try:
            since = parse_time(checkpoint) if checkpoint else None
        except (TypeError, ValueError):
            raise SourceError(f"{self.name}: the stored checkpoint {checkpoint!r} is not a time") from None
        return self.gate.run(lambda: self._fetch(since, checkpoint))

    def _fetch(self, since: datetime | None, checkpoint: str | None) -> Batch:
        did = self.api.login()
        brand = BrandAccount(did, self.brand_handles | {self.api.logged_in_as.casefold()})
        first = since is None
        start = since or datetime.now(timezone.utc) - timedelta(hours=self.settings.backfill_hours)
        newest: tuple[datetime, str] | None = (start, checkpoint) if checkpoint else None
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        seen: set[str] = set()
        for term in self.terms:
            cursor: str | None = None
            for number in range(1, self.settings.search.max_pages + 1):
                params = models.AppBskyFeedSearchPosts.Params(
                    q=term, sort="latest", limit=PAGE_SIZE, cursor=cursor,
                    since=start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
                page = self.api.query(_SEARCH, params)
                posts = page.get("posts")
                where = f"{self.name} {term!r} page {number}"
                if not isinstance(posts, list):
                    raise SourceUnavailable(f"{where}: 'posts' must be a list, got {type(posts).__name__}")
                times, newest = newest_of(posts, newest)
                posts = [p for p in posts if not (isinstance(p, dict) and p.get("uri") in seen)]  # found by a term before
                seen.update(str(p.get("uri")) for p in posts if isinstance(p, dict))
                fresh, again = split_new(posts, start, first)
                found, bad = map_notifications(fresh, brand, where, reasons=None)
                mentions += found + map_notifications(again, brand, where, reasons=None)[0]
                rejects += bad
                cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
                if not cursor or not posts or any(t < start for t, _ in times):
                    break
            else:
                log.warning("%s: read %d pages for %r (sources.bluesky.search.max_pages); older posts in this gap "
                            "are skipped", self.name, self.settings.search.max_pages, term)
        pause = next_pause(self.name, self.api.rate, self.settings.interval_seconds, max(len(self.terms), 1),
                           self.settings.max_rate_limit_wait_seconds)
        return Batch(mentions, newest[1] if newest else checkpoint, rejects, next_poll_after=pause)
