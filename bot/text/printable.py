"""Post text made safe to show a person, in the web app and the terminal: control characters and the Unicode
formatting characters that reorder or hide text (bidi overrides, zero-width marks) become visible symbols, and
very long posts are cut for lists. HTML escaping stays the template engine's job; this is about what escaping
leaves through. The stored text is never changed."""

from __future__ import annotations

import re

__all__ = ["LIST_LIMIT", "one_line", "printable", "shorten"]

LIST_LIMIT = 2_000  # characters of a post shown in a list; the item itself shows all of it

# C0/C1 controls except tab and newline, DEL, the bidi embeddings/overrides/isolates, and zero-width characters.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _symbol(m: re.Match[str]) -> str:
    c = m.group(0)
    code = ord(c)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟, the Unicode control pictures
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def printable(text: str) -> str:
    """`text` with hidden and control characters shown as symbols (␇ for BEL, <U+202E> for a right-to-left
    override), so a post cannot ring bells, move the cursor or disguise itself."""
    return _HIDDEN.sub(_symbol, text)


def shorten(text: str, limit: int = LIST_LIMIT, length: int | None = None) -> str:
    """At most `limit` characters, saying how many were left out. `length`: the whole text's length, when
    `text` was already cut where it was read (the store cuts list texts in SQL)."""
    whole = len(text) if length is None else max(length, len(text))
    if whole <= limit:
        return text
    return f"{text[:limit]}… ({whole - limit:,} more characters)"


def one_line(text: str, width: int = 160) -> str:
    """A post on one line for a compact list: whitespace folded, cut at `width` characters with an ellipsis."""
    flat = " ".join(text[: width * 4].split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
