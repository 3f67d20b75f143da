"""Running the bot like a service: health and metrics endpoints, its counters, data care. It sits beside the
daemon: the daemon feeds `ServiceState`, and the web app mounts `wsgi_app(store, daemon_state)`."""

from bot.ops.app import wsgi_app
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.ops.state import ServiceState

__all__ = ["Metrics", "OpsServer", "ServiceState", "wsgi_app"]
