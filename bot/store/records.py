"""Records the store hands out and takes in (frozen dataclasses: no sqlite row crosses the store's edge)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.mention import HandleMention, Mention
from bot.vocabulary import Label, OutcomeKind, Priority, Status

__all__ = ["Conversation", "Event", "Explanation", "Feedback", "ItemState", "Message", "Outcome", "QueueItem",
           "SourceStatus", "StoredDecision"]


@dataclass(frozen=True)
class Outcome:
    """What the pipeline decided about one mention, to be stored with its reasons."""

    outcome: OutcomeKind
    label: Label | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    priority: Priority | None = None
    reasons: tuple[str, ...] = ()
    priority_reasons: tuple[str, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    model_version: str = ""
    config_version: str = ""
    route_reason: str = ""
    filter_reason: str = ""
    due_at: datetime | None = None  # set when queued
    # Set when the mention continues an open item's conversation: it joins that item as a new message. With
    # outcome "queued" it would have been queued on its own (and is, should the item close meanwhile).
    joins: Conversation | None = None


@dataclass(frozen=True)
class Conversation:
    """An open queue item that a new post belongs to, and why: 'same author', 'same thread' or 'reply to our
    reply'. `is_ours` marks our own reply to the customer, shown in the item but never worked as a request."""

    item_id: int
    why: str
    is_ours: bool = False


@dataclass(frozen=True)
class Message:
    """One post in a queue item's conversation, in the order they came."""

    platform: str
    mention_id: str
    kind: str  # "customer" or "ours"
    why: str
    text: str
    author_handle: str
    author_name: str
    url: str
    created_at: str
    added_at: str
    label: str = ""  # the classifier's label of this post ('' for ours, which is never classified)

    @property
    def is_ours(self) -> bool:
        return self.kind == "ours"


@dataclass(frozen=True)
class Event:
    """One line of an item's history, from the audit log: who did what, when."""

    at: str
    actor: str
    action: str
    detail: dict[str, Any]

    @property
    def words(self) -> str:
        """The event as a sentence fragment a webcare agent reads: 'claimed by ann', 'taken over from ann'."""
        d = self.detail
        said = {
            "enqueue": f"entered the queue ({d.get('priority', '?')})",
            "claim": "claimed",
            "release": "released",
            "resolve": "resolved",
            "dismiss": f"dismissed: {d.get('reason') or d.get('label') or ''}".rstrip(": "),
            "note": "added a note",
            "take_over": f"taken over from {d.get('from_agent', '?')}",
            "assign": f"assigned to {d.get('to', '?')}",
            "message": f"{'our reply' if d.get('kind') == 'ours' else 'new message'} joined ({d.get('why', '')})"
                       + (f", priority raised to {d['priority']}" if d.get("priority") else ""),
        }
        return said.get(self.action, self.action.replace("feedback:", "feedback: ").replace("_", " "))


@dataclass(frozen=True)
class QueueItem:
    id: int
    platform: str
    mention_id: str
    status: Status
    priority: Priority
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
    messages: int = 1  # posts in the conversation, ours included
    last_message_at: str | None = None
    text_length: int = 0  # of the whole text: a list's `text` may be cut (see Queue.list_queue)
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
        return cls(
            id=row["id"], platform=row["platform"], mention_id=row["mention_id"], status=Status(row["status"]),
            priority=Priority(row["priority"]), due_at=row["due_at"], assignee=row["assignee"],
            created_at=row["created_at"],
            claimed_at=row["claimed_at"], resolved_at=row["resolved_at"], dismissed_reason=row["dismissed_reason"],
            note=row["note"], text=row["text"] or "", author_handle=row["author_handle"] or "",
            author_name=row["author_name"] or "", url=row["url"] or "", lang=row["lang"],
            mention_created_at=row["mention_created_at"] or "", label=row["label"],
            probabilities=json.loads(row["probabilities"] or "{}"), reasons=tuple(json.loads(row["reasons"] or "[]")),
            priority_reasons=tuple(json.loads(row["priority_reasons"] or "[]")),
            in_reply_to_post_id=row["in_reply_to_post_id"], closed_by=row.get("closed_by"),
            messages=row.get("messages") or 1, last_message_at=row.get("last_message_at"),
            text_length=row.get("text_length") or len(row["text"] or ""), first_claimed_at=row.get("first_claimed_at"),
        )


