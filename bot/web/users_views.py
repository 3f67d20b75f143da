"""User management, for leads only: list the accounts, add one, set a new password, log one out everywhere,
remove one."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from bot.errors import AccountError, NotFound
from bot.store import ROLES
from bot.web import accounts
from bot.web.auth import lead_required
from bot.web.context import store

log = logging.getLogger(__name__)

bp = Blueprint("users", __name__)


@bp.route("/users")
@lead_required
def index() -> ResponseReturnValue:
    return render_template("users.html", users=store().users.list_users(), roles=ROLES)


@bp.route("/users", methods=["POST"])
@lead_required
def add() -> ResponseReturnValue:
    form = request.form
    try:
        user = accounts.add_user(store(), form.get("name", ""), form.get("role", ""), form.get("password", ""))
    except AccountError as e:
        flash(str(e), "error")
    else:
        log.info("user %s (%s) added by %s", user.name, user.role, current_user.name)
        flash(f"Added {user.name} ({user.role}).")
    return redirect(url_for("users.index"))


@bp.route("/users/<name>/password", methods=["POST"])
@lead_required
def password(name: str) -> ResponseReturnValue:
    try:
        store().users.set_password_hash(
            name, accounts.hash_password(accounts.check_password(request.form.get("password", "")))
        )
    except (AccountError, NotFound) as e:
        flash(str(e), "error")
    else:
        flash(f"New password set for {name}; their open sessions have ended.")
    return redirect(url_for("users.index"))


@bp.route("/users/<name>/remove", methods=["POST"])
@lead_required
def remove(name: str) -> ResponseReturnValue:
    if name == current_user.name:
        flash("You cannot remove yourself; ask another lead.", "error")
        return redirect(url_for("users.index"))
    try:
        store().users.remove_user(name, current_user.name)
    except NotFound as e:
        flash(str(e), "error")
    else:
        flash(f"Removed {name}.")
    return redirect(url_for("users.index"))


@bp.route("/users/<name>/logout", methods=["POST"])
@lead_required
def logout_everywhere(name: str) -> ResponseReturnValue:
    """End every session of a user (a lost laptop, a shared computer): they must log in again."""
    try:
        ended = store().users.end_sessions(name, current_user.name)
    except NotFound as e:
        flash(str(e), "error")
    else:
        log.info("all sessions of %s ended by %s", name, current_user.name)
        flash(f"Logged {name} out everywhere ({ended} session(s) ended).")
    return redirect(url_for("users.index"))
