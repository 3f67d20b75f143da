"""The daemon with the X source against the fake X API: a burst of failures ends with every mention stored once,
and a full run never sends a write request."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.daemon import Daemon
from bot.sources.x.source import XMentionsSource
from tests.fake_x import TOKEN, TOO_MANY, UNAVAILABLE, FakeX, Reply, forward, load, reset_in

TIMELINE = load("timeline.json")


@pytest.fixture
def fake() -> Iterator[FakeX]:
    f = FakeX().start()
    yield f
    f.stop()


def run_in_thread_until(daemon: Daemon, until: Callable[[Daemon], bool], seconds: float) -> None:
    """Run the daemon in this (the main) thread, as `webcare run` does, until `until(daemon)` or `seconds` pass."""

    def watch() -> None:
        deadline = time.monotonic() + seconds
        try:
            while not until(daemon) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            daemon.stop()

    watcher = threading.Thread(target=watch, daemon=True)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    watcher.start()
    try:
        assert daemon.run_forever() == 0  # in the main thread: it installs its signal handlers
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    watcher.join(5)


def run_daemon(write_config: Callable[..., Path], fake: FakeX, monkeypatch: pytest.MonkeyPatch,
               until: Callable[[Daemon], bool], search: bool = False) -> Daemon:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    section = {"enabled": True, "accounts": ["Tulpair"], "backfill_hours": 100_000, "interval_seconds": 0.2,
               "jitter_seconds": 0, "timeout_seconds": 0.3, "max_backoff_seconds": 0.5,
               "max_rate_limit_wait_seconds": 2, "search": {"enabled": search}}
    daemon = Daemon(write_config(sources=f"replay: {{enabled: false}}\nx: {json.dumps(section)}\n"))
    forward(daemon.scheduled[0].source.client, fake)  # every X source shares this one client

    run_in_thread_until(daemon, until, seconds=30)
    return daemon


def test_daemon_survives_a_burst_of_failures_and_stores_every_mention_once(
        write_config: Callable[..., Path], fake: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.page_size = 5
    fake.fail("users", Reply(503, UNAVAILABLE))
    fake.fail("mentions",
              Reply(429, TOO_MANY, reset_in(1)),
              Reply(503, UNAVAILABLE),
              Reply(normal=True), Reply(502, {"title": "Bad Gateway"}),  # the second page fails
              Reply(200, {"data": []}, delay=1.0),  # a time-out
              Reply(normal=True), Reply(normal=True), Reply(503, UNAVAILABLE))  # the third page fails
    ids = {t["id"] for t in TIMELINE["data"]}
    late = dict(TIMELINE["data"][0], id=str(int(max(ids, key=int)) + 7), text="@Tulpair en nu?")

    def arrived(d: Daemon) -> bool:
        if not any(fake.faults.values()) and late not in fake.timelines["mentions"]["data"]:
            fake.timelines["mentions"]["data"].append(late)  # a post arrives once X has recovered
        stored = d.store.db.execute("select count(*) from mentions").fetchone()[0]
        return bool(stored == len(ids) + 1)

    daemon = run_daemon(write_config, fake, monkeypatch, arrived)
    db = daemon.store.db
    rows = db.execute("select id, count(*) from mentions group by platform, id").fetchall()
    assert {r[0] for r in rows} == ids | {late["id"]} and all(r[1] == 1 for r in rows)
    decided = db.execute("select mention_id, count(*) from decisions group by mention_id").fetchall()
    assert len(decided) == len(ids) + 1 and all(n == 1 for _, n in decided)
    assert daemon.store.mentions.checkpoint("x:mentions:Tulpair") == late["id"]
    [status] = daemon.store.mentions.source_status()
    assert status.errors >= 6 and status.last_success_at > status.last_error_at
    assert not any(fake.faults.values())


def test_a_full_daemon_run_never_sends_a_write_request(
        write_config: Callable[..., Path], fake: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.fail("mentions", Reply(429, TOO_MANY, reset_in(1)), Reply(503, UNAVAILABLE))
    expected = len(TIMELINE["data"]) + len(load("search.json")["data"])

    def done(d: Daemon) -> bool:
        stored = d.store.db.execute("select count(*) from mentions").fetchone()[0]
        return bool(stored == expected and len(fake.calls("mentions")) >= 4 and len(fake.calls("search")) >= 3)

    daemon = run_daemon(write_config, fake, monkeypatch, done, search=True)
    assert isinstance(daemon.scheduled[0].source, XMentionsSource)
    assert daemon.store.mentions.count_mentions() == expected
    assert {s.method for s in fake.seen} == {"GET"}
    assert {s.path for s in fake.seen} == {"/2/users/by", "/2/users/90001/mentions", "/2/tweets/search/recent"}
