"""What the classifier is given and gives back: the brand it judges for and the `Decision` (its labels and
priorities are the product's vocabulary, `bot.vocabulary`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.mention import Mention
from bot.vocabulary import LABELS, Label, Priority

__all__ = ["LABELS", "Brand", "Classifier", "Decision", "Label", "Priority"]


@dataclass(frozen=True)
class Brand:
    """Who the classifier judges for: handles without @, and the names people write."""

    handles: tuple[str, ...]
    names: tuple[str, ...] = ()
    own_accounts: tuple[str, ...] = ()

    @classmethod
    def of(cls, handles: Sequence[str], names: Sequence[str] = (), own_accounts: Sequence[str] = ()) -> Brand:
        return cls(tuple(h.lstrip("@") for h in handles), tuple(names), tuple(a.lstrip("@") for a in own_accounts))


@dataclass(frozen=True)
class Decision:
    label: Label
    probabilities: dict[str, float]
    priority: Priority
    reasons: tuple[str, ...]  # in an agent's words: "addressed: reply to our post", "asks a question"
    priority_reasons: tuple[str, ...] = ()
    features: dict[str, float] = field(default_factory=dict)  # the signals that fired, by name
    model_version: str = ""

    @property
    def confidence(self) -> float:
        return self.probabilities.get(self.label.value, 0.0)


class Classifier(Protocol):
    version: str

    def load(self) -> Classifier: ...

    def classify(self, mentions: Sequence[Mention], brand: Brand) -> list[Decision]: ...
