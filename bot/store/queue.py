"""The queue the webcare team works: listing and searching, claiming, resolving, dismissing, notes and feedback.
A claim protects: only its holder (or a lead, after a logged take-over) may release or close the item. Every
state change is written to the audit log in the same transaction."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import HeldByAnother, InvalidTransition, NotAllowed, NotFound
from bot.store.database import Database, Part, cut_bytes, cut_columns, cut_text, like_pattern, now
from bot.store.mentions import Mentions
from bot.store.records import Event, Feedback, Outcome, QueueItem
from bot.vocabulary import LABELS, PRIORITIES, Label, OutcomeKind, Priority, Status

__all__ = ["MOST_URGENT", "ORDERS", "Queue", "QueueSearch"]

_ITEM_COLUMNS = """
select q.*, {text}, m.author_handle, m.author_name, m.url, m.lang, m.created_at as mention_created_at,
       m.in_reply_to_post_id, d.label, d.probabilities, d.reasons, d.priority_reasons,
       (select count(*) from queue_messages qm where qm.queue_item_id = q.id) as messages,
       (select max(qm.added_at) from queue_messages qm where qm.queue_item_id = q.id) as last_message_at
from queue_items q
cross join mentions m on m.platform = q.platform and m.id = q.mention_id
left join decisions d on d.id = q.decision_id
"""
# CROSS JOIN keeps the queue the outer loop, walked in its index's order: with a language filter SQLite would
# otherwise start from every mention in that language.
_MENTION_JOIN = " cross join mentions m on m.platform = q.platform and m.id = q.mention_id"
_ITEM_SELECT = _ITEM_COLUMNS.format(text="m.text")
# Lists cut long texts in SQL: a hostile post of megabytes is not read whole to show its first lines.
_CUT_SELECT = _ITEM_COLUMNS.format(text=cut_columns("m.text", "text"))
MOST_URGENT = "urgent"  # the order name: priority first, then due time (not the priority `urgent` itself)
ORDERS = {
    MOST_URGENT: "q.priority_rank, coalesce(q.due_at, q.created_at), q.id",
    "newest": "m.created_at desc, q.id desc",
    "oldest": "m.created_at, q.id",
}
# What a reference typed in a post looks like once spaces, dashes and dots are gone: letters and digits with at
# least four digits ("KL 1234-567" is found by "KL1234567" and the other way round).
_REFERENCE = re.compile(r"(?=(?:\D*\d){4})[A-Za-z0-9 ./-]{4,40}")
_SQUASH = "replace(replace(replace(replace(upper({}), ' ', ''), '-', ''), '.', ''), '/', '')"


@dataclass(frozen=True)
class QueueSearch:
    """What the queue is searched by: words or a reference number in any message of the item (`text`), the
    customer's handle or name (`author`, an @ allowed), and the days (YYYY-MM-DD) the item entered the queue
    (`since`/`until`, both included). Empty means any."""

    text: str = ""
    author: str = ""
    since: str = ""
    until: str = ""

    def where(self) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        text, author = self.text.strip(), self.author.strip().lstrip("@")
        messages = ("exists (select 1 from queue_messages qm join mentions mm on mm.platform = qm.platform "
                    "and mm.id = qm.mention_id where qm.queue_item_id = q.id and ({}))")
        if text:
            tests, targs = ["mm.text like ? escape '\\'"], [like_pattern(text)]
            if _REFERENCE.fullmatch(text):
                squashed = re.sub(r"[ ./-]", "", text.upper())
                tests.append(_SQUASH.format("mm.text") + " like ? escape '\\'")
                targs.append(like_pattern(squashed))
            where.append(messages.format(" or ".join(tests)))
            args += targs
        if author:
            where.append("(lower(m.author_handle) = lower(?) or m.author_name like ? escape '\\')")
            args += [author, like_pattern(author)]
        if self.since:
            where.append("substr(q.created_at, 1, 10) >= ?")
            args.append(self.since)
        if self.until:
            where.append("substr(q.created_at, 1, 10) <= ?")
            args.append(self.until)
        return where, args


def _narrows(search: QueueSearch | None) -> bool:
    """Whether a search asks for anything (the web app passes one with empty fields when none is typed)."""
    return bool(search and search.where()[0])


def _with_cut_text(row: dict[str, Any], limit: int) -> dict[str, Any]:
    text, length = cut_text(row.pop("text_head"), row.pop("text_size"), row.pop("text_length"), limit)
    return {**row, "text": text, "text_length": length}


def _state_where(prefix: str, status: str | list[str] | None, priority: str | None) -> tuple[list[str], list[Any]]:
    """Conditions on an item's status ('open' is new or claimed) and priority, for `prefix`status and
    `prefix`priority_rank: the queue's columns and the kept counts' alike."""
    where: list[str] = []
    args: list[Any] = []
    statuses = [Status.NEW, Status.CLAIMED] if status == "open" else [status] if isinstance(status, str) else status
    if statuses:
        where.append(f"{prefix}status in ({', '.join('?' * len(statuses))})")
        args += [Status(s).value for s in statuses]
    if priority:
        # By its rank, which the queue's indexes hold in their order; an unknown priority matches nothing. With
        # several statuses (open: new or claimed), the unary + keeps SQLite on the status index (the few open
        # items) rather than walking every item of that priority.
        where.append(f"{'+' if statuses and len(statuses) > 1 and prefix else ''}{prefix}priority_rank = ?")
        args.append(Priority(priority).rank if priority in PRIORITIES else -1)
    return where, args


class Queue(Part):
    def __init__(self, database: Database, mentions: Mentions) -> None:
        super().__init__(database)
        self.mentions = mentions

    def list_queue(self, status: str | list[str] | None = "open", priority: str | None = None,
                   order: str = MOST_URGENT, assignee: str | None = None, lang: str | None = None,
                   limit: int = 100, offset: int = 0, holder: str | None = None,
                   search: QueueSearch | None = None, cut: int | None = None) -> list[QueueItem]:
        """Queue items, most urgent first by default. status 'open' means new or claimed; None means all.
        `assignee` is who claimed an item; `holder` who it is 'by' now (the closer of a closed item, else the
        claimant); `search` narrows by text, author and day. `cut`: texts are cut to that many characters
        (`text_length` keeps the whole length)."""
        where, args = self._queue_where(status, priority, assignee, lang, holder, search)
        # The page's ids first, from the index alone, then the rows of those: a deep page skips index entries,
        # not joined rows (OFFSET still builds every row it skips).
        join = _MENTION_JOIN if lang or _narrows(search) or order != MOST_URGENT else ""
        page = (f" where q.id in (select q.id from queue_items q{join}{where} order by {ORDERS[order]} "
                f"limit ? offset ?) order by {ORDERS[order]}")
        if cut is None:
            return [QueueItem.from_row(r) for r in self.db.query(_ITEM_SELECT + page, [*args, limit, offset])]
        rows = self.db.query(_CUT_SELECT + page, [cut_bytes(cut), *args, limit, offset])
        return [QueueItem.from_row(_with_cut_text(r, cut)) for r in rows]

    def count_queue(self, status: str | list[str] | None = "open", priority: str | None = None,
                    assignee: str | None = None, lang: str | None = None, holder: str | None = None,
                    search: QueueSearch | None = None) -> int:
        """How many items `list_queue` with the same filters would give without a limit."""
        if not (assignee or lang or holder or _narrows(search)):
            return self._kept_count(status, priority)
        where, args = self._queue_where(status, priority, assignee, lang, holder, search)
        # The join only when a mention's column is asked for: a count then reads one index alone.
        sql = "select count(*) from queue_items q" + (_MENTION_JOIN if lang or _narrows(search) else "")
        return int(self.db.execute(sql + where, args).fetchone()[0])

    def _kept_count(self, status: str | list[str] | None, priority: str | None) -> int:
        """The same count from `queue_counts`, which triggers keep for every change of an item."""
        where, args = _state_where("", status, priority)
        row = self.db.execute(f"select sum(items) from queue_counts where {' and '.join(['items > 0', *where])}",
                              args).fetchone()
        return int(row[0] or 0)

    def queue_languages(self) -> list[str]:
        """The languages of the stored posts, for the queue's language filter. Read by jumping through the
        language index from one language to the next (a handful of seeks, not a pass over every mention)."""
        rows = self.db.execute(
            "with recursive langs(lang) as (select min(lang) from mentions where lang > '' union all "
            "select (select min(lang) from mentions where lang > langs.lang) from langs where langs.lang is not null) "
            "select lang from langs where lang is not null"
        ).fetchall()
        return [r[0] for r in rows]

    @staticmethod
    def _queue_where(status: str | list[str] | None, priority: str | None, assignee: str | None,
                     lang: str | None, holder: str | None, search: QueueSearch | None) -> tuple[str, list[Any]]:
        where, args = search.where() if search else ([], [])
        state, state_args = _state_where("q.", status, priority)
        where += state
        args += state_args
        if assignee:
            where.append("q.assignee = ?")
            args.append(assignee)
        if holder:
            where.append("coalesce(q.closed_by, q.assignee) = ?")  # the expression of idx_queue_holder
            args.append(holder)
        if lang:
            where.append("m.lang = ?")
            args.append(lang)
        return (f" where {' and '.join(where)}" if where else ""), args

    def get_item(self, item_id: int) -> QueueItem:
        if not 0 < item_id < 2**63:  # SQLite's integers; a bigger number names no item
            raise NotFound(f"no queue item {item_id}")
        rows = list(self.db.query(_ITEM_SELECT + " where q.id = ?", [item_id]))
        if not rows:
            raise NotFound(f"no queue item {item_id}")
        return QueueItem.from_row(rows[0])

    def _transition(self, item_id: int, actor: str, action: str, allowed_from: tuple[Status, ...],
                    changes: dict[str, Any], detail: dict[str, Any] | None = None,
                    holder_only: bool = True) -> QueueItem:
        """Change an item's state only if it is in one of `allowed_from` and, with `holder_only`, is not claimed
        by someone else: in one statement, so two agents acting at once cannot both succeed."""
        item = self.get_item(item_id)
        stamp = now()
        # A first-claim time, once set, stays: a release and a new claim do not move it.
        sets = ", ".join(f"{k} = coalesce({k}, ?)" if k == "first_claimed_at" else f"{k} = ?" for k in changes)
        guard, guard_args = ((f"and (status != '{Status.CLAIMED}' or assignee = ?)", [actor]) if holder_only
                             else ("", []))
        with self.db.atomic():
            cursor = self.db.execute(
                f"update queue_items set {sets}, updated_at = ? where id = ? "
                f"and status in ({', '.join('?' * len(allowed_from))}) {guard}",
                [*changes.values(), stamp, item_id, *[s.value for s in allowed_from], *guard_args],
            )
            if cursor.rowcount != 1:
                current = self.get_item(item_id)
                if holder_only and current.status in allowed_from and current.assignee:
                    raise HeldByAnother(
                        f"queue item {item_id} is claimed by {current.assignee}; only {current.assignee} can "
                        f"{action} it (a lead can take it over first)", current.assignee)
                holder = f" by {current.holder}" if current.holder else ""
                raise InvalidTransition(
                    f"queue item {item_id} is {current.status.value}{holder}; cannot {action} it"
                )
            self.database.audit(actor, action, platform=item.platform, mention_id=item.mention_id,
                                queue_item_id=item_id, detail={"from": item.status.value, **(detail or {})})
        return self.get_item(item_id)

    def claim(self, item_id: int, agent: str) -> QueueItem:
        stamp = now()
        return self._transition(item_id, agent, "claim", (Status.NEW,),
                                {"status": Status.CLAIMED.value, "assignee": agent, "claimed_at": stamp,
                                 "first_claimed_at": stamp}, holder_only=False)

    def release(self, item_id: int, agent: str) -> QueueItem:
        """Give a claimed item back; only its holder may."""
        return self._transition(item_id, agent, "release", (Status.CLAIMED,),
                                {"status": Status.NEW.value, "assignee": None, "claimed_at": None})

    def resolve(self, item_id: int, agent: str) -> QueueItem:
        return self._transition(item_id, agent, "resolve", (Status.NEW, Status.CLAIMED),
                                {"status": Status.RESOLVED.value, "resolved_at": now(), "closed_by": agent})

    def dismiss(self, item_id: int, agent: str, reason: str) -> QueueItem:
        if not reason.strip():
            raise InvalidTransition("a dismissal needs a reason")
        return self._transition(item_id, agent, "dismiss", (Status.NEW, Status.CLAIMED),
                                {"status": Status.DISMISSED.value, "resolved_at": now(), "dismissed_reason": reason,
                                 "closed_by": agent}, {"reason": reason})

    def _require_lead(self, actor: str, action: str) -> None:
        row = self.db.execute("select role from users where lower(name) = lower(?)", [actor]).fetchone()
        if not row or row[0] != "lead":
            raise NotAllowed(f"only a team lead can {action} an item; {actor} is not a lead")

    def take_over(self, item_id: int, lead: str) -> QueueItem:
        """A lead takes a claimed item from its holder (who is away, say): logged, and shown in its history."""
        self._require_lead(lead, "take over")
        item = self.get_item(item_id)
        if item.status is not Status.CLAIMED or not item.assignee:
            raise InvalidTransition(f"queue item {item_id} is {item.status.value}, not claimed; claim it instead")
        if item.assignee == lead:
            return item
        return self._transition(item_id, lead, "take_over", (Status.CLAIMED,),
                                {"assignee": lead, "claimed_at": now()}, {"from_agent": item.assignee},
                                holder_only=False)

    def assign(self, item_id: int, lead: str, agent: str) -> QueueItem:
        """A lead gives an open item to a named agent (a user of the web app), claimed in their name."""
        self._require_lead(lead, "assign")
        row = self.db.execute("select name from users where lower(name) = lower(?)", [agent.strip()]).fetchone()
        if not row:
            raise NotFound(f"no user '{agent}' to assign item {item_id} to; see `webcare user list`")
        item = self.get_item(item_id)
        return self._transition(item_id, lead, "assign", (Status.NEW, Status.CLAIMED),
                                {"status": Status.CLAIMED.value, "assignee": row[0], "claimed_at": now()},
                                {"to": row[0], "from_agent": item.assignee}, holder_only=False)

    def history(self, item_id: int) -> list[Event]:
        """The item's timeline from the audit log, oldest first."""
        self.get_item(item_id)
        return [Event(r[0], r[1] or "", r[2], json.loads(r[3] or "{}")) for r in self.db.execute(
            "select at, actor, action, detail from audit_log where queue_item_id = ? order by id", [item_id]
        ).fetchall()]

    def add_note(self, item_id: int, agent: str, note: str) -> QueueItem:
        item = self.get_item(item_id)
        text = f"{item.note}\n{agent}: {note}" if item.note else f"{agent}: {note}"
        with self.db.atomic():
            self.db.execute("update queue_items set note = ?, updated_at = ? where id = ?", [text, now(), item_id])
            self.database.audit(agent, "note", platform=item.platform, mention_id=item.mention_id,
                                queue_item_id=item_id)
        return self.get_item(item_id)

    def mark_wrongly_routed(self, item_id: int, agent: str, label: str, note: str = "") -> QueueItem:
        """The bot put this in the queue but it is not a request: record the right label as training feedback
        and take the item out of the queue."""
        if label not in LABELS:
            raise InvalidTransition(f"'{label}' is not a label; use one of {', '.join(LABELS)}")
        item = self.get_item(item_id)
        with self.db.atomic():
            self._feedback(item.platform, item.mention_id, item_id, "wrongly_routed", label, agent, note)
            if label != Label.QUEUE:
                return self._transition(item_id, agent, "dismiss", (Status.NEW, Status.CLAIMED),
                                        {"status": Status.DISMISSED.value, "resolved_at": now(),
                                         "dismissed_reason": f"wrongly routed: {label}", "closed_by": agent},
                                        {"label": label})
        return self.get_item(item_id)

    def move_to_queue(self, platform: str, mention_id: str, agent: str, priority: str = Priority.NORMAL,
                      due_at: datetime | None = None) -> QueueItem:
        """An agent puts a mention the bot left out into the queue by hand; recorded as feedback ('queue')."""
        if priority not in PRIORITIES:
            raise InvalidTransition(f"'{priority}' is not a priority; use one of {', '.join(PRIORITIES)}")
        self.mentions.get_mention(platform, mention_id)
        with self.db.atomic():
            last = self.db.execute(
                "select id, label from decisions where platform = ? and mention_id = ? order by id desc limit 1",
                [platform, mention_id],
            ).fetchone()
            decision_id = int(last[0]) if last else None
            item_id = self.enqueue(
                platform, mention_id, decision_id or 0,
                Outcome(OutcomeKind.QUEUED, label=last[1] if last else None, priority=Priority(priority),
                        due_at=due_at),
                actor=agent,
            )
            self._feedback(platform, mention_id, item_id, "moved_to_queue", Label.QUEUE, agent, "")
        return self.get_item(int(item_id))

    def _feedback(self, platform: str, mention_id: str, item_id: int | None, kind: str, label: str, agent: str,
                  note: str) -> None:
        self.db.table("feedback").insert(
            {"platform": platform, "mention_id": mention_id, "queue_item_id": item_id, "kind": kind, "label": label,
             "agent": agent, "note": note, "created_at": now()}
        )
        self.database.audit(agent, f"feedback:{kind}", platform=platform, mention_id=mention_id,
                            queue_item_id=item_id, detail={"label": label})

    def feedback(self) -> list[Feedback]:
        """Every correction agents made, oldest first: training data (`webcare train --with-feedback`)."""
        return [Feedback.from_row(r) for r in self.db.query(
            "select f.*, m.text, m.lang, m.is_direct_message, m.is_repost, m.is_reply_to_brand, m.handles, "
            "m.parent_text "
            "from feedback f join mentions m on m.platform = f.platform and m.id = f.mention_id order by f.id"
        )]

    def queue_counts(self) -> dict[tuple[Status, Priority], int]:
        """Queue size by (status, priority)."""
        rows = self.db.execute("select status, priority_rank, items from queue_counts where items > 0").fetchall()
        names = {p.rank: p for p in Priority}
        return {(Status(s), names.get(r, Priority.NORMAL)): int(n) for s, r, n in rows}

    def oldest_unclaimed_at(self) -> datetime | None:
        """When the oldest queue item nobody has claimed yet entered the queue."""
        row = self.db.execute("select min(created_at) from queue_items where status = ?", [Status.NEW]).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def enqueue(self, platform: str, mention_id: str, decision_id: int, outcome: Outcome, actor: str) -> int:
        """Open a queue item for a mention (its conversation starting with its own post), in the caller's
        transaction; returns its id. A mention with an item already, or one that joined an item as a message,
        gives that item."""
        joined = self.db.execute(
            "select queue_item_id from queue_messages where platform = ? and mention_id = ?", [platform, mention_id]
        ).fetchone()
        if joined:
            return int(joined[0])
        priority = Priority(outcome.priority or Priority.NORMAL)
        existing = self.db.execute(
            "select id from queue_items where platform = ? and mention_id = ?", [platform, mention_id]
        ).fetchone()
        if existing:
            item_id = int(existing[0])
        else:
            item_id = self._open_item(platform, mention_id, decision_id, outcome, priority, actor)
        self.db.execute(
            "insert or ignore into queue_messages (queue_item_id, platform, mention_id, kind, why, added_at) "
            "values (?, ?, ?, 'customer', 'first post', ?)", [item_id, platform, mention_id, now()])
        return item_id

    def _open_item(self, platform: str, mention_id: str, decision_id: int, outcome: Outcome, priority: Priority,
                   actor: str) -> int:
        stamp = now()
        author = self.db.execute(
            "select lower(author_handle) from mentions where platform = ? and id = ?", [platform, mention_id]
        ).fetchone()
        item_id = self.db.table("queue_items").insert(
            {
                "platform": platform, "mention_id": mention_id, "decision_id": decision_id,
                "author_key": author[0] if author else None,
                "status": Status.NEW.value, "priority": priority.value, "priority_rank": priority.rank,
                "due_at": outcome.due_at.isoformat() if outcome.due_at else None, "created_at": stamp,
                "updated_at": stamp,
            }
        ).last_pk
        assert item_id is not None
        self.database.audit(actor, "enqueue", platform=platform, mention_id=mention_id,
                            queue_item_id=int(item_id), detail={"priority": priority.value, "label": outcome.label})
        return int(item_id)
