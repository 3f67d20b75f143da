"""The platform-neutral `Mention` record: what every source hands to the store, and what the classifier reads.

A leaf module: it imports nothing of ours, so sources, store, classifier and web can all share it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["PARENT_TEXT_MAX", "Author", "HandleMention", "Mention", "clean_text", "find_handles", "parent_text_of",
           "parse_time"]

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
    # The text of the post this one replies to, when the source has it (context for the classifier; outside
    # input like `text`, so cleaned and capped by `parent_text_of`). None: not a reply, or the source lacks it.
    parent_text: str | None = None
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
        elif isinstance(handles_raw, list):
            handles = tuple(_handle_field(h, i, len(text)) for i, h in enumerate(handles_raw))
        else:
            raise TypeError(f"field 'handles' must be a list, got {type(handles_raw).__name__}")
        values = {k: v for k, v in d.items() if k in known}
        values.update(
            id=_id_field(d["id"], "id"),
            platform=_platform_field(d["platform"]),
            author=Author(
                id=_id_field(author.get("id") or author["handle"], "author.id"),
                handle=_id_field(author["handle"], "author.handle"),
                name=_text_field(author.get("name") or "", "author.name"),
                followers=_count_field(author.get("followers"), "author.followers"),
            ),
            created_at=_field_time(d["created_at"]),
            handles=handles,
            raw=d.get("raw") or {},
            url=_text_field(d.get("url") or "", "url"),
            lang=_lang_field(d.get("lang")),
        )
        for name in ("in_reply_to_post_id", "in_reply_to_user_id", "conversation_id"):
            if d.get(name) is not None:
                values[name] = _id_field(d[name], name)
        if d.get("parent_text") is not None:
            values["parent_text"] = parent_text_of(_text_field(d["parent_text"], "parent_text"))
        for flag in ("is_repost", "is_quote", "is_direct_message", "is_reply_to_brand"):
            if flag in values and not isinstance(values[flag], bool):
                raise TypeError(f"field '{flag}' must be true or false, got {values[flag]!r}")
        return cls(**values)


# Checks for hand-written or recorded input (replay files): each names the field and what it should be.
_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,30}")
_LANG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")
_MAX_ID = 200


def _has_surrogates(value: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in value)


def _text_field(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"field '{name}' must be a string, got {type(value).__name__}")
    return value


def _id_field(value: Any, name: str) -> str:
    """An id or handle: a non-empty string or a whole number, of valid text (ids must never collide)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"field '{name}' must be a string or a number, got {type(value).__name__}")
    text = str(value).strip()
    if not text or len(text) > _MAX_ID or _has_surrogates(text):
        raise ValueError(f"field '{name}' must be 1 to {_MAX_ID} characters of text, got {value!r}")
    return text


def _platform_field(value: Any) -> str:
    if not isinstance(value, str) or not _PLATFORM.fullmatch(value):
        raise ValueError(f"field 'platform' must be a short lower-case name such as 'x', got {value!r}")
    return value


def _lang_field(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _LANG.fullmatch(value):
        raise ValueError(f"field 'lang' must be a language code such as 'nl' or 'en', got {value!r}")
    return value


def _count_field(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError(f"field '{name}' must be a whole number from 0, got {value!r}")
    return value


def _handle_field(value: Any, index: int, length: int) -> HandleMention:
    where = f"handles[{index}]"
    if not isinstance(value, dict):
        raise TypeError(f"field '{where}' must be an object with handle, start and end")
    handle = _id_field(value.get("handle"), f"{where}.handle")
    start, end = value.get("start"), value.get("end")
    whole = isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) and not isinstance(end, bool)
    if not (whole and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length):
        raise ValueError(f"field '{where}' must have whole-number positions 0 <= start < end <= {length}, "
                         f"got start {start!r}, end {end!r}")
    typed = value.get("typed_by_author", True)
    if not isinstance(typed, bool):
        raise TypeError(f"field '{where}.typed_by_author' must be true or false, got {typed!r}")
    return HandleMention(handle, start, end, typed)


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
    try:  # in UTC it must still be a date: 9999-12-31T23:59-12:00 is not
        (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"time {value!r} is out of range") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


# More than any post the platforms allow in a thread (X's long posts aside): the classifier reads its start only.
PARENT_TEXT_MAX = 2_000


def parent_text_of(text: object) -> str | None:
    """A replied-to post's text as a Mention carries it: valid text (lone surrogates replaced), at most
    PARENT_TEXT_MAX characters, None when it is not text or holds nothing."""
    if not isinstance(text, str):
        return None
    text = clean_text(text).strip()[:PARENT_TEXT_MAX]
    return text or None


def clean_text(text: str) -> str:
    """`text` with lone surrogates (from hostile or broken JSON) replaced by U+FFFD, so it can be stored as
    UTF-8; valid surrogate pairs become the characters they encode."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
