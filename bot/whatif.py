"""What-if: run stored mentions through the filters, the classifier and the router under two configs, side by
side, and tell which would enter or leave the queue. Writes nothing: `webcare config diff` prints the result.

Repeat-contact raises are left out on both sides: they depend on the queue as it was at the time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.config.settings import Settings
from bot.decide import Verdict, decide
from bot.mention import Mention
from bot.vocabulary import OutcomeKind
from bot.wiring import build_classifier
from classifiers import Classifier

__all__ = ["Change", "WhatIf", "compare", "judge"]

QUEUED, FILTERED = OutcomeKind.QUEUED.value, OutcomeKind.FILTERED.value  # the counts' keys


@dataclass(frozen=True)
class Change:
    mention: Mention
    current: Verdict
    new: Verdict

    def to_dict(self) -> dict[str, Any]:
        m = self.mention
        return {"key": m.key, "author": m.author.handle, "created_at": m.created_at.isoformat(), "text": m.text,
                "current": self.current.describe(), "new": self.new.describe()}


@dataclass(frozen=True)
class WhatIf:
    since: datetime
    mentions: int
    current_version: str
    new_version: str
    current_queued: Counter[str]  # label/priority -> count
    new_queued: Counter[str]
    current_filtered: int
    new_filtered: int
    entering: tuple[Change, ...]
    leaving: tuple[Change, ...]
    reprioritised: tuple[Change, ...]  # queued under both, at another label or priority

    def to_dict(self, examples: int = 3) -> dict[str, Any]:
        def group(changes: Sequence[Change], side: str) -> dict[str, Any]:
            counts = Counter(getattr(c, side).bucket for c in changes)
            return {"count": len(changes), "by_label_priority": dict(sorted(counts.items())),
                    "examples": [c.to_dict() for c in changes[:examples]]}

        return {
            "since": self.since.isoformat(), "mentions": self.mentions,
            "current": {"version": self.current_version, QUEUED: sum(self.current_queued.values()),
                        FILTERED: self.current_filtered, "by_label_priority": dict(sorted(self.current_queued.items()))},
            "new": {"version": self.new_version, QUEUED: sum(self.new_queued.values()),
                    FILTERED: self.new_filtered, "by_label_priority": dict(sorted(self.new_queued.items()))},
            "entering": group(self.entering, "new"),
            "leaving": group(self.leaving, "current"),
            "reprioritised": group(self.reprioritised, "new"),
        }


def judge(mentions: Sequence[Mention], settings: Settings, classifier: Classifier, now: datetime) -> list[Verdict]:
    """The pipeline's verdicts for these mentions under `settings`, computed and returned, never stored. Without
    the queue's history: nothing joins a conversation, no repeat contact is raised."""
    return list(decide(mentions, settings, classifier, now=now))


def compare(mentions: Sequence[Mention], current: Settings, new: Settings, since: datetime,
            classifier_for: Callable[[Settings], Classifier] = build_classifier) -> WhatIf:
    now = datetime.now(timezone.utc)
    current_classifier = classifier_for(current).load()
    # The model is loaded once when both configs ask for the same one.
    new_classifier = current_classifier if new.classifier == current.classifier else classifier_for(new).load()
    before = judge(mentions, current, current_classifier, now)
    after = judge(mentions, new, new_classifier, now)
    changes = [Change(m, b, a) for m, b, a in zip(mentions, before, after, strict=True)]
    return WhatIf(
        since=since, mentions=len(mentions), current_version=current.version, new_version=new.version,
        current_queued=Counter(v.bucket for v in before if v.queued),
        new_queued=Counter(v.bucket for v in after if v.queued),
        current_filtered=sum(v.outcome is OutcomeKind.FILTERED for v in before),
        new_filtered=sum(v.outcome is OutcomeKind.FILTERED for v in after),
        entering=tuple(c for c in changes if c.new.queued and not c.current.queued),
        leaving=tuple(c for c in changes if c.current.queued and not c.new.queued),
        reprioritised=tuple(c for c in changes
                            if c.current.queued and c.new.queued and c.current.bucket != c.new.bucket),
    )
