"""Every query the review app's pages, the ops endpoints and the hot store paths (ingest, why, retention) run is
planned on an index: `EXPLAIN QUERY PLAN` of each statement they actually ran (traced on the real connections
while a real server answered the pages) never scans a large table. Without statistics (no ANALYZE, as in production) SQLite plans by
its rules alone, so a small database gets the plans a million-mention one gets."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlite_utils import Database as SqliteDatabase
from web_support import AGENT, AGENT_PASSWORD, fill, log_in

from bot.config.settings import load_settings
from bot.mention import Author, Mention
from bot.ops.app import wsgi_app
from bot.ops.state import ServiceState
from bot.store import MIGRATION_SETS, Database, Outcome, Store
from bot.web import WebServer

LARGE = ("mentions", "decisions", "queue_items", "audit_log", "feedback")
# A plan line that reads a whole large table: "SCAN mentions", "SCAN m" (an alias). "SCAN ... USING INDEX"
# walks an index in the order asked for: that is allowed only where the statement stops at a LIMIT.
_SCAN = re.compile(r"^SCAN (\w+)( USING)?")
_LIMIT = re.compile(r"\blimit\b", re.IGNORECASE)


class TracedDatabase(Database):
    """The store's database, noting every statement each of its connections runs (SQLite's own trace hook)."""

    def __init__(self, path: Path) -> None:
        self.statements: list[str] = []
        super().__init__(path, MIGRATION_SETS)

    @property
    def db(self) -> SqliteDatabase:
        db = super().db
        if not getattr(self._local, "traced", False):
            db.conn.set_trace_callback(self.statements.append)
            self._local.traced = True
        return db


def full_scans(path: Path, statements: list[str]) -> list[str]:
    """The statements whose plan reads a large table whole, each with the offending plan line."""
    conn = sqlite3.connect(str(path))
    aliases = {t: t for t in LARGE}
    found = []
    for sql in dict.fromkeys(statements):
        words = sql.lstrip().split(None, 1)
        if not words or words[0].lower() not in ("select", "update", "delete", "insert", "with"):
            continue
        for table, alias in re.findall(r"\b(?:from|join)\s+(\w+)\s+(?:as\s+)?(\w+)", sql, re.IGNORECASE):
            if table in LARGE:
                aliases[alias] = table
        try:
            plan = conn.execute("explain query plan " + sql).fetchall()
        except sqlite3.OperationalError as e:
            # sqlite-utils' own temporary tables (t + 32 hex digits) are gone by now; nothing else may fail.
            assert re.fullmatch(r"no such table: t[0-9a-f]{32}", str(e)), (e, sql)
            continue
        for row in plan:
            hit = _SCAN.match(row[3])
            if not hit or (hit.group(2) and _LIMIT.search(sql)):
                continue
            if aliases.get(hit.group(1), hit.group(1)) in LARGE:
                found.append(f"{row[3]}  <-  {' '.join(sql.split())[:300]}")
    conn.close()
    return found


def test_no_page_or_hot_path_scans_a_large_table(write_config: Callable[..., Path]) -> None:
    settings = load_settings(write_config())
    fill(write_config())
    traced = TracedDatabase(settings.database_path)
    store = Store(traced)
    state = ServiceState()
    ops = wsgi_app(store, state)
    server = WebServer(store, lambda: settings, mounts={"/healthz": ops, "/metrics": ops}).start()
    try:
        base = server.address
        agent = log_in(base, AGENT, AGENT_PASSWORD)
        item = store.queue.list_queue("new", limit=1)[0]
        today = datetime.now(timezone.utc).date()
        pages = [
            "/queue", "/queue/items", "/queue?page=2", "/queue?status=all&page=3", "/queue?assignee=me",
            "/queue?status=resolved&assignee=me", "/queue?lang=en", "/queue?status=all&lang=nl",
            *(f"/queue?status={s}" for s in ("new", "claimed", "resolved", "dismissed", "all")),
            *(f"/queue?priority={p}" for p in ("urgent", "high", "normal", "low")),
            f"/items/{item.id}", "/search", "/search?q=koffer", "/search?label=about", "/search?label=queue",
            f"/search?q=refund&since={today - timedelta(days=30)}&until={today}", "/listening", "/stats",
            "/stats?days=90", "/healthz", "/metrics",
        ]
        for page in pages:
            assert agent.get(base + page, timeout=30).status_code in (200, 503), page
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', agent.get(base + "/queue", timeout=30).text)
        assert token
        for action in ("claim", "note", "release", "claim", "resolve"):
            r = agent.post(f"{base}/items/{item.id}/{action}", data={"csrf_token": token.group(1), "note": "called"},
                           headers={"HX-Request": "true"}, timeout=30)
            assert r.status_code == 200, action
        served = list(traced.statements)
    finally:
        server.stop()
    # The hot paths outside the web app: ingest (store, decide, queue), why, retention and forget.
    traced.statements.clear()
    store.mentions.store_batch("bench", [Mention("x", "900001", "@Tulpair hallo?", Author("9", "nieuw"),
                                        datetime.now(timezone.utc), lang="nl")], "900001")
    for m in store.mentions.pending_mentions():
        store.conversations.recent_contacts(m.platform, m.author.handle)
        store.decisions.record_outcome(m, Outcome("queued", label="queue", priority="high",
                                        due_at=datetime.now(timezone.utc) + timedelta(hours=1)))
    store.decisions.why(item.platform, item.mention_id)
    store.care.purge_older_than(30)
    # Not checked: forget reads every stored post for the ones that name the person (a rare request, a full
    # pass by design).
    store.close()
    assert len(served) > 50
    # Known and left: counting every item in one language ('all' statuses and a language, a rare pair) reads
    # the queue's index whole, once per page view (the list itself still stops at its page).
    known = "select count(*) from queue_items q cross join mentions m on m.platform = q.platform and m.id = " \
            "q.mention_id where m.lang = 'nl'"
    assert [s for s in full_scans(settings.database_path, served + traced.statements) if not s.endswith(known)] == []


def test_the_check_itself_sees_a_full_scan(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    store.close()
    assert full_scans(tmp_path / "w.db", ["select count(*) from mentions m where m.text like '%koffer%'",
                                          "select * from queue_items where note = 'x'"]) == [
        "SCAN m  <-  select count(*) from mentions m where m.text like '%koffer%'",
        "SCAN queue_items  <-  select * from queue_items where note = 'x'",
    ]
