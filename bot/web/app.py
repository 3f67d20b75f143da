"""The review app's factory: Flask with server-rendered Jinja pages, CSRF on every state change (Flask-WTF),
sessions through Flask-Login, and security headers. It reads and writes through the store only.

`create_app(store, settings)` gives the Flask app with every page's blueprint (BLUEPRINTS) and the template
filters; the views reach the store and settings through `bot.web.context`, never through this module.
`build_wsgi(...)` wraps the app with the apps mounted beside it (ops' /healthz and /metrics), and that is what the
server runs. To add a page: a blueprint in a `*_views.py` module, listed in BLUEPRINTS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from wsgiref.types import WSGIApplication

from flask import Flask, Response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.config.settings import Settings
from bot.errors import NotFound
from bot.web import alert_views, auth, context, insight_views, queue_views, search_views, users_views
from bot.web.parts import WebStore

log = logging.getLogger(__name__)

__all__ = ["CSRF_REFUSED", "WSGIApp", "build_wsgi", "create_app"]

WSGIApp = WSGIApplication
CSRF_REFUSED = "This form has expired or lacks its security token. Reload the page and try again."
BLUEPRINTS = (auth.bp, queue_views.bp, search_views.bp, insight_views.bp, alert_views.bp, users_views.bp)
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


class _SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure as `web.secure_cookies` says; when that is empty, behind a TLS proxy
    (`web.trusted_proxy`) and for any request that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        web = context.settings().web
        if web.secure_cookies is not None:
            return bool(web.secure_cookies)
        return web.trusted_proxy is not None or request.is_secure


def create_app(store: WebStore, settings: Callable[[], Settings] | Settings) -> Flask:
    """The Flask app on `store`. `settings` may be a callable, so the daemon's reloaded config is seen."""
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
    context.bind(app, store, settings)
    CSRFProtect(app)
    login_manager = LoginManager(app)
    auth.init_login(login_manager)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.jinja_env.filters.update(context.FILTERS)
    app.jinja_env.globals.update(context.GLOBALS)

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
