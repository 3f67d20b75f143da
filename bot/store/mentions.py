"""Mentions in, decisions out: raw storage with checkpoints (exactly once), the pending work list, outcomes
with their reasons, and each source's poll status."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.errors import NotFound
from bot.mention import Author, HandleMention, Mention, clean_text
from bot.redaction import redact
from bot.sources.base import Reject
from bot.store.base import BaseStore, dumps, now
from bot.store.records import PRIORITY_RANK, Outcome, Status
from bot.store.schema_scale import COUNTED_LABEL

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def _row(m: Mention, source: str) -> dict[str, Any]:
    if m.author.followers is not None and not 0 <= m.author.followers < 2**63:
        raise ValueError(f"follower count {m.author.followers} is out of range")
    row = {
        "platform": m.platform, "id": m.id, "url": m.url, "author_id": m.author.id,
        "author_handle": m.author.handle, "author_name": m.author.name, "author_followers": m.author.followers,
        "text": m.text, "lang": m.lang, "created_at": m.created_at.astimezone(timezone.utc).isoformat(),
        "in_reply_to_post_id": m.in_reply_to_post_id, "in_reply_to_user_id": m.in_reply_to_user_id,
        "conversation_id": m.conversation_id, "is_repost": int(m.is_repost), "is_quote": int(m.is_quote),
        "is_direct_message": int(m.is_direct_message), "is_reply_to_brand": int(m.is_reply_to_brand),
        "handles": dumps([h.__dict__ for h in m.handles]), "raw": dumps(m.raw), "source": source,
        "parent_text": m.parent_text,
        "fetched_at": now(), "state": "pending", "attempts": 0,
    }
    return storable(row)


def storable(row: dict[str, Any]) -> dict[str, Any]:
    """`row` with every text value made valid UTF-8: hostile or broken input (lone surrogates, from bad bytes
    or bad JSON escapes) must not stop a batch, and SQLite takes only valid UTF-8. Every row a source's input
    reaches (mentions and rejects alike) goes through here."""
    return {k: clean_text(v) if isinstance(v, str) else v for k, v in row.items()}


def mention_from_row(r: dict[str, Any]) -> Mention:
    return Mention(
        platform=r["platform"], id=r["id"], text=r["text"] or "",
        author=Author(r["author_id"] or "", r["author_handle"] or "", r["author_name"] or "", r["author_followers"]),
        created_at=datetime.fromisoformat(r["created_at"]), url=r["url"] or "", lang=r["lang"],
        in_reply_to_post_id=r["in_reply_to_post_id"], in_reply_to_user_id=r["in_reply_to_user_id"],
        conversation_id=r["conversation_id"], is_repost=bool(r["is_repost"]), is_quote=bool(r["is_quote"]),
        is_direct_message=bool(r["is_direct_message"]), is_reply_to_brand=bool(r["is_reply_to_brand"]),
        handles=tuple(HandleMention(**h) for h in json.loads(r["handles"] or "[]")),
        raw=json.loads(r["raw"] or "{}"), parent_text=r.get("parent_text"),
    )


class MentionStore(BaseStore):
    def store_batch(self, source: str, mentions: Sequence[Mention], checkpoint: str | None,
                    rejects: Sequence[Reject] = ()) -> int:
        """Store a fetched batch and move the source's checkpoint, in one transaction: after a crash either
        both happened or neither did. A mention already stored (platform + id) is skipped. Returns how many
        were new."""
        # No read before the first write: a deferred transaction that reads first cannot wait for another
        # process's write lock (SQLite answers "database is locked" at once), and count(*) grows with the table.
        rows, rejects = [], list(rejects)
        for m in mentions:
            try:
                rows.append(_row(m, source))
            except (ValueError, TypeError, OverflowError, RecursionError) as e:
                # A record SQLite cannot hold must not sink the batch: it is kept as a reject instead.
                log.warning("%s: cannot store %s (%s); kept as a reject", source, m.key, e)
                rejects.append(Reject(m.key, f"cannot be stored: {e}", repr(m)[:10_000]))
        with self.db.atomic():
            before = self.db.conn.total_changes
            if rows:
                self.db.table("mentions").insert_all(rows, ignore=True)
            after = self.db.conn.total_changes
            for r in rejects:
                self.db.table("rejects").insert(storable(
                    {"source": source, "location": r.location, "reason": r.reason, "raw": r.raw, "at": now()}
                ))
            if checkpoint is not None:
                self.db.table("checkpoints").upsert(
                    {"source": source, "value": checkpoint, "updated_at": now()}, pk="source"
                )
        return int(after - before)

    def checkpoint(self, source: str) -> str | None:
        row = self.db.execute("select value from checkpoints where source = ?", [source]).fetchone()
        return row[0] if row else None

    def pending_mentions(self, limit: int = 500) -> list[Mention]:
        """Stored mentions not yet decided (new ones, and ones whose processing failed or was cut off)."""
        rows = self.db.query(
            "select * from mentions where state = 'pending' and attempts < ? order by created_at, id limit ?",
            [MAX_ATTEMPTS, limit],
        )
        return [mention_from_row(r) for r in rows]

    def record_outcome(self, mention: Mention, outcome: Outcome) -> int | None:
        """Store a decision with its reasons, queue the mention when routed there, and mark it done: all in one
        transaction. Returns the queue item's id when queued."""
        decided = now()
        with self.db.atomic():
            self._count_decision(mention, outcome)
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
            if outcome.outcome == "queued":
                item_id = self._enqueue(mention.platform, mention.id, int(decision_id), outcome, actor="router")
            self.db.execute(
                "update mentions set state = 'done', last_error = null where platform = ? and id = ?",
                [mention.platform, mention.id],
            )
        return item_id

    def _count_decision(self, mention: Mention, outcome: Outcome) -> None:
        """Move the mention's count in `daily_counts` from its previous latest decision's label (a re-run) to
        this one's, so the stats never recount the mentions table."""
        label = "filtered" if outcome.outcome == "filtered" else outcome.label or "unknown"
        key = [mention.platform, mention.id]
        previous = self._counted_as(mention.platform, mention.id)
        if previous:
            self.db.execute("update daily_counts set mentions = mentions - 1, changes = changes + 1 "
                            "where day = ? and label = ?", previous)
        self.db.execute(
            "insert into daily_counts (day, label, mentions, changes) select substr(created_at, 1, 10), ?, 1, 1 "
            "from mentions where platform = ? and id = ? "
            "on conflict (day, label) do update set mentions = mentions + 1, changes = changes + 1",
            [label, *key],
        )

    def _touch_counts(self) -> None:
        """Mark every day changed: after texts were blanked or masked (retention, forget), which moves no count."""
        self.db.execute("update daily_counts set changes = changes + 1")

    def _counted_as(self, platform: str, mention_id: str) -> tuple[str, str] | None:
        """(day, label) a decided mention is counted under in `daily_counts`; None when it is not decided."""
        row = self.db.execute(
            f"select substr(m.created_at, 1, 10), {COUNTED_LABEL} from mentions m join decisions d "
            "on d.platform = m.platform and d.mention_id = m.id where m.platform = ? and m.id = ? "
            "order by d.id desc limit 1", [platform, mention_id],
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def _enqueue(self, platform: str, mention_id: str, decision_id: int, outcome: Outcome, actor: str) -> int:
        priority = outcome.priority or "normal"
        existing = self.db.execute(
            "select id from queue_items where platform = ? and mention_id = ?", [platform, mention_id]
        ).fetchone()
        if existing:
            return int(existing[0])
        stamp = now()
        author = self.db.execute(
            "select lower(author_handle) from mentions where platform = ? and id = ?", [platform, mention_id]
        ).fetchone()
        item_id = self.db.table("queue_items").insert(
            {
                "platform": platform, "mention_id": mention_id, "decision_id": decision_id,
                "author_key": author[0] if author else None,
                "status": Status.NEW.value, "priority": priority, "priority_rank": PRIORITY_RANK[priority],
                "due_at": outcome.due_at.isoformat() if outcome.due_at else None, "created_at": stamp,
                "updated_at": stamp,
            }
        ).last_pk
        assert item_id is not None
        self._audit(actor, "enqueue", platform=platform, mention_id=mention_id, queue_item_id=int(item_id),
                    detail={"priority": priority, "label": outcome.label})
        return int(item_id)

    def mark_failed(self, mention: Mention, error: str) -> None:
        """Processing this mention raised: count the attempt; after MAX_ATTEMPTS it is set aside as failed."""
        self.db.execute(
            "update mentions set attempts = attempts + 1, last_error = ?, "
            "state = case when attempts + 1 >= ? then 'failed' else state end where platform = ? and id = ?",
            [error[:500], MAX_ATTEMPTS, mention.platform, mention.id],
        )

    def recent_contacts(self, platform: str, author_handle: str, days: int = 7) -> int:
        """How often this author entered the queue lately: a repeat contact deserves more care."""
        since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
        row = self.db.execute(
            "select count(*) from queue_items where platform = ? and author_key = lower(?) and created_at >= ?",
            [platform, author_handle, since],
        ).fetchone()
        return int(row[0])

    def get_mention(self, platform: str, mention_id: str) -> Mention:
        rows = list(self.db.query("select * from mentions where platform = ? and id = ?", [platform, mention_id]))
        if not rows:
            raise NotFound(f"no stored mention {platform}:{mention_id}")
        return mention_from_row(rows[0])

    def why(self, platform: str, mention_id: str) -> dict[str, Any]:
        """Everything that explains a mention's place: the mention, each decision with its reasons, and the
        queue item with its history."""
        mention = self.get_mention(platform, mention_id)
        state = self.db.execute(
            "select state, attempts, last_error from mentions where platform = ? and id = ?", [platform, mention_id]
        ).fetchone()
        decisions = [
            {**d, **{k: json.loads(d[k] or "null") for k in ("probabilities", "reasons", "priority_reasons", "features")}}
            for d in self.db.query(
                "select * from decisions where platform = ? and mention_id = ? order by id", [platform, mention_id]
            )
        ]
        items = list(self.db.query("select * from queue_items where platform = ? and mention_id = ?", [platform, mention_id]))
        history = list(self.db.query(
            "select at, actor, action, detail from audit_log where platform = ? and mention_id = ? order by id",
            [platform, mention_id],
        ))
        return {
            "mention": mention, "state": state[0], "attempts": state[1], "last_error": state[2],
            "decisions": decisions, "queue_item": items[0] if items else None, "history": history,
        }

    def record_poll(self, source: str, error: BaseException | None = None, kind: str = "", stored: int = 0) -> None:
        """Note a poll's result for health reporting and alerts: the last success (and, when it stored new
        mentions, the last mention), or the last error, its kind and how many polls failed in a row."""
        stamp = now()
        row: dict[str, object] = {"source": source, "last_poll_at": stamp}
        self.db.table("source_status").insert({"source": source, "polls": 0, "errors": 0}, pk="source", ignore=True)
        if error is None:
            row["last_success_at"] = stamp
            if stored:
                row["last_mention_at"] = stamp
            self.db.table("source_status").update(source, row)
            self.db.execute("update source_status set polls = polls + 1, consecutive_errors = 0 where source = ?",
                            [source])
        else:
            row.update(last_error_at=stamp, last_error_kind=redact(kind or type(error).__name__),
                       last_error=redact(str(error))[:500])
            self.db.table("source_status").update(source, row)
            self.db.execute("update source_status set polls = polls + 1, errors = errors + 1, "
                            "consecutive_errors = consecutive_errors + 1 where source = ?", [source])

    def source_status(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from source_status order by source"))

    def count_mentions(self) -> int:
        return int(self.db.execute("select count(*) from mentions").fetchone()[0])

    def outcome_counts(self) -> dict[str, int]:
        """Mentions by their latest outcome's label ('filtered' for filtered ones), for summaries."""
        rows = self.db.execute(
            "select coalesce(case when d.outcome = 'filtered' then 'filtered' end, d.label), count(*) "
            "from decisions d join (select max(id) id from decisions group by platform, mention_id) last "
            "on last.id = d.id group by 1"
        ).fetchall()
        return {str(k): int(v) for k, v in rows}
