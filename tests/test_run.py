"""`webcare run --once` as ops and marketers use it: the config from WEBCARE_CONFIG like every command, the
summary line and where to look next, and exit 2 for a config that needs a person."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import webcare


def test_once_reads_the_config_webcare_config_names_and_prints_the_summary(
        write_config: Callable[..., Path], capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config()
    monkeypatch.setenv("WEBCARE_CONFIG", str(config))
    assert webcare("run", "--once") == 0
    summary, hint = capfd.readouterr().out.splitlines()
    assert summary == ("fetched 10, stored 10 new, queued 4; labels: queue 4, direct_other 1, about 3, irrelevant 1, "
                       "filtered 1")
    assert hint.startswith("Look at the queue: ") and hint.endswith(f"webcare --config {config} queue list")
    assert webcare("run", "--once") == 0
    assert capfd.readouterr().out.startswith("fetched 0, stored 0 new, queued 0;")


def test_an_invalid_config_exits_2_with_its_message_and_no_traceback(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("brand: {name: Tulpair, handles: [Tulpair]}\nrouting: {queue_labels: [queue, later]}\n")
    assert webcare("--config", str(config), "run", "--once") == 2
    assert capfd.readouterr() == ("", f"Error: {config} line 2: routing.queue_labels[1] must be one of 'queue', "
                                      "'direct_other', 'about' or 'irrelevant', got 'later'\n")
