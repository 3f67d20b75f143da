"""The queue's conversation tables, as their own named migration set: the messages of each queue item (the
customer's posts and our replies, in order), so a customer's thread is one item and not four."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

conversations = Migrations("webcare-queue")


@conversations()
def m001_messages(db: Database) -> None:
    """One row per post in an item's conversation; the item's first post is its first message. `kind` is
    'customer' or 'ours' (our own reply, when the source has it); `why` says how a later post was joined."""
    db.table("queue_messages").create(
        {"id": int, "queue_item_id": int, "platform": str, "mention_id": str, "kind": str, "why": str,
         "added_at": str},
        pk="id",
        not_null={"queue_item_id", "platform", "mention_id", "kind"},
    )
    db.table("queue_messages").create_index(["platform", "mention_id"], unique=True)
    db.table("queue_messages").create_index(["queue_item_id", "id"])
    db.execute(
        "insert or ignore into queue_messages (queue_item_id, platform, mention_id, kind, why, added_at) "
        "select id, platform, mention_id, 'customer', 'first post', created_at from queue_items order by id"
    )
