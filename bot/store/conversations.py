"""Conversations: one queue item per customer thread. A customer's new post while an item of theirs is open
joins that item as a new message (and so does our own reply to them, when the source has it) instead of opening
a second item. The router says a post may join; this store finds the item and joins it in the decision's
transaction (`bot.store.decisions`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.mention import Mention
from bot.store.database import Part, now
from bot.store.records import Conversation, ItemState, Message, Outcome, QueueItem
from bot.vocabulary import OutcomeKind, Priority, Status

__all__ = ["Conversations"]

_OPEN = f"q.status in ('{Status.NEW}', '{Status.CLAIMED}')"


class Conversations(Part):
    def open_conversation(self, mention: Mention, *, is_ours: bool = False) -> Conversation | None:
        """The open item this post continues, with why, or None. A customer's post joins their open item (the
        newest one, when there are several); our own post joins only the item whose message it replies to."""
        if is_ours:
            found = self._item_with_message(mention.platform, mention.in_reply_to_post_id)
            return Conversation(found[0], "our reply", True) if found else None
        # From the author's mentions (an index on the lower-case handle) to their items, not the other way round.
        rows = self.db.execute(
            f"select q.id from mentions m join queue_items q on q.platform = m.platform and q.mention_id = m.id "
            f"where lower(m.author_handle) = lower(?) and m.platform = ? and {_OPEN} order by q.id desc limit 1",
            [mention.author.handle, mention.platform],
        ).fetchall()
        if not rows:
            return None
        item_id = int(rows[0][0])
        replied = self._item_with_message(mention.platform, mention.in_reply_to_post_id)
        if replied and replied[0] == item_id:
            return Conversation(item_id, "reply to our reply" if replied[1] == "ours" else "same thread")
        rooted = self._item_with_message(mention.platform, mention.conversation_id)
        if rooted and rooted[0] == item_id:
            return Conversation(item_id, "same thread")
        return Conversation(item_id, "same author")

    def _item_with_message(self, platform: str, mention_id: str | None) -> tuple[int, str] | None:
        if not mention_id:
            return None
        row = self.db.execute(
            "select qm.queue_item_id, qm.kind from queue_messages qm join queue_items q on q.id = qm.queue_item_id "
            f"where qm.platform = ? and qm.mention_id = ? and {_OPEN}", [platform, mention_id]
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def join(self, mention: Mention, conversation: Conversation, outcome: Outcome) -> int | None:
        """Add the post to the open item as a message, in the caller's transaction; returns the item's id, or
        None when the item has closed meanwhile. A post worth queueing on its own may raise the item."""
        item_id = conversation.item_id
        row = self.db.execute(
            f"select q.priority_rank, q.due_at from queue_items q where q.id = ? and {_OPEN}", [item_id]
        ).fetchone()
        if row is None:
            return None
        stamp = now()
        kind = "ours" if conversation.is_ours else "customer"
        self.db.execute(
            "insert or ignore into queue_messages (queue_item_id, platform, mention_id, kind, why, added_at) "
            "values (?, ?, ?, ?, ?, ?)", [item_id, mention.platform, mention.id, kind, conversation.why, stamp])
        changes: dict[str, Any] = {"updated_at": stamp}
        # A follow-up worth queueing on its own can raise the item, never lower it.
        raised = Priority(outcome.priority) if outcome.priority else None
        if outcome.outcome == OutcomeKind.QUEUED and raised and raised.rank < row[0]:
            changes.update(priority=raised.value, priority_rank=raised.rank)
            due = outcome.due_at.isoformat() if outcome.due_at else None
            if due and (row[1] is None or due < row[1]):
                changes["due_at"] = due
        self.db.execute(f"update queue_items set {', '.join(f'{k} = ?' for k in changes)} where id = ?",
                        [*changes.values(), item_id])
        self.database.audit("router", "message", platform=mention.platform, mention_id=mention.id,
                            queue_item_id=item_id, detail={"kind": kind, "why": conversation.why,
                                                           **({"priority": changes["priority"]}
                                                              if "priority" in changes else {})})
        return item_id

    def joined_item(self, platform: str, mention_id: str) -> ItemState | None:
        """The item a post joined as a message (not its own item), or None."""
        rows = list(self.db.query(
            "select q.* from queue_messages qm join queue_items q on q.id = qm.queue_item_id "
            "where qm.platform = ? and qm.mention_id = ?", [platform, mention_id]))
        return ItemState.from_row(rows[0]) if rows else None

    def messages(self, item_id: int) -> list[Message]:
        """The item's conversation in the order the posts were written."""
        rows = self.db.execute(
            "select qm.platform, qm.mention_id, qm.kind, qm.why, m.text, m.author_handle, m.author_name, m.url, "
            "m.created_at, qm.added_at, (select d.label from decisions d where d.platform = qm.platform "
            "and d.mention_id = qm.mention_id order by d.id desc limit 1) from queue_messages qm "
            "join mentions m on m.platform = qm.platform and m.id = qm.mention_id "
            "where qm.queue_item_id = ? order by m.created_at, qm.id", [item_id]
        ).fetchall()
        return [Message(*(v if v is not None else "" for v in r)) for r in rows]

    def earlier_contacts(self, item: QueueItem, limit: int = 10) -> tuple[int, list[tuple[int, str, str]]]:
        """How many other queue items this customer has, and the newest `limit` of them as (id, status,
        entered the queue)."""
        where = ("from mentions m join queue_items q on q.platform = m.platform and q.mention_id = m.id "
                 "where lower(m.author_handle) = lower(?) and m.platform = ? and q.id != ?")
        args = [item.author_handle, item.platform, item.id]
        count = int(self.db.execute(f"select count(*) {where}", args).fetchone()[0])
        rows = self.db.execute(f"select q.id, q.status, q.created_at {where} order by q.id desc limit ?",
                               [*args, limit]).fetchall()
        return count, [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def recent_contacts(self, platform: str, author_handle: str, days: int = 7) -> int:
        """How often this author entered the queue lately: a repeat contact deserves more care."""
        since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
        row = self.db.execute(
            "select count(*) from queue_items where platform = ? and author_key = lower(?) and created_at >= ?",
            [platform, author_handle, since],
        ).fetchone()
        return int(row[0])
