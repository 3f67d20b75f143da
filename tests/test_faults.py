"""Faults the daemon must survive with nothing lost and nothing doubled: SIGKILL mid-batch and a restart, the
database held locked by another process, a classifier that fails on one mention, malformed payloads. (The API
failing with 429, 5xx and time-outs is tested with the X source's fake server, in its own tests.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bot.config.settings import Settings, load_settings
from bot.mention import Mention
from bot.ops import Metrics
from bot.pipeline import Pipeline
from bot.sources.replay import ReplaySource
from bot.store import MAX_ATTEMPTS, Store
from classifiers import Brand, Decision, RuleClassifier
from tests.conftest import FIXTURES
from tests.test_daemon import count, generate_stream, query, start_daemon, wait_for

POISON = "POISONED-TEXT"


class PoisonedRules(RuleClassifier):
    """The rules, failing the way a model fails on input it cannot handle: only on the poisoned mention."""

    def classify(self, mentions: Sequence[Mention], brand: Brand) -> list[Decision]:
        for m in mentions:
            if POISON in m.text:
                raise ValueError(f"cannot classify {m.key}: poisoned text")
        return super().classify(mentions, brand)


def assert_once_each(store: Store, expected: int) -> None:
    """Every stored mention has exactly one decision and at most one queue item."""
    db = store.db
    assert db.execute("select count(*) from mentions").fetchone()[0] == expected
    doubled = db.execute("select count(*) from (select platform, mention_id from decisions group by 1, 2 "
                         "having count(*) > 1)").fetchone()[0]
    assert doubled == 0
    assert db.execute("select count(*) from (select platform, mention_id from queue_items group by 1, 2 "
                      "having count(*) > 1)").fetchone()[0] == 0


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_decides_every_mention_exactly_once(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    n = 6000
    config = write_config(stream=generate_stream(tmp_path / "big.jsonl", n), batch_size=3000)
    db = tmp_path / "webcare.db"
    proc = start_daemon(config)
    # The first batch of 3000 is stored in one transaction; kill while it is being classified.
    wait_for(lambda: count(db, "select count(*) from decisions") > 100)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    decided = count(db, "select count(*) from decisions")
    assert 0 < decided < count(db), "the kill must land while the batch is being decided"
    restarted = start_daemon(config)
    try:
        wait_for(lambda: count(db) == n and count(db, "select count(*) from mentions where state != 'done'") == 0,
                 timeout=120)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.communicate(timeout=30)
    assert restarted.returncode == 0
    store = Store(db)
    assert_once_each(store, n)
    assert store.db.execute("select count(*) from decisions").fetchone()[0] == n
    assert store.mentions.checkpoint("replay") == str(n)
    store.close()


def test_database_locked_by_another_process_delays_the_poll_and_loses_nothing(
        settings: Settings, tmp_path: Path) -> None:
    store = Store(settings.database_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""\
            import sqlite3, sys, time
            conn = sqlite3.connect({str(settings.database_path)!r}, isolation_level=None)
            conn.execute("begin exclusive")
            print("locked", flush=True)
            time.sleep(3)
            conn.execute("commit")
            """)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    assert store.care.is_writable(timeout=0.2) == f"{settings.database_path}: database is locked"
    pipeline = Pipeline(store, lambda: settings, RuleClassifier().load())
    started = time.monotonic()
    result = pipeline.poll(ReplaySource(settings.resolve(settings.sources.replay.path), 100))
    waited = time.monotonic() - started
    holder.communicate(timeout=10)
    assert waited > 1.5  # it waited for the lock instead of failing or dropping the batch
    assert (result.fetched, result.stored, result.error) == (10, 10, None)
    assert store.care.is_writable() is None
    assert_once_each(store, 10)
    assert pipeline.poll(ReplaySource(settings.resolve(settings.sources.replay.path), 100)).stored == 0
    store.close()


