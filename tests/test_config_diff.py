"""`webcare config diff NEW.yaml --since 7d`: the stored mentions of the period run through the current and the
new config side by side. Over a stored set whose outcomes we know, the counts entering and leaving the queue
by label and priority are exact, and nothing is written."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import load_settings
from bot.sources.replay import mention_from_line
from bot.store import Store
from tests.conftest import FIXTURES

NEW = """\
filters:
  exclude_keywords: [giveaway]
  languages: [nl, en]
routing:
  praise_to_queue: true
priority_rules:
  - name: bagage
    raise_to: high
    languages: [nl]
    keywords: [koffer]
"""


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """tests/fixtures/whatif.jsonl stored raw: all posted in the last hours, but 3008, posted 40 days ago."""
    now = datetime.now(timezone.utc)
    mentions = []
    for i, line in enumerate((FIXTURES / "whatif.jsonl").read_text(encoding="utf-8").splitlines()):
        data = json.loads(line)
        age = timedelta(days=40) if data["id"] == "3008" else timedelta(hours=i + 1)
        data["created_at"] = (now - age).isoformat()
        mentions.append(mention_from_line(data, line))
    store = Store(tmp_path / "webcare.db")
    store.mentions.store_batch("replay", mentions, None)
    store.close()
    return tmp_path / "webcare.db"


def diff(current: Path, new: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(current), "config", "diff", str(new), *args])
    return result.exit_code, result.stdout, result.stderr


def table_counts(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"select count(*) from {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("decisions", "queue_items", "audit_log"))
    finally:
        conn.close()


def test_diff_counts_what_enters_and_leaves_the_queue(write_config: Callable[..., Path], stored: Path) -> None:
    current = write_config()
    new = write_config(NEW, name="new.yaml")
    code, out, err = diff(current, new, "--since", "7d", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["mentions"] == 7  # 3008 is older than 7 days
    assert data["current"] | {"file": None} == {
        "file": None, "version": load_settings(current).version, "queued": 5, "filtered": 0,
        "by_label_priority": {"queue/high": 1, "queue/normal": 3, "queue/urgent": 1},
    }
    assert data["new"] | {"file": None} == {
        "file": None, "version": load_settings(new).version, "queued": 4, "filtered": 2,
        "by_label_priority": {"direct_other/low": 1, "queue/high": 2, "queue/urgent": 1},
    }
    assert (data["entering"]["count"], data["entering"]["by_label_priority"]) == (1, {"direct_other/low": 1})
    assert (data["leaving"]["count"], data["leaving"]["by_label_priority"]) == (2, {"queue/normal": 2})
    assert (data["reprioritised"]["count"], data["reprioritised"]["by_label_priority"]) == (1, {"queue/high": 1})
    assert data["entering"]["examples"][0] | {"created_at": None} == {
        "key": "x:3005", "author": "mo", "created_at": None,
        "text": "@Tulpair thanks, the crew on TP212 were lovely! 😍",
        "current": "not queued (direct_other: not a label routing.queue_labels sends to the queue)",
        "new": "queued as direct_other/low",
    }
    assert [(e["key"], e["new"]) for e in data["leaving"]["examples"]] == [
        ("x:3007", "filtered: language 'fr' is not in filters.languages (nl, en)"),
        ("x:3003", "filtered: contains 'giveaway' from filters.exclude_keywords"),
    ]
    assert data["reprioritised"]["examples"][0]["new"] == "queued as queue/high"


def test_diff_writes_nothing(write_config: Callable[..., Path], stored: Path) -> None:
    before = table_counts(stored)
    assert diff(write_config(), write_config(NEW, name="new.yaml"))[0] == 0
    assert table_counts(stored) == before == (0, 0, 0)


def test_diff_prints_counts_and_examples_for_people(write_config: Callable[..., Path], stored: Path) -> None:
    current, new = write_config(), write_config(NEW, name="new.yaml")
    code, out, _ = diff(current, new, "--examples", "1")
    assert code == 0
    assert "7 mention(s) stored since" in out
    assert f"current: {current} (version {load_settings(current).version}): 5 queued, 0 filtered" in out
    assert f"new:     {new} (version {load_settings(new).version}): 4 queued, 2 filtered" in out
    assert "  queue/normal                     3       0      -3\n" in out
    assert "  direct_other/low                 0       1      +1\n" in out
    assert "1 entering the queue:\n  direct_other/low 1\n  x:3005 @mo: @Tulpair thanks" in out
    assert "2 leaving the queue:\n  queue/normal 2\n" in out
    assert "      now: queued as queue/normal; new: filtered: language 'fr' is not in filters.languages (nl, en)" in out


def test_a_longer_period_takes_older_mentions_in(write_config: Callable[..., Path], stored: Path) -> None:
    code, out, _ = diff(write_config(), write_config(NEW, name="new.yaml"), "--since", "6w", "--json")
    assert code == 0
    assert json.loads(out)["mentions"] == 8


def test_an_invalid_new_config_is_refused_like_config_check(write_config: Callable[..., Path], stored: Path) -> None:
    new = write_config("routing:\n  min_probability: 1.5\n", name="new.yaml")
    line = new.read_text(encoding="utf-8").splitlines().index("  min_probability: 1.5") + 1
    assert diff(write_config(), new) == (
        2, "", f"Error: {new} line {line}: routing.min_probability must be between 0 and 1, got 1.5\n"
    )


def test_a_bad_period_is_explained(write_config: Callable[..., Path], stored: Path) -> None:
    code, _, err = diff(write_config(), write_config(NEW, name="new.yaml"), "--since", "a week")
    assert code == 2
    assert "'a week' is not a period; write a number and m, h, d or w, such as 7d" in err


def test_a_period_past_a_century_is_refused(write_config: Callable[..., Path], stored: Path) -> None:
    code, _, err = diff(write_config(), write_config(NEW, name="new.yaml"), "--since", "9999999999d")
    assert code == 2
    assert "'9999999999d' is longer than 100 years; give a shorter period, such as 30d" in err


def test_alert_settings_change_no_decision(write_config: Callable[..., Path], stored: Path) -> None:
    """Alerts watch the queue, they never route: a new alerts section enters and leaves nothing."""
    alerts = "alerts:\n  poll_errors_in_a_row: 2\n  spike:\n    window: hour\n    min_posts: 3\n"
    code, out, err = diff(write_config(), write_config(alerts, name="new.yaml"), "--since", "7d", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["current"]["queued"] == data["new"]["queued"] == 5
    assert (data["entering"]["count"], data["leaving"]["count"], data["reprioritised"]["count"]) == (0, 0, 0)
