"""`webcare forget`: a privacy request erases everything of one person, and a byte search of the database files
afterwards finds nothing of them: not their mentions, not a reject holding their malformed post, not the
brand's replies naming them, not their text or name inside another person's raw payload."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import load_settings
from bot.daemon import Daemon

NOW = "2026-11-20T08:00:00Z"
THEIR_TEXT = "@Tulpair mijn koffer Zq81 is weg sinds Schiphol"


def stream_lines() -> list[str]:
    jan = {"id": "501", "handle": "jdevries", "name": "Jan de Vries"}
    return [json.dumps(line) for line in (
        {"platform": "x", "id": "7001", "author": jan, "text": THEIR_TEXT, "created_at": NOW},
        # Their malformed post: kept as a reject, with their handle and text inside.
        {"platform": "x", "id": "7002", "author": jan, "text": "@Tulpair nog steeds Zq81", "created_at": "gisteren"},
        # The brand's own reply that names them.
        {"platform": "x", "id": "7003", "author": {"id": "90001", "handle": "Tulpair", "name": "Tulpair"},
         "text": "@jdevries Sorry Jan de Vries, we zoeken uw koffer", "created_at": NOW,
         "in_reply_to_post_id": "7001", "in_reply_to_user_id": "501", "inherited_handles": ["jdevries"]},
        # Someone else's reply: X's payload carries the forgotten post and its author in `includes`.
        {"platform": "x", "id": "7004", "author": {"id": "502", "handle": "sam_k", "name": "Sam"},
         "text": "@jdevries @Tulpair same here, mine is gone too", "created_at": NOW,
         "in_reply_to_post_id": "7001", "in_reply_to_user_id": "501", "inherited_handles": ["jdevries"],
         "parent_text": THEIR_TEXT,  # the classifier's context: their post, which must go with them
         "raw": {"data": {"id": "7004", "author_id": "502", "in_reply_to_user_id": "501"},
                 "includes": {"users": [{"id": "502", "username": "sam_k", "name": "Sam"}, jan | {"username": "jdevries"}],
                              "tweets": [{"id": "7001", "author_id": "501", "text": THEIR_TEXT}]}}},
        # A reply to a post that names them: the parent's text (the classifier's context) names them too.
        {"platform": "x", "id": "7006", "author": {"id": "504", "handle": "lisa_b", "name": "Lisa"},
         "text": "@Tulpair bij mij ook", "created_at": NOW, "in_reply_to_post_id": "6999",
         "in_reply_to_user_id": "505", "parent_text": "@jdevries heeft gelijk, @Tulpair is traag"},
        {"platform": "x", "id": "7005", "author": {"id": "503", "handle": "jdevries_fan", "name": "Fan"},
         "text": "@Tulpair waar blijft mijn terugbetaling?", "created_at": NOW},
    )]


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def run(config: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args], input=input)
    return result.exit_code, result.output


def database_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists())


def test_after_forget_a_byte_search_of_the_database_files_finds_nothing_of_the_person(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    stream = tmp_path / "s.jsonl"
    stream.write_text("\n".join(stream_lines()) + "\n", encoding="utf-8")
    config = write_config(stream=stream)
    daemon = Daemon(config, load_settings(config))
    daemon.run_once()
    daemon.store.close()
    db = tmp_path / "webcare.db"
    assert b"Zq81" in database_bytes(db) and b"Jan de Vries" in database_bytes(db)

    code, out = run(config, "forget", "@JDevries", input="y\n")
    assert code == 0, out
    assert out == (
        "Erase 1 mention(s), 2 decision(s), 0 queue item(s), 0 feedback record(s), 1 reject(s) and 1 reply(s) of "
        "the brand; their handle masked in 2 post(s) of others for @JDevries? This cannot be undone [y/N]: y\n"
        "erased 1 mention(s), 2 decision(s), 0 queue item(s), 0 feedback record(s), 1 reject(s) and 1 reply(s) of "
        "the brand; their handle masked in 2 post(s) of others for @JDevries\n")
    data = database_bytes(db).lower()
    for trace in (b"jdevries\"", b"@jdevries ", b"jan de vries", b"zq81", b"koffer zq81"):
        assert trace not in data, trace
    assert b"jdevries_fan" in data  # a longer handle that starts the same is someone else
    masked_parent = rows(db, "select parent_text from mentions where id = '7006'")
    assert masked_parent == [("@******** heeft gelijk, @Tulpair is traag",)]
    code, out = run(config, "why", "x:7004")  # the other person's post stays, the handle in it masked
    assert code == 0 and "@******** @Tulpair same here, mine is gone too" in out, out


def test_forget_of_a_handle_that_matches_nothing_says_so_and_exits_non_zero(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config()
    Daemon(config, load_settings(config)).run_once()
    code, out = run(config, "forget", "@nobody_here", "--yes")
    assert (code, out) == (1, "Error: nothing stored names @nobody_here: no mention, reject or reply matches that "
                              "handle (any case); check the spelling, without the platform's URL\n")


def test_forget_asks_first_and_a_no_erases_nothing(write_config: Callable[..., Path], tmp_path: Path) -> None:
    stream = tmp_path / "s.jsonl"
    stream.write_text("\n".join(stream_lines()) + "\n", encoding="utf-8")
    config = write_config(stream=stream)
    Daemon(config, load_settings(config)).run_once()
    db = tmp_path / "webcare.db"
    counts = "select (select count(*) from mentions), (select count(*) from rejects), (select group_concat(text) from mentions)"
    before = rows(db, counts)
    code, out = run(config, "forget", "jdevries", input="n\n")
    assert code == 1 and out.endswith("This cannot be undone [y/N]: n\nAborted!\n")
    assert rows(db, counts) == before and "@jdevries" in str(before)
