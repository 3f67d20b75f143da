"""Listening: how many mentions were about the brand each day, and the words and two-word phrases that rose
this week against the week before. A pure function of (day, text) pairs; it answers no one.

Terms and the test are those of the spike alerts (bot/text/terms.py, bot/alerts/spikes.py): the same stop words, and a term
rises when its count is unlikely under its share of last week's posts, so a busier week lifts nothing by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.alerts.spikes import RisingTerm, rising_terms
from bot.text.terms import TermCounts, brand_ignore, stop_words, terms

__all__ = ["Listening", "day_terms", "listen", "rank"]

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
    by_day: dict[date, list[str]] = {}
    for day_text, text in posts:
        day = date.fromisoformat(day_text)
        if start <= day <= until:
            by_day.setdefault(day, []).append(text)
    ignore, stop = brand_ignore(brand_words), stop_words(languages)
    return rank({day: day_terms(texts, ignore, stop) for day, texts in by_day.items()}, until, top, min_count)


def day_terms(texts: Iterable[str], ignore: frozenset[str], stop: frozenset[str]) -> TermCounts:
    """One day's posts and their terms: what `rank` takes, and what a caller may keep between looks."""
    counted = TermCounts()
    for text in texts:
        counted.add(terms(text, ignore, stop))
    return counted


def rank(per_day: Mapping[date, TermCounts], until: date, top: int = 15, min_count: int = 2) -> Listening:
    """`listen` from each day's term counts (`day_terms`)."""
    start = until - timedelta(days=13)
    split = until - timedelta(days=6)
    this_week, last_week = TermCounts(), TermCounts()
    for day, counted in per_day.items():
        if start <= day <= until:
            week = this_week if day >= split else last_week
            week.posts += counted.posts
            week.counts.update(counted.counts)
    rising = rising_terms(this_week, last_week, min_count=min_count, alpha=PAGE_P_VALUE, min_ratio=PAGE_MIN_RATIO)
    days = tuple((start + timedelta(days=i), per_day[d].posts if (d := start + timedelta(days=i)) in per_day else 0)
                 for i in range(14))
    return Listening(until, days, tuple(rising[:top]))
