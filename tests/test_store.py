"""The store: exactly-once storage with checkpoints, outcomes with reasons, queue transitions, the audit log."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlite_utils

from bot.errors import InvalidTransition, NotFound
from bot.mention import Author, Mention, find_handles
from bot.sources import Reject
from bot.store import Outcome, Store
from bot.vocabulary import Status


def mention(i: int, text: str = "@Tulpair waar is mijn koffer?", author: str = "jan") -> Mention:
    return Mention("x", str(i), text, Author(str(100 + i), author), datetime(2026, 11, 20, 8, i % 60, tzinfo=timezone.utc),
                   handles=find_handles(text), raw={"id": str(i)})


def queued(priority: str = "normal") -> Outcome:
    return Outcome("queued", label="queue", probabilities={"queue": 0.9}, priority=priority,
                   reasons=("asks a question",), config_version="c1", model_version="m1")


def test_store_batch_stores_each_mention_once_and_moves_the_checkpoint(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    assert store.mentions.store_batch("replay", [mention(1), mention(2)], "2") == 2
    assert store.mentions.store_batch("replay", [mention(2), mention(3)], "3") == 1
    store.close()
    db = sqlite_utils.Database(tmp_path / "w.db")
    assert sorted(r["id"] for r in db["mentions"].rows) == ["1", "2", "3"]
    assert db["checkpoints"].get("replay")["value"] == "3"
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_a_failed_batch_moves_neither_mentions_nor_checkpoint(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    store.mentions.store_batch("replay", [mention(1)], "1")

    bad = mention(3)
    object.__setattr__(bad, "author", None)  # the row cannot be built: the batch must roll back whole
    with pytest.raises(AttributeError):
        store.mentions.store_batch("replay", [mention(2), bad], "3")
    assert store.mentions.checkpoint("replay") == "1"
    assert store.mentions.count_mentions() == 1


def test_rejects_are_kept_with_location_and_reason(store: Store) -> None:
    store.mentions.store_batch("replay", [], "5", [Reject("stream.jsonl:4", "Expecting value", "not json")])
    rows = list(store.db["rejects"].rows)
    assert [(r["location"], r["reason"], r["raw"]) for r in rows] == [("stream.jsonl:4", "Expecting value", "not json")]


def test_lone_surrogates_and_control_characters_are_stored_without_error(store: Store) -> None:
    store.mentions.store_batch("replay", [mention(1, "@Tulpair \ud800 hi \x07\x1b[31m")], "1")
    assert store.mentions.get_mention("x", "1").text == "@Tulpair \ufffd hi \x07\x1b[31m"


def test_the_parent_text_is_stored_and_read_back_for_retries_and_what_if(store: Store) -> None:
    reply = replace(mention(1, "@Tulpair five times now"), in_reply_to_post_id="77",
                    parent_text="Have you tried restarting the router? \ud800")
    store.mentions.store_batch("replay", [reply, mention(2)], "2")
    expected = "Have you tried restarting the router? \ufffd"  # cleaned like the text
    assert [m.parent_text for m in store.mentions.pending_mentions()] == [expected, None]  # what a retry classifies
    assert store.mentions.get_mention("x", "1").parent_text == expected
    what_if = store.mentions.mentions_since(datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert [m.parent_text for m in what_if] == [expected, None]


def test_record_outcome_queues_marks_done_and_audits(store: Store) -> None:
    m = mention(1)
    store.mentions.store_batch("replay", [m], "1")
    assert [p.id for p in store.mentions.pending_mentions()] == ["1"]
    item_id = store.decisions.record_outcome(m, queued("urgent"))
    assert store.mentions.pending_mentions() == []
    item = store.queue.get_item(item_id)
    assert (item.status, item.priority, item.label, item.reasons) == (Status.NEW, "urgent", "queue", ("asks a question",))
    info = store.decisions.why("x", "1")
    assert info.decisions[0].config_version == "c1"
    assert [h.action for h in info.history] == ["enqueue"]


def test_claim_resolve_dismiss_follow_the_allowed_transitions(store: Store) -> None:
    for i in (1, 2):
        store.mentions.store_batch("replay", [mention(i)], str(i))
        store.decisions.record_outcome(mention(i), queued())
    assert store.queue.claim(1, "ann").assignee == "ann"
    with pytest.raises(InvalidTransition, match="^queue item 1 is claimed by ann; cannot claim it$"):
        store.queue.claim(1, "bob")
    assert store.queue.resolve(1, "ann").status is Status.RESOLVED
    with pytest.raises(InvalidTransition, match="^queue item 1 is resolved by ann; cannot dismiss it$"):
        store.queue.dismiss(1, "ann", "dupe")
    assert store.queue.dismiss(2, "bob", "answered by phone").dismissed_reason == "answered by phone"
    actions = [r["action"] for r in store.db.query("select action from audit_log order by id")]
    assert actions == ["enqueue", "enqueue", "claim", "resolve", "dismiss"]
    with pytest.raises(NotFound, match="^no queue item 9$"):
        store.queue.get_item(9)


def test_two_concurrent_claims_give_one_winner(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    store.mentions.store_batch("replay", [mention(1)], "1")
    store.decisions.record_outcome(mention(1), queued())
    results: list[str] = []
    barrier = threading.Barrier(8)

    def claim(agent: str) -> None:
        s = Store(tmp_path / "w.db")
        barrier.wait()
        try:
            s.queue.claim(1, agent)
            results.append(agent)
        except InvalidTransition:
            pass
        s.close()

    threads = [threading.Thread(target=claim, args=(f"agent{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1
    assert store.queue.get_item(1).assignee == results[0]


def test_wrongly_routed_records_feedback_and_leaves_the_queue(store: Store) -> None:
    store.mentions.store_batch("replay", [mention(1)], "1")
    store.decisions.record_outcome(mention(1), queued())
    item = store.queue.mark_wrongly_routed(1, "ann", "about")
    assert item.status is Status.DISMISSED
    assert [(f.kind, f.label, f.agent) for f in store.queue.feedback()] == [("wrongly_routed", "about", "ann")]


def test_move_to_queue_by_hand_is_feedback(store: Store) -> None:
    m = mention(1, "nooit meer Tulpair")
    store.mentions.store_batch("replay", [m], "1")
    store.decisions.record_outcome(m, Outcome("not_queued", label="about", priority="low"))
    item = store.queue.move_to_queue("x", "1", "ann", "high")
    assert (item.status, item.priority) == (Status.NEW, "high")
    assert [(f.kind, f.label) for f in store.queue.feedback()] == [("moved_to_queue", "queue")]


def test_failed_mentions_are_retried_then_set_aside(store: Store) -> None:
    m = mention(1)
    store.mentions.store_batch("replay", [m], "1")
    for _ in range(4):
        store.mentions.mark_failed(m, "RuntimeError: boom")
        assert store.mentions.pending_mentions() != []
    store.mentions.mark_failed(m, "RuntimeError: boom")
    assert store.mentions.pending_mentions() == []
    assert store.decisions.why("x", "1").state == "failed"


def test_schema_migrations_are_recorded(store: Store) -> None:
    names = [r["name"] for r in store.db.query("select name from _sqlite_migrations where migration_set = 'webcare-core'")]
    assert names[0] == "m001_initial"
