"""The database schema, as named migrations (sqlite-utils `Migrations`). A migration is never edited once
released: a change is a new migration at the end of its set. Each area keeps its own set, so they never clash."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

core = Migrations("webcare-core")


@core()
def m001_initial(db: Database) -> None:
    db.table("mentions").create(
        {
            "platform": str, "id": str, "url": str, "author_id": str, "author_handle": str, "author_name": str,
            "author_followers": int, "text": str, "lang": str, "created_at": str, "in_reply_to_post_id": str,
            "in_reply_to_user_id": str, "conversation_id": str, "is_repost": int, "is_quote": int,
            "is_direct_message": int, "is_reply_to_brand": int, "handles": str, "raw": str, "source": str,
            "fetched_at": str, "state": str, "attempts": int, "last_error": str,
        },
        pk=("platform", "id"),
        not_null={"platform", "id", "text", "state"},
        defaults={"state": "pending", "attempts": 0},
    )
    db.table("mentions").create_index(["state"])
    db.table("mentions").create_index(["created_at"])
    db.table("mentions").create_index(["author_handle"])
    db.table("decisions").create(
        {
            "id": int, "platform": str, "mention_id": str, "decided_at": str, "outcome": str, "label": str,
            "probabilities": str, "priority": str, "reasons": str, "priority_reasons": str, "features": str,
            "model_version": str, "config_version": str, "route_reason": str, "filter_reason": str,
        },
        pk="id",
    )
    db.table("decisions").create_index(["platform", "mention_id"])
    db.table("decisions").create_index(["decided_at"])
    db.table("queue_items").create(
        {
            "id": int, "platform": str, "mention_id": str, "decision_id": int, "status": str, "priority": str,
            "priority_rank": int, "due_at": str, "assignee": str, "created_at": str, "claimed_at": str,
            "resolved_at": str, "dismissed_reason": str, "note": str, "updated_at": str,
        },
        pk="id",
        not_null={"platform", "mention_id", "status", "priority"},
    )
    db.table("queue_items").create_index(["platform", "mention_id"], unique=True)
    db.table("queue_items").create_index(["status", "priority_rank", "due_at"])
    db.table("feedback").create(
        {
            "id": int, "platform": str, "mention_id": str, "queue_item_id": int, "kind": str, "label": str,
            "agent": str, "note": str, "created_at": str,
        },
        pk="id",
    )
    db.table("audit_log").create(
        {
            "id": int, "at": str, "actor": str, "action": str, "platform": str, "mention_id": str,
            "queue_item_id": int, "detail": str,
        },
        pk="id",
    )
    db.table("checkpoints").create({"source": str, "value": str, "updated_at": str}, pk="source")
    db.table("source_status").create(
        {
            "source": str, "last_poll_at": str, "last_success_at": str, "last_error_at": str,
            "last_error_kind": str, "last_error": str, "polls": int, "errors": int,
        },
        pk="source",
    )
    db.table("rejects").create(
        {"id": int, "source": str, "location": str, "reason": str, "raw": str, "at": str}, pk="id"
    )


@core()
def m002_closed_by(db: Database) -> None:
    """Who resolved or dismissed an item (the assignee is who claimed it; the two can differ)."""
    db.table("queue_items").add_column("closed_by", str)


@core()
def m003_parent_text(db: Database) -> None:
    """The text of the post a mention replies to, when the source has it: the classifier reads it as context,
    so a retry or a what-if sees the same post the first decision saw."""
    db.table("mentions").add_column("parent_text", str)
