"""bot/decide.py: the one filter -> classify -> route path. The pipeline stores what it says; without the
queue's history (the what-if diff) it decides the same labels and filters; a mention the classifier fails on
comes back with its error while the others are decided."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.config.settings import Settings, load_settings
from bot.decide import decide
from bot.pipeline import Pipeline
from bot.sources.replay import ReplaySource, mention_from_line
from bot.store import Store
from bot.vocabulary import Label, OutcomeKind
from classifiers import RuleClassifier
from tests.conftest import ROOT, STREAM
from tests.test_faults import POISON, PoisonedRules


def test_the_pipeline_stores_the_labels_and_filters_that_decide_gives(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "config" / "demo.yaml")  # the demo: threads, follow-ups, our replies
    stream = settings.resolve(settings.sources.replay.path)
    mentions = ReplaySource(stream, 10_000).fetch(None).mentions
    classifier = RuleClassifier().load()
    verdicts = list(decide(mentions, settings, classifier))
    assert [v.mention.key for v in verdicts] == [m.key for m in mentions]

    store = Store(tmp_path / "webcare.db")
    Pipeline(store, lambda: settings, classifier).poll(ReplaySource(stream, 10_000))
    store.close()
    with sqlite3.connect(tmp_path / "webcare.db") as db:
        stored = {f"{p}:{i}": (o, label, reason) for p, i, o, label, reason in db.execute(
            "select platform, mention_id, outcome, label, filter_reason from decisions")}
    assert len(stored) == len(verdicts)
    for v in verdicts:
        outcome, label, reason = stored[v.mention.key]
        assert (label, reason or None) == (v.label, v.filter_reason), v.mention.key
        assert (outcome == OutcomeKind.FILTERED) is (v.outcome is OutcomeKind.FILTERED), v.mention.key
    # With the queue's history the pipeline joins follow-ups to their items; without it nothing joins.
    assert OutcomeKind.JOINED in {outcome for outcome, _, _ in stored.values()}
    assert not any(v.joins for v in verdicts)
    assert {v.outcome for v in verdicts} == {OutcomeKind.QUEUED, OutcomeKind.NOT_QUEUED, OutcomeKind.FILTERED}


def test_a_mention_the_classifier_fails_on_comes_back_with_its_error_and_the_others_are_decided(
        settings: Settings) -> None:
    mentions = ReplaySource(STREAM, 100).fetch(None).mentions
    lines = STREAM.read_text(encoding="utf-8").splitlines()
    data = json.loads(lines[0]) | {"id": "2999", "text": f"@Tulpair {POISON} waar is mijn koffer?"}
    poisoned = mention_from_line(data, lines[0])
    verdicts = list(decide([*mentions, poisoned], settings, PoisonedRules().load()))
    *others, failed = verdicts
    assert (failed.error, failed.decision, failed.route) == ("ValueError: cannot classify x:2999: poisoned text",
                                                             None, None)
    assert failed.describe() == "not queued (the classifier failed: ValueError: cannot classify x:2999: poisoned text)"
    assert all(v.error is None and (v.decision or v.filter_reason) for v in others)
    assert any(v.label is Label.QUEUE for v in others)
