"""The alerts page: what is firing now and what fired lately, with the terms and example posts of a spike.
Read-only: alerts are raised and resolved by the daemon (bot/alerts), never from the browser."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from bot.web.auth import login_required
from bot.web.context import settings, store

bp = Blueprint("alerts", __name__)


@bp.route("/alerts")
@login_required
def index() -> ResponseReturnValue:
    records = store().alerts.alerts(limit=200)
    config = settings().alerts
    return render_template("alerts.html", firing=[a for a in records if a.is_firing],
                           resolved=[a for a in records if not a.is_firing][:50], config=config)
