"""Stats for the team: volume per day by label, time to first claim and to resolve (median and 90th
percentile), and service-level breaches per priority. Pure functions of the rows the store hands out."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from bot.store import QueueTimes
from bot.text.due import span, stored_time
from bot.vocabulary import LABELS, PRIORITIES, OutcomeKind, Priority, Status

# The volume chart's series: each label, then the mentions the filters set aside before the classifier.
SERIES: tuple[str, ...] = (*LABELS, OutcomeKind.FILTERED)
_CLOSED = (Status.RESOLVED, Status.DISMISSED)


@dataclass(frozen=True)
class Spread:
    """Durations in seconds: how many, the median and the 90th percentile (None when there are none)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Breaches:
    priority: Priority
    items: int  # items with a due time
    on_time: int  # closed before they were due
    late: int  # closed after they were due
    overdue: int  # still open and past due now


def days_between(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def volume(rows: Iterable[tuple[str, str, int]], days: Sequence[date]) -> dict[str, list[int]]:
    """Counts per label (SERIES order), one per day of `days`."""
    index = {d.isoformat(): i for i, d in enumerate(days)}
    out = {label: [0] * len(days) for label in SERIES}
    for day, label, n in rows:
        if day in index:
            out.setdefault(label, [0] * len(days))[index[day]] += n
    return out


def spread(seconds: Sequence[float]) -> Spread:
    if not seconds:
        return Spread(0, None, None)
    if len(seconds) == 1:
        return Spread(1, seconds[0], seconds[0])
    return Spread(len(seconds), statistics.median(seconds),
                  statistics.quantiles(seconds, n=10, method="inclusive")[8])


def to_first_claim(items: Iterable[QueueTimes]) -> Spread:
    """From entering the queue to the first claim, over the items that were claimed."""
    return spread([(c - e).total_seconds() for i in items
                   if (c := stored_time(i.first_claim_at)) and (e := stored_time(i.created_at))])


def to_resolve(items: Iterable[QueueTimes]) -> Spread:
    """From entering the queue to being resolved (dismissed items are not answers and do not count)."""
    return spread([(c - e).total_seconds() for i in items
                   if i.status == Status.RESOLVED and (c := stored_time(i.closed_at))
                   and (e := stored_time(i.created_at))])


def breaches(items: Iterable[QueueTimes], now: datetime | None = None) -> list[Breaches]:
    """Per priority: items closed in time, closed late, and open past their due time."""
    now = now or datetime.now(timezone.utc)
    counts: dict[str, list[int]] = {p: [0, 0, 0, 0] for p in PRIORITIES}
    for i in items:
        due = stored_time(i.due_at)
        if due is None or i.priority not in counts:
            continue
        c = counts[i.priority]
        c[0] += 1
        closed = stored_time(i.closed_at) if i.status in _CLOSED else None
        if closed is not None:
            c[1 if closed <= due else 2] += 1
        elif now > due:
            c[3] += 1
    return [Breaches(p, *counts[p]) for p in PRIORITIES]


def duration(seconds: float | None) -> str:
    """'-', '45s', '12m', '3h 5m', '2d 4h'."""
    return "-" if seconds is None else span(round(seconds))
