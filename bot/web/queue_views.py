"""The queue page: open items most urgent first (priority, then due time), filters, an auto-refreshing list a
page at a time, an item's own page with its whole text, and the actions on one item (claim, release, resolve,
dismiss, wrongly routed, note). Each action answers an htmx call with the item re-drawn, and a plain form post
with a redirect back to the list."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from bot.errors import InvalidTransition, NotFound
from bot.printable import LIST_LIMIT
from bot.store import QueueItem
from bot.web.app import store
from bot.web.auth import safe_next
from bot.web.paging import Page, page_number

log = logging.getLogger(__name__)

bp = Blueprint("queue", __name__)

STATUSES = ("open", "new", "claimed", "resolved", "dismissed", "all")
PRIORITIES = ("urgent", "high", "normal", "low")
WRONG_LABELS = ("direct_other", "about", "irrelevant")
ACTIONS = ("claim", "release", "resolve", "dismiss", "wrong", "note")
PAGE_SIZE = 100


def _filters() -> dict[str, str]:
    """The list's filters from the query string, each kept to its known values; the page number apart."""
    args = request.args
    status = args.get("status", "open")
    return {
        "status": status if status in STATUSES else "open",
        "priority": args.get("priority", "") if args.get("priority", "") in PRIORITIES else "",
        "lang": args.get("lang", "").strip()[:10],
        "assignee": args.get("assignee", "").strip()[:64],
    }


def _items(f: dict[str, str]) -> tuple[list[QueueItem], Page]:
    # The 'assignee' filter means who an item is by now: its claimant, or whoever resolved or dismissed it.
    holder = current_user.name if f["assignee"] == "me" else f["assignee"] or None
    query = {"status": None if f["status"] == "all" else f["status"], "priority": f["priority"] or None,
             "holder": holder, "lang": f["lang"] or None}
    page = Page(page_number(request.args.get("page")), PAGE_SIZE, store().count_queue(**query))
    return store().list_queue(order="urgent", limit=PAGE_SIZE, offset=page.offset, cut=LIST_LIMIT, **query), page


def _parents(items: list[QueueItem]) -> dict[int, Any]:
    """The stored post each item replies to, by item id: the context an agent needs before answering."""
    found = {}
    for item in items:
        if item.in_reply_to_post_id:
            try:
                found[item.id] = store().get_mention(item.platform, item.in_reply_to_post_id)
            except NotFound:
                pass
    return found


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    return redirect(url_for("queue.index"))


@bp.route("/queue")
@login_required
def index() -> ResponseReturnValue:
    f = _filters()
    items, page = _items(f)
    return render_template("queue.html", items=items, page=page, parents=_parents(items), filters=f,
                           statuses=STATUSES, priorities=PRIORITIES, languages=store().queue_languages(),
                           wrong_labels=WRONG_LABELS)


@bp.route("/queue/items")
@login_required
def items() -> ResponseReturnValue:
    """The list alone, for the page's auto-refresh."""
    f = _filters()
    found, page = _items(f)
    return render_template("_items.html", items=found, page=page, parents=_parents(found), filters=f,
                           wrong_labels=WRONG_LABELS)


@bp.route("/items/<int:item_id>")
@login_required
def item(item_id: int) -> ResponseReturnValue:
    """One item on a page of its own, with the whole text of the post and of the post it replies to."""
    found = store().get_item(item_id)
    return render_template("item.html", item=found, parents=_parents([found]), full=True,
                           wrong_labels=WRONG_LABELS)


@bp.route("/items/<int:item_id>/<action>", methods=["POST"])
@login_required
def act(item_id: int, action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        return render_template("error.html", title="Not found", message=f"There is no action '{action}'."), 404
    form, agent, s = request.form, current_user.name, store()
    error, status = "", 200
    try:
        if action == "claim":
            s.claim(item_id, agent)
        elif action == "release":
            s.release(item_id, agent)
        elif action == "resolve":
            s.resolve(item_id, agent)
        elif action == "dismiss":
            s.dismiss(item_id, agent, form.get("reason", "").strip()[:500])
        elif action == "wrong":
            label = form.get("label", "")
            if label not in WRONG_LABELS:
                raise InvalidTransition(f"pick the right label for item {item_id}: one of {', '.join(WRONG_LABELS)}")
            s.mark_wrongly_routed(item_id, agent, label, form.get("note", "").strip()[:500])
        elif action == "note":
            note = form.get("note", "").strip()[:2000]
            if not note:
                raise InvalidTransition("the note is empty; write something first")
            s.add_note(item_id, agent, note)
        log.info("item %d: %s by %s", item_id, action, agent)
    except NotFound as e:
        return render_template("error.html", title="Not found", message=str(e)), 404
    except InvalidTransition as e:
        error, status = str(e), 409
    if request.headers.get("HX-Request"):
        changed = s.get_item(item_id)
        # Re-drawn as it was shown: whole on the item's page, shortened in the list.
        return render_template("_item.html", item=changed, parents=_parents([changed]), error=error,
                               full=form.get("full") == "1", wrong_labels=WRONG_LABELS), status
    if error:
        flash(error, "error")
    return redirect(safe_next(request.form.get("back")))
