"""The stored mentions: raw storage with checkpoints (exactly once), the pending work list and its failures,
the mentions of a period (for a what-if run), and each source's poll status."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from bot.errors import NotFound
from bot.mention import Author, HandleMention, Mention, clean_text
from bot.redaction import redact
from bot.sources.base import Reject
from bot.store.database import Part, dumps, now
from bot.store.records import SourceStatus

__all__ = ["MAX_ATTEMPTS", "Mentions", "PollStatus", "mention_from_row", "storable"]

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


class PollStatus(Protocol):
    """The sources' poll status, as health, metrics and alerts read it (`Mentions.source_status`)."""

    def source_status(self) -> list[SourceStatus]: ...


class Mentions(Part):
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
        return str(row[0]) if row else None

    def pending_mentions(self, limit: int = 500) -> list[Mention]:
        """Stored mentions not yet decided (new ones, and ones whose processing failed or was cut off)."""
        rows = self.db.query(
            "select * from mentions where state = 'pending' and attempts < ? order by created_at, id limit ?",
            [MAX_ATTEMPTS, limit],
        )
        return [mention_from_row(r) for r in rows]

    def mark_failed(self, mention: Mention, error: str) -> None:
        """Processing this mention raised: count the attempt; after MAX_ATTEMPTS it is set aside as failed."""
        self.db.execute(
            "update mentions set attempts = attempts + 1, last_error = ?, "
            "state = case when attempts + 1 >= ? then 'failed' else state end where platform = ? and id = ?",
            [error[:500], MAX_ATTEMPTS, mention.platform, mention.id],
        )

    def get_mention(self, platform: str, mention_id: str) -> Mention:
        rows = list(self.db.query("select * from mentions where platform = ? and id = ?", [platform, mention_id]))
        if not rows:
            raise NotFound(f"no stored mention {platform}:{mention_id}")
        return mention_from_row(rows[0])

    def mentions_since(self, since: datetime, limit: int = 100_000) -> list[Mention]:
        """Mentions posted at or after `since`, oldest first (failed ones too: a new config may treat them so),
        for a what-if run (`webcare config diff`)."""
        rows = self.db.query(
            "select * from mentions where created_at >= ? order by created_at, platform, id limit ?",
            [since.astimezone(timezone.utc).isoformat(), limit],
        )
        return [mention_from_row(r) for r in rows]

    def count_mentions(self) -> int:
        return int(self.db.execute("select count(*) from mentions").fetchone()[0])

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

    def source_status(self) -> list[SourceStatus]:
        return [SourceStatus.from_row(r) for r in self.db.query("select * from source_status order by source")]
