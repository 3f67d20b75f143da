"""The shared database under every part of the store: one SQLite file in WAL mode, one sqlite-utils `Database`
per thread, migrations on open, and the audit log every state change writes to. The parts (mentions, queue,
conversations, ...) each hold this one object; `bot.store.Store` composes them."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database as SqliteDatabase
from sqlite_utils import Migrations

from bot.errors import StoreError

BUSY_TIMEOUT_SECONDS = 30.0


class _Database(SqliteDatabase):
    """sqlite-utils' Database whose transactions take the write lock when they begin (BEGIN IMMEDIATE). A
    deferred transaction that reads first (sqlite-utils reads the table's columns before an insert) cannot wait
    for another process's write lock: SQLite answers "database is locked" at once, ignoring the busy timeout."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[SqliteDatabase]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            # Our own message, not a traceback: the usual cause is another process, not a bug.
            raise StoreError(f"the database is busy ({e}, after waiting {BUSY_TIMEOUT_SECONDS:g}s for another "
                             f"process's write); it is tried again at the next poll. Is a second daemon, a "
                             f"backup or an open SQLite shell holding it?") from None
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def like_escape(text: str) -> str:
    """`text` for a LIKE pattern with `escape '\\'`: its %, _ and \\ taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(text: str) -> str:
    """A LIKE pattern (with `escape '\\'`) that finds `text` anywhere, its % and _ taken literally."""
    return f"%{like_escape(text)}%"


def dumps(value: Any) -> str:
    # ASCII escapes keep lone surrogates of hostile input storable.
    return json.dumps(value, ensure_ascii=True, sort_keys=True)


def cut_columns(column: str, name: str) -> str:
    """SQL for the first bytes of a text column, its size in bytes and its length, as `name`_head, _size and
    _length: a list reads only the start of a huge post. It cuts bytes, not characters, because SQLite's text
    functions stop at a NUL character; a text holding a NUL is read whole (its length is only known so), which
    only hostile input does. One parameter: the bytes to read (`cut_bytes`)."""
    blob = f"cast({column} as blob)"
    return (f"case when instr({blob}, x'00') > 0 then {blob} else substr({blob}, 1, ?) end as {name}_head, "
            f"length({blob}) as {name}_size, length({column}) as {name}_length")


def cut_bytes(limit: int) -> int:
    return 4 * limit  # UTF-8 takes at most 4 bytes a character


def cut_text(head: bytes | None, size: int | None, length: int | None, limit: int) -> tuple[str, int]:
    """(the text cut to `limit` characters, the whole text's length) from the three `cut_columns`."""
    # Only the last character can be split by the byte cut; "ignore" drops that partial one.
    text = (head or b"").decode("utf-8", "ignore")
    if (size or 0) <= len(head or b""):
        return text[:limit], len(text)
    return text[:limit], length or 0


class Database:
    """Opens the file, applies pending migrations once, and hands each thread its own connection."""

    def __init__(self, path: str | Path, migration_sets: Sequence[Migrations]) -> None:
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self.db
        except (OSError, sqlite3.Error) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise StoreError(f"{self.path}: cannot open the database ({reason}); check that its folder exists and "
                             f"is writable by this user, or set storage.database to a path that is") from None
        try:
            db.enable_wal()
            for migrations in migration_sets:
                migrations.apply(db)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot open the database ({e})") from None

    @property
    def db(self) -> SqliteDatabase:
        """This thread's connection (sqlite3 binds a connection to the thread that opened it)."""
        db: SqliteDatabase | None = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = _Database(conn)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def audit(self, actor: str, action: str, *, platform: str | None = None, mention_id: str | None = None,
              queue_item_id: int | None = None, detail: dict[str, Any] | None = None) -> None:
        """One line of the audit log; written in the caller's transaction."""
        self.db.table("audit_log").insert(
            {"at": now(), "actor": actor, "action": action, "platform": platform, "mention_id": mention_id,
             "queue_item_id": queue_item_id, "detail": dumps(detail or {})}
        )


class Part:
    """One part of the store (its mentions, its queue, ...): its operations on the shared `Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def db(self) -> SqliteDatabase:
        return self.database.db
