"""The replay source: batches from a JSONL file, the checkpoint as a line count, bad lines kept with a reason."""

from __future__ import annotations

import json
from pathlib import Path

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
