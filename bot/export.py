"""CSV exports of the queue and of the stats tables, for a spreadsheet. A cell that a spreadsheet would run as a
formula (it starts with =, +, -, @ or a control character) gets a leading apostrophe: post text is outside
input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from bot.store import QueueItem

__all__ = ["QUEUE_COLUMNS", "csv_text", "queue_rows"]

QUEUE_COLUMNS = ("id", "status", "priority", "holder", "entered_queue", "due_at", "resolved_at", "platform",
                 "mention_id", "author_handle", "author_name", "posted_at", "messages", "label", "url", "text",
                 "dismissed_reason", "note")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return "" if value is None else value


def queue_rows(items: Iterable[QueueItem]) -> Iterable[tuple[Any, ...]]:
    for i in items:
        yield (i.id, i.status.value, i.priority, i.holder, i.created_at, i.due_at, i.resolved_at, i.platform,
               i.mention_id, i.author_handle, i.author_name, i.mention_created_at, i.messages, i.label, i.url,
               i.text, i.dismissed_reason, i.note)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()
