"""Listening: how many mentions were about the brand each day, and the words and two-word phrases that rose
this week against the week before. A pure function of (day, text) pairs; it answers no one.

Terms and the test are those of the spike alerts (bot/terms.py, bot/spikes.py): the same stop words, and a term
rises when its count is unlikely under its share of last week's posts, so a busier week lifts nothing by itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.spikes import RisingTerm, rising_terms
from bot.terms import TermCounts, brand_ignore, stop_words, terms

__all__ = ["Listening", "listen"]

# Looser than an alert: the page lists what is worth a look, an alert what is worth a message.
PAGE_P_VALUE = 0.05
PAGE_MIN_RATIO = 1.5


@dataclass(frozen=True)
class Listening:
    until: date
    days: tuple[tuple[date, int], ...]  # the last two weeks, oldest first, with the count of `about` mentions
    rising: tuple[RisingTerm, ...]

    @property
    def this_week_total(self) -> int:
        return sum(n for _, n in self.days[-7:])

    @property
    def last_week_total(self) -> int:
        return sum(n for _, n in self.days[:-7])


def listen(posts: Iterable[tuple[str, str]], until: date, brand_words: Sequence[str] = (), top: int = 15,
           min_count: int = 2, languages: tuple[str, ...] = ("en", "nl")) -> Listening:
    """Count `about` posts per day over the two weeks ending `until` and rank the terms of the last seven days
    against the seven before. A term needs `min_count` posts this week to be listed at all."""
    start = until - timedelta(days=13)
    split = until - timedelta(days=6)
    ignore, stop = brand_ignore(brand_words), stop_words(languages)
    per_day: Counter[date] = Counter()
    this_week, last_week = TermCounts(), TermCounts()
    for day_text, text in posts:
        day = date.fromisoformat(day_text)
        if not start <= day <= until:
            continue
        per_day[day] += 1
        (this_week if day >= split else last_week).add(terms(text, ignore, stop))
    rising = rising_terms(this_week, last_week, min_count=min_count, alpha=PAGE_P_VALUE, min_ratio=PAGE_MIN_RATIO)
    days = tuple((start + timedelta(days=i), per_day[start + timedelta(days=i)]) for i in range(14))
    return Listening(until, days, tuple(rising[:top]))
