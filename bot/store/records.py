"""Records the store hands out and takes in (frozen dataclasses: no sqlite row crosses the store's edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@dataclass(frozen=True)
class Outcome:
    """What the pipeline decided about one mention, to be stored with its reasons."""

    outcome: str  # "queued", "not_queued", "filtered"
    label: str | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    priority: str | None = None
    reasons: tuple[str, ...] = ()
    priority_reasons: tuple[str, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    model_version: str = ""
    config_version: str = ""
    route_reason: str = ""
    filter_reason: str = ""
    due_at: datetime | None = None  # set when queued


@dataclass(frozen=True)
class QueueItem:
    id: int
    platform: str
    mention_id: str
    status: Status
    priority: str
    due_at: str | None
    assignee: str | None
    created_at: str
    claimed_at: str | None
    resolved_at: str | None
    dismissed_reason: str | None
    note: str | None
    text: str
    author_handle: str
    author_name: str
    url: str
    lang: str | None
    mention_created_at: str
    label: str | None
    probabilities: dict[str, float]
    reasons: tuple[str, ...]
    priority_reasons: tuple[str, ...]
    in_reply_to_post_id: str | None
    closed_by: str | None = None
    text_length: int = 0  # of the whole text: a list's `text` may be cut (see QueueStore.list_queue)
    first_claimed_at: str | None = None

    @property
    def holder(self) -> str | None:
        """Who the item's state is 'by': the closer of a resolved or dismissed item, else the claimant."""
        return self.closed_by or self.assignee

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.mention_id}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> QueueItem:
        import json

        return cls(
            id=row["id"], platform=row["platform"], mention_id=row["mention_id"], status=Status(row["status"]),
            priority=row["priority"], due_at=row["due_at"], assignee=row["assignee"], created_at=row["created_at"],
            claimed_at=row["claimed_at"], resolved_at=row["resolved_at"], dismissed_reason=row["dismissed_reason"],
            note=row["note"], text=row["text"] or "", author_handle=row["author_handle"] or "",
            author_name=row["author_name"] or "", url=row["url"] or "", lang=row["lang"],
            mention_created_at=row["mention_created_at"] or "", label=row["label"],
            probabilities=json.loads(row["probabilities"] or "{}"), reasons=tuple(json.loads(row["reasons"] or "[]")),
            priority_reasons=tuple(json.loads(row["priority_reasons"] or "[]")),
            in_reply_to_post_id=row["in_reply_to_post_id"], closed_by=row.get("closed_by"),
            text_length=row.get("text_length") or len(row["text"] or ""), first_claimed_at=row.get("first_claimed_at"),
        )
