"""The alerts' tables, as their own named migration set: what is firing (so a restart neither forgets nor
repeats an alert), each delivery to a webhook (for rate limits across restarts), and the facts per source that
the quiet and error alerts read."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

alerts = Migrations("webcare-alerts")


@alerts()
def m001_alerts(db: Database) -> None:
    db.table("alerts").create(
        {"key": str, "kind": str, "severity": str, "status": str, "title": str, "summary": str, "detail": str,
         "first_at": str, "last_seen_at": str, "last_sent_at": str, "resolved_at": str, "sends": int},
        pk="key",
        not_null={"key", "kind", "status", "first_at"},
        defaults={"sends": 0},
    )
    db.table("alerts").create_index(["status", "last_seen_at"])
    db.table("alert_deliveries").create(
        {"id": int, "at": str, "alert_key": str, "webhook": str, "event": str, "result": str}, pk="id",
        not_null={"at", "webhook"},
    )
    db.table("alert_deliveries").create_index(["webhook", "at"])
    # Polls failed since the last good one, and when a poll last stored a new mention.
    db.table("source_status").add_column("consecutive_errors", int, not_null_default=0)
    db.table("source_status").add_column("last_mention_at", str)
