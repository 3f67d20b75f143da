"""`webcare queue ...` and `webcare why`: the queue from a terminal."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.cli.app import Context, handles_errors, main, pass_app, say
from bot.errors import WebcareError
from bot.export import QUEUE_COLUMNS, csv_text, queue_rows
from bot.store import QueueItem, QueueSearch
from bot.text.due import ago, due_words, when
from bot.text.printable import one_line
from bot.vocabulary import LABELS, PRIORITIES, STATUSES, Status

F = TypeVar("F", bound=Callable[..., Any])
# --status: "open" (new or claimed), one status, or "all".
STATUS_CHOICES = ["open", *(s.value for s in STATUSES), "all"]


def _agent(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("give the agent's name")
    return value.strip()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry): the agent must say who
        return ""


def agent_option(fn: F) -> F:
    """--agent: who acts, recorded in the audit log as the web records a logged-in agent. From --agent, else
    WEBCARE_AGENT, else the login name."""
    return click.option("--agent", envvar="WEBCARE_AGENT", default=_login_name, show_default="the login name",
                        callback=_agent, help="Who acts (or set WEBCARE_AGENT); the web app's user name.")(fn)


def _day(ctx: click.Context, param: click.Parameter, value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def search_options(fn: F) -> F:
    """--search, --author, --since and --until: what the queue is searched by, as on the web."""
    for option in reversed([
        click.option("--search", "text", default="", help="Words or an order/booking number in any message."),
        click.option("--author", default="", help="The customer's handle or name."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), callback=_day,
                     help="Entered the queue on or after."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), callback=_day,
                     help="Entered the queue on or before."),
    ]):
        fn = option(fn)
    return fn


@main.group()
def queue() -> None:
    """List and work the queue."""


@queue.command("list")
@click.option("--status", type=click.Choice(STATUS_CHOICES),
              default="open", show_default=True, help="open = new or claimed.")
@click.option("--priority", type=click.Choice([p.value for p in PRIORITIES]), help="Only this priority.")
@click.option("--sort", "order", type=click.Choice(["urgent", "newest", "oldest"]), default="urgent",
              show_default=True, help="Most urgent first (priority, then due time), or by time.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@search_options
@pass_app
@handles_errors
def list_(app: Context, status: str, priority: str | None, order: str, limit: int, as_json: bool, text: str,
          author: str, since: str, until: str) -> None:
    """The queue, most urgent first; --search, --author, --since and --until narrow it."""
    wanted = None if status == "all" else status
    search = QueueSearch(text, author, since, until)
    items = app.store.queue.list_queue(wanted, priority, order, limit=limit, search=search)
    total = app.store.queue.count_queue(wanted, priority, search=search)
    if as_json:
        for item in items:
            click.echo(json.dumps(_item_dict(item), ensure_ascii=False))
        return
    if not items:
        say("The queue is empty.")
        return
    for item in items:
        who = f" [{item.holder}]" if item.holder else ""  # the same name the web shows
        more = f" (+{item.messages - 1})" if item.messages > 1 else ""
        say(f"{item.id:>5}  {item.priority:<6}  {item.status.value:<9}{who}  {ago(item.mention_created_at):>4}  "
            f"@{item.author_handle}{more}: {one_line(item.text, 70)}")
    if total > len(items):
        say(f"... {total - len(items)} more; show them with --limit {min(total, 10_000)}")


def _item_dict(item: QueueItem) -> dict[str, object]:
    d = {k: getattr(item, k) for k in item.__dataclass_fields__}
    d["status"] = item.status.value
    d["key"] = item.key
    return d


@queue.command("show")
@click.argument("item_id", type=int)
@pass_app
@handles_errors
def show(app: Context, item_id: int) -> None:
    """One item: its conversation, author, link, label, priority, the reasons and its history."""
    item = app.store.queue.get_item(item_id)
    say(f"#{item.id} {item.key}  {item.status.value}" + (f" by {item.holder}" if item.holder else ""))
    say(f"from:     @{item.author_handle} ({item.author_name})  {when(item.mention_created_at)}")
    say(f"link:     {item.url or '-'}")
    say(f"label:    {item.label} ({item.probabilities.get(item.label or '', 0):.2f})")
    due = f"due {when(item.due_at)}" + (f" ({due_words(item.due_at)})" if item.status in (Status.NEW, Status.CLAIMED)
                                         and item.due_at else "")
    say(f"priority: {item.priority}, {due if item.due_at else 'no due time'}" +
        (f"  ({'; '.join(item.priority_reasons)})" if item.priority_reasons else ""))
    say(f"why:      {'; '.join(item.reasons) or '-'}")
    if item.note:
        say(f"notes:    {item.note}")
    if item.dismissed_reason:
        say(f"dismissed: {item.dismissed_reason}")
    messages = app.store.conversations.messages(item.id)
    for m in messages:
        say("")
        say(f"{when(m.created_at)}  @{m.author_handle}" + (" (us)" if m.is_ours else "")
            + (f"  [{m.why}]" if len(messages) > 1 else ""))
        say(m.text)
    say("")
    say("history:")
    for e in app.store.queue.history(item.id):
        say(f"  {when(e.at)}  {e.actor}: {e.words}")


@queue.command("claim")
@click.argument("item_id", type=int)
@agent_option
@pass_app
@handles_errors
def claim(app: Context, item_id: int, agent: str) -> None:
    """Take an item, so no one else answers it too."""
    item = app.store.queue.claim(item_id, agent)
    say(f"#{item.id} claimed by {item.assignee}")


@queue.command("resolve")
@click.argument("item_id", type=int)
@agent_option
@pass_app
@handles_errors
def resolve(app: Context, item_id: int, agent: str) -> None:
    """Mark an item answered (only its holder may, when it is claimed)."""
    item = app.store.queue.resolve(item_id, agent)
    say(f"#{item.id} resolved by {item.closed_by}")


@queue.command("dismiss")
@click.argument("item_id", type=int)
@click.option("--reason", required=True, help="Why no answer is needed.")
@agent_option
@pass_app
@handles_errors
def dismiss(app: Context, item_id: int, reason: str, agent: str) -> None:
    """Take an item out of the queue without an answer."""
    item = app.store.queue.dismiss(item_id, agent, reason)
    say(f"#{item.id} dismissed: {item.dismissed_reason}")


@queue.command("release")
@click.argument("item_id", type=int)
@agent_option
@pass_app
@handles_errors
def release(app: Context, item_id: int, agent: str) -> None:
    """Give a claimed item back to the queue (only its holder may)."""
    item = app.store.queue.release(item_id, agent)
    click.echo(f"#{item.id} is back in the queue")


@queue.command("take-over")
@click.argument("item_id", type=int)
@agent_option
@pass_app
@handles_errors
def take_over(app: Context, item_id: int, agent: str) -> None:
    """A lead takes a claimed item from its holder (logged, and shown in its history)."""
    before = app.store.queue.get_item(item_id).assignee
    item = app.store.queue.take_over(item_id, agent)
    say(f"#{item.id} taken over by {item.assignee} from {before}")


@queue.command("assign")
@click.argument("item_id", type=int)
@click.argument("to")
@agent_option
@pass_app
@handles_errors
def assign(app: Context, item_id: int, to: str, agent: str) -> None:
    """A lead gives an open item to a named agent."""
    item = app.store.queue.assign(item_id, agent, to)
    say(f"#{item.id} assigned to {item.assignee}")


@queue.command("note")
@click.argument("item_id", type=int)
@click.argument("text")
@agent_option
@pass_app
@handles_errors
def note(app: Context, item_id: int, text: str, agent: str) -> None:
    """Add a note for the team to an item."""
    app.store.queue.add_note(item_id, agent, text)
    click.echo(f"#{item_id}: note added")


@queue.command("export")
@click.option("--status", type=click.Choice(STATUS_CHOICES),
              default="all", show_default=True)
@search_options
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout.")
@pass_app
@handles_errors
def export(app: Context, status: str, text: str, author: str, since: str, until: str, output: Path | None) -> None:
    """The queue as CSV (one row per item), most urgent first."""
    wanted = None if status == "all" else status
    search = QueueSearch(text, author, since, until)
    total = app.store.queue.count_queue(wanted, search=search)
    items = app.store.queue.list_queue(wanted, limit=max(total, 1), search=search)
    data = csv_text(QUEUE_COLUMNS, queue_rows(items))
    if output is None:
        click.echo(data, nl=False)
        return
    output.write_text(data, encoding="utf-8", newline="")
    click.echo(f"wrote {len(items)} items to {output}", err=True)


@queue.command("wrong")
@click.argument("item_id", type=int)
@click.option("--label", required=True, type=click.Choice([label.value for label in LABELS]),
              help="What the mention really is.")
@agent_option
@pass_app
@handles_errors
def wrong(app: Context, item_id: int, label: str, agent: str) -> None:
    """Tell the bot it routed an item wrongly; the right label becomes training feedback."""
    item = app.store.queue.mark_wrongly_routed(item_id, agent, label)
    click.echo(f"#{item.id} marked wrongly routed ({label}); thanks, it becomes training feedback")


@main.command("why")
@click.argument("key", metavar="PLATFORM:ID")
@pass_app
@handles_errors
def why(app: Context, key: str) -> None:
    """Why a stored mention is (or is not) in the queue: its decisions, reasons and history."""
    platform, sep, mention_id = key.partition(":")
    if not sep or not mention_id:
        raise WebcareError(f"'{key}' is not PLATFORM:ID (for example x:1861000000000000001)")
    info = app.store.decisions.why(platform, mention_id)
    m = info.mention
    say(f"{m.key}  @{m.author.handle}  {m.created_at.isoformat()}  state: {info.state}")
    say(f"text: {one_line(m.text, 200)}")
    if info.last_error:
        say(f"last error ({info.attempts} attempts): {info.last_error}")
    if info.state == "failed":
        say(f"given up after {info.attempts} failed attempts (last error above); it stays stored")
    elif not info.decisions:
        say("not decided yet: it is pending and will be classified at the next poll")
    for d in info.decisions:
        if d.is_filtered:
            say(f"{d.decided_at}  filtered: {d.filter_reason}  (config {d.config_version})")
            continue
        probs = ", ".join(f"{k} {v:.2f}" for k, v in sorted(d.probabilities.items(), key=lambda kv: -kv[1]))
        say(f"{d.decided_at}  {d.outcome}: {d.route_reason}")
        say(f"  label {d.label} ({probs}); priority {d.priority}")
        say(f"  reasons: {'; '.join(d.reasons) or '-'}")
        if d.priority_reasons:
            say(f"  priority reasons: {'; '.join(d.priority_reasons)}")
        say(f"  model {d.model_version}, config {d.config_version}")
    item = info.queue_item
    if item:
        say(f"queue item #{item.id}: {item.status.value}" + (f" by {item.holder}" if item.holder else ""))
    for h in info.history:
        say(f"  {when(h.at)}  {h.actor}: {h.action} {json.dumps(h.detail, sort_keys=True)}")
