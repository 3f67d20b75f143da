"""Serves the ops endpoints on a port of their own (config `ops.port`), from a background thread of the daemon.

One thread and the standard library's WSGI server: scrapes are rare and quick, and a single thread keeps one
database connection for its whole life."""

from __future__ import annotations

import logging
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import WSGIApplication

from bot.errors import CannotListen

log = logging.getLogger(__name__)

__all__ = ["OpsServer"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.address_string(), *args)


class OpsServer:
    def __init__(self, app: WSGIApplication, host: str, port: int) -> None:
        try:
            self._server: WSGIServer = make_server(host, port, app, handler_class=_QuietHandler)
        except OSError as e:
            raise CannotListen("ops.port", host, port, e) from None
        self.host, self.port = host, int(self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="ops-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> OpsServer:
        self._thread.start()
        log.info("ops endpoints on %s/healthz and %s/metrics", self.url, self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
