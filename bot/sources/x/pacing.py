"""Pacing for the X source: X's `x-rate-limit-*` headers read into the shared pacing of bot/sources/pacing.py.

X's limits differ by access tier (Basic allows far fewer mention reads than the published per-app table), so the
headers are trusted over any table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.sources import pacing
from bot.sources.pacing import Backoff, RateState, pause_for

__all__ = ["Backoff", "RateState", "pause_for", "rate_state", "retry_at_after_429"]

PREFIX = "x-rate-limit-"


def rate_state(headers: Mapping[str, str]) -> RateState | None:
    """The window from `x-rate-limit-remaining` and `x-rate-limit-reset` (epoch seconds); None when absent."""
    return pacing.rate_state(headers, PREFIX)


def retry_at_after_429(headers: Mapping[str, str], max_wait: float, fallback: float,
                       now: datetime | None = None) -> datetime:
    """When to call again after a 429: the window's reset (plus a second), at most `max_wait` away; `fallback`
    seconds when X sent no usable reset header (tweepy's own wait would spin on that)."""
    return pacing.retry_at_after_429(pacing.header_time(headers, PREFIX + "reset"), max_wait, fallback, now)
