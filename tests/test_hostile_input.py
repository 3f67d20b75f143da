"""Input shaped to break the parsers (found by attacking the daemon): broken bytes in a replay file, oddly shaped
X payloads, config files that attack the YAML reader. Each stays a reject or a message; the rest goes on."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.entry import main as run_bot

GOOD = {"platform": "x", "text": "@Tulpair waar is mijn koffer?", "author": {"handle": "jan"},
        "created_at": "2026-11-20T08:00:00Z"}


def good_line(n: int, **changes: object) -> bytes:
    return json.dumps({**GOOD, "id": str(n), **changes}).encode() + b"\n"


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_an_invalid_utf8_line_is_kept_as_a_reject_and_every_valid_line_is_stored_once(
        tmp_path: Path, write_config: Callable[..., Path]) -> None:
    stream = tmp_path / "s.jsonl"
    lines = [good_line(n) for n in range(1, 501)]
    lines[250] = b'{"oops": "\xff"\n'  # line 251: a raw 0xFF byte
    lines[100] = good_line(101, id="10\xff1").replace(b"\\u00ff", b"\xff")  # an invalid byte in an id
    lines[200] = json.dumps({**GOOD, "id": "201", "author": {"handle": "j\u00ffn"}}).encode().replace(
        b"\\u00ff", b"\xff") + b"\n"  # and in an author handle
    stream.write_bytes(b"\xef\xbb\xbf" + b"".join(lines))  # a UTF-8 BOM before the first line
    config = write_config(stream=stream, batch_size=1000)
    assert run_bot(["--config", str(config), "--once"]) == 0
    assert run_bot(["--config", str(config), "--once"]) == 0
    db = tmp_path / "webcare.db"
    stored = {r[0] for r in rows(db, "select id from mentions")}
    assert stored == {str(n) for n in range(1, 501)} - {"101", "201", "251"}
    assert rows(db, "select count(*) from mentions") == [(497,)]
    assert rows(db, "select value from checkpoints") == [("500",)]
    rejects = rows(db, "select location, reason, raw from rejects order by id")
    assert [r[0] for r in rejects] == [f"{stream}:101", f"{stream}:201", f"{stream}:251"]
    assert rejects[0][1] == "field 'id' must be 1 to 200 characters of text, got '10\\udcff1'"
    assert rejects[2][1] == "Expecting ',' delimiter: line 2 column 1 (char 13)"
    assert rejects[2][2] == '{"oops": "\\xff"\n'  # the raw bytes, the bad one written out
