"""A fake Bluesky PDS on 127.0.0.1 speaking XRPC with the AT Protocol's lexicon shapes (tests/fixtures/bluesky/):
`com.atproto.server.createSession` (app-password login), `app.bsky.actor.getProfile`, and
`app.bsky.notification.listNotifications` filtered by `reasons`, newest first, cursor-paged, and
`app.bsky.feed.searchPosts`, with `ratelimit-*` headers. Only the two session procedures accept POST; everything else is a GET query."""

from __future__ import annotations

import base64
import copy
import json
import time
from datetime import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.fake_platform import FakePlatform, Reply

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bluesky"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
DATA = json.loads((FIXTURES / "notifications.json").read_text(encoding="utf-8"))

TOO_MANY = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
UNAVAILABLE = {"error": "InternalServerError", "message": "Internal Server Error"}
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
_PROCEDURES = {"com.atproto.server.createSession", "com.atproto.server.refreshSession"}


def reset_in(seconds: float, remaining: int = 0, limit: int = 3000) -> dict[str, str]:
    return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(int(time.time() + seconds)), "ratelimit-policy": f"{limit};w=300"}


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _jwt(payload: dict[str, Any]) -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(payload)}.c2lnbmF0dXJl"


class FakeBluesky(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.did: str = DATA["session"]["did"]
        self.handle: str = DATA["session"]["handle"]
        self.profile: dict[str, Any] = copy.deepcopy(DATA["profile"])
        self.notifications: list[dict[str, Any]] = copy.deepcopy(DATA["notifications"])
        self.posts: list[dict[str, Any]] = copy.deepcopy(DATA["search"])  # what app.bsky.feed.searchPosts finds
        self.convos: list[dict[str, Any]] = copy.deepcopy(DATA["chat"]["convos"])  # the chat service's
        self.messages: dict[str, list[dict[str, Any]]] = copy.deepcopy(DATA["chat"]["messages"])
        self.chat_allowed = True  # False: an app password made without access to direct messages
        self.page_size = 100
        self.rate: dict[str, str] = {}
        self.access = _jwt({"scope": "com.atproto.appPass", "sub": self.did, "aud": "did:web:fake.bsky",
                            "iat": int(time.time()), "exp": int(time.time()) + 7200})

    def add(self, notification: dict[str, Any]) -> None:
        with self._lock:
            self.notifications.append(notification)

    def endpoint(self, path: str) -> str:
        return path.removeprefix("/xrpc/")

    def respond(self, endpoint: str, method: str, path: str, query: dict[str, list[str]], body: Any,
                headers: Mapping[str, str]) -> Reply:
        auth = headers.get("authorization")
        if method != "GET" and endpoint not in _PROCEDURES:
            return Reply(405, {"error": "MethodNotAllowed", "message": "the fake PDS serves queries only"})
        if endpoint == "com.atproto.server.createSession":
            if not isinstance(body, dict) or body.get("password") != APP_PASSWORD or body.get("identifier") not in (
                    self.handle, self.did):
                return Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
            return Reply(200, {"did": self.did, "handle": self.handle, "accessJwt": self.access,
                               "refreshJwt": _jwt({"sub": self.did, "exp": int(time.time()) + 86400}),
                               "active": True}, dict(self.rate))
        if auth != f"Bearer {self.access}":
            return Reply(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})
        if endpoint.startswith("chat.bsky."):
            return self._chat(endpoint, query, headers)
        if endpoint == "app.bsky.actor.getProfile":
            return Reply(200, self.profile, dict(self.rate))
        if endpoint == "app.bsky.notification.listNotifications":
            return Reply(200, self._page(query), dict(self.rate))
        if endpoint == "app.bsky.feed.searchPosts":
            return Reply(200, self._search(query), dict(self.rate))
        return Reply(501, {"error": "MethodNotImplemented", "message": f"Method Not Implemented: {endpoint}"})

    def _chat(self, endpoint: str, query: dict[str, list[str]], headers: Mapping[str, str]) -> Reply:
        """The chat service behind the PDS: only with the proxy header, and only for a password allowed DMs."""
        if headers.get("atproto-proxy") != CHAT_PROXY:
            return Reply(501, {"error": "MethodNotImplemented", "message": f"Method Not Implemented: {endpoint}"})
        if not self.chat_allowed:
            return Reply(401, {"error": "InvalidToken", "message": "Bad token scope"})
        with self._lock:
            if endpoint == "chat.bsky.convo.listConvos":
                items, key = sorted(self.convos, key=lambda c: c["rev"], reverse=True), "convos"
            elif endpoint == "chat.bsky.convo.getMessages":
                convo = query["convoId"][-1]
                items, key = sorted(self.messages.get(convo, []), key=lambda m: m["rev"], reverse=True), "messages"
            else:
                return Reply(501, {"error": "MethodNotImplemented", "message": f"Method Not Implemented: {endpoint}"})
        offset = int(query["cursor"][-1]) if "cursor" in query else 0
        size = min(self.page_size, int(query.get("limit", ["50"])[-1]))
        body: dict[str, Any] = {key: items[offset:offset + size]}
        if offset + size < len(items):
            body["cursor"] = str(offset + size)
        return Reply(200, body, dict(self.rate))

    def _search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """Posts whose text has the query (any case), at or after `since`, newest first, cursor-paged."""
        q = query["q"][-1].casefold()
        since = query.get("since", [""])[-1]
        with self._lock:
            found = [p for p in self.posts if q in str(p["record"].get("text", "")).casefold() or
                     not isinstance(p["record"].get("text"), str)]
        if since:
            found = [p for p in found if _time(p["indexedAt"]) >= _time(since)]
        found.sort(key=lambda p: p["indexedAt"], reverse=True)
        offset = int(query["cursor"][-1]) if "cursor" in query else 0
        size = min(self.page_size, int(query.get("limit", ["25"])[-1]))
        body: dict[str, Any] = {"posts": found[offset:offset + size], "hitsTotal": len(found)}
        if offset + size < len(found):
            body["cursor"] = str(offset + size)
        return body

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        reasons = query.get("reasons") or query.get("reasons[]")
        with self._lock:
            items = [n for n in self.notifications if not reasons or n["reason"] in reasons]
        items.sort(key=lambda n: (n["indexedAt"], n["uri"]), reverse=True)
        offset = int(query["cursor"][-1].removeprefix("o")) if "cursor" in query else 0
        size = min(self.page_size, int(query.get("limit", ["50"])[-1]))
        page = items[offset:offset + size]
        body: dict[str, Any] = {"notifications": page, "priority": False, "seenAt": "2026-11-20T00:00:00.000Z"}
        if offset + size < len(items):
            body["cursor"] = f"o{offset + size}"
        return body
