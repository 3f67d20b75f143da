"""Mention -> label, probabilities, priority and reasons. Imports nothing of the bot but `bot.mention`.

`RuleClassifier` is the transparent rule layer; `TrainedClassifier` puts a trained head on a transformer encoder
and the same rules' features. Both follow one contract: a cheap constructor, `load()` for heavy work,
`classify(mentions, brand)` gives one `Decision` per mention, in order.
"""

from classifiers.decision import Brand, Classifier, Decision, Label, Priority
from classifiers.rules import RuleClassifier

__all__ = ["Brand", "Classifier", "Decision", "Label", "Priority", "RuleClassifier"]