@dataclass(frozen=True)
class StoredDecision:
    """One decision about a mention, as stored with its reasons (a mention decided again has several)."""

    decided_at: str
    outcome: OutcomeKind
    label: Label | None
    probabilities: dict[str, float]
    priority: Priority | None
    reasons: tuple[str, ...]
    priority_reasons: tuple[str, ...]
    features: dict[str, float]
    model_version: str
    config_version: str
    route_reason: str
    filter_reason: str

    @property
    def is_filtered(self) -> bool:
        return self.outcome == OutcomeKind.FILTERED

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredDecision:
        return cls(row["decided_at"], OutcomeKind(row["outcome"]), Label(row["label"]) if row["label"] else None,
                   json.loads(row["probabilities"] or "{}"), Priority(row["priority"]) if row["priority"] else None,
                   tuple(json.loads(row["reasons"] or "[]")),
                   tuple(json.loads(row["priority_reasons"] or "[]")), json.loads(row["features"] or "{}"),
                   row["model_version"] or "", row["config_version"] or "", row["route_reason"] or "",
                   row["filter_reason"] or "")


@dataclass(frozen=True)
class ItemState:
    """Where a mention's queue item stands, as `why` tells it."""

    id: int
    status: Status
    assignee: str | None
    closed_by: str | None

    @property
    def holder(self) -> str | None:
        """As `QueueItem.holder`: the closer of a closed item, else the claimant."""
        return self.closed_by or self.assignee

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ItemState:
        return cls(int(row["id"]), Status(row["status"]), row["assignee"], row.get("closed_by"))


@dataclass(frozen=True)
class Explanation:
    """Everything that explains a mention's place: the mention and its processing state, each decision with
    its reasons, the queue item it is in (its own or the one it joined) and its history from the audit log."""

    mention: Mention
    state: str  # pending, done or failed
    attempts: int
    last_error: str | None
    decisions: tuple[StoredDecision, ...]
    queue_item: ItemState | None
    history: tuple[Event, ...]


@dataclass(frozen=True)
class Feedback:
    """An agent's correction of the router (training data), with the mention's text and structure."""

    id: int
    platform: str
    mention_id: str
    queue_item_id: int | None
    kind: str  # wrongly_routed, moved_to_queue
    label: Label
    agent: str
    note: str
    created_at: str
    text: str
    lang: str | None
    is_direct_message: bool
    is_repost: bool
    is_reply_to_brand: bool
    handles: tuple[HandleMention, ...]
    parent_text: str | None = None  # the post it replied to, when the source had it

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Feedback:
        return cls(int(row["id"]), row["platform"], row["mention_id"], row["queue_item_id"], row["kind"],
                   Label(row["label"]), row["agent"] or "", row["note"] or "", row["created_at"] or "",
                   row["text"] or "", row["lang"], bool(row["is_direct_message"]), bool(row["is_repost"]),
                   bool(row["is_reply_to_brand"]),
                   tuple(HandleMention(**h) for h in json.loads(row["handles"] or "[]")), row.get("parent_text"))


@dataclass(frozen=True)
class SourceStatus:
    """How a source last polled, for health and alerts: the last success (and last new mention), the last
    error with its kind, and how many polls failed in a row."""

    source: str
    polls: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    last_poll_at: str | None = None
    last_success_at: str | None = None
    last_mention_at: str | None = None
    last_error_at: str | None = None
    last_error_kind: str | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SourceStatus:
        return cls(row["source"], int(row["polls"] or 0), int(row["errors"] or 0),
                   int(row.get("consecutive_errors") or 0), row["last_poll_at"], row["last_success_at"],
                   row.get("last_mention_at"), row["last_error_at"], row["last_error_kind"], row["last_error"])
