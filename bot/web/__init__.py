"""The review app in the browser: the queue, the search of what was left out, listening and stats, accounts.
It reads and writes through the store only; the daemon and `webcare serve` run it with waitress."""

from bot.web.app import build_wsgi, create_app
from bot.web.server import WebServer

__all__ = ["WebServer", "build_wsgi", "create_app"]
