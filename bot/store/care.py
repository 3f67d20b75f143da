"""Data care: an online backup, retention (old texts and raw payloads purged, counts kept), erasing one
person's data on request, and the cheap reads that health checks and metrics make at every scrape."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.errors import StoreError
from bot.store.counts import touch_counts, uncount
from bot.store.database import Part, dumps, like_escape, now
from bot.vocabulary import Status

__all__ = ["Care", "Forgotten", "Purged"]

# A mention still in work keeps its text: the bot has not decided it, or an agent may still answer it.
_IN_WORK = (
    "m.state = 'pending' or exists (select 1 from queue_items q where q.platform = m.platform "
    f"and q.mention_id = m.id and q.status in ('{Status.NEW}', '{Status.CLAIMED}')) "
    "or exists (select 1 from queue_messages qm join queue_items q on q.id = qm.queue_item_id "
    f"where qm.platform = m.platform and qm.mention_id = m.id and q.status in ('{Status.NEW}', '{Status.CLAIMED}'))"
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
    rejects: int = 0  # input that could not be read, holding the person's post
    brand_replies: int = 0  # the brand's own posts that name the person
    masked_in_others: int = 0  # other people's posts where their handle is masked and their payload cut

    @property
    def nothing(self) -> bool:
        return not (self.mentions or self.rejects or self.brand_replies or self.masked_in_others)

    def describe(self) -> str:
        return (f"{self.mentions} mention(s), {self.decisions} decision(s), {self.queue_items} queue item(s), "
                f"{self.feedback} feedback record(s), {self.rejects} reject(s) and {self.brand_replies} reply(s) "
                f"of the brand; their handle masked in {self.masked_in_others} post(s) of others")


def _handle(handle: str) -> str:
    handle = handle.strip().lstrip("@")
    if not handle:
        raise StoreError("forget needs a handle, for example: webcare forget jdevries")
    return handle


@dataclass(frozen=True)
class _Person:
    """Who is being forgotten, as their data shows them: the handle, their user ids and display names."""

    handle: str
    user_ids: set[str]
    names: set[str]

    @property
    def _at(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w@])@{re.escape(self.handle)}(?!\w)", re.IGNORECASE)

    def is_named_in(self, row: Mapping[str, Any]) -> bool:
        blob = " ".join(str(row.get(k) or "") for k in ("text", "handles", "raw", "in_reply_to_user_id", "parent_text"))
        quoted = [f'"{v}"' for v in (self.handle, *self.user_ids)]
        return bool(self._at.search(blob)) or any(q.casefold() in blob.casefold() for q in quoted) or (
            str(row.get("in_reply_to_user_id")) in self.user_ids)

    def mask(self, text: str) -> str:
        """Their @handle as @ and stars of its length (positions in the text stay right)."""
        text = self._at.sub(lambda m: "@" + "*" * len(self.handle), text)
        return re.sub(rf'"{re.escape(self.handle)}"', '"' + "*" * len(self.handle) + '"', text, flags=re.IGNORECASE)

    def scrub(self, raw: Any) -> Any:
        """A raw payload without their user and their posts (X's `includes`), and their handle, ids and names
        masked in every string left."""
        if isinstance(raw, dict):
            out = {}
            for k, v in raw.items():
                if k in ("users", "tweets") and isinstance(v, list):
                    v = [u for u in v if not self._is_theirs(u)]
                out[k] = self.scrub(v)
            return out
        if isinstance(raw, list):
            return [self.scrub(v) for v in raw]
        if isinstance(raw, str):
            if raw in self.user_ids or raw in self.names or raw.casefold() == self.handle.casefold():
                return "[forgotten]"
            return self.mask(raw)
        return raw

    def _is_theirs(self, item: Any) -> bool:
        if not isinstance(item, dict):
            return False
        return (str(item.get("id")) in self.user_ids and "username" in item) or \
            str(item.get("username", "")).casefold() == self.handle.casefold() or \
            str(item.get("author_id")) in self.user_ids


class Care(Part):
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
        source = sqlite3.connect(str(self.database.path), timeout=30)
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
            if mentions:
                touch_counts(self.db)
            if mentions or rejects:
                self.database.audit("retention", "purge",
                                    detail={"days": days, "mentions": mentions, "rejects": rejects})
        return Purged(int(mentions), int(rejects))

    def forget_preview(self, handle: str, brand_handles: Sequence[str] = ()) -> Forgotten:
        """What `forget_author` would erase, counted and nothing changed: for the question asked first."""
        return self._forget(_handle(handle), "", brand_handles, erase=False)

    def forget_author(self, handle: str, actor: str, brand_handles: Sequence[str] = ()) -> Forgotten:
        """Erase everything of one person: their mentions, decisions, queue items and feedback, the audit
        entries about them, the rejects that hold their input, and the brand's own replies that name them; in
        other people's posts their handle is masked and their user and posts are cut from the raw payload.
        The audit log records that an erasure happened, not whose. Deleted pages are overwritten
        (secure_delete) and the write-ahead log is emptied, so nothing of them lingers in the files."""
        handle = _handle(handle)
        self.db.execute("pragma secure_delete = on")
        with self.db.atomic():
            gone = self._forget(handle, actor, brand_handles, erase=True)
        self.db.execute("pragma wal_checkpoint(truncate)")
        return gone

    def _forget(self, handle: str, actor: str, brand_handles: Sequence[str], erase: bool) -> Forgotten:
        theirs = self.db.execute(
            "select platform, id, author_id, author_name from mentions where lower(author_handle) = lower(?)",
            [handle]).fetchall()
        person = _Person(handle, {str(r[2]) for r in theirs if r[2]}, {str(r[3]) for r in theirs if r[3]})
        brand = {h.casefold() for h in brand_handles}
        # Posts of others that may name the person: narrowed in SQL, decided by `person.is_named_in`.
        like = [f"%@{like_escape(handle)}%", f'%"{like_escape(handle)}"%',
                *(f'%"{like_escape(i)}"%' for i in person.user_ids)]
        clause = " or ".join(["text like ? escape '\\'", "parent_text like ? escape '\\'"]
                             + ["raw like ? escape '\\'"] * (len(like) - 1))
        brand_replies: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for r in self.db.query(
                f"select platform, id, author_handle, text, handles, raw, in_reply_to_user_id, parent_text "
                f"from mentions "
                f"where lower(author_handle) != lower(?) and ({clause})", [handle, like[0], *like]):
            if not person.is_named_in(r):
                continue
            (brand_replies if str(r["author_handle"]).casefold() in brand else others).append(r)
        rejects = [i for i, raw in self.db.execute(
            "select id, raw from rejects where raw like ? escape '\\' or raw like ? escape '\\'", like[:2])
            if person.is_named_in({"text": raw})]
        keys = [(str(p), str(i)) for p, i, *_ in theirs] + [(r["platform"], r["id"]) for r in brand_replies]
        counts = self._erase_mentions(keys, erase)
        if erase:
            self.db.conn.executemany("delete from rejects where id = ?", [[i] for i in rejects])
            for r in others:
                self.db.execute(
                    "update mentions set text = ?, handles = ?, raw = ?, in_reply_to_user_id = ?, parent_text = ? "
                    "where platform = ? and id = ?",
                    [person.mask(r["text"] or ""), person.mask(r["handles"] or "[]"),
                     dumps(person.scrub(json.loads(r["raw"] or "{}"))),
                     None if r["in_reply_to_user_id"] in person.user_ids else r["in_reply_to_user_id"],
                     # the post replied to is theirs: it goes with them, as from the raw payload
                     None if r["in_reply_to_user_id"] in person.user_ids or not r["parent_text"]
                     else person.mask(r["parent_text"]),
                     r["platform"], r["id"]])
            self.database.audit(actor, "forget", detail={"mentions": len(theirs)})
        return Forgotten(len(theirs), counts["decisions"], counts["queue_items"], counts["feedback"],
                         rejects=len(rejects), brand_replies=len(brand_replies), masked_in_others=len(others))

    def _erase_mentions(self, keys: list[tuple[str, str]], erase: bool) -> dict[str, int]:
        """Delete these mentions with everything that hangs off them; the counts per table either way."""
        if erase:
            uncount(self.db, keys)  # while their decisions still say what they were counted as
            # Others' posts that named the person are masked as well: every day counts as changed.
            touch_counts(self.db)
        counts = {}
        if erase:  # their posts leave the conversations they were in; their items take the other messages along
            self.db.conn.executemany(
                "delete from queue_messages where (platform = ? and mention_id = ?) or queue_item_id in "
                "(select id from queue_items where platform = ? and mention_id = ?)", [[*k, *k] for k in keys])
        for table in ("feedback", "audit_log", "queue_items", "decisions"):
            n = 0
            for platform, mention_id in keys:
                sql = "from {} where platform = ? and mention_id = ?".format(table)
                n += int(self.db.execute(f"select count(*) {sql}", [platform, mention_id]).fetchone()[0])
                if erase:
                    self.db.execute(f"delete {sql}", [platform, mention_id])
            counts[table] = n
        if erase:
            self.db.conn.executemany("delete from mentions where platform = ? and id = ?", [list(k) for k in keys])
        return counts

    def is_writable(self, timeout: float = 1.0) -> str | None:
        """None when a write transaction can start within `timeout` seconds, else the reason it cannot.
        Uses a connection of its own with a short wait, so a health check never hangs on a held lock."""
        try:
            conn = sqlite3.connect(str(self.database.path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as e:
            return f"cannot open {self.database.path}: {e}"
        try:
            conn.execute("begin immediate")
            conn.execute("rollback")
        except sqlite3.Error as e:
            return f"{self.database.path}: {e}"
        finally:
            conn.close()
        return None
