"""The replay source: batches from a JSONL file, the checkpoint as a line count, bad lines kept with a reason."""

from __future__ import annotations

import json
from pathlib import Path

from bot.mention import PARENT_TEXT_MAX
from bot.sources.replay import ReplaySource
from tests.conftest import STREAM


def test_batches_follow_the_checkpoint_and_mark_inherited_handles() -> None:
    source = ReplaySource(STREAM, batch_size=4)
    first = source.fetch(None)
    assert first.checkpoint == "4" and [m.id for m in first.mentions] == ["2001", "2002", "2003", "2004"]
    rest = source.fetch("7")
    reply = next(m for m in rest.mentions if m.id == "2007")
    assert reply.inherited_handles == ["pieter", "Tulpair"] and reply.typed_handles == []
    assert source.fetch("12").mentions == [] and source.fetch("12").checkpoint == "12"


def test_a_bad_time_is_rejected_naming_the_field(tmp_path: Path) -> None:
    line = {"platform": "x", "id": "1", "text": "hi @Tulpair", "author": {"handle": "a"}, "created_at": "yesterday"}
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    batch = ReplaySource(path).fetch(None)
    assert batch.mentions == [] and batch.checkpoint == "1"
    assert [(r.location, r.reason) for r in batch.rejects] == [
        (f"{path}:1", "field 'created_at' must be an ISO-8601 time such as 2026-11-20T08:14:00Z, got 'yesterday'")
    ]


def write_lines(path: Path, *lines: str, end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


GOOD = json.dumps({"platform": "x", "id": "9", "text": "@Tulpair waar is mijn koffer?", "author": {"handle": "jan"},
                   "created_at": "2026-11-20T08:00:00Z"})


def line(**changes: object) -> str:
    return json.dumps({**json.loads(GOOD), "id": "1", **changes})


def test_hostile_lines_become_rejects_and_the_good_line_is_kept(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        "[" * 100_000 + "]" * 100_000,
        line(created_at="9999-12-31T23:59:59-12:00"),
        line(author={"handle": "jan", "followers": 10**30}),
        line(handles=[{"handle": "Tulpair", "start": "a", "end": None}]),
        line(id=""),
        line(platform="mastodon<script>"),
        line(lang=["nl"]),
        line(parent_text={"text": "hi"}),
        GOOD,
    )
    batch = ReplaySource(path).fetch(None)
    assert [m.id for m in batch.mentions] == ["9"]
    assert [r.reason for r in batch.rejects] == [
        "nested too deeply to read",
        "field 'created_at' must be an ISO-8601 time such as 2026-11-20T08:14:00Z, got '9999-12-31T23:59:59-12:00'",
        "field 'author.followers' must be a whole number from 0, got 1000000000000000000000000000000",
        "field 'handles[0]' must have whole-number positions 0 <= start < end <= 29, got start 'a', end None",
        "field 'id' must be 1 to 200 characters of text, got ''",
        "field 'platform' must be a short lower-case name such as 'x', got 'mastodon<script>'",
        "field 'lang' must be a language code such as 'nl' or 'en', got ['nl']",
        "field 'parent_text' must be a string, got dict",
    ]
    assert batch.checkpoint == "9"


def test_the_parent_text_of_a_line_is_cleaned_and_capped(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", line(parent_text="  Have you tried restarting?\ud800 " + "x" * 5000),
                       line(id="2", parent_text="   "))
    long, blank = ReplaySource(path).fetch(None).mentions
    assert long.parent_text is not None and len(long.parent_text) == PARENT_TEXT_MAX
    assert long.parent_text.startswith("Have you tried restarting?\ufffd xxx")
    assert blank.parent_text is None


def test_a_last_line_still_being_written_is_read_whole_at_the_next_poll(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    complete = line(id="2")
    path.write_text(GOOD + "\n" + complete[:40], encoding="utf-8")
    source = ReplaySource(path)
    first = source.fetch(None)
    assert [m.id for m in first.mentions] == ["9"] and first.rejects == [] and first.checkpoint == "1"
    path.write_text(GOOD + "\n" + complete + "\n", encoding="utf-8")
    second = source.fetch(first.checkpoint)
    assert [m.id for m in second.mentions] == ["2"] and second.checkpoint == "2"


def test_a_complete_last_line_without_newline_is_read(tmp_path: Path) -> None:
    batch = ReplaySource(write_lines(tmp_path / "s.jsonl", GOOD, end="")).fetch(None)
    assert [m.id for m in batch.mentions] == ["9"] and batch.checkpoint == "1"
