"""Pacing for the X source: read the rate-limit headers X sends on every answer, stretch the poll interval to
stay inside them, and back off with jitter after a failure. Pure arithmetic on headers and clocks, no I/O.

X's limits differ by access tier (Basic allows far fewer mention reads than the published per-app table), so the
headers are trusted over any table.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["Backoff", "RateState", "pause_for", "rate_state", "retry_at_after_429"]


@dataclass(frozen=True)
class RateState:
    """One endpoint's window as X reported it: requests allowed, left, and when the window resets."""

    limit: int | None
    remaining: int
    reset_at: datetime

    def describe(self) -> str:
        of = f"/{self.limit}" if self.limit is not None else ""
        return f"{self.remaining}{of} requests left, resets at {self.reset_at:%Y-%m-%d %H:%M:%S} UTC"


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_state(headers: Mapping[str, str]) -> RateState | None:
    """The window from `x-rate-limit-remaining` and `x-rate-limit-reset` (epoch seconds); None when absent."""
    remaining, reset = _int(headers, "x-rate-limit-remaining"), _int(headers, "x-rate-limit-reset")
    if remaining is None or reset is None:
        return None
    return RateState(_int(headers, "x-rate-limit-limit"), remaining, datetime.fromtimestamp(reset, timezone.utc))


def pause_for(state: RateState | None, interval: float, calls_per_poll: int, max_wait: float,
              now: datetime | None = None) -> float | None:
    """Seconds to wait before the next poll so the window's remaining requests last until its reset, or None
    when the configured interval is already slow enough. `calls_per_poll` counts every poll that draws on the
    same window (several brand accounts share the mentions endpoint's limit)."""
    if state is None:
        return None
    now = now or datetime.now(timezone.utc)
    left = max(0.0, (state.reset_at - now).total_seconds())
    if state.remaining <= 0:
        pause = left + 1  # the reset second itself may still be counted against us
    else:
        pause = left * max(calls_per_poll, 1) / state.remaining
    pause = min(pause, max_wait)
    return pause if pause > interval else None


def retry_at_after_429(headers: Mapping[str, str], max_wait: float, fallback: float,
                       now: datetime | None = None) -> datetime:
    """When to call again after a 429: the window's reset (plus a second), at most `max_wait` away; `fallback`
    seconds when X sent no usable reset header (tweepy's own wait would spin on that)."""
    now = now or datetime.now(timezone.utc)
    reset = _int(headers, "x-rate-limit-reset")
    if reset is not None:
        wait = (datetime.fromtimestamp(reset, timezone.utc) - now).total_seconds() + 1
    else:
        wait = fallback
    return now + timedelta(seconds=min(max(wait, 1.0), max_wait))


class Backoff:
    """Exponential back-off with jitter after consecutive failures: base, 2x, 4x ... capped, each delay drawn
    between half and all of its step so that several bots do not retry in step."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        self.failures += 1
        step = min(self.cap, self.base * 2 ** (self.failures - 1))
        return self._rng.uniform(step / 2, step)

    def reset(self) -> None:
        self.failures = 0
