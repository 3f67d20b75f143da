"""The queue from a terminal: listing with its limits, safe text, and clear errors for bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.daemon import Daemon
from bot.mention import Author, Mention, find_handles
from bot.settings import load_settings
from bot.store import MAX_ATTEMPTS, Outcome, Store


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output


def queued_store(config: Path, n: int, text: str = "@Tulpair waar is mijn koffer? #{i}") -> Store:
    store = Store(load_settings(config).database_path)
    for i in range(1, n + 1):
        body = text.format(i=i)
        m = Mention("x", str(i), body, Author(str(i), f"user{i}"), datetime(2026, 11, 20, tzinfo=timezone.utc),
                    handles=find_handles(body))
        store.store_batch("replay", [m], str(i))
        store.record_outcome(m, Outcome("queued", label="queue", priority="normal", reasons=("asks a question",)))
    return store


def test_list_says_how_many_more_there_are(write_config: Callable[..., Path]) -> None:
    config = write_config()
    queued_store(config, 5)
    code, out = run(config, "queue", "list", "--limit", "2")
    assert code == 0
    assert out.splitlines()[-1] == "... 3 more; show them with --limit 5"
    code, out = run(config, "queue", "list", "--limit", "0")
    assert code == 2 and "Invalid value for '--limit': 0 is not in the range 1<=x<=10000." in out


def test_control_characters_are_shown_not_sent_to_the_terminal(write_config: Callable[..., Path]) -> None:
    config = write_config()
    queued_store(config, 1, "@Tulpair bell\x07 \x1b[31mred \u202egnp.exe")
    code, out = run(config, "queue", "show", "1")
    assert code == 0
    assert "bell␇ ␛[31mred <U+202E>gnp.exe" in out
    assert "\x07" not in out and "\x1b" not in out and "\u202e" not in out


def test_bad_ids_and_names_get_one_line_errors(write_config: Callable[..., Path]) -> None:
    config = write_config()
    queued_store(config, 1)
    assert run(config, "queue", "show", "99999999999999999999999") == (1, "Error: no queue item 99999999999999999999999\n")
    code, out = run(config, "queue", "claim", "1", "--agent", " ")
    assert code == 2 and "Invalid value for '--agent': give the agent's name" in out


def test_resolve_by_another_agent_says_who_closed_it(write_config: Callable[..., Path]) -> None:
    config = write_config()
    store = queued_store(config, 1)
    store.claim(1, "ann")
    assert run(config, "queue", "resolve", "1", "--agent", "bob") == (0, "#1 resolved\n")
    code, out = run(config, "queue", "show", "1")
    assert out.splitlines()[0] == "#1 x:1  resolved by bob"


def test_why_says_when_the_bot_gave_up_on_a_mention(write_config: Callable[..., Path]) -> None:
    config = write_config()
    store = Store(load_settings(config).database_path)
    m = Mention("x", "7", "@Tulpair hi", Author("7", "jan"), datetime(2026, 11, 20, tzinfo=timezone.utc))
    store.store_batch("replay", [m], "1")
    for _ in range(MAX_ATTEMPTS):
        store.mark_failed(m, "TypeError: boom")
    code, out = run(config, "why", "x:7")
    assert code == 0
    assert "last error (5 attempts): TypeError: boom" in out
    assert "given up after 5 failed attempts (last error above); it stays stored" in out


def test_a_failing_poll_is_recorded_for_health_and_fails_once(write_config: Callable[..., Path],
                                                               tmp_path: Path) -> None:
    stream = tmp_path / "stream.jsonl"
    stream.write_text("", encoding="utf-8")
    daemon = Daemon(write_config(stream=stream))  # a missing file is refused here, with the config's line
    stream.unlink()  # removed while the daemon runs
    [result] = daemon.run_once()
    assert (result.error_kind, result.error) == (
        "error", f"error: replay: cannot read {stream} (No such file or directory); put the file back or fix "
                 "sources.replay.path")
    [status] = daemon.store.source_status()
    assert (status["source"], status["last_error_kind"], status["errors"]) == ("replay", "error", 1)


def test_release_note_and_wrongly_routed_from_the_terminal(write_config: Callable[..., Path]) -> None:
    config = write_config()
    store = queued_store(config, 2)
    store.claim(1, "ann")
    assert run(config, "queue", "release", "1", "--agent", "ann") == (0, "#1 is back in the queue\n")
    assert run(config, "queue", "note", "1", "called her back", "--agent", "ann") == (0, "#1: note added\n")
    assert store.get_item(1).note == "ann: called her back"
    assert run(config, "queue", "wrong", "2", "--label", "about", "--agent", "ann") == (
        0, "#2 marked wrongly routed (about); thanks, it becomes training feedback\n")
    assert [(f["kind"], f["label"]) for f in store.feedback()] == [("wrongly_routed", "about")]
