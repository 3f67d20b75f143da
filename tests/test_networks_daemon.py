"""The daemon with every source at once (replay, X, Mastodon, Bluesky) against fakes on 127.0.0.1: each post is
stored once under its own checkpoint, only reads are sent, and a SIGKILL and restart lose and double nothing."""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import signal
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config.settings import load_settings
from bot.daemon import Daemon
from bot.logs import configure_logging
from bot.sources.replay import ReplaySource
from bot.sources.x.source import XMentionsSource
from bot.store import Store
from tests.conftest import STREAM
from tests.fake_bluesky import APP_PASSWORD, UNAVAILABLE, FakeBluesky, Reply
from tests.fake_bluesky import DATA as BSKY
from tests.fake_mastodon import DATA as MASTO
from tests.fake_mastodon import TOKEN as MASTODON_TOKEN
from tests.fake_mastodon import TOO_MANY, FakeMastodon, reset_in
from tests.fake_x import TOKEN as X_TOKEN
from tests.fake_x import FakeX, forward
from tests.fake_x import load as load_x
from tests.test_daemon import count, query, start_daemon, wait_for
from tests.test_faults import assert_once_each
from tests.test_x_daemon import run_in_thread_until

# The replay stream's posts are on "x" too (their ids apart from the fake X's).
REPLAY = len(ReplaySource(STREAM, 10_000).fetch(None).mentions)
X_POSTS = len(load_x("timeline.json")["data"])


@pytest.fixture
def fakes() -> Iterator[tuple[FakeMastodon, FakeBluesky]]:
    m, b = FakeMastodon().start(), FakeBluesky().start()
    yield m, b
    m.stop()
    b.stop()


def config(write_config: Callable[..., Path], m: FakeMastodon, b: FakeBluesky, *, x: bool = False,
           replay: bool = True, max_pages: int = 10, interval: float = 0.2) -> Path:
    common = {"enabled": True, "backfill_hours": 100_000, "interval_seconds": interval, "jitter_seconds": 0,
              "timeout_seconds": 2, "max_backoff_seconds": 0.5, "max_rate_limit_wait_seconds": 2,
              "max_pages": max_pages}
    sections = [f"mastodon: {json.dumps({**common, 'api_base_url': m.url})}",
                f"bluesky: {json.dumps({**common, 'service_url': b.url})}"]
    if x:
        x_section = {k: v for k, v in common.items() if k != "max_pages"}
        sections.append(f"x: {json.dumps({**x_section, 'accounts': ['Tulpair']})}")
    if not replay:
        sections.append("replay: {enabled: false}")
    path = write_config(sources="\n".join(sections) + "\n" if not replay else None)
    text = path.read_text(encoding="utf-8")
    if replay:  # keep the default replay section, add the others beside it
        text = text.replace("    interval_seconds: 0.2\n", "    interval_seconds: 0.2\n" + "".join(
            f"  {s}\n" for s in sections), 1)
    text = text.replace("  names: [Tulpair, Tulp Air]\n", "  names: [Tulpair, Tulp Air]\n"
                        "  mastodon_handles: [tulpair@mastodon.social]\n  bluesky_handles: [tulpair.bsky.social]\n")
    path.write_text(text, encoding="utf-8")
    return path


