"""Data care: an online backup, retention (old texts and raw payloads purged, counts kept), erasing one
person's data on request, and the cheap reads that health checks and metrics make at every scrape."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.errors import StoreError
from bot.store.base import now
from bot.store.mentions import MentionStore

__all__ = ["CareStore", "Forgotten", "Purged"]

# Rows of one person, as (platform, mention_id) pairs: the mentions they wrote.
_THEIRS = "select platform, id from mentions where lower(author_handle) = lower(?)"
# A mention still in work keeps its text: the bot has not decided it, or an agent may still answer it.
_IN_WORK = (
    "m.state = 'pending' or exists (select 1 from queue_items q where q.platform = m.platform "
    "and q.mention_id = m.id and q.status in ('new', 'claimed'))"
)


@dataclass(frozen=True)
class Purged:
    mentions: int
    rejects: int


@dataclass(frozen=True)
class Forgotten:
    mentions: int
    decisions: int
    queue_items: int
    feedback: int


class CareStore(MentionStore):
    def backup_to(self, target: str | Path) -> int:
        """Copy the database to `target` with SQLite's online backup API: consistent, and safe while the daemon
        writes (it copies in steps and restarts a step that a write changed). Returns the copy's size in bytes."""
        target = Path(target)
        if not target.parent.is_dir():
            raise StoreError(f"{target.parent}: no such folder; create it first")
        try:
            # Made here, owner-only (it holds personal data and password hashes), and never over another file.
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise StoreError(f"{target}: already exists; give a new file name or remove it first") from None
        except OSError as e:
            raise StoreError(f"{target}: cannot write a backup there ({e.strerror})") from None
        source = sqlite3.connect(str(self.path), timeout=30)
        try:
            copy = sqlite3.connect(str(target))
        except sqlite3.Error as e:
            source.close()
            target.unlink(missing_ok=True)
            raise StoreError(f"{target}: cannot write a backup there ({e})") from None
        try:
            source.backup(copy, pages=1024)
            check = copy.execute("pragma quick_check").fetchone()[0]
        except sqlite3.Error as e:
            copy.close()
            target.unlink(missing_ok=True)
            raise StoreError(f"{target}: the backup failed ({e}); the database is unchanged") from None
        finally:
            source.close()
        copy.close()
        if check != "ok":
            raise StoreError(f"{target}: the copy failed its integrity check ({check})")
        return target.stat().st_size

    def purge_older_than(self, days: int, at: datetime | None = None) -> Purged:
        """Blank the text and raw payload of mentions fetched more than `days` ago (rows, decisions and counts
        stay), and the raw input of old rejects. Mentions still pending or open in the queue are kept whole."""
        cutoff = ((at or datetime.now(timezone.utc)) - timedelta(days=days)).isoformat()
        stamp = now()
        with self.db.atomic():
            mentions = self.db.execute(
                f"update mentions as m set text = '', raw = '{{}}', purged_at = ? "
                f"where m.fetched_at < ? and m.purged_at is null and not ({_IN_WORK})",
                [stamp, cutoff],
            ).rowcount
            rejects = self.db.execute("update rejects set raw = '' where at < ? and raw != ''", [cutoff]).rowcount
            if mentions or rejects:
                self._audit("retention", "purge", detail={"days": days, "mentions": mentions, "rejects": rejects})
        return Purged(int(mentions), int(rejects))

    def forget_author(self, handle: str, actor: str) -> Forgotten:
        """Erase everything of one person (their mentions, decisions, queue items, feedback and the audit
        entries about them) and record that an erasure happened, not whose. Deleted pages are overwritten
        (secure_delete) and the write-ahead log is emptied, so the text does not linger in the file."""
        handle = handle.strip().lstrip("@")
        if not handle:
            raise StoreError("forget needs a handle, for example: webcare forget jdevries")
        self.db.execute("pragma secure_delete = on")
        with self.db.atomic():
            keys = f"(platform, mention_id) in ({_THEIRS})"
            feedback = self.db.execute(f"delete from feedback where {keys}", [handle]).rowcount
            self.db.execute(f"delete from audit_log where {keys}", [handle])
            items = self.db.execute(f"delete from queue_items where {keys}", [handle]).rowcount
            decisions = self.db.execute(f"delete from decisions where {keys}", [handle]).rowcount
            mentions = self.db.execute(
                "delete from mentions where lower(author_handle) = lower(?)", [handle]
            ).rowcount
            self._audit(actor, "forget", detail={"mentions": mentions})
        self.db.execute("pragma wal_checkpoint(truncate)")
        return Forgotten(int(mentions), int(decisions), int(items), int(feedback))

    def is_writable(self, timeout: float = 1.0) -> str | None:
        """None when a write transaction can start within `timeout` seconds, else the reason it cannot.
        Uses a connection of its own with a short wait, so a health check never hangs on a held lock."""
        try:
            conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as e:
            return f"cannot open {self.path}: {e}"
        try:
            conn.execute("begin immediate")
            conn.execute("rollback")
        except sqlite3.Error as e:
            return f"{self.path}: {e}"
        finally:
            conn.close()
        return None

    def oldest_unclaimed_at(self) -> datetime | None:
        """When the oldest queue item nobody has claimed yet entered the queue."""
        row = self.db.execute("select min(created_at) from queue_items where status = 'new'").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None
