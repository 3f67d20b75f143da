"""The queue from a terminal: listing with its limits, safe text, and clear errors for bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import load_settings
from bot.daemon import Daemon
from bot.mention import Author, Mention, find_handles
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
        store.mentions.store_batch("replay", [m], str(i))
        store.decisions.record_outcome(m, Outcome("queued", label="queue", priority="normal", reasons=("asks a question",)))
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


def test_another_agent_cannot_release_or_resolve_a_claimed_item(write_config: Callable[..., Path]) -> None:
    # Issue 17, item 11: any agent could release or resolve another agent's claim.
    config = write_config()
    store = queued_store(config, 1)
    store.queue.claim(1, "ann")
    refused = "Error: queue item 1 is claimed by ann; only ann can {} it (a lead can take it over first)\n"
    assert run(config, "queue", "release", "1", "--agent", "bob") == (1, refused.format("release"))
    assert run(config, "queue", "resolve", "1", "--agent", "bob") == (1, refused.format("resolve"))
    assert run(config, "queue", "dismiss", "1", "--reason", "done", "--agent", "bob") == (1, refused.format("dismiss"))
    assert store.queue.get_item(1).status.value == "claimed"
    assert run(config, "queue", "resolve", "1", "--agent", "ann") == (0, "#1 resolved by ann\n")
    code, out = run(config, "queue", "show", "1")
    assert out.splitlines()[0] == "#1 x:1  resolved by ann"


def test_the_agent_comes_from_the_option_then_the_environment_then_the_login(
        write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config()
    store = queued_store(config, 3)
    monkeypatch.setenv("LOGNAME", "loginname")
    monkeypatch.setenv("USER", "loginname")
    assert run(config, "queue", "claim", "1") == (0, "#1 claimed by loginname\n")
    monkeypatch.setenv("WEBCARE_AGENT", "envagent")
    assert run(config, "queue", "claim", "2") == (0, "#2 claimed by envagent\n")
    assert run(config, "queue", "claim", "3", "--agent", "optagent") == (0, "#3 claimed by optagent\n")
    assert run(config, "queue", "resolve", "2") == (0, "#2 resolved by envagent\n")
    code, out = run(config, "queue", "list", "--status", "all")
    assert [line.split()[3] for line in out.splitlines()] == ["[loginname]", "[envagent]", "[optagent]"]
    actors = [r[0] for r in store.db.execute("select actor from audit_log where action != 'enqueue' order by id")]
    assert actors == ["loginname", "envagent", "optagent", "envagent"]


def test_show_prints_the_conversation_due_time_and_history(write_config: Callable[..., Path]) -> None:
    config = write_config()
    store = queued_store(config, 1)
    later = datetime.now(timezone.utc) + timedelta(minutes=12, seconds=30)
    store.db.execute("update queue_items set due_at = ?", [later.isoformat(timespec="microseconds")])
    store.queue.claim(1, "ann")
    code, out = run(config, "queue", "show", "1")
    assert code == 0
    assert f"priority: normal, due {later:%Y-%m-%d %H:%M} UTC (due in 12m)" in out
    assert "@user1\n@Tulpair waar is mijn koffer? #1\n" in out
    assert out.splitlines()[-1].endswith("  ann: claimed")
    assert later.isoformat() not in out


def test_export_writes_the_queue_as_csv_safe_for_spreadsheets(write_config: Callable[..., Path],
                                                               tmp_path: Path) -> None:
    config = write_config()
    store = queued_store(config, 2, "=HYPERLINK(\"http://evil\") @Tulpair waar is mijn koffer? #{i}")
    store.queue.claim(2, "ann")
    code, out = run(config, "queue", "export")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:4] == ["id", "status", "priority", "holder"] and len(rows) == 3
    assert {r[0]: r[3] for r in rows[1:]} == {"1": "", "2": "ann"}
    assert rows[1][rows[0].index("text")].startswith("'=HYPERLINK(")
    target = tmp_path / "queue.csv"
    code, out = run(config, "queue", "export", "--status", "claimed", "-o", str(target))
    assert (code, out) == (0, f"wrote 1 items to {target}\n")
    assert [r[0] for r in csv.reader(io.StringIO(target.read_text(encoding="utf-8")))] == ["id", "2"]


def test_why_says_when_the_bot_gave_up_on_a_mention(write_config: Callable[..., Path]) -> None:
    config = write_config()
    store = Store(load_settings(config).database_path)
    m = Mention("x", "7", "@Tulpair hi", Author("7", "jan"), datetime(2026, 11, 20, tzinfo=timezone.utc))
    store.mentions.store_batch("replay", [m], "1")
    for _ in range(MAX_ATTEMPTS):
        store.mentions.mark_failed(m, "TypeError: boom")
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
    [status] = daemon.store.mentions.source_status()
    assert (status.source, status.last_error_kind, status.errors) == ("replay", "error", 1)


def test_release_note_and_wrongly_routed_from_the_terminal(write_config: Callable[..., Path]) -> None:
    config = write_config()
    store = queued_store(config, 2)
    store.queue.claim(1, "ann")
    assert run(config, "queue", "release", "1", "--agent", "ann") == (0, "#1 is back in the queue\n")
    assert run(config, "queue", "note", "1", "called her back", "--agent", "ann") == (0, "#1: note added\n")
    assert store.queue.get_item(1).note == "ann: called her back"
    assert run(config, "queue", "wrong", "2", "--label", "about", "--agent", "ann") == (
        0, "#2 marked wrongly routed (about); thanks, it becomes training feedback\n")
    assert [(f.kind, f.label) for f in store.queue.feedback()] == [("wrongly_routed", "about")]
