"""Shared fixtures: a clean environment, a real SQLite file in a temp dir, and config files written there."""

from __future__ import annotations

import re
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.config.settings import Settings, load_settings
from bot.store import Store
from tests.fake_x import FakeX, RefusingProxy

if TYPE_CHECKING:
    from bot.daemon import Daemon

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STREAM = FIXTURES / "stream.jsonl"
# `webcare ...` in a process of its own, run from this checkout (.venv/bin/webcare imports whichever checkout is
# installed), as ops start it: `[*WEBCARE, "--config", path, "run"]`.
WEBCARE = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(prog_name='webcare'))"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's credentials or config choice; no library reaches for a model hub."""
    for name in ("X_BEARER_TOKEN", "MASTODON_ACCESS_TOKEN", "BLUESKY_APP_PASSWORD", "WEBCARE_CONFIG", "WEBCARE_AGENT",
                 "WEBCARE_STATE_DIR", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config file into tmp_path. The default replays tests/fixtures/stream.jsonl into tmp_path/webcare.db
    with the rule classifier; `extra` is YAML appended; `sources` replaces the sources section."""

    def write(extra: str = "", *, stream: Path = STREAM, batch_size: int = 100, name: str = "config.yaml",
              classifier: str = "rules", sources: str | None = None) -> Path:
        text = textwrap.dedent(f"""\
            brand:
              name: Tulpair
              handles: [Tulpair, TulpairHelp]
              names: [Tulpair, Tulp Air]
            sources:
              replay:
                enabled: true
                path: {stream}
                batch_size: {batch_size}
                interval_seconds: 0.2
            classifier:
              kind: {classifier}
            web:
              port: 0
            storage:
              database: {tmp_path / 'webcare.db'}
            """)
        if sources is not None:  # YAML for the sources section, in place of the default replay source
            text = re.sub(r"(?m)^sources:\n(?:  .*\n)+", lambda _: "sources:\n" + textwrap.indent(
                textwrap.dedent(sources), "  "), text)
        path = tmp_path / name
        path.write_text(text + textwrap.dedent(extra), encoding="utf-8")
        return path

    return write


@pytest.fixture
def settings(write_config: Callable[..., Path]) -> Settings:
    return load_settings(write_config())


@pytest.fixture
def proxy() -> Iterator[RefusingProxy]:
    """A proxy on 127.0.0.1 that refuses every tunnel: point HTTPS_PROXY at it to make X unreachable."""
    p = RefusingProxy()
    yield p
    p.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "webcare.db")
    yield s
    s.close()


@pytest.fixture
def fake() -> Iterator[FakeX]:
    """A fake X API v2 on 127.0.0.1 (tests/fake_x.py)."""
    f = FakeX().start()
    yield f
    f.stop()


def webcare(*args: str) -> int:
    """`webcare ARGS` in the test's own process (its output reaches capfd); returns its exit code."""
    from bot.cli import main

    try:
        main(list(args), prog_name="webcare", standalone_mode=False)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def run_forever_here(daemon: Daemon) -> int:
    """`daemon.run_forever()` in the test's own process (signals reach it), with the test runner's signal
    handlers put back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        return daemon.run_forever()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
