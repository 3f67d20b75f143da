"""The transparent rule classifier: decides on the signals of `features` alone, so every decision can be read
back as the rules that fired. It is the fallback when no trained model is configured, and a baseline."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.mention import Mention
from classifiers.decision import LABELS, Brand, Decision, Label, Priority
from classifiers.features import Signals, extract
from classifiers.priority import assess_priority

__all__ = ["RuleClassifier", "decide_by_rules", "is_addressed"]


def is_addressed(s: Signals) -> bool:
    """Does the post speak TO the brand? Structure first (DM, reply to our post, our handle typed first or
    as a greeting), then the words."""
    if s["is_direct_message"] or s["is_reply_to_brand"]:
        return True
    if s["brand_handle_leading"]:
        # "@Brand is the worst" and "@Brand anyone else down?" are said to followers, not to us.
        talks_about = (s["third_person"] > 0 and s["second_person"] == 0) or s["peer_question"]
        return not talks_about
    if s["brand_vocative"] and not s["brand_handle_after_preposition"]:
        return True
    if s["brand_handle_typed"] and s["second_person"] > 0 and not s["third_person"] and not s["peer_question"]:
        return not s["brand_handle_after_preposition"]
    return False


def _scores(s: Signals) -> dict[Label, float]:
    """Rough log-odds per label: the label whose rules fire most wins; softmax turns them into probabilities."""
    score = dict.fromkeys(LABELS, 0.0)
    if s["by_brand"]:
        score[Label.IRRELEVANT] += 6
    if s["no_brand_reference"]:
        score[Label.IRRELEVANT] += 4
    if s["spam"]:
        score[Label.IRRELEVANT] += 3
    if s["is_repost"]:
        score[Label.ABOUT] += 4
    needs_care = s["question"] or s["request"] or s["complaint"] > 0
    if is_addressed(s):
        if needs_care:
            score[Label.QUEUE] += 3 + s["complaint"] + s["request"]
        if s["praise"]:
            score[Label.DIRECT_OTHER] += 2.5 if not (s["request"] or s["question"]) else 0.5
        if not needs_care and not s["praise"]:
            score[Label.QUEUE] += 1.2
            score[Label.DIRECT_OTHER] += 1
    else:
        score[Label.ABOUT] += 2.5
        score[Label.ABOUT] += s["third_person"] + s["peer_question"] + s["news"] + s["brand_handle_inherited_only"]
    return score


def decide_by_rules(mention: Mention, brand: Brand, version: str = "rules-1") -> Decision:
    s = extract(mention, brand)
    score = _scores(s)
    top = max(score.values())
    exp = {label: math.exp(v - top) for label, v in score.items()}
    total = sum(exp.values())
    probabilities = {label.value: exp[label] / total for label in LABELS}
    label = max(LABELS, key=lambda lab: probabilities[lab.value])
    priority, priority_reasons = assess_priority(mention.text) if label is Label.QUEUE else (Priority.LOW, ())
    return Decision(
        label=label,
        probabilities=probabilities,
        priority=priority,
        reasons=tuple(s.reasons.values()),
        priority_reasons=priority_reasons,
        features={k: v for k, v in s.values.items() if v},
        model_version=version,
    )


class RuleClassifier:
    """The rules as a classifier (the estimator contract: cheap constructor, `load`, batch in, batch out)."""

    version = "rules-1"

    def load(self) -> RuleClassifier:
        return self

    def classify(self, mentions: Sequence[Mention], brand: Brand) -> list[Decision]:
        return [decide_by_rules(m, brand, self.version) for m in mentions]
