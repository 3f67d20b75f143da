"""The ops migrations (their own set, so they never clash with the core's): what retention needs to find old
rows quickly and to say which mentions were purged."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

ops = Migrations("webcare-ops")


@ops()
def m001_retention(db: Database) -> None:
    # A purged mention keeps its row (counts and decisions stay), loses its text and raw payload.
    db.table("mentions").add_column("purged_at", str)
    db.table("mentions").create_index(["fetched_at"], if_not_exists=True)
    db.table("rejects").create_index(["at"], if_not_exists=True)
    # The age of the oldest unclaimed item is read at every /metrics scrape.
    db.table("queue_items").create_index(["status", "created_at"], if_not_exists=True)


@ops()
def m002_author_lookup(db: Database) -> None:
    # recent_contacts (every queued mention) and forget match authors case-blind: without this index each
    # lookup scanned every stored mention, so ingest slowed as the store grew.
    db.execute("create index if not exists idx_mentions_author_handle_lower on mentions(lower(author_handle))")
