"""Folding: lower case without accents, the form in which filters, priority rules and the classifier's cues
match words. A leaf (imports nothing of ours)."""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]

_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")


def fold(text: str) -> str:
    """Lower case without accents: 'Één' and 'een', 'Café' and 'cafe' read the same. Emoji variation
    selectors go too, so '☀️' and '☀' are one keyword. Filters, priority rules and the classifier's cues all
    match words on folded text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in _VARIATION_SELECTORS)
