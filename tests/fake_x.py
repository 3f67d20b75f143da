"""A fake X API v2 on 127.0.0.1: the outside world at its HTTP edge, for the X source's tests.

It serves the JSON payloads under tests/fixtures/x/ the way X does: a mentions timeline and a recent search that
honour since_id, start_time and next_token, `users/by` lookups, and rate-limit headers on every answer. A test
queues faults (429, 503, a hang, a static payload) per endpoint; they are served before the normal answers.
Every request is recorded, so a test can prove that only GETs were made. `forward(client, fake)` mounts a
requests transport adapter on the tweepy client's session that sends api.twitter.com to this server and
refuses every other host. `RefusingProxy` is a way out that leads nowhere, for a process that cannot be
handed a transport (the daemon as a subprocess, the CLI): HTTPS_PROXY pointed at it makes X unreachable.

The posts are served as recent ones on any date: the files are written as if it were `WRITTEN_AT`, and every
`created_at` is served moved by the time since then (`served_time`), so a post written 5 minutes before that
moment is 5 minutes old today (X's recent search reaches back only 7 days).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from tests.fake_platform import FakePlatform, Reply

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "x"
TOKEN = "test-bearer-AAAA-not-a-real-token"


WRITTEN_AT = datetime(2026, 11, 20, 10, 5, tzinfo=timezone.utc)  # "now" for the times in the fixture files
_SHIFT = timedelta(seconds=round((datetime.now(timezone.utc) - WRITTEN_AT).total_seconds()))


def served_time(written: str) -> datetime:
    """The time the fake serves for a `created_at` written in a fixture file."""
    return datetime.fromisoformat(written.replace("Z", "+00:00")) + _SHIFT


def _recent(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (f"{served_time(v):%Y-%m-%dT%H:%M:%S}.000Z" if k == "created_at" and isinstance(v, str)
                    else _recent(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_recent(v) for v in node]
    return node


def load(name: str) -> Any:
    """A fixture payload with its times made recent (see the module's docstring)."""
    return _recent(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


class FakeX(FakePlatform):
    def __init__(self, timeline: str = "timeline.json", search: str = "search.json") -> None:
        super().__init__()
        self.users: list[dict[str, Any]] = load("users.json")
        self.timelines = {"mentions": load(timeline), "search": load(search)}
        self.page_size = 100
        self.rate: dict[str, str] = {}  # x-rate-limit-* headers sent with every normal answer

    def start(self) -> FakeX:
        super().start()
        return self

    def endpoint(self, path: str) -> str:
        """ "mentions", "search" or "users" (the names `fail` takes), else the path itself."""
        return _endpoint(path)

    def refuse(self, method: str, headers: Mapping[str, str]) -> Reply | None:
        if method != "GET":
            return Reply(405, {"title": "Method Not Allowed", "detail": "the fake X accepts GET only"})
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                               "detail": "Unauthorized"})
        return None

    def respond(self, endpoint: str, method: str, path: str, query: dict[str, list[str]], body: Any,
                headers: Mapping[str, str]) -> Reply:
        last = {k: v[-1] for k, v in query.items()}
        if endpoint == "users":
            return Reply(200, self._users(last.get("usernames", "")), dict(self.rate))
        if endpoint in self.timelines:
            return Reply(200, self._page(self.timelines[endpoint], last), dict(self.rate))
        return Reply(404, {"title": "Not Found Error", "detail": f"no route {path}"})

    def _users(self, usernames: str) -> dict[str, Any]:
        wanted = [u for u in usernames.split(",") if u]
        known = {u["username"].casefold(): u for u in self.users}
        body: dict[str, Any] = {"data": [known[u.casefold()] for u in wanted if u.casefold() in known]}
        missing = [u for u in wanted if u.casefold() not in known]
        if missing:
            body["errors"] = [{"value": u, "detail": f"Could not find user with usernames: [{u}].",
                               "title": "Not Found Error", "resource_type": "user", "parameter": "usernames",
                               "resource_id": u, "type": "https://api.twitter.com/2/problems/resource-not-found"}
                              for u in missing]
        if not body["data"]:
            del body["data"]
        return body

    def _page(self, timeline: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        posts = sorted(timeline["data"], key=lambda t: int(t["id"]), reverse=True)
        if "since_id" in query:
            posts = [t for t in posts if int(t["id"]) > int(query["since_id"])]
        elif "start_time" in query:
            posts = [t for t in posts if t["created_at"] >= query["start_time"].replace("Z", ".000Z")]
        token = query.get("pagination_token") or query.get("next_token")
        offset = int(token.removeprefix("p")) if token else 0
        size = min(self.page_size, int(query.get("max_results", 10)))
        page = posts[offset:offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(posts):
            meta["next_token"] = f"p{offset + size}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            body["includes"] = timeline.get("includes", {})
        if timeline.get("errors") and page:
            body["errors"] = timeline["errors"]
        return body


def _endpoint(path: str) -> str:
    if path.endswith("/mentions"):
        return "mentions"
    if path.startswith("/2/tweets/search/recent"):
        return "search"
    if path.startswith("/2/users/by"):
        return "users"
    return path


class _ToFake(HTTPAdapter):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        request.url = self.base + str(request.url).removeprefix("https://api.twitter.com")
        return super().send(request, **kwargs)


class _Refuse(HTTPAdapter):
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        raise AssertionError(f"a test tried to reach {request.url}")


def forward(client: tweepy.Client, fake: FakeX) -> tweepy.Client:
    """Send the client's api.twitter.com calls to `fake`; any other host fails the test."""
    client.session.mount("https://", _Refuse())
    client.session.mount("http://", _Refuse())
    client.session.mount("https://api.twitter.com/", _ToFake(fake.url))
    return client


class RefusingProxy:
    """An HTTPS proxy on 127.0.0.1 that refuses every tunnel and notes where it was asked to go: the daemon's
    way out, so a test proves which hosts it tried without anything leaving the machine."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_CONNECT(self) -> None:  # noqa: N802 - the name http.server calls
                proxy.asked.append(self.path)
                self.send_error(403, "no way out of a test")

            do_GET = do_POST = do_CONNECT

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reset_in(seconds: float, remaining: int = 0, limit: int = 10) -> dict[str, str]:
    """Rate-limit headers whose window resets `seconds` from now."""
    return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(time.time() + seconds))}


TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
UNAVAILABLE = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}
