"""Pacing shared by every platform source: a rate-limit window as the platform reported it, the pause that keeps
a source inside it, when to call again after a 429, exponential back-off with a cap and jitter after failures, and
the gate that refuses to call a platform again before the wait it asked for has ended. Pure arithmetic on headers
and clocks, no I/O.

Each platform names its headers differently (X `x-rate-limit-*`, Mastodon `X-RateLimit-*` with an ISO time,
Bluesky `ratelimit-*`); `rate_state` reads any of them by prefix. The headers are trusted over any table.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import logging

from bot.errors import SourceError, SourceUnavailable

log = logging.getLogger(__name__)

__all__ = ["Backoff", "RateState", "RetryGate", "header_time", "next_pause", "pause_for", "rate_state",
           "retry_at_after_429"]

T = TypeVar("T")


@dataclass(frozen=True)
class RateState:
    """One endpoint's window as the platform reported it: requests allowed, left, and when the window resets."""

    limit: int | None
    remaining: int
    reset_at: datetime

    def describe(self) -> str:
        of = f"/{self.limit}" if self.limit is not None else ""
        return f"{self.remaining}{of} requests left, resets at {self.reset_at:%Y-%m-%d %H:%M:%S} UTC"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict (atproto lower-cases, a test may not): look case-insensitively
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = _header(headers, name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def header_time(headers: Mapping[str, str], name: str) -> datetime | None:
    """A reset given as epoch seconds (X, Bluesky) or as an ISO-8601 time (Mastodon)."""
    value = _header(headers, name)
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def rate_state(headers: Mapping[str, str], prefix: str = "x-rate-limit-") -> RateState | None:
    """The window from `<prefix>remaining` and `<prefix>reset`; None when absent or unreadable."""
    remaining, reset = _int(headers, prefix + "remaining"), header_time(headers, prefix + "reset")
    if remaining is None or reset is None:
        return None
    return RateState(_int(headers, prefix + "limit"), remaining, reset)


def pause_for(state: RateState | None, interval: float, calls_per_poll: int, max_wait: float,
              now: datetime | None = None) -> float | None:
    """Seconds to wait before the next poll so the window's remaining requests last until its reset, or None
    when the configured interval is already slow enough. `calls_per_poll` counts every poll that draws on the
    same window (several brand accounts share one endpoint's limit)."""
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


def next_pause(where: str, state: RateState | None, interval: float, calls_per_poll: int,
               max_wait: float) -> float | None:
    """`pause_for`, with a log line when the window makes the source wait longer than its interval."""
    pause = pause_for(state, interval, calls_per_poll, max_wait)
    if pause is not None and state is not None:
        log.info("%s: %s; next poll in %.0fs", where, state.describe(), pause)
    return pause


def retry_at_after_429(reset_at: datetime | None, max_wait: float, fallback: float,
                       now: datetime | None = None) -> datetime:
    """When to call again after a 429: the window's reset (plus a second), at most `max_wait` away; `fallback`
    seconds when the platform sent no usable reset."""
    now = now or datetime.now(timezone.utc)
    wait = (reset_at - now).total_seconds() + 1 if reset_at is not None else fallback
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

    def unavailable(self, where: str, reason: str) -> SourceUnavailable:
        """The error for one more failure in a row (5xx, time-out, broken connection), retried after the next
        delay."""
        delay = self.next_delay()
        retry_at = datetime.now(timezone.utc) + timedelta(seconds=delay)
        return SourceUnavailable(f"{where}: {reason}; retrying in {delay:.0f}s (failure {self.failures} in a row)",
                                 retry_at)


class RetryGate:
    """Remembers a source's last failure: polled again before its `retry_at` (a manual run, a restarted job),
    it raises the same kind of error again without calling the platform."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._blocked: SourceError | None = None

    def run(self, fetch: Callable[[], T]) -> T:
        blocked = self._blocked
        if blocked is not None and blocked.retry_at and datetime.now(timezone.utc) < blocked.retry_at:
            raise type(blocked)(f"{self.name}: still waiting until {blocked.retry_at:%H:%M:%S} UTC after: "
                                f"{str(blocked).removeprefix(self.name + ': ')}", blocked.retry_at)
        try:
            result = fetch()
        except SourceError as e:
            self._blocked = e
            raise
        self._blocked = None
        return result
