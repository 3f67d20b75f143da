"""Conversations: one queue item per customer thread. A customer's new post while an item of theirs is open
joins that item as a new message (and so does our own reply to them, when the source has it) instead of opening
a second item. The router says a post may join; this store finds the item and joins it in the decision's
transaction."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.mention import Mention
from bot.store.base import now
from bot.store.mentions import MentionStore
from bot.store.records import PRIORITY_RANK, Conversation, Message, Outcome, QueueItem

__all__ = ["ConversationStore"]

_OPEN = "q.status in ('new', 'claimed')"


class ConversationStore(MentionStore):
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

    def record_outcome(self, mention: Mention, outcome: Outcome) -> int | None:
        """As the plain store does, and a post that continues an open item joins it. Should the item have
        closed since the router looked, a post worth queueing on its own opens an item; another is not queued."""
        if outcome.joins is None:
            return super().record_outcome(mention, outcome)
        with self.db.atomic():
            joined = self._join(mention, outcome.joins, outcome)
            if joined is None and outcome.outcome == "joined":
                outcome = replace(outcome, outcome="not_queued",
                                  route_reason=f"{outcome.route_reason}; but item #{outcome.joins.item_id} was closed")
            item_id = super().record_outcome(mention, outcome)
        return joined if joined is not None else item_id

    def _join(self, mention: Mention, conversation: Conversation, outcome: Outcome) -> int | None:
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
        if outcome.outcome == "queued" and outcome.priority and PRIORITY_RANK[outcome.priority] < row[0]:
            changes.update(priority=outcome.priority, priority_rank=PRIORITY_RANK[outcome.priority])
            due = outcome.due_at.isoformat() if outcome.due_at else None
            if due and (row[1] is None or due < row[1]):
                changes["due_at"] = due
        self.db.execute(f"update queue_items set {', '.join(f'{k} = ?' for k in changes)} where id = ?",
                        [*changes.values(), item_id])
        self._audit("router", "message", platform=mention.platform, mention_id=mention.id, queue_item_id=item_id,
                    detail={"kind": kind, "why": conversation.why, **({"priority": changes["priority"]}
                                                                   if "priority" in changes else {})})
        return item_id

    def _enqueue(self, platform: str, mention_id: str, decision_id: int, outcome: Outcome, actor: str) -> int:
        """A post that joined an item already is in the queue as that item's message; a new item starts its
        conversation with its own post."""
        joined = self.db.execute(
            "select queue_item_id from queue_messages where platform = ? and mention_id = ?", [platform, mention_id]
        ).fetchone()
        if joined:
            return int(joined[0])
        item_id = super()._enqueue(platform, mention_id, decision_id, outcome, actor)
        self.db.execute(
            "insert or ignore into queue_messages (queue_item_id, platform, mention_id, kind, why, added_at) "
            "values (?, ?, ?, 'customer', 'first post', ?)", [item_id, platform, mention_id, now()])
        return item_id

    def why(self, platform: str, mention_id: str) -> dict[str, Any]:
        """As the plain store says, and for a post that joined an item, that item."""
        info = super().why(platform, mention_id)
        if info["queue_item"] is None:
            rows = list(self.db.query(
                "select q.* from queue_messages qm join queue_items q on q.id = qm.queue_item_id "
                "where qm.platform = ? and qm.mention_id = ?", [platform, mention_id]))
            info["queue_item"] = rows[0] if rows else None
        return info

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
