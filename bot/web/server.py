"""Serving the review app with waitress, in a thread of its own: the daemon starts one beside its scheduler,
`webcare serve` runs one alone. `stop()` closes the listening socket and every open connection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from waitress.server import create_server

from bot.errors import ConfigError
from bot.settings import Settings
from bot.store import Store
from bot.web.app import WSGIApp, build_wsgi, create_app

log = logging.getLogger(__name__)

__all__ = ["WebServer"]


class WebServer:
    def __init__(self, store: Store, settings: Callable[[], Settings],
                 mounts: Mapping[str, WSGIApp] | None = None) -> None:
        """`mounts`: apps served beside the review app by path prefix, reached without a login (the daemon
        mounts /healthz and /metrics)."""
        self.settings = settings
        web = settings().web
        app = create_app(store, settings)
        self.wsgi = build_wsgi(app, mounts)
        try:
            self._server = create_server(self.wsgi, host=web.host, port=web.port, threads=8, ident="webcare")
        except OSError as e:
            raise ConfigError(
                f"web.port: cannot listen on {web.host}:{web.port} ({e.strerror}); choose a free port or 0 for any"
            ) from None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host = self._server.effective_host  # type: ignore[union-attr]
        return f"http://{host}:{self._server.effective_port}"  # type: ignore[union-attr]

    def start(self) -> WebServer:
        self._thread = threading.Thread(target=self._server.run, name="webcare-web", daemon=True)
        self._thread.start()
        log.info("web app listening on %s", self.address)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (`webcare serve`)."""
        log.info("web app listening on %s", self.address)
        self._server.run()

    def stop(self, timeout: float = 5.0) -> None:
        server = self._server

        def close_all() -> None:
            # Run in the server's own thread (through its trigger): closing sockets under a running poll from
            # another thread races. With the listener and every connection closed, the loop's map is empty and
            # run() returns.
            for channel in list(server._map.values()):  # type: ignore[union-attr]
                channel.close()

        if self._thread is not None and self._thread.is_alive():
            server.trigger.pull_trigger(close_all)  # type: ignore[union-attr]
            self._thread.join(timeout)
        else:
            close_all()
        server.task_dispatcher.shutdown(timeout=timeout)  # type: ignore[union-attr]
        log.info("web app stopped")
