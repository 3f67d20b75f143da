"""The agent's workspace: a compact list of the queue (one row per customer conversation, most urgent first,
filtered and searched, a page at a time, refreshing itself) beside a detail pane with the selected item's
conversation, reasons, earlier contacts, history and actions. Each action answers an htmx call with the pane
re-drawn and the item's row swapped in place (the list stays put), and a plain form post with a redirect."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from bot.errors import HeldByAnother, InvalidTransition, NotAllowed, NotFound
from bot.export import QUEUE_COLUMNS, csv_text, queue_rows
from bot.store import Queue, QueueItem, QueueSearch
from bot.text.printable import LIST_LIMIT
from bot.vocabulary import LABELS, PRIORITIES, STATUSES, Label
from bot.web.auth import login_required, safe_next
from bot.web.context import store
from bot.web.paging import Page, day, page_number

log = logging.getLogger(__name__)

bp = Blueprint("queue", __name__)

# The status filter: every open item (new or claimed), each status, or all of them.
STATUS_FILTERS: tuple[str, ...] = ("open", *STATUSES, "all")
# What an agent can say a queued item should have been.
WRONG_LABELS = tuple(label for label in LABELS if label is not Label.QUEUE)
PAGE_SIZE = 100
EXPORT_LIMIT = 100_000
Form = Mapping[str, str]


def _filters() -> dict[str, str]:
    """The list's filters and search from the query string, each kept to its known values; the page apart.
    A day that is not a date is refused with a message (400)."""
    args = request.args
    status = args.get("status", "open")
    return {
        "status": status if status in STATUS_FILTERS else "open",
        "priority": args.get("priority", "") if args.get("priority", "") in PRIORITIES else "",
        "lang": args.get("lang", "").strip()[:10],
        "assignee": args.get("assignee", "").strip()[:64],
        "q": args.get("q", "").strip()[:200],
        "author": args.get("author", "").strip()[:64],
        "since": day(args.get("since"), "From"),
        "until": day(args.get("until"), "To"),
    }


def _query(f: dict[str, str]) -> dict[str, Any]:
    # The 'assignee' filter means who an item is by now: its claimant, or whoever resolved or dismissed it.
    holder = current_user.name if f["assignee"] == "me" else f["assignee"] or None
    return {"status": None if f["status"] == "all" else f["status"], "priority": f["priority"] or None,
            "holder": holder, "lang": f["lang"] or None,
            "search": QueueSearch(f["q"], f["author"], f["since"], f["until"])}


def _items(f: dict[str, str]) -> tuple[list[QueueItem], Page]:
    query = _query(f)
    page = Page(page_number(request.args.get("page")), PAGE_SIZE, store().queue.count_queue(**query))
    return store().queue.list_queue(order="urgent", limit=PAGE_SIZE, offset=page.offset, cut=LIST_LIMIT, **query), page


def _pane(item: QueueItem, *, full: bool = False, error: str = "") -> dict[str, Any]:
    """What the detail pane shows of one item."""
    s = store()
    messages = s.conversations.messages(item.id)
    known = {m.mention_id for m in messages}
    parent = None
    if item.in_reply_to_post_id and item.in_reply_to_post_id not in known:
        try:
            parent = s.mentions.get_mention(item.platform, item.in_reply_to_post_id)
        except NotFound:
            pass
    contacts, earlier = s.conversations.earlier_contacts(item)
    texts = [m.text for m in messages] + [parent.text if parent else "", item.note or ""]
    return {"item": item, "messages": messages, "parent": parent, "contacts": contacts, "earlier": earlier,
            "cut": any(len(t) > LIST_LIMIT for t in texts),
            "history": s.queue.history(item.id), "full": full, "error": error, "wrong_labels": WRONG_LABELS,
            "agents": [u.name for u in s.users.list_users()] if current_user.is_lead else []}


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    return redirect(url_for("queue.index"))


@bp.route("/queue")
@login_required
def index() -> ResponseReturnValue:
    try:
        f = _filters()
    except BadRequest as e:
        flash(str(e.description), "error")
        return redirect(url_for("queue.index"))
    items, page = _items(f)
    wanted = request.args.get("item", type=int)
    selected = next((i for i in items if i.id == wanted), None) or (items[0] if items else None)
    if wanted and selected is not None and selected.id != wanted:
        try:
            selected = store().queue.get_item(wanted)
        except NotFound:
            pass
    pane = _pane(selected) if selected else {}
    return render_template("queue.html", items=items, page=page, filters=f, statuses=STATUS_FILTERS,
                           priorities=PRIORITIES, languages=store().queue.queue_languages(), has_pane=bool(pane),
                           export=url_for("queue.export", **dict[str, Any](f)), **pane)


@bp.route("/queue/items")
@login_required
def items() -> ResponseReturnValue:
    """The list alone, for the page's auto-refresh."""
    f = _filters()
    found, page = _items(f)
    return render_template("_items.html", items=found, page=page, filters=f)


