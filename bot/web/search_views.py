"""The search of mentions the bot left out of the queue (by text, label and date), each with the reasons it
was left out, and "move to queue" for the ones a human sees need an answer (recorded as training feedback)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from bot.errors import InvalidTransition, NotFound
from bot.export import csv_text
from bot.vocabulary import LABELS, PRIORITIES, OutcomeKind, Priority
from bot.web.auth import login_required, safe_next
from bot.web.context import settings, store
from bot.web.paging import day, page_number

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__)

# The label filter, alphabetical as the form lists it, and what the config filters set aside.
LABEL_CHOICES: tuple[str, ...] = (*sorted(LABELS), OutcomeKind.FILTERED)
PAGE_SIZE = 50


@bp.route("/search")
@login_required
def index() -> ResponseReturnValue:
    args = request.args
    q = args.get("q", "").strip()[:200]
    label = args.get("label", "") if args.get("label", "") in LABEL_CHOICES else ""
    form = {"q": q, "label": label, "since": args.get("since", "").strip()[:40],
            "until": args.get("until", "").strip()[:40]}
    errors: list[str] = []
    since, until, page = "", "", 1
    # Each bad field gets its own message; the form keeps what was typed, so it can be corrected.
    try:
        since = day(args.get("since"), "From")
    except BadRequest as e:
        errors.append(str(e.description))
    try:
        until = day(args.get("until"), "To")
    except BadRequest as e:
        errors.append(str(e.description))
    try:
        page = page_number(args.get("page"))
    except BadRequest as e:
        errors.append(str(e.description))
    if errors:
        return render_template("search.html", results=[], has_more=False, page=1, errors=errors, labels=LABEL_CHOICES,
                               priorities=PRIORITIES, **form), 400
    found = store().insights.search_left_out(q, label or None, since or None, until or None, limit=PAGE_SIZE + 1,
                                    offset=(page - 1) * PAGE_SIZE)
    return render_template("search.html", results=found[:PAGE_SIZE], has_more=len(found) > PAGE_SIZE, page=page,
                           errors=[], q=q, label=label, since=since, until=until, labels=LABEL_CHOICES,
                           priorities=PRIORITIES,
                           export=url_for("search.export", q=q, label=label, since=since, until=until))


@bp.route("/search.csv")
@login_required
def export() -> ResponseReturnValue:
    """The left-out mentions that match, every one of them (up to 100,000), as CSV."""
    args = request.args
    label = args.get("label", "") if args.get("label", "") in LABEL_CHOICES else ""
    found = store().insights.search_left_out(args.get("q", "").strip()[:200], label or None,
                                    day(args.get("since"), "From") or None, day(args.get("until"), "To") or None,
                                    limit=100_000)
    rows = [(m.platform, m.mention_id, m.created_at, m.author_handle, m.author_name, m.lang, m.outcome, m.label,
             m.route_reason or m.filter_reason, m.url, m.text) for m in found]
    return Response(csv_text(("platform", "mention_id", "posted_at", "author_handle", "author_name", "lang",
                              "outcome", "label", "why_not_queued", "url", "text"), rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=webcare-left-out.csv"})


@bp.route("/mentions/<platform>/<path:mention_id>")
@login_required
def mention(platform: str, mention_id: str) -> ResponseReturnValue:
    """One stored mention with its whole text: where a search result cut for the list is read in full."""
    return render_template("mention.html", mention=store().mentions.get_mention(platform, mention_id))


@bp.route("/search/move", methods=["POST"])
@login_required
def move() -> ResponseReturnValue:
    form = request.form
    platform, mention_id = form.get("platform", ""), form.get("mention_id", "")
    priority = form.get("priority", Priority.NORMAL)
    try:
        if priority not in PRIORITIES:
            raise InvalidTransition(f"'{priority}' is not a priority; use one of {', '.join(PRIORITIES)}")
        minutes = getattr(settings().service_levels, priority)
        item = store().queue.move_to_queue(platform, mention_id, current_user.name, priority,
                                     datetime.now(timezone.utc) + timedelta(minutes=minutes))
    except (NotFound, InvalidTransition) as e:
        flash(str(e), "error")
        return redirect(safe_next(form.get("back")) if form.get("back") else url_for("search.index"))
    log.info("%s:%s moved to the queue by %s", platform, mention_id, current_user.name)
    flash(f"Moved {platform}:{mention_id} to the queue as item #{item.id} ({priority}).")
    return redirect(safe_next(form.get("back")) if form.get("back") else url_for("search.index"))
