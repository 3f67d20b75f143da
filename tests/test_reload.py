"""Hot reload while the daemon runs as a real process: a valid change takes effect at the next poll and the
decisions made under it carry the new version; an invalid one is refused with the `config check` message and
the running config stays; SIGHUP re-reads the file at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config.settings import load_settings
from bot.errors import ConfigError
from tests.conftest import STREAM
from tests.test_daemon import query, start_daemon, wait_for

pytestmark = pytest.mark.slow


def lines_by_id() -> dict[str, str]:
    found = {}
    for line in STREAM.read_text(encoding="utf-8").splitlines():
        try:
            found[str(json.loads(line)["id"])] = line
        except (ValueError, KeyError, TypeError):
            continue
    return found


class Log:
    """The daemon's stderr, read line by line in a thread so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    def close(self, proc: subprocess.Popen[str]) -> None:
        self._thread.join(timeout=10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, fragment: str) -> None:
        wait_for(lambda: fragment in self.text, timeout=60)


def decisions(db: Path) -> dict[str, tuple[object, ...]]:
    rows = query(db, "select mention_id, outcome, filter_reason, config_version from decisions order by id")
    return {str(r[0]): r[1:] for r in rows}


def test_reload_valid_then_invalid_change_while_running(write_config: Callable[..., Path], tmp_path: Path) -> None:
    by_id = lines_by_id()
    stream = tmp_path / "stream.jsonl"
    stream.write_text(by_id["2001"] + "\n" + by_id["2002"] + "\n", encoding="utf-8")
    config = write_config(stream=stream)
    db = tmp_path / "webcare.db"
    first_version = load_settings(config).version
    proc = start_daemon(config)
    log = Log(proc)
    try:
        wait_for(lambda: len(decisions(db)) == 2)
        assert {d[2] for d in decisions(db).values()} == {first_version}

        # A valid change: exclude giveaways. It is logged, then a giveaway that arrives is filtered under it.
        with config.open("a", encoding="utf-8") as f:
            f.write("filters:\n  exclude_keywords: [giveaway]\n")
        second_version = load_settings(config).version
        assert second_version != first_version
        log.wait_for(f"config reloaded from {config}: version {first_version} -> {second_version}")
        with stream.open("a", encoding="utf-8") as f:
            f.write(by_id["2005"] + "\n")
        wait_for(lambda: "2005" in decisions(db))
        assert decisions(db)["2005"] == ("filtered", "contains 'giveaway' from filters.exclude_keywords", second_version)

        # An invalid change is refused with the check's message; the next mention is decided under the old one.
        valid_text = config.read_text(encoding="utf-8")
        config.write_text(valid_text + "routing:\n  min_probability: 1.5\n", encoding="utf-8")
        with pytest.raises(ConfigError) as refused:
            load_settings(config)
        message = str(refused.value)
        line = len(valid_text.splitlines()) + 2
        assert message == f"{config} line {line}: routing.min_probability must be between 0 and 1, got 1.5"
        log.wait_for(f"config change refused; the running config (version {second_version}) stays:\n{message}\n")
        with stream.open("a", encoding="utf-8") as f:
            f.write(by_id["2004"] + "\n")
        wait_for(lambda: "2004" in decisions(db))
        assert decisions(db)["2004"][2] == second_version
        assert log.text.count("config change refused") == 1  # reported once, not at every poll

        # Fixed again: the poll sees the file back at the running version.
        config.write_text(valid_text, encoding="utf-8")
        log.wait_for(f"config {config} re-read: no setting changed (version {second_version})")

        # A change that keeps the file's size and time is invisible to the poll; SIGHUP re-reads it at once.
        before = config.stat()
        config.write_text(valid_text.replace("[giveaway]", "[airdrops]"), encoding="utf-8")
        os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert config.stat().st_size == before.st_size
        third_version = load_settings(config).version
        time.sleep(1)
        assert third_version not in log.text
        proc.send_signal(signal.SIGHUP)
        log.wait_for(f"version {second_version} -> {third_version}")
        assert "received SIGHUP: re-reading the config" in log.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close(proc)
    assert proc.returncode == 0, log.text
