"""Keywords and phrases as marketers write them in config, matched the way a reader would: whole words, in any
case, with or without accents ("cafe" finds "Café"), inside hashtags and handles as the whole tag ("koffer"
finds "#koffer", not "#kofferkwijt"). Used by the filters and the router's priority rules.

Part of the text leaf: it imports only `bot.text.folding`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.text.folding import fold

__all__ = ["PhraseMatcher", "fold", "matcher", "matcher_of", "word_pattern"]


def _phrase_regex(phrase: str) -> str:
    # Words of a phrase may be split by any run of spaces; a keyword that starts or ends with a non-word
    # character ("#tulpair", "🌷") still may not be glued to a word on its other side.
    words = fold(phrase).split()
    return r"\s+".join(re.escape(w) for w in words)


def word_pattern(*phrases: str, at_end: bool = False) -> re.Pattern[str]:
    """A pattern matching any of the phrases as whole words in folded text (`fold`), longest first so "geen
    bereik" wins over "geen"; `at_end`: only as the last words. The config's keywords and the classifier's
    cues are both matched with it."""
    body = "|".join(sorted((_phrase_regex(p) for p in phrases), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})" + (r"\W*$" if at_end else r"(?!\w)"))


@dataclass(frozen=True)
class PhraseMatcher:
    """Finds the first of a set of keywords, phrases (whole words) and regular expressions in a text."""

    keywords: tuple[str, ...]
    patterns: tuple[str, ...]
    _words: re.Pattern[str] | None
    _regexes: tuple[re.Pattern[str], ...]

    def __bool__(self) -> bool:
        return bool(self._words or self._regexes)

    def find(self, text: str) -> str | None:
        """The keyword (as written in config) or the pattern that matches, or None."""
        if self._words is not None:
            m = self._words.search(fold(text))
            if m is not None:
                found = " ".join(m.group(0).split())
                return next((k for k in self.keywords if " ".join(fold(k).split()) == found), found)
        folded = fold(text)
        for source, regex in zip(self.patterns, self._regexes, strict=True):
            if regex.search(text) or regex.search(folded):
                return source
        return None


@lru_cache(maxsize=512)
def matcher(keywords: tuple[str, ...] = (), patterns: tuple[str, ...] = ()) -> PhraseMatcher:
    """A cached matcher for these keywords and regular expressions (validated by the settings already)."""
    kept = tuple(k for k in keywords if k.strip())
    words = None
    if kept:
        words = word_pattern(*kept)
    regexes = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    return PhraseMatcher(kept, tuple(patterns), words, regexes)


def matcher_of(keywords: Sequence[str], patterns: Sequence[str] = ()) -> PhraseMatcher:
    return matcher(tuple(keywords), tuple(patterns))
