"""Decisions out: each decision stored with its reasons, the mention queued when routed there (or joined to
the open item it continues), and marked done, all in one transaction; and `why`, everything that explains a
mention's place."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.mention import Mention
from bot.store.conversations import Conversations
from bot.store.counts import count_decision
from bot.store.database import Database, Part, dumps, now
from bot.store.mentions import Mentions
from bot.store.queue import Queue
from bot.store.records import Event, Explanation, ItemState, Outcome, StoredDecision
from bot.vocabulary import OutcomeKind

__all__ = ["Decisions"]


class Decisions(Part):
    def __init__(self, database: Database, mentions: Mentions, queue: Queue, conversations: Conversations) -> None:
        super().__init__(database)
        self.mentions = mentions
        self.queue = queue
        self.conversations = conversations

    def record_outcome(self, mention: Mention, outcome: Outcome) -> int | None:
        """Store a decision with its reasons, queue the mention when routed there, and mark it done: all in one
        transaction. A post that continues an open item joins it; should the item have closed since the router
        looked, a post worth queueing on its own opens an item, another is not queued. Returns the queue item's
        id when queued or joined."""
        if outcome.joins is None:
            return self._record(mention, outcome)
        with self.db.atomic():
            joined = self.conversations.join(mention, outcome.joins, outcome)
            if joined is None and outcome.outcome == OutcomeKind.JOINED:
                outcome = replace(outcome, outcome=OutcomeKind.NOT_QUEUED,
                                  route_reason=f"{outcome.route_reason}; but item #{outcome.joins.item_id} was closed")
            item_id = self._record(mention, outcome)
        return joined if joined is not None else item_id

    def _record(self, mention: Mention, outcome: Outcome) -> int | None:
        decided = now()
        with self.db.atomic():
            count_decision(self.db, mention.platform, mention.id, outcome.outcome, outcome.label)
            decision_id = self.db.table("decisions").insert(
                {
                    "platform": mention.platform, "mention_id": mention.id, "decided_at": decided,
                    "outcome": outcome.outcome, "label": outcome.label, "probabilities": dumps(outcome.probabilities),
                    "priority": outcome.priority, "reasons": dumps(list(outcome.reasons)),
                    "priority_reasons": dumps(list(outcome.priority_reasons)), "features": dumps(outcome.features),
                    "model_version": outcome.model_version, "config_version": outcome.config_version,
                    "route_reason": outcome.route_reason, "filter_reason": outcome.filter_reason,
                }
            ).last_pk
            assert decision_id is not None
            item_id = None
            if outcome.outcome == OutcomeKind.QUEUED:
                item_id = self.queue.enqueue(mention.platform, mention.id, int(decision_id), outcome, actor="router")
            self.db.execute(
                "update mentions set state = 'done', last_error = null where platform = ? and id = ?",
                [mention.platform, mention.id],
            )
        return item_id

    def why(self, platform: str, mention_id: str) -> Explanation:
        """Everything that explains a mention's place: the mention, each decision with its reasons, and the
        queue item (its own, or the one it joined) with its history."""
        mention = self.mentions.get_mention(platform, mention_id)
        state = self.db.execute(
            "select state, attempts, last_error from mentions where platform = ? and id = ?", [platform, mention_id]
        ).fetchone()
        decisions = tuple(StoredDecision.from_row(d) for d in self.db.query(
            "select * from decisions where platform = ? and mention_id = ? order by id", [platform, mention_id]
        ))
        items = list(self.db.query("select * from queue_items where platform = ? and mention_id = ?",
                                   [platform, mention_id]))
        history = tuple(Event(r["at"], r["actor"] or "", r["action"], json.loads(r["detail"] or "{}"))
                        for r in self.db.query("select at, actor, action, detail from audit_log "
                                               "where platform = ? and mention_id = ? order by id",
                                               [platform, mention_id]))
        item = ItemState.from_row(items[0]) if items else self.conversations.joined_item(platform, mention_id)
        return Explanation(mention, str(state[0]), int(state[1]), state[2], decisions, item, history)

    def outcome_counts(self) -> dict[str, int]:
        """Mentions by their latest outcome's label ('filtered' for filtered ones), for summaries."""
        rows = self.db.execute(
            f"select coalesce(case when d.outcome = '{OutcomeKind.FILTERED}' then '{OutcomeKind.FILTERED}' end, "
            "d.label), count(*) "
            "from decisions d join (select max(id) id from decisions group by platform, mention_id) last "
            "on last.id = d.id group by 1"
        ).fetchall()
        return {str(k): int(v) for k, v in rows}
