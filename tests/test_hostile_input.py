"""Input shaped to break the parsers (found by attacking the daemon): broken bytes in a replay file, oddly shaped
X payloads, config files that attack the YAML reader. Each stays a reject or a message; the rest goes on."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.config.settings import Settings, load_settings
from bot.daemon import Daemon
from bot.errors import ConfigError, SourceUnavailable
from bot.pipeline import Pipeline
from bot.sources.x.client import build_client
from bot.sources.x.source import build_x_sources
from bot.store import Store
from bot.wiring import Scheduled
from classifiers import RuleClassifier
from tests.conftest import run_forever_here, webcare
from tests.fake_x import TOKEN, FakeX, Reply, forward
from tests.test_daemon import start_daemon
from tests.test_daemon import wait_for
from tests.test_reload import Log

GOOD = {"platform": "x", "text": "@Tulpair waar is mijn koffer?", "author": {"handle": "jan"},
        "created_at": "2026-11-20T08:00:00Z"}


ENV = {"X_BEARER_TOKEN": TOKEN}


@pytest.fixture
def x_settings(write_config: Callable[..., Path]) -> Callable[..., Settings]:
    def make(**x: object) -> Settings:
        section = {"enabled": True, "accounts": ["Tulpair"], "backfill_hours": 100_000, "interval_seconds": 0.2,
                   "jitter_seconds": 0, "timeout_seconds": 2, **x}
        return load_settings(write_config(sources=f"x: {json.dumps(section)}\n"))

    return make


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
    assert webcare("--config", str(config), "run", "--once") == 0
    assert webcare("--config", str(config), "run", "--once") == 0
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


# --- X payloads ---------------------------------------------------------------------------------------------------

def x_page(n: int = 100) -> dict[str, object]:
    """A page of `n` well-formed posts shaped like X's mentions timeline, newest first."""
    posts = [{"id": str(2_000_000 + i), "text": f"@Tulpair vraag {i}", "author_id": "1001",
              "created_at": "2026-11-20T09:00:00.000Z",
              "entities": {"mentions": [{"start": 0, "end": 8, "username": "Tulpair", "id": "90001"}]}}
             for i in range(n, 0, -1)]
    users = [{"id": "1001", "username": "sanne_v", "name": "Sanne", "public_metrics": {"followers_count": 3}},
             {"id": "1002", "username": "odd", "name": "Odd", "public_metrics": "n/a"}]
    return {"data": posts, "includes": {"users": users},
            "meta": {"result_count": n, "newest_id": posts[0]["id"], "oldest_id": posts[-1]["id"]}}


@pytest.mark.parametrize("odd", [
    {"entities": {"mentions": ["Tulpair"]}},
    {"entities": {"mentions": [None]}},
    {"id": {"x": 1}},
    {"text": None},
    {"created_at": "gisteren"},
])
def test_one_oddly_shaped_x_post_is_a_reject_and_the_other_99_are_stored(
        odd: dict[str, object], x_settings: Callable[..., Settings], fake: FakeX) -> None:
    page = x_page()
    page["data"][50].update(odd)  # type: ignore[index]
    fake.fail("mentions", Reply(200, page))
    settings = x_settings()
    store = Store(settings.database_path)
    [source] = build_x_sources(settings, store.x_users, client=forward(build_client(settings.sources.x, ENV), fake))
    result = Pipeline(store, lambda: settings, RuleClassifier().load()).poll(source)
    assert (result.error, result.stored, result.rejected) == (None, 99, 1)
    [(location, raw)] = rows(settings.database_path, "select location, raw from rejects")
    assert location.startswith("x:mentions:Tulpair page 1 post ")
    assert json.loads(str(raw))["text"] == page["data"][50]["text"]  # type: ignore[index]
    store.close()


def test_an_author_whose_public_metrics_is_not_an_object_is_stored_without_a_follower_count(
        x_settings: Callable[..., Settings], fake: FakeX) -> None:
    page = x_page()
    page["data"][10]["author_id"] = "1002"  # type: ignore[index]
    fake.fail("mentions", Reply(200, page))
    settings = x_settings()
    batch = build_x_sources(settings, client=forward(build_client(settings.sources.x, ENV), fake))[0].fetch(None)
    assert len(batch.mentions) == 100 and batch.rejects == []
    odd = next(m for m in batch.mentions if m.author.handle == "odd")
    assert odd.author.followers is None


@pytest.mark.parametrize("meta", ["n/a", {"next_token": ["p1"]}, {"oldest_id": "abc", "next_token": "p1"}])
def test_a_page_whose_meta_is_oddly_shaped_is_a_source_error_that_backs_off(
        meta: object, x_settings: Callable[..., Settings], fake: FakeX) -> None:
    page = x_page(3)
    page["meta"] = meta
    fake.fail("mentions", Reply(200, page))
    settings = x_settings()
    source = build_x_sources(settings, client=forward(build_client(settings.sources.x, ENV), fake))[0]
    with pytest.raises(SourceUnavailable) as e:
        source.fetch("1")
    assert e.value.retry_at is not None
    assert str(e.value).startswith("x:mentions:Tulpair: X sent a page whose 'meta' cannot be read (")


