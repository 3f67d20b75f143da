"""The words and two-word phrases of a post, for listening and spike alerts: lower case, without stop words,
handles, links, numbers or the brand's own names. A leaf (imports nothing of ours).

Stop words come from the stopwords-iso collection (package `stopwordsiso`), the most complete lists for Dutch
and English; calendar words are added here, since a month or weekday name rises every time its day comes round
("november" trends on the first of November and means nothing).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import stopwordsiso

__all__ = ["TermCounts", "brand_ignore", "count_terms", "stop_words", "terms"]

_TOKEN = re.compile(r"[#]?[^\W\d_][\w'’-]*", re.UNICODE)
# A handle with what qualifies it on Mastodon and Bluesky (@tulpair@mastodon.social, @tulpair.bsky.social) is noise
# whole: "social" and "bsky" are not what a post is about.
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+(?:[@.][\w-]+)*|&(?:amp|lt|gt|quot|#\d+);")

# Calendar and clock words (English and Dutch): they rise with the date, not with a problem.
CALENDAR = frozenset("""
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
monday tuesday wednesday thursday friday saturday sunday today tonight tomorrow yesterday weekend week
hour hours minute minutes day days month months year years morning evening afternoon night
januari februari maart mei juni juli augustus oktober
maandag dinsdag woensdag donderdag vrijdag zaterdag zondag vandaag vanavond morgen gisteren overmorgen
uur uurtje minuut minuten dag dagen maand maanden jaar jaren ochtend middag avond nacht
""".split())
# What posts on a social platform are full of, whatever they are about.
PLATFORM = frozenset("rt via amp lol omg pls plz thx https http www com nl mt dm".split())


@functools.cache
def stop_words(languages: tuple[str, ...] = ("en", "nl")) -> frozenset[str]:
    """The stop words of these languages (ISO 639-1 codes) with calendar and platform words."""
    words: set[str] = set(CALENDAR | PLATFORM)
    for lang in languages:
        if stopwordsiso.has_lang(lang):
            words |= {w.lower() for w in stopwordsiso.stopwords(lang)}
    return frozenset(words)


def brand_ignore(brand_words: Iterable[str]) -> frozenset[str]:
    """The brand's names and handles, whole and word by word: they are in every post and explain nothing."""
    return frozenset(part.lower().lstrip("@#") for w in brand_words for part in [w, *w.split()])


def terms(text: str, ignore: frozenset[str] = frozenset(), stop: frozenset[str] | None = None) -> set[str]:
    """The words and two-word phrases of one post; a set, so a post that repeats a word counts once."""
    stop = stop_words() if stop is None else stop
    words = [w.strip("'’-").lower() for w in _TOKEN.findall(_NOISE.sub(" ", text))]
    kept = [len(w) > 2 and w not in stop and w.lstrip("#") not in stop and w.lstrip("#") not in ignore
            for w in words]
    found = {w for w, keep in zip(words, kept) if keep}
    found |= {f"{words[i]} {words[i + 1]}" for i in range(len(words) - 1) if kept[i] and kept[i + 1]}
    return found


@dataclass
class TermCounts:
    """How many posts there were and in how many of them each term stood."""

    posts: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, found: Iterable[str]) -> None:
        self.posts += 1
        self.counts.update(found)


def count_terms(texts: Iterable[str], brand_words: Sequence[str] = (),
                languages: tuple[str, ...] = ("en", "nl")) -> TermCounts:
    ignore, stop = brand_ignore(brand_words), stop_words(languages)
    out = TermCounts()
    for text in texts:
        out.add(terms(text, ignore, stop))
    return out
