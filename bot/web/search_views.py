"""The search of mentions the bot left out of the queue (by text, label and date), each with the reasons it
was left out, and "move to queue" for the ones a human sees need an answer (recorded as training feedback)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from bot.errors import InvalidTransition, NotFound
from bot.web.app import settings, store
from bot.web.auth import safe_next

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__)

LABEL_CHOICES = ("about", "direct_other", "irrelevant", "queue", "filtered")
PRIORITIES = ("urgent", "high", "normal", "low")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
PAGE_SIZE = 50


@bp.route("/search")
@login_required
def index() -> ResponseReturnValue:
    args = request.args
    q = args.get("q", "").strip()[:200]
    label = args.get("label", "") if args.get("label", "") in LABEL_CHOICES else ""
    since = args.get("since", "") if _DAY.fullmatch(args.get("since", "")) else ""
    until = args.get("until", "") if _DAY.fullmatch(args.get("until", "")) else ""
    page = max(1, args.get("page", 1, type=int) or 1)
    found = store().search_left_out(q, label or None, since or None, until or None, limit=PAGE_SIZE + 1,
                                    offset=(page - 1) * PAGE_SIZE)
    return render_template("search.html", results=found[:PAGE_SIZE], has_more=len(found) > PAGE_SIZE, page=page,
                           q=q, label=label, since=since, until=until, labels=LABEL_CHOICES, priorities=PRIORITIES)


@bp.route("/search/move", methods=["POST"])
@login_required
def move() -> ResponseReturnValue:
    form = request.form
    platform, mention_id = form.get("platform", ""), form.get("mention_id", "")
    priority = form.get("priority", "normal")
    try:
        if priority not in PRIORITIES:
            raise InvalidTransition(f"'{priority}' is not a priority; use one of {', '.join(PRIORITIES)}")
        minutes = getattr(settings().service_levels, priority)
        item = store().move_to_queue(platform, mention_id, current_user.name, priority,
                                     datetime.now(timezone.utc) + timedelta(minutes=minutes))
    except (NotFound, InvalidTransition) as e:
        flash(str(e), "error")
        return redirect(safe_next(form.get("back")) if form.get("back") else url_for("search.index"))
    log.info("%s:%s moved to the queue by %s", platform, mention_id, current_user.name)
    flash(f"Moved {platform}:{mention_id} to the queue as item #{item.id} ({priority}).")
    return redirect(safe_next(form.get("back")) if form.get("back") else url_for("search.index"))
