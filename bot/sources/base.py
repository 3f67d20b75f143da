"""The one interface every platform source implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.mention import Mention


@dataclass(frozen=True)
class Reject:
    """Input a source could not turn into a Mention: kept as it came, with where and why."""

    location: str
    reason: str
    raw: str


@dataclass(frozen=True)
class Batch:
    mentions: list[Mention]
    checkpoint: str | None  # where the next fetch starts; None keeps the stored one
    rejects: list[Reject] = field(default_factory=list)  # input that could not be read, kept with the reason
    # A source may ask for a longer pause before its next poll (rate limits): seconds, or None.
    next_poll_after: float | None = None


class Source(Protocol):
    name: str  # unique per deployment: the checkpoint's key ("replay", "x:mentions")

    def fetch(self, checkpoint: str | None) -> Batch: ...
