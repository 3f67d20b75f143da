"""The classifier's vocabulary: labels, priorities, the brand it judges for, and the `Decision` it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.mention import Mention


class Label(StrEnum):
    QUEUE = "queue"  # addressed to the brand and needs care
    DIRECT_OTHER = "direct_other"  # addressed to the brand, nothing to act on
    ABOUT = "about"  # the brand discussed with others or the public
    IRRELEVANT = "irrelevant"  # no real brand reference, spam, the brand's own posts


LABELS: tuple[Label, ...] = tuple(Label)


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for urgent .. 3 for low: sorts the most pressing first."""
        return list(Priority).index(self)

    def raised_to(self, other: Priority) -> Priority:
        return other if other.rank < self.rank else self


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
