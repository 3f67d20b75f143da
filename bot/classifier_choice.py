"""Builds the classifier the config asks for (kept out of the classifier package, which knows no config)."""

from __future__ import annotations

from bot.settings import Settings
from classifiers import Classifier, RuleClassifier


def build_classifier(settings: Settings) -> Classifier:
    """The trained classifier by default; `classifier.kind: rules` for the transparent rules alone."""
    options = settings.classifier
    if options.kind == "rules":
        return RuleClassifier()
    from classifiers.trained import TrainedClassifier

    head = settings.resolve(options.model_path) if options.model_path else None
    return TrainedClassifier(head, encoder=options.encoder, batch_size=options.batch_size,
                             precision=options.precision)
