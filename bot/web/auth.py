"""Logging in and out: the login page, the session (Flask-Login, keyed by a session kept in the store, so
logging out, a new password, removing the user or a lead's "log out everywhere" ends it on the server), and the guards that send strangers to the login page and keep agents out of the
lead's pages."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

import flask_login
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from bot.store import User
from bot.web import accounts
from bot.web.context import store

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
P = ParamSpec("P")
R = TypeVar("R")


class WebUser(UserMixin):  # type: ignore[misc]
    def __init__(self, user: User, session_id: str) -> None:
        self.user = user
        self.session_id = session_id
        self.name = user.name
        self.role = user.role
        self.is_lead = user.is_lead

    def get_id(self) -> str:
        # The cookie holds only the server-side session's id: ending the session ends every copy of the cookie.
        return self.session_id


def session_lifetime() -> timedelta:
    return current_app.permanent_session_lifetime


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Log in to see the queue."
    manager.session_protection = "basic"

    def load(session_id: str) -> WebUser | None:
        user = store().users.user_by_session(session_id, session_lifetime())
        return WebUser(user, session_id) if user else None

    def unauthorized() -> ResponseReturnValue:
        target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
        if request.headers.get("HX-Request"):
            # An htmx call (the auto-refresh after the session ended): send the whole page to the login.
            return "", 401, {"HX-Redirect": target}
        return redirect(target)

    # Registered by call, not as decorators: Flask-Login has no type hints, and a decorator would erase ours.
    manager.user_loader(load)
    manager.unauthorized_handler(unauthorized)


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Flask-Login's guard (a stranger gets the login page) with the view's signature kept for mypy: the
    library ships no type hints, so its own decorator would make every view untyped."""
    guarded: Callable[P, R] = flask_login.login_required(view)
    return guarded


def lead_required(view: Callable[P, R]) -> Callable[P, R]:
    """Only a lead passes; an agent gets 403, a stranger the login page."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_lead:
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapper)


class LoginForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def safe_next(target: str | None) -> str:
    """Only a path on this site: a login link must not send the user elsewhere. A control character (a CR or LF
    would split the Location header) or a backslash where browsers read it as '//' falls back to the queue."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\"))
            and not urlsplit(target).netloc and not any(c < " " or c == "\x7f" for c in target)):
        return target
    return url_for("queue.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    error = ""
    if form.validate_on_submit():
        result = accounts.log_in(store(), form.name.data or "", form.password.data or "", request.remote_addr or "")
        if result.user is not None:
            session.clear()
            login_user(WebUser(result.user, store().users.start_session(result.user.name, session_lifetime())))
            session.permanent = True
            log.info("user %s logged in", result.user.name)
            return redirect(safe_next(request.args.get("next")))
        error = result.message
    status = 429 if error.startswith("Too many") else 401 if error else 200
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    store().users.end_session(current_user.session_id)
    logout_user()
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
