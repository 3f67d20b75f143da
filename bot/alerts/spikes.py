"""Spikes: the terms that stand in far more posts now than the baseline predicts, grouped into one spike per
problem. A pure function of posts; the alerts and the listening page both call it, so they name the same terms.

The test: a one-sided Poisson test on each term's count, against the count its share of the baseline's posts
predicts for the current window's volume. Why Poisson and not seasonal-naive: a term's daily count is small and
mostly zero, which a Poisson tail judges properly where "the same day last week" has nothing to compare with
until weeks of history exist; and taking the share (not the raw count) removes the daily and weekly rhythm of
the whole stream, so a busy Monday makes nothing rise and filler words never trend with volume alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from scipy.stats import poisson

from bot.text.terms import TermCounts, brand_ignore, stop_words, terms

__all__ = ["Post", "RisingTerm", "Spike", "find_spikes", "rising_terms"]

# Half a post of prior for every term in the baseline: a term never seen before is expected a little, not
# zero times (a zero expectation would make any single post infinitely surprising).
PRIOR = 0.5


class Post(Protocol):
    """A post to count terms in (the store's `PostText` is one)."""

    @property
    def key(self) -> str: ...  # platform:id

    @property
    def created_at(self) -> str: ...  # ISO time, UTC

    @property
    def text(self) -> str: ...

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class RisingTerm:
    term: str
    count: int  # posts with the term in the current window
    baseline: int  # posts with the term in the baseline
    expected: float  # posts expected in the current window from the term's share of the baseline
    p_value: float

    @property
    def growth(self) -> float:
        return self.count / self.expected if self.expected else float("inf")


@dataclass(frozen=True)
class Spike:
    """One rising problem: its terms (the most telling first) and a few posts that show it."""

    terms: tuple[RisingTerm, ...]
    posts: int  # posts in the current window with the first term
    examples: tuple[Post, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.term for t in self.terms)


def rising_terms(current: TermCounts, baseline: TermCounts, *, min_count: int = 5, alpha: float = 0.001,
                 min_ratio: float = 3.0) -> list[RisingTerm]:
    """Terms in at least `min_count` posts now, at least `min_ratio` times their expectation, whose Poisson tail
    probability is below `alpha`; the least likely first."""
    if current.posts == 0:
        return []
    found = []
    for term, n in current.counts.items():
        if n < min_count:
            continue
        b = baseline.counts.get(term, 0)
        expected = (b + PRIOR) / (baseline.posts + 1) * current.posts
        if n < min_ratio * expected:
            continue
        p = float(poisson.sf(n - 1, expected))  # P(X >= n)
        if p < alpha:
            found.append(RisingTerm(term, n, b, expected, p))
    found.sort(key=lambda r: (r.p_value, -r.count, -len(r.term.split()), r.term))
    return found


def find_spikes(posts: Sequence[Post], baseline: TermCounts, brand_words: Sequence[str] = (), *,
                languages: tuple[str, ...] = ("en", "nl"), min_count: int = 5, alpha: float = 0.001,
                min_ratio: float = 3.0, min_baseline_posts: int = 50, max_terms: int = 6,
                examples: int = 3) -> list[Spike]:
    """The spikes among `posts` (the current window) against `baseline`. Rising terms that mostly stand in the
    same posts are one spike. Nothing is found before the baseline holds `min_baseline_posts` posts: on a first
    start every term would look new."""
    if baseline.posts < min_baseline_posts or not posts:
        return []
    ignore, stop = brand_ignore(brand_words), stop_words(languages)
    found = [terms(p.text, ignore, stop) for p in posts]
    current = TermCounts(len(posts), Counter(t for f in found for t in f))
    groups: list[tuple[set[int], list[RisingTerm]]] = []
    for r in rising_terms(current, baseline, min_count=min_count, alpha=alpha, min_ratio=min_ratio):
        carriers = {i for i, f in enumerate(found) if r.term in f}
        for posts_of, members in groups:
            if len(carriers & posts_of) * 2 >= min(len(carriers), len(posts_of)):
                if len(members) < max_terms:
                    members.append(r)
                break
        else:
            groups.append((carriers, [r]))
    spikes = []
    for posts_of, members in groups:
        names = {m.term for m in members}
        # The posts that show most of the spike's terms, newest first among equals.
        shown = sorted(posts_of, key=lambda i: posts[i].created_at, reverse=True)
        shown.sort(key=lambda i: len(names & found[i]), reverse=True)
        spikes.append(Spike(tuple(members), len(posts_of), tuple(posts[i] for i in shown[:examples])))
    return spikes

