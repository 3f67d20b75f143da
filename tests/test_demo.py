"""The README's demo, end to end with the real trained classifier: the queue holds the demo's direct requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config.settings import load_settings
from bot.daemon import Daemon
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
DEMO = ROOT / "config" / "demo" / "mentions.jsonl"


def test_the_demo_queue_holds_the_direct_requests(write_config: Callable[..., Path], tmp_path: Path) -> None:
    # The shipped demo config, pointed at a database in tmp_path.
    demo = load_settings(ROOT / "config" / "demo.yaml")
    assert demo.classifier.kind == "trained" and demo.sources.replay.enabled
    config = write_config(stream=DEMO, batch_size=500, classifier="trained")
    daemon = Daemon(config)
    [result] = daemon.run_once()
    expected = {}
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        expected[d["id"]] = d["expected_label"]
    assert result.fetched == len(expected) and result.rejected == 0
    # A customer's follow-ups are in the queue as messages of their open item.
    items = daemon.store.queue.list_queue(None, limit=10_000)
    in_queue = {m.mention_id for item in items for m in daemon.store.conversations.messages(item.id) if not m.is_ours}
    # Precision counts what the classifier and router queued; a thanks that joined its item is context.
    joined = {r[0] for r in daemon.store.db.execute("select mention_id from decisions where outcome = 'joined'")}
    queued = in_queue - joined
    [peter] = [i for i in items if i.author_handle == "peterdekker"]  # four posts and our reply: one item
    assert [m.kind for m in daemon.store.conversations.messages(peter.id)][:5] == ["customer"] * 3 + ["ours", "customer"]
    wanted = {i for i, label in expected.items() if label == "queue"}
    recall = len(queued & wanted) / len(wanted)
    precision = len(queued & wanted) / len(queued)
    assert recall >= 0.95, f"recall {recall:.3f}"
    assert precision >= 0.95, f"precision {precision:.3f}"
    # The two the README tells: a short question in reply to our post is ours to answer; a question to
    # followers ("Anyone know ...?") with our handle inside is not.
    assert "2124179370211347728" in queued  # "@Tulpair geldt dit ook voor vluchten vanaf Eindhoven?", a reply
    assert "2123188684482242003" not in queued  # "So @Tulpair crew are striking tomorrow ... Anyone know ...?"
    # Every stored mention has an outcome, with the model's and the config's version on it.
    versions = set(daemon.store.db.execute("select model_version, config_version from decisions where outcome != 'filtered'").fetchall())
    assert versions == {(daemon.classifier.version, daemon.settings.version)}
