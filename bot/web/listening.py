"""Listening: how many mentions were about the brand each day, and the words and two-word phrases that rise
fastest in the last week against the week before. A pure function of (day, text) pairs; it answers no one."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Listening", "RisingTerm", "day_terms", "ignored", "listen", "rank"]

_TOKEN = re.compile(r"[#]?[^\W\d_][\w'’-]*", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")
# Words that say nothing on their own, Dutch and English: they would rise and fall with volume alone.
STOPWORDS = frozenset("""
a about after again all also am an and any are as at be been before being but by can could did do does doing
don't down for from get got had has have having he her here him his how i i'm if in into is it it's its just
me more most my no not now of off on once only or other our out over own same she so some still such than that
the their them then there these they this those through to too under until up very was we were what when where
which while who why will with would you your rt via lol amp
aan al alle als altijd ben bij dan dat de deze die dit doen door dus een eens en er ga gaat geen had heb hebben
heeft hem het hier hij hoe hun ik in is ja je jij jullie kan kon maar me meer men met mij mijn moet na naar
niet niets nog nu of om omdat ons ook op over te tegen toch toen tot u uit van veel voor want was wat we wel
werd wie wij wil worden zal ze zei zelf zich zij zijn zo zou
""".split())


@dataclass(frozen=True)
class RisingTerm:
    term: str
    this_week: int
    last_week: int

    @property
    def growth(self) -> float:
        """How many times more often than last week (with one added to each side, so a new term is finite)."""
        return (self.this_week + 1) / (self.last_week + 1)


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


def terms(text: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    """The words and two-word phrases of one post (lower case, no stop words, handles, links or brand names);
    a set, so one post that repeats a word counts once."""
    words = [w.strip("'’-").lower() for w in _TOKEN.findall(_NOISE.sub(" ", text))]
    words = [w for w in words if w]
    found: set[str] = set()
    for i, w in enumerate(words):
        keep = len(w) > 2 and w not in STOPWORDS and w.lstrip("#") not in ignore
        if keep:
            found.add(w)
        if i + 1 < len(words):
            nxt = words[i + 1]
            if keep and nxt not in STOPWORDS and nxt.lstrip("#") not in ignore and len(nxt) > 2:
                found.add(f"{w} {nxt}")
    return found


def ignored(brand_words: Sequence[str]) -> frozenset[str]:
    """The words a brand's names and handles consist of: never listed as terms."""
    return frozenset(part.lower() for w in brand_words for part in [w, *w.split()])


def day_terms(texts: Iterable[str], ignore: frozenset[str] = frozenset()) -> tuple[int, Counter[str]]:
    """One day's posts: how many, and in how many of them each term occurs."""
    counted: Counter[str] = Counter()
    posts = 0
    for text in texts:
        posts += 1
        counted.update(terms(text, ignore))
    return posts, counted


def listen(posts: Iterable[tuple[str, str]], until: date, brand_words: Sequence[str] = (), top: int = 15,
           min_count: int = 2) -> Listening:
    """Count `about` posts per day over the two weeks ending `until` and rank the terms of the last seven days
    by growth against the seven before. A term needs `min_count` posts this week to be listed at all."""
    start = until - timedelta(days=13)
    by_day: dict[date, list[str]] = {}
    for day_text, text in posts:
        day = date.fromisoformat(day_text)
        if start <= day <= until:
            by_day.setdefault(day, []).append(text)
    ignore = ignored(brand_words)
    return rank({day: day_terms(texts, ignore) for day, texts in by_day.items()}, until, top, min_count)


def rank(per_day: Mapping[date, tuple[int, Counter[str]]], until: date, top: int = 15,
         min_count: int = 2) -> Listening:
    """`listen` from each day's (posts, term counts), which a caller may keep between looks (`day_terms`)."""
    start = until - timedelta(days=13)
    split = until - timedelta(days=6)
    this_week: Counter[str] = Counter()
    last_week: Counter[str] = Counter()
    for day, (_, counted) in per_day.items():
        if start <= day <= until:
            (this_week if day >= split else last_week).update(counted)
    rising = [RisingTerm(t, n, last_week[t]) for t, n in this_week.items() if n >= min_count and n > last_week[t]]
    # Fastest growth first; among equals the more frequent, then phrases before their single words.
    rising.sort(key=lambda r: (-r.growth, -r.this_week, -len(r.term.split()), r.term))
    days = tuple((start + timedelta(days=i), per_day.get(start + timedelta(days=i), (0, Counter()))[0])
                 for i in range(14))
    return Listening(until, days, tuple(rising[:top]))
