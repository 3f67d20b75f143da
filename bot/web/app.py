"""The review app's factory: Flask with server-rendered Jinja pages, CSRF on every state change (Flask-WTF),
sessions through Flask-Login, and security headers. It reads and writes through the store only.

`create_app(store, settings)` gives the Flask app; `build_wsgi(...)` wraps it with the apps mounted beside it
(ops' /healthz and /metrics), and that is what the server runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.config.settings import Settings
from bot.errors import NotFound
from bot.redaction import redact
from bot.text.due import due_words, stored_time, when
from bot.text.printable import LIST_LIMIT, printable, shorten
from bot.web.parts import WebStore

log = logging.getLogger(__name__)

__all__ = ["CSRF_REFUSED", "WSGIApp", "build_wsgi", "create_app"]

WSGIApp = Callable[..., Any]
CSRF_REFUSED = "This form has expired or lacks its security token. Reload the page and try again."
REFRESH_SECONDS = 20
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


class _SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure as `web.secure_cookies` says; when that is empty, behind a TLS proxy
    (`web.trusted_proxy`) and for any request that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        web = app.extensions["webcare.settings"]().web
        if web.secure_cookies is not None:
            return bool(web.secure_cookies)
        return web.trusted_proxy is not None or request.is_secure


def create_app(store: WebStore, settings: Callable[[], Settings] | Settings) -> Flask:
    """The Flask app on `store`. `settings` may be a callable, so the daemon's reloaded config is seen."""
    from bot.web import alert_views, auth, insight_views, queue_views, search_views, users_views

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=store.users.web_secret(),
        SESSION_COOKIE_NAME="webcare_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # A queue page stays open all day: the token lives as long as the session, not one hour.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.session_interface = _SessionCookies()
    app.extensions["webcare.store"] = store
    app.extensions["webcare.settings"] = settings if callable(settings) else (lambda: settings)
    CSRFProtect(app)
    login_manager = LoginManager(app)
    auth.init_login(login_manager)
    for module in (auth, queue_views, search_views, insight_views, alert_views, users_views):
        app.register_blueprint(module.bp)
    # printable on every text that comes from a post or a person; autoescaping still does the HTML.
    app.jinja_env.filters.update(age=age, when=when, link=link, pct=pct, printable=printable, shorten=shorten,
                                 due=due_words, first_line=first_line, redact=redact, platform_name=platform_name)
    app.jinja_env.globals.update(refresh_seconds=REFRESH_SECONDS, list_limit=LIST_LIMIT)

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest) -> tuple[str, int]:
        return render_template("error.html", title="Bad request", message=e.description), 400

    @app.errorhandler(CSRFError)
    def csrf_refused(e: CSRFError) -> tuple[str, int]:
        log.warning("refused a %s to %s without a valid CSRF token", request.method, request.path)
        return render_template("error.html", title="Refused", message=CSRF_REFUSED), 400

    @app.errorhandler(403)
    def forbidden(e: Exception) -> tuple[str, int]:
        return render_template("error.html", title="Not allowed",
                               message="Only a team lead can manage users. Ask a lead for help."), 403

    @app.errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return render_template("error.html", title="Not found", message="There is no such page."), 404

    @app.errorhandler(NotFound)
    def no_such_record(e: NotFound) -> tuple[str, int]:
        return render_template("error.html", title="Not found", message=str(e)), 404

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def build_wsgi(app: Flask, mounts: Mapping[str, WSGIApp] | None = None) -> WSGIApp:
    """The app with others mounted beside it by path prefix (werkzeug's DispatcherMiddleware). Ops mounts
    its health and metrics app here: a mounted app is reached without logging in, so mount only what is public."""
    if not mounts:
        return app
    return DispatcherMiddleware(app, dict(mounts))


def store() -> WebStore:
    from flask import current_app

    return current_app.extensions["webcare.store"]  # type: ignore[no-any-return]


def settings() -> Settings:
    from flask import current_app

    return current_app.extensions["webcare.settings"]()  # type: ignore[no-any-return]


def age(iso: str | None, now: datetime | None = None) -> str:
    """'3m', '5h', '2d': how long ago; a time in the future gets 'in ' before it."""
    t = stored_time(iso)
    if t is None:
        return "-"
    seconds = int(((now or datetime.now(timezone.utc)) - t).total_seconds())
    prefix = "in " if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{prefix}{seconds // size}{unit}"
    return f"{prefix}{seconds}s"


def first_line(text: str, width: int = 160) -> str:
    """A post on one line for the compact list: whitespace folded, cut at `width` characters."""
    flat = " ".join(text[: width * 4].split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def link(url: str | None) -> str:
    """The URL when it is an http(s) link, else '': a hostile `javascript:` URL in a payload never becomes a link."""
    if not url:
        return ""
    return url if urlsplit(url).scheme in ("http", "https") else ""


PLATFORM_NAMES = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}


def platform_name(platform: str) -> str:
    """The network a post is on, as agents call it."""
    return PLATFORM_NAMES.get(platform, platform)


def pct(p: float | None) -> str:
    return "-" if p is None else f"{p * 100:.0f}%"
