"""Outgoing HTTP with a bound on each request's total time: the X source's client and the alert webhooks use
it, so no server on the other end, however slowly it answers, holds the daemon longer than its time-out. A leaf
module."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

__all__ = ["BoundedSession", "Cancelled"]


class Cancelled(requests.Timeout):
    """The daemon is stopping: a request in flight is given up at once."""


class BoundedSession(requests.Session):
    """A requests Session whose every request is bounded in total time, from connecting to the last byte of the
    body. requests' own time-out is per socket read (and tweepy passes none): a server that drips a byte every
    second would hold the caller for as long as it likes. `stop`, when set (SIGTERM), gives up a request in
    flight at once.

    The request runs in a worker thread that the caller stops waiting for at the deadline; the worker ends
    when the connection does (its reads keep the per-read time-out)."""

    def __init__(self, timeout: float, stop: threading.Event | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.stop = stop

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def send() -> None:
            try:
                response = requests.Session.request(self, method, url, *args, **kwargs)
                response.content  # noqa: B018 - the whole body is read inside the deadline
                outcome["response"] = response
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread, raised there
                outcome["error"] = e
            finally:
                done.set()

        threading.Thread(target=send, name="x-request", daemon=True).start()
        deadline = time.monotonic() + self.timeout
        while not done.wait(max(0.0, min(0.1, deadline - time.monotonic()))):
            if self.stop is not None and self.stop.is_set():
                raise Cancelled("the daemon is stopping")
            if time.monotonic() >= deadline:
                raise requests.Timeout(f"no complete answer within {self.timeout:g}s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]  # type: ignore[no-any-return]