def test_a_classifier_failing_on_one_mention_marks_it_and_decides_the_others(
        settings: Settings, tmp_path: Path) -> None:
    lines = (FIXTURES / "stream.jsonl").read_text(encoding="utf-8").splitlines()
    poisoned = json.loads(lines[0]) | {"id": "2999", "text": f"@Tulpair {POISON} waar is mijn koffer?"}
    stream = tmp_path / "poisoned.jsonl"
    stream.write_text("\n".join([*lines, json.dumps(poisoned)]) + "\n", encoding="utf-8")
    store, metrics = Store(settings.database_path), Metrics()
    pipeline = Pipeline(store, lambda: settings, PoisonedRules().load(), on_decision=metrics.observe_decision)
    source = ReplaySource(stream, 100)

    first = pipeline.poll(source)
    assert (first.stored, first.failed, sum(first.labels.values()) + first.filtered) == (11, 1, 10)
    info = store.decisions.why("x", "2999")
    assert (info.state, info.attempts, info.decisions) == ("pending", 1, ())
    assert info.last_error == "ValueError: cannot classify x:2999: poisoned text"

    for _ in range(MAX_ATTEMPTS - 1):  # retried on later polls, until set aside
        assert pipeline.poll(source).failed == 1
    assert pipeline.poll(source).failed == 0
    info = store.decisions.why("x", "2999")
    assert (info.state, info.attempts) == ("failed", MAX_ATTEMPTS)
    assert metrics.classify_failures._value.get() == MAX_ATTEMPTS
    decided = store.db.execute("select count(*) from decisions").fetchone()[0]
    assert decided == 10  # every other mention decided once, none doubled by the retries
    assert_once_each(store, 11)
    store.close()


def test_malformed_payloads_are_rejected_with_reasons_and_the_rest_stored_once(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    stream = tmp_path / "malformed.jsonl"
    huge = {"platform": "x", "id": "3013", "author": {"id": "613", "handle": "huge"},
            "text": "@Tulpair " + "waarom? " * 125_000, "created_at": "2026-11-20T08:12:00Z"}
    stream.write_bytes((FIXTURES / "malformed.jsonl").read_bytes() + json.dumps(huge).encode() + b"\n"
                       + b'{"platform": "x", "id": "3014", "author": {"handle": "latin1"}, '
                       + b'"text": "@Tulpair caf\xe9?", "created_at": "2026-11-20T08:13:00Z"}\n')
    settings = load_settings(write_config(stream=stream))
    store = Store(settings.database_path)
    pipeline = Pipeline(store, lambda: settings, RuleClassifier().load())
    result = pipeline.poll(ReplaySource(stream, 100))

    assert (result.fetched, result.stored, result.rejected, result.failed) == (5, 5, 9, 0)
    reasons = [(r["location"].rsplit(":", 1)[1], r["reason"])
               for r in store.db.query("select location, reason from rejects order by id")]
    assert reasons == [
        ("2", "missing field 'text'"),
        ("3", "field 'text' must be a string, got int"),
        ("4", "field 'author' must be an object with at least 'handle'"),
        ("5", "field 'created_at' must be an ISO-8601 time such as 2026-11-20T08:14:00Z, got 1763625600"),
        ("6", "field 'is_repost' must be true or false, got 'yes'"),
        ("7", "field 'created_at' must be an ISO-8601 time such as 2026-11-20T08:14:00Z, got 'yesterday'"),
        ("8", "expected a JSON object, got list"),
        ("10", "unknown field(s) colour"),
        ("11", "missing field 'created_at'"),
    ]
    assert store.mentions.get_mention("x", "3009").text == "@Tulpair mijn koffer \ufffd is weg, help?"
    assert store.mentions.get_mention("x", "3014").text == "@Tulpair caf\ufffd?"  # an invalid UTF-8 byte
    assert len(store.mentions.get_mention("x", "3013").text) == len(huge["text"])  # kept whole, and decided
    assert query(settings.database_path, "select state from mentions where id = '3013'") == [("done",)]
    assert pipeline.poll(ReplaySource(stream, 100)).fetched == 0
    assert_once_each(store, 5)
    store.close()