def many(m: FakeMastodon, b: FakeBluesky, n: int) -> None:
    """n more mention notifications on each network."""
    start = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
    for i in range(n):
        item = copy.deepcopy(MASTO["notifications"][0])
        item["id"] = str(600_000 + i)
        item["status"]["id"] = str(113_700_000_000_000_000 + i)
        item["status"]["content"] = f"<p>@tulpair waar is koffer {i}?</p>"
        m.add(item)
        post = copy.deepcopy(BSKY["notifications"][3])
        post["uri"] = f"at://did:plc:joost000000000000000000/app.bsky.feed.post/3lbmany{i:06d}"
        post["indexedAt"] = post["record"]["createdAt"] = (start + timedelta(seconds=i)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z")
        post["record"]["text"] = f"@tulpair.bsky.social mijn geld {i}?"
        b.add(post)


def by_platform(db: Path) -> dict[str, int]:
    return {str(p): int(n) for p, n in query(db, "select platform, count(*) from mentions group by platform")}


def run_daemon(daemon: Daemon, until: Callable[[Daemon], bool]) -> None:
    run_in_thread_until(daemon, until, seconds=60)


def test_a_daemon_run_with_every_source_stores_each_post_once_and_sends_only_reads(
        write_config: Callable[..., Path], fakes: tuple[FakeMastodon, FakeBluesky], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    m, b = fakes
    fx = FakeX().start()
    monkeypatch.setenv("X_BEARER_TOKEN", X_TOKEN)
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", APP_PASSWORD)
    # Each network fails once on the way: the others go on, and the failed one catches up.
    m.fail("notifications", Reply(429, TOO_MANY, reset_in(1)))
    b.fail("app.bsky.notification.listNotifications", Reply(503, UNAVAILABLE))
    try:
        daemon = Daemon(config(write_config, m, b, x=True))
        names = [s.source.name for s in daemon.scheduled]
        assert names == ["replay", "x:mentions:Tulpair", "mastodon:mentions", "bluesky:mentions"]
        x_source = daemon.scheduled[1].source
        assert isinstance(x_source, XMentionsSource)
        forward(x_source.client, fx)
        want = {"x": REPLAY + X_POSTS, "mastodon": 6, "bluesky": 5}

        def done(d: Daemon) -> bool:
            return by_platform(d.store.path) == want and d.store.db.execute(
                "select count(*) from mentions where state != 'done'").fetchone()[0] == 0

        run_daemon(daemon, done)
    finally:
        fx.stop()
    db = tmp_path / "webcare.db"
    assert by_platform(db) == want
    store = Store(db)
    assert_once_each(store, sum(want.values()))
    assert store.mentions.checkpoint("mastodon:mentions") == "400008"
    assert store.mentions.checkpoint("bluesky:mentions") == "2026-11-20T09:07:00.000Z"
    assert store.mentions.checkpoint("replay") is not None and store.mentions.checkpoint("x:mentions:Tulpair") is not None
    store.close()
    assert {s.method for s in fx.seen} == {"GET"} and {s.method for s in m.seen} == {"GET"}
    assert {s.path for s in b.seen if s.method != "GET"} == {"/xrpc/com.atproto.server.createSession"}
    assert len(m.calls("notifications")) >= 3 and len(b.calls("app.bsky.notification.listNotifications")) >= 3


@pytest.mark.slow
def test_sigkill_and_restart_store_each_mastodon_and_bluesky_post_exactly_once(
        write_config: Callable[..., Path], fakes: tuple[FakeMastodon, FakeBluesky], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    m, b = fakes
    n = 300
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", APP_PASSWORD)
    # Each poll reads two pages of ten: a backlog of 300 takes many polls, so the kill lands in the middle of it.
    m.page_size, b.page_size = 10, 10
    path = config(write_config, m, b, max_pages=2, interval=0.1)
    db = tmp_path / "webcare.db"
    proc = start_daemon(path)
    try:
        wait_for(lambda: len(query(db, "select source from checkpoints where source like '%:mentions'")) == 2,
                 timeout=90)
        many(m, b, n)  # posts arrive after the first poll: Mastodon pages forward, Bluesky back to its checkpoint
        wait_for(lambda: by_platform(db).get("mastodon", 0) > 60 and by_platform(db).get("bluesky", 0) > 60,
                 timeout=90)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    before = by_platform(db)
    assert before["mastodon"] < n + 6 and before["bluesky"] < n + 5, before
    restarted = start_daemon(path)
    try:
        wait_for(lambda: by_platform(db) == {"x": REPLAY, "mastodon": n + 6, "bluesky": n + 5}
                 and count(db, "select count(*) from mentions where state != 'done'") == 0, timeout=120)
    finally:
        restarted.send_signal(signal.SIGTERM)
        out, err = restarted.communicate(timeout=30)
    assert restarted.returncode == 0, err[-2000:]
    store = Store(db)
    assert_once_each(store, REPLAY + n + 6 + n + 5)
    assert store.mentions.checkpoint("mastodon:mentions") == str(600_000 + n - 1)
    store.close()


def test_the_mastodon_token_and_the_bluesky_app_password_are_masked_in_logs(
        write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "masto-secret-token-123")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    settings = load_settings(write_config())
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(settings, stream=out)
    try:
        logging.getLogger("bot.test").warning("login with abcd-efgh-ijkl-mnop, token masto-secret-token-123")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    assert out.getvalue().rstrip().endswith("bot.test: login with ***, token ***")
