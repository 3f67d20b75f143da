"""The platform-neutral `Mention` record: what every source hands to the store, and what the classifier reads.

A leaf module: it imports nothing of ours, so sources, store, classifier and web can all share it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["Author", "HandleMention", "Mention", "clean_text", "find_handles", "fold", "parse_time"]

# An @handle as X and most platforms spell it: letters, digits, underscore, not glued to a word before it
# (so an e-mail address is not a mention).
_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})")


@dataclass(frozen=True)
class Author:
    id: str
    handle: str
    name: str = ""
    followers: int | None = None


@dataclass(frozen=True)
class HandleMention:
    """An @handle in a post's text, with its position (in Python characters) and who put it there.

    `typed_by_author` is False for the handles a platform prefixes to a reply (X's reply chain): the author
    did not write them, so they say little about whom the post addresses.
    """

    handle: str
    start: int
    end: int
    typed_by_author: bool = True


@dataclass(frozen=True)
class Mention:
    platform: str
    id: str
    text: str
    author: Author
    created_at: datetime
    url: str = ""
    lang: str | None = None
    in_reply_to_post_id: str | None = None
    in_reply_to_user_id: str | None = None
    conversation_id: str | None = None
    is_repost: bool = False
    is_quote: bool = False
    is_direct_message: bool = False
    handles: tuple[HandleMention, ...] = ()
    # Set by a source that knows the brand's own user ids: the post replies to a post of the brand itself.
    is_reply_to_brand: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """`platform:id`, the name a mention goes by in the CLI and the logs."""
        return f"{self.platform}:{self.id}"

    @property
    def typed_handles(self) -> list[str]:
        return [h.handle for h in self.handles if h.typed_by_author]

    @property
    def inherited_handles(self) -> list[str]:
        return [h.handle for h in self.handles if not h.typed_by_author]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_dict` reads it back."""
        d = dataclasses.asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["handles"] = [dataclasses.asdict(h) for h in self.handles]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Mention:
        """Build a Mention from `to_dict` output or a hand-written replay line.

        Raises KeyError, TypeError or ValueError naming the field when a required field is missing or wrong.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}")
        for name in ("platform", "id", "text", "author", "created_at"):
            if name not in d:
                raise KeyError(f"missing field '{name}'")
        if not isinstance(d["text"], str):
            raise TypeError(f"field 'text' must be a string, got {type(d['text']).__name__}")
        author = d["author"]
        if not isinstance(author, dict) or "handle" not in author:
            raise TypeError("field 'author' must be an object with at least 'handle'")
        text = d["text"]
        handles_raw = d.get("handles")
        if handles_raw is None:
            handles = find_handles(text)
        else:
            handles = tuple(HandleMention(**h) for h in handles_raw)
        values = {k: v for k, v in d.items() if k in known}
        values.update(
            id=str(d["id"]),
            platform=str(d["platform"]),
            author=Author(
                id=str(author.get("id") or author["handle"]),
                handle=str(author["handle"]),
                name=str(author.get("name") or ""),
                followers=author.get("followers"),
            ),
            created_at=_field_time(d["created_at"]),
            handles=handles,
            raw=d.get("raw") or {},
        )
        for flag in ("is_repost", "is_quote", "is_direct_message", "is_reply_to_brand"):
            if flag in values and not isinstance(values[flag], bool):
                raise TypeError(f"field '{flag}' must be true or false, got {values[flag]!r}")
        return cls(**values)


def _field_time(value: Any) -> datetime:
    try:
        return parse_time(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"field 'created_at' must be an ISO-8601 time such as 2026-11-20T08:14:00Z, got {value!r}") from e


def find_handles(text: str, inherited: int = 0) -> tuple[HandleMention, ...]:
    """Every @handle in `text`; the first `inherited` characters are a platform's reply prefix."""
    return tuple(
        HandleMention(m.group(1), m.start(), m.end(), typed_by_author=m.start() >= inherited)
        for m in _HANDLE.finditer(text)
    )


def parse_time(value: str | datetime) -> datetime:
    """An ISO-8601 time (a trailing Z allowed) as an aware datetime; a naive one is taken as UTC."""
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise TypeError(f"a time must be an ISO-8601 string, got {type(value).__name__}")
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def clean_text(text: str) -> str:
    """`text` with lone surrogates (from hostile or broken JSON) replaced by U+FFFD, so it can be stored as
    UTF-8; valid surrogate pairs become the characters they encode."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")


def fold(text: str) -> str:
    """Lower case without accents: 'Één' and 'een', 'Café' and 'cafe' read the same. Emoji variation
    selectors go too, so '☀️' and '☀' are one keyword. Filters, priority rules and the classifier's cues all
    match words on folded text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in _VARIATION_SELECTORS)
