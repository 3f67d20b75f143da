"""Builds the classifier the config asks for (kept out of the classifier package, which knows no config)."""

from __future__ import annotations

from bot.settings import Settings
from classifiers import Classifier, RuleClassifier


def build_classifier(settings: Settings) -> Classifier:
    return RuleClassifier().load()
