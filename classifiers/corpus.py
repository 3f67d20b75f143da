"""Labeled data in the DESIGN.md format (one JSON object per line): reading it into `Example`s, each a Mention
with its brand, label and language, for training, evaluation and feedback export. `meta.parent_text`, when
present, is the text of the post the record replies to (the Mention's `parent_text`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.mention import Author, HandleMention, Mention, find_handles, parent_text_of
from classifiers.decision import LABELS, Brand, Label

__all__ = ["CorpusError", "Example", "example_from_record", "read_examples"]

_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class CorpusError(ValueError):
    """A line of a labeled file is not in the format; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    mention: Mention
    brand: Brand
    label: Label
    lang: str | None
    priority: str | None = None
    source: str = ""  # file:line, for reports
    meta: dict[str, Any] = field(default_factory=dict)  # the record's `meta`, for `webcare eval --by KEY`

    @property
    def brand_key(self) -> str:
        if self.brand.handles:
            # A number standing for the brand (support corpora's style: ["514022", "CobaltAir"]) is the same brand.
            return next((h for h in self.brand.handles if not h.isdigit()), self.brand.handles[0]).casefold()
        return self.brand.names[0].casefold() if self.brand.names else ""


def _handles(text: str, inherited: list[str]) -> tuple[HandleMention, ...]:
    """Handles with the leading ones listed in `inherited` marked as put there by the platform."""
    found = find_handles(text)
    marked = []
    for i, h in enumerate(found):
        is_inherited = i < len(inherited) and h.handle.casefold() == str(inherited[i]).casefold()
        marked.append(HandleMention(h.handle, h.start, h.end, typed_by_author=not is_inherited))
    return tuple(marked)


def example_from_record(record: dict[str, Any], source: str = "", require_label: bool = True) -> Example:
    if not isinstance(record, dict):
        raise CorpusError(f"{source}: expected a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise CorpusError(f"{source}: 'text' must be a string")
    brand = record.get("brand") or {}
    if not isinstance(brand, dict) or not (brand.get("handles") or brand.get("names")):
        raise CorpusError(f"{source}: 'brand' must be an object with 'handles' or 'names' (or both)")
    for key in ("handles", "names"):
        if not isinstance(brand.get(key) or [], list) or not all(isinstance(x, str) for x in brand.get(key) or []):
            raise CorpusError(f"{source}: 'brand.{key}' must be a list of strings")
    label = record.get("label")
    if label not in [lab.value for lab in LABELS]:
        if require_label or label is not None:
            raise CorpusError(f"{source}: 'label' must be one of {', '.join(LABELS)}, got {label!r}")
    meta = record.get("meta") or {}
    if not isinstance(meta, dict):
        raise CorpusError(f"{source}: 'meta' must be an object")
    parent = meta.get("parent_text")
    if parent is not None and not isinstance(parent, str):
        raise CorpusError(f"{source}: 'meta.parent_text' must be a string (the text of the post it replies to)")
    mention = Mention(
        platform="corpus", id=source or "0", text=text, author=Author("0", str(meta.get("author", "someone"))),
        created_at=_EPOCH, lang=record.get("lang"), is_direct_message=bool(meta.get("is_direct_message")),
        is_repost=bool(meta.get("is_repost")), is_reply_to_brand=bool(meta.get("in_reply_to_brand")),
        in_reply_to_post_id="0" if meta.get("in_reply_to_brand") or meta.get("inherited_handles") or parent else None,
        handles=_handles(text, list(meta.get("inherited_handles") or [])), parent_text=parent_text_of(parent),
    )
    return Example(
        mention=mention, brand=Brand.of(brand.get("handles") or [], brand.get("names") or []),
        label=Label(label) if label else Label.IRRELEVANT, lang=record.get("lang"),
        priority=record.get("priority"), source=source, meta=dict(meta),
    )


def read_examples(paths: Iterable[Path]) -> Iterator[Example]:
    for path in paths:
        with Path(path).open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise CorpusError(f"{where}: not JSON ({e.msg})") from None
                yield example_from_record(record, where)
