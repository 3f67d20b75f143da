"""The daemon as ops run it: a real process on a replay stream, --once, SIGTERM, SIGKILL and restart."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, STREAM, WEBCARE

pytestmark = pytest.mark.slow


def generate_stream(path: Path, n: int) -> Path:
    """n distinct mentions, made by giving the fixture's well-formed lines new ids."""
    templates = []
    for line in STREAM.read_text(encoding="utf-8").splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if isinstance(d.get("text"), str):
            templates.append(d)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            d = dict(templates[i % len(templates)], id=str(10_000 + i))
            d["text"] = f"{d['text']} #{i}"
            f.write(json.dumps(d) + "\n")
    return path


def start_daemon(config: Path, *args: str) -> subprocess.Popen[str]:
    """`webcare --config CONFIG run ARGS`, as ops start the daemon."""
    return subprocess.Popen([*WEBCARE, "--config", str(config), "run", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        conn.close()


def count(db: Path, sql: str = "select count(*) from mentions") -> int:
    rows = query(db, sql)
    return int(rows[0][0]) if rows else 0


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_once_twice_over_the_same_stream_stores_every_mention_once(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config()
    first = start_daemon(config, "--once")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "fetched 10, stored 10 new" in out
    again = start_daemon(config, "--once")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "fetched 0, stored 0 new" in out
    db = tmp_path / "webcare.db"
    assert count(db) == 10
    assert count(db, "select count(distinct platform || ':' || id) from mentions") == 10
    assert count(db, "select count(*) from mentions where state != 'done'") == 0


def test_a_malformed_replay_line_is_logged_with_its_line_number_and_the_run_goes_on(
        write_config: Callable[..., Path], tmp_path: Path) -> None:
    proc = start_daemon(write_config(), "--once")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert f"{STREAM} line 6: skipped a malformed mention: Expecting value: line 1 column 1 (char 0)" in err
    assert f"{STREAM} line 10: skipped a malformed mention: field 'text' must be a string, got int" in err
    db = tmp_path / "webcare.db"
    assert query(db, "select location from rejects order by id") == [(f"{STREAM}:6",), (f"{STREAM}:10",)]
    assert count(db) == 10  # the 10 good lines, before and after the bad ones


def test_sigterm_finishes_and_exits_0_within_10_seconds(write_config: Callable[..., Path], tmp_path: Path) -> None:
    stream = generate_stream(tmp_path / "big.jsonl", 3000)
    proc = start_daemon(write_config(stream=stream, batch_size=200))
    db = tmp_path / "webcare.db"
    wait_for(lambda: count(db) > 0)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert time.monotonic() - started < 10
    # Whatever was stored was decided: the batch in hand was finished, nothing left half-done.
    stored = count(db)
    checkpoint = int(query(db, "select value from checkpoints where source = 'replay'")[0][0])
    assert stored == checkpoint


def test_a_full_run_opens_no_network_connection(write_config: Callable[..., Path]) -> None:
    """The bot sends nothing to any platform: a demo run under an audit hook makes no outside connection at all
    (only loopback is tolerated, for the local web app)."""
    code = (
        "import sys\n"
        "seen = []\n"
        "def hook(event, args):\n"
        "    if event == 'socket.connect': seen.append(repr(args[1]))\n"
        "sys.addaudithook(hook)\n"
        "from bot.cli import main\n"
        "try:\n"
        f"    main(['--config', {str(write_config())!r}, 'run', '--once'])\n"
        "except SystemExit as e:\n"
        "    rc = e.code\n"
        "outside = [a for a in seen if '127.0.0.1' not in a and 'localhost' not in a]\n"
        "print('CONNECTIONS', outside)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "CONNECTIONS []" in proc.stdout
    assert "fetched 10" in proc.stdout
