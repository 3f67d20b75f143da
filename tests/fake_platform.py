"""A fake platform API on 127.0.0.1, the base of the X, Mastodon and Bluesky fakes: the outside world at its HTTP
edge. It records every request (so a test can prove which methods were sent), serves queued faults per endpoint
before the normal answers, and answers JSON. A subclass says which endpoint a path is and what it answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


__all__ = ["FakePlatform", "Reply", "Seen"]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: longer than the client's time-out makes a time-out
    normal: bool = False  # serve the normal answer (a good page between two faults)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]


class FakePlatform:
    def __init__(self) -> None:
        self.faults: dict[str, list[Reply]] = defaultdict(list)
        self.seen: list[Seen] = []
        self.lists: dict[str, list[str]] = {}  # the last request's repeated query parameters (types[], reasons)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakePlatform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, endpoint: str, *replies: Reply) -> None:
        """Queue answers for `endpoint`, served before the normal ones (`Reply(normal=True)` lets one through)."""
        with self._lock:
            self.faults[endpoint].extend(replies)

    def calls(self, endpoint: str) -> list[Seen]:
        return [s for s in self.seen if self.endpoint(s.path) == endpoint]

    # --- what a subclass provides -------------------------------------------------------------------------------

    def endpoint(self, path: str) -> str:
        raise NotImplementedError

    def refuse(self, method: str, headers: Mapping[str, str]) -> Reply | None:
        """An answer given before any queued fault (a wrong method, a missing token); None lets the request on."""
        return None

    def respond(self, endpoint: str, method: str, path: str, query: dict[str, list[str]], body: Any,
                headers: Mapping[str, str]) -> Reply:
        raise NotImplementedError

    # --- the HTTP side ------------------------------------------------------------------------------------------

    def _answer(self, method: str, path: str, query: dict[str, list[str]], body: Any,
                headers: Mapping[str, str]) -> Reply:
        endpoint = self.endpoint(path)
        with self._lock:
            self.seen.append(Seen(method, path, {k: v[-1] for k, v in query.items()}))
            refused = self.refuse(method, headers)
            if refused is not None:
                return refused
            queued = self.faults[endpoint]
            if queued and not queued[0].normal:
                return queued.pop(0)
            if queued:
                queued.pop(0)
        return self.respond(endpoint, method, path, query, body, headers)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                reply = fake._answer(self.command, parts.path, parse_qs(parts.query), body,
                                     {k.lower(): v for k, v in self.headers.items()})
                if reply.delay:
                    time.sleep(reply.delay)
                data = b"" if reply.body is None else (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode())
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json; charset=utf-8")
                    self.send_header("content-length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a time-out test)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
