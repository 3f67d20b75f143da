"""The CLI shows stored text the way the web app does: a hostile handle, name, link, post, note or dismiss reason
cannot send escape sequences to the terminal (clear the screen, retitle the window, plant a hidden link)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import load_settings
from bot.daemon import Daemon

CLEAR, TITLE, LINK = "\x1b[2J", "\x1b]0;pwned\x07", "\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\"


def test_queue_show_and_why_print_escape_sequences_as_visible_symbols(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    stream = tmp_path / "s.jsonl"
    stream.write_text(json.dumps({
        "platform": "x", "id": "666", "url": f"https://x.com/e/status/666{LINK}",
        "author": {"id": "9", "handle": f"ev{CLEAR}il", "name": f"Eve{TITLE}"},
        "text": f"@Tulpair waar is mijn koffer? {CLEAR}{LINK}", "created_at": "2026-11-20T08:00:00Z",
    }) + "\n", encoding="utf-8")
    config = str(write_config(stream=stream))
    Daemon(config, load_settings(config)).run_once()
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--config", config, *args])
        assert result.exit_code == 0, result.output
        return result.output

    [item_id] = [line.split()[0] for line in run("queue", "list").splitlines()]
    run("queue", "note", item_id, f"call back {TITLE}")
    run("queue", "dismiss", item_id, "--reason", f"spam {CLEAR}")
    for out in (run("queue", "show", item_id), run("why", "x:666"), run("queue", "list", "--status", "all")):
        assert "\x1b" not in out and "\x07" not in out, out
    shown = run("queue", "show", item_id)
    assert "from:     @ev␛[2Jil (Eve␛]0;pwned␇)" in shown
    assert "link:     https://x.com/e/status/666␛]8;;https://evil.example/␛\\here␛]8;;␛\\" in shown
    assert "call back ␛]0;pwned␇" in shown and "dismissed: spam ␛[2J" in shown
    assert "@Tulpair waar is mijn koffer? ␛[2J␛]8;;" in run("why", "x:666")
