"""/healthz tells the truth about writes: a database that takes a lock but refuses every write (a full disk)
makes health fail, and it recovers with the next write that goes through."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import requests

from bot.config.settings import load_settings
from bot.daemon import Daemon
from bot.ops import OpsServer, wsgi_app
from tests.conftest import STREAM


def test_healthz_fails_while_every_write_fails_with_a_full_disk(write_config: Callable[..., Path],
                                                                tmp_path: Path) -> None:
    stream = tmp_path / "s.jsonl"
    stream.write_text(STREAM.read_text(encoding="utf-8") * 20, encoding="utf-8")
    config = write_config(stream=stream, batch_size=1000)
    daemon = Daemon(config, load_settings(config))
    db = daemon.store.db  # this thread's connection: the one run_once writes with
    pages = db.execute("pragma page_count").fetchone()[0]
    db.execute(f"pragma max_page_count = {pages}")  # SQLite's own "database or disk is full"
    server = OpsServer(wsgi_app(daemon.store, daemon.ops), "127.0.0.1", 0).start()
    try:
        [result] = daemon.run_once()
        assert result.error == "OperationalError: database or disk is full"
        r = requests.get(f"{server.url}/healthz", timeout=10)
        report = json.loads(r.text)
        assert r.status_code == 503 and report["database"]["writable"] is False
        assert report["database"]["error"].startswith("the last write failed at ")
        assert report["database"]["error"].endswith(" UTC: database or disk is full")

        db.execute("pragma max_page_count = 1073741823")  # space again
        [result] = daemon.run_once()
        assert result.error is None and result.stored > 0
        report = requests.get(f"{server.url}/healthz", timeout=10).json()
        assert report["database"] == {"writable": True, "error": None}
    finally:
        server.stop()
        daemon.store.close()
