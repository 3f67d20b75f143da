"""Serving the review app with waitress, in a thread of its own: the daemon starts one beside its scheduler,
`webcare serve` runs one alone. `stop()` ends the loop, then closes the listening socket and every open
connection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from waitress.server import create_server

from bot.config.settings import Settings
from bot.errors import ConfigError
from bot.web.app import WSGIApp, build_wsgi, create_app
from bot.web.parts import WebStore

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how soon stop() takes effect

__all__ = ["WebServer"]


class WebServer:
    def __init__(self, store: WebStore, settings: Callable[[], Settings],
                 mounts: Mapping[str, WSGIApp] | None = None) -> None:
        """`mounts`: apps served beside the review app by path prefix, reached without a login (the daemon
        mounts /healthz and /metrics)."""
        self.settings = settings
        web = settings().web
        app = create_app(store, settings)
        self.wsgi = build_wsgi(app, mounts)
        try:
            # Behind a TLS proxy, its X-Forwarded-Proto and -For are believed (HTTPS, and the client's address
            # for login throttling); from anyone else waitress drops them.
            proxy = {"trusted_proxy": web.trusted_proxy,
                     "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"}} if web.trusted_proxy else {}
            self._server = create_server(self.wsgi, host=web.host, port=web.port, threads=8, ident="webcare",
                                         **proxy)
        except OSError as e:
            raise ConfigError(
                f"web.port: cannot listen on {web.host}:{web.port} ({e.strerror}); choose a free port or 0 for any"
            ) from None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> str:
        host = self._server.effective_host  # type: ignore[union-attr]
        return f"http://{host}:{self._server.effective_port}"  # type: ignore[union-attr]

    def start(self) -> WebServer:
        self._thread = threading.Thread(target=self._loop, name="webcare-web", daemon=True)
        self._thread.start()
        log.info("web app listening on %s", self.address)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (`webcare serve`)."""
        log.info("web app listening on %s", self.address)
        self._loop()

    def _loop(self) -> None:
        # waitress's own run() loops until its socket map is empty, and stopping it from another thread means
        # waking it through its trigger pipe. Turning the loop here, a short poll at a time, lets stop() end it
        # with a flag and close every socket after the loop has let go of them: no cross-thread closing.
        server = self._server
        while not self._stopping.is_set() and server._map:  # type: ignore[union-attr]
            server.asyncore.loop(timeout=POLL_SECONDS, map=server._map, count=1)  # type: ignore[union-attr]

    def stop(self, timeout: float = 5.0) -> None:
        server = self._server
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        for channel in list(server._map.values()):  # type: ignore[union-attr]
            channel.close()
        server.task_dispatcher.shutdown(timeout=timeout)  # type: ignore[union-attr]
        log.info("web app stopped")