@bp.route("/queue.csv")
@login_required
def export() -> ResponseReturnValue:
    """The list as filtered, every page of it, as CSV."""
    found = store().queue.list_queue(order="urgent", limit=EXPORT_LIMIT, **_query(_filters()))
    return Response(csv_text(QUEUE_COLUMNS, queue_rows(found)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=webcare-queue.csv"})


@bp.route("/items/<int:item_id>")
@login_required
def item(item_id: int) -> ResponseReturnValue:
    """One item on a page of its own, with the whole text of every message."""
    return render_template("item.html", **_pane(store().queue.get_item(item_id), full=True))


@bp.route("/items/<int:item_id>/pane")
@login_required
def pane(item_id: int) -> ResponseReturnValue:
    """The detail pane of one item, for the list beside it."""
    return render_template("_pane.html", **_pane(store().queue.get_item(item_id)))


def _wrong(q: Queue, item_id: int, agent: str, form: Form) -> object:
    label = form.get("label", "")
    if label not in WRONG_LABELS:
        raise InvalidTransition(f"pick the right label for item {item_id}: one of {', '.join(WRONG_LABELS)}")
    return q.mark_wrongly_routed(item_id, agent, label, form.get("note", "").strip()[:500])


def _note(q: Queue, item_id: int, agent: str, form: Form) -> object:
    note = form.get("note", "").strip()[:2000]
    if not note:
        raise InvalidTransition("the note is empty; write something first")
    return q.add_note(item_id, agent, note)


# What each button of the pane does: an action's name in the URL, its handler here. A name not in the table is a 404.
Action = Callable[[Queue, int, str, Form], object]
HANDLERS: dict[str, Action] = {
    "claim": lambda q, item_id, agent, form: q.claim(item_id, agent),
    "release": lambda q, item_id, agent, form: q.release(item_id, agent),
    "resolve": lambda q, item_id, agent, form: q.resolve(item_id, agent),
    "dismiss": lambda q, item_id, agent, form: q.dismiss(item_id, agent, form.get("reason", "").strip()[:500]),
    "wrong": _wrong,
    "note": _note,
    "take-over": lambda q, item_id, agent, form: q.take_over(item_id, agent),
    "assign": lambda q, item_id, agent, form: q.assign(item_id, agent, form.get("to", "").strip()[:64]),
}
ACTIONS = tuple(HANDLERS)


@bp.route("/items/<int:item_id>/<action>", methods=["POST"])
@login_required
def act(item_id: int, action: str) -> ResponseReturnValue:
    handler = HANDLERS.get(action)
    if handler is None:
        return render_template("error.html", title="Not found", message=f"There is no action '{action}'."), 404
    form, agent = request.form, current_user.name
    error, status = "", 200
    try:
        handler(store().queue, item_id, agent, form)
        log.info("item %d: %s by %s", item_id, action, agent)
    except NotFound as e:
        return render_template("error.html", title="Not found", message=str(e)), 404
    except NotAllowed as e:
        error, status = str(e), 403
    except HeldByAnother as e:
        log.info("item %d: %s by %s refused, held by %s", item_id, action, agent, e.holder)
        error, status = str(e), 409
    except InvalidTransition as e:
        error, status = str(e), 409
    if request.headers.get("HX-Request"):
        changed = store().queue.get_item(item_id)
        full = form.get("full") == "1"
        # The pane re-drawn as it was shown (whole on the item's page), and in the list the item's row swapped.
        html = render_template("_pane.html", **_pane(changed, full=full, error=error))
        if not full:
            html += render_template("_row.html", item=changed, oob=True)
        return html, status
    if error:  # a plain form post: the refusal on a page of its own, with its status
        return render_template("error.html", title="Refused", message=error), status
    return redirect(safe_next(request.form.get("back")))
