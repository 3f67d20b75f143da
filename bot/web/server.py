"""Serving the review app with waitress, in a thread of its own: the daemon starts one beside its scheduler,
`webcare serve` runs one alone. `stop()` ends the loop, then closes the listening socket and every open
connection."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Mapping

from waitress import wasyncore
from waitress.server import MultiSocketServer, create_server

from bot.config.settings import Settings
from bot.errors import CannotListen
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
        # The socket map is ours, not waitress's: the loop below turns it, and stop() or a failed start closes
        # what is in it (a port in use would otherwise leave waitress's wake-up pipe open).
        self._sockets: dict[int, socket.socket] = {}
        # Behind a TLS proxy, its X-Forwarded-Proto and -For are believed (HTTPS, and the client's address for
        # login throttling); from anyone else waitress drops them.
        proxy_headers = {"x-forwarded-proto", "x-forwarded-for"} if web.trusted_proxy else set()
        try:
            self._server = create_server(self.wsgi, map=self._sockets, host=web.host, port=web.port, threads=8,
                                         ident="webcare", trusted_proxy=web.trusted_proxy,
                                         trusted_proxy_headers=proxy_headers)
        except OSError as e:
            self._close_sockets()
            raise CannotListen("web.port", web.host, web.port, e) from None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> str:
        """The URL of the first address listened on (a host name like `localhost` may give more than one)."""
        server = self._server
        host, port = (server.effective_listen[0] if isinstance(server, MultiSocketServer)
                      else server.getsockname())
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

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
        while not self._stopping.is_set() and self._sockets:
            wasyncore.loop(timeout=POLL_SECONDS, map=self._sockets, count=1)

    def stop(self, timeout: int = 5) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._close_sockets()
        self._server.task_dispatcher.shutdown(timeout=timeout)
        log.info("web app stopped")

    def _close_sockets(self) -> None:
        # The map's values are waitress's dispatchers (the listener, its trigger, the open connections).
        for channel in list(self._sockets.values()):
            channel.close()