# --- config files -------------------------------------------------------------------------------------------------

ALIAS_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))


def config_with(write_config: Callable[..., Path], broken: str) -> Path:
    """A valid config with `broken` appended: the file names and lines in the messages are real."""
    return write_config(broken)


@pytest.mark.parametrize(("broken", "message"), [
    ("routing:\n  min_probability: 0.5\x00\n",
     "line 18: the file holds a control character (U+0000) that YAML does not allow; remove it (it is invisible "
     "in most editors)"),
    ("routing:\n  min_probability: 0.5\x07\n",
     "line 18: the file holds a control character (U+0007) that YAML does not allow; remove it (it is invisible "
     "in most editors)"),
    ("routing:\n  min_probability: " + "[" * 50_000 + "\n",
     "line 18: the brackets nest more than 32 levels deep; a config needs a few levels (sections, lists and rules)"),
    ("routing:\n" + "".join("  " * i + f"  k{i}:\n" for i in range(40)),
     "line 49: the config nests more than 32 levels deep; a config needs a few levels (sections, lists and rules)"),
    (ALIAS_BOMB,
     "line 22: the aliases (*name) expand to more than 100,000 values; a config needs far fewer: write the "
     "values out, or use fewer aliases"),
])
def test_a_hostile_config_is_refused_with_a_message_by_config_check(
        broken: str, message: str, write_config: Callable[..., Path]) -> None:
    config = config_with(write_config, broken)
    result = CliRunner().invoke(cli, ["config", "check", str(config)])
    assert (result.exit_code, result.output) == (2, f"Error: {config} {message}\n")


def test_a_yaml_indentation_error_says_which_key_on_which_line(write_config: Callable[..., Path]) -> None:
    config = config_with(write_config, "routing:\n  min_probability: 0.5\n queue_labels: [queue]\n")
    with pytest.raises(ConfigError) as e:
        load_settings(config)
    assert str(e.value) == (f"{config} line 19: the indentation of 'queue_labels' does not match the lines above "
                            f"it; line it up with the other lines of its section (spaces, two per level)")
    config.write_text(config.read_text().replace(" queue_labels", "   queue_labels"))
    with pytest.raises(ConfigError) as e:
        load_settings(config)
    assert str(e.value) == (f"{config} line 19: the indentation of 'queue_labels' does not match the lines above "
                            f"it; line it up with the other lines of its section (spaces, two per level)")


def test_an_alias_that_is_not_a_bomb_still_works(write_config: Callable[..., Path]) -> None:
    config = write_config("filters:\n  exclude_keywords: &words [giveaway, winactie]\n"
                          "  exclude_authors: *words\n")
    assert load_settings(config).filters.exclude_keywords == ["giveaway", "winactie"]


def test_sighup_with_a_hostile_config_keeps_the_daemon_polling_and_sigterm_stops_it(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config()
    valid = config.read_text(encoding="utf-8")
    proc = start_daemon(config)
    log = Log(proc)
    try:
        log.wait_for("daemon started")
        for broken in ("routing:\n  min_probability: 0.5\x00\n", "routing: " + "[" * 50_000 + "\n", ALIAS_BOMB):
            config.write_text(valid + broken, encoding="utf-8")
            before = log.text.count("config change refused")
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: log.text.count("config change refused") == before + 1, timeout=20)
        assert proc.poll() is None
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert time.monotonic() - stopping < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close(proc)
    assert proc.returncode == 0, log.text
    assert "Traceback" not in log.text


class _BuggySource:
    """A source whose every fetch raises something that is not a SourceError (a bug in a platform's library)."""

    name = "buggy"

    def __init__(self) -> None:
        self.calls = 0

    def fetch(self, checkpoint: str | None) -> object:
        self.calls += 1
        raise AttributeError("'str' object has no attribute 'get'")


def test_a_poll_that_keeps_raising_backs_off_instead_of_spinning(write_config: Callable[..., Path]) -> None:
    config = write_config()
    settings = load_settings(config)
    daemon = Daemon(config, settings.model_copy(update={"web": settings.web.model_copy(update={"enabled": False})}))
    buggy = _BuggySource()
    daemon.scheduled = [Scheduled(buggy, 0.1, 0)]  # type: ignore[arg-type]

    threading.Timer(3, daemon.stop).start()  # the daemon is built: run_forever starts polling at once
    assert run_forever_here(daemon) == 0
    # Every 0.1 s would be 30 polls; doubling pauses (0.2, 0.4, 0.8, 1.6 s) allow five.
    assert 2 <= buggy.calls <= 6
