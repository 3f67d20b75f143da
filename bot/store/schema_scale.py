"""The migrations that keep the store fast as it grows (their own set, so they never clash with the others'):
an index for every query a page or a hot path runs, the first-claim time kept on the queue item, and the
mention counts kept per day and label instead of recounted at every look. Each backfills what it adds."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

scale = Migrations("webcare-scale")

# The queue's "most urgent first" order, as an index expression: the list walks the index instead of sorting.
URGENT_ORDER = "priority_rank, coalesce(due_at, created_at), id"
# Who an item is 'by' now: the closer of a closed item, else the claimant (the queue's 'assignee' filter).
HOLDER = "coalesce(closed_by, assignee)"
# The label a mention's latest decision counts under, as the stats show it.
COUNTED_LABEL = "case when d.outcome = 'filtered' then 'filtered' else coalesce(d.label, 'unknown') end"


@scale()
def m001_indexes(db: Database) -> None:
    # The history of one item (why, forget) and of one mention; feedback per mention (forget).
    db.execute("create index if not exists idx_audit_log_queue_item on audit_log(queue_item_id)")
    db.execute("create index if not exists idx_audit_log_mention on audit_log(platform, mention_id)")
    db.execute("create index if not exists idx_feedback_mention on feedback(platform, mention_id)")
    # Queue pages: one index per way the list is filtered, each in the list's order.
    db.execute(f"create index if not exists idx_queue_status_urgent on queue_items(status, {URGENT_ORDER})")
    db.execute(f"create index if not exists idx_queue_urgent on queue_items({URGENT_ORDER})")
    db.execute(f"create index if not exists idx_queue_holder on queue_items({HOLDER}, status, {URGENT_ORDER})")
    db.execute("drop index if exists idx_queue_items_status_priority_rank_due_at")  # a prefix of the first
    # The stats window and its default end (the day of the newest item).
    db.execute("create index if not exists idx_queue_created on queue_items(created_at)")
    # The language filter's choices, read by skipping from one language to the next.
    db.execute("create index if not exists idx_mentions_lang on mentions(lang)")


@scale()
def m002_first_claim(db: Database) -> None:
    """When an item was first claimed (a release does not erase it): stats read it here, not in the audit log."""
    db.table("queue_items").add_column("first_claimed_at", str)
    db.execute(
        "update queue_items set first_claimed_at = c.at from (select queue_item_id, min(at) as at from audit_log "
        "where action = 'claim' and queue_item_id is not null group by queue_item_id) c "
        "where c.queue_item_id = queue_items.id"
    )


@scale()
def m003_daily_counts(db: Database) -> None:
    """Mentions per posting day (UTC) and label of their latest decision: the stats' volume chart."""
    db.execute(
        "create table daily_counts (day text not null, label text not null, mentions integer not null, "
        "primary key (day, label)) without rowid"
    )
    db.execute(
        f"insert into daily_counts (day, label, mentions) select substr(m.created_at, 1, 10), {COUNTED_LABEL}, "
        "count(*) from decisions d join mentions m on m.platform = d.platform and m.id = d.mention_id "
        "where d.id = (select max(l.id) from decisions l where l.platform = d.platform and l.mention_id = d.mention_id) "
        "group by 1, 2"
    )


@scale()
def m004_queue_counts(db: Database) -> None:
    """Queue items per status and priority rank, kept by triggers on every insert, change and delete: the queue
    page's 'of N' and /metrics read them instead of counting the queue."""
    db.execute(
        "create table queue_counts (status text not null, priority_rank integer not null, items integer not null, "
        "primary key (status, priority_rank)) without rowid"
    )
    db.execute(
        "insert into queue_counts (status, priority_rank, items) select status, priority_rank, count(*) "
        "from queue_items group by 1, 2"
    )
    add = ("insert into queue_counts (status, priority_rank, items) values ({0}.status, {0}.priority_rank, 1) "
           "on conflict (status, priority_rank) do update set items = items + 1;")
    take = ("update queue_counts set items = items - 1 where status = {0}.status "
            "and priority_rank = {0}.priority_rank;")
    db.execute(f"create trigger queue_counts_insert after insert on queue_items begin {add.format('new')} end")
    db.execute(f"create trigger queue_counts_delete after delete on queue_items begin {take.format('old')} end")
    db.execute(
        "create trigger queue_counts_update after update of status, priority_rank on queue_items "
        "when old.status is not new.status or old.priority_rank is not new.priority_rank "
        f"begin {take.format('old')} {add.format('new')} end"
    )


@scale()
def m005_queue_author(db: Database) -> None:
    """The author's handle (case-folded as lower() does) on the queue item: the router's 'repeat contact' count
    reads the author's recent items in one index range, not every mention the author ever wrote."""
    db.table("queue_items").add_column("author_key", str)
    db.execute(
        "update queue_items set author_key = lower(m.author_handle) from mentions m "
        "where m.platform = queue_items.platform and m.id = queue_items.mention_id"
    )
    db.execute("create index if not exists idx_queue_author on queue_items(platform, author_key, created_at)")


@scale()
def m006_count_changes(db: Database) -> None:
    """A change counter beside each day's count: with the count it tells a reader that keeps a day's terms
    (listening) whether that day's posts changed, without reading them. Rows stay at zero instead of going, so
    the counter never starts over."""
    db.execute("alter table daily_counts add column changes integer not null default 0")
