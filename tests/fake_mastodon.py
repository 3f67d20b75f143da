"""A fake Mastodon server on 127.0.0.1 speaking the REST API's entities (tests/fixtures/mastodon/): the token's
account (`verify_credentials`), `mention` notifications and hashtag timelines paged with `min_id`, `max_id`, `since_id` and
`limit` (newest first, as Mastodon sends them), single statuses (404 for a deleted one), and `X-RateLimit-*`
headers."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.fake_platform import FakePlatform, Reply

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mastodon"
TOKEN = "test-mastodon-token-not-real"
DATA = json.loads((FIXTURES / "notifications.json").read_text(encoding="utf-8"))

TOO_MANY = {"error": "Too many requests"}
UNAVAILABLE = {"error": "Service Unavailable"}


def reset_in(seconds: float, remaining: int = 0, limit: int = 300) -> dict[str, str]:
    """X-RateLimit-* headers whose window resets `seconds` from now (Mastodon sends an ISO time)."""
    reset = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def _key(i: str) -> tuple[int, str]:
    return (len(i), i)


class FakeMastodon(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.account: dict[str, Any] = copy.deepcopy(DATA["account"])
        self.statuses = {s["id"]: s for s in copy.deepcopy(DATA["statuses"])}
        self.notifications: list[dict[str, Any]] = copy.deepcopy(DATA["notifications"])
        self.tagged: dict[str, list[dict[str, Any]]] = copy.deepcopy(DATA["tagged"])  # hashtag timelines
        self.page_size = 40
        self.rate: dict[str, str] = {}

    def add(self, notification: dict[str, Any]) -> None:
        with self._lock:
            self.notifications.append(notification)

    def endpoint(self, path: str) -> str:
        if path == "/api/v1/accounts/verify_credentials":
            return "verify"
        if path == "/api/v1/notifications":
            return "notifications"
        if path.startswith("/api/v1/statuses/"):
            return "status"
        if path.startswith("/api/v1/timelines/tag/"):
            return "hashtag"
        return path

    def respond(self, endpoint: str, method: str, path: str, query: dict[str, list[str]], body: Any,
                headers: Mapping[str, str]) -> Reply:
        auth = headers.get("authorization")
        if method != "GET":
            return Reply(405, {"error": "the fake Mastodon accepts GET only"})
        if auth != f"Bearer {TOKEN}":
            return Reply(401, {"error": "The access token is invalid"})
        if endpoint == "verify":
            return Reply(200, self.account, dict(self.rate))
        if endpoint == "status":
            found = self.statuses.get(path.rsplit("/", 1)[-1])
            return Reply(200, found, dict(self.rate)) if found else Reply(404, {"error": "Record not found"})
        if endpoint == "notifications":
            types = query.get("types[]") or query.get("types")
            with self._lock:
                items = [n for n in self.notifications if not types or n["type"] in types]
            return Reply(200, self._page(items, query), dict(self.rate))
        if endpoint == "hashtag":
            with self._lock:
                items = list(self.tagged.get(path.rsplit("/", 1)[-1].casefold(), []))
            return Reply(200, self._page(items, query), dict(self.rate))
        return Reply(404, {"error": "Record not found"})

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
        def one(name: str) -> str | None:
            return query[name][-1] if name in query else None

        items.sort(key=lambda n: _key(n["id"]), reverse=True)
        size = min(self.page_size, int(one("limit") or 40))
        if (min_id := one("min_id")) is not None:  # the page just after min_id, still newest first
            after = [n for n in reversed(items) if _key(n["id"]) > _key(min_id)][:size]
            return list(reversed(after))
        if (max_id := one("max_id")) is not None:
            items = [n for n in items if _key(n["id"]) < _key(max_id)]
        if (since_id := one("since_id")) is not None:
            items = [n for n in items if _key(n["id"]) > _key(since_id)]
        return items[:size]
