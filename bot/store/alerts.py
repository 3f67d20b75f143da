"""What the alerts read and keep: the texts of recent decided mentions (for spikes), overdue queue items, and
each alert's state and deliveries. Times are ISO strings in UTC."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.store.database import Part, dumps, now
from bot.vocabulary import OutcomeKind, Status

__all__ = ["AlertRecord", "Alerts", "PostText"]

_OPEN = (Status.NEW.value, Status.CLAIMED.value)


@dataclass(frozen=True)
class PostText:
    """A decided mention's text, for counting terms."""

    key: str
    created_at: str
    text: str
    url: str
    label: str


@dataclass(frozen=True)
class AlertRecord:
    key: str
    kind: str
    severity: str
    status: str  # firing, resolved
    title: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    first_at: str = ""
    last_seen_at: str = ""
    last_sent_at: str | None = None
    resolved_at: str | None = None
    sends: int = 0

    @property
    def is_firing(self) -> bool:
        return self.status == "firing"


def _alert(r: dict[str, Any]) -> AlertRecord:
    return AlertRecord(r["key"], r["kind"], r["severity"] or "", r["status"], r["title"] or "", r["summary"] or "",
                       json.loads(r["detail"] or "{}"), r["first_at"], r["last_seen_at"] or "", r["last_sent_at"],
                       r["resolved_at"], int(r["sends"] or 0))


class Alerts(Part):
    def decided_texts(self, labels: tuple[str, ...], since: str, until: str) -> list[PostText]:
        """Mentions posted from `since` (included) to `until` (excluded) whose latest decision has one of
        `labels`. Read by the posting time's index; each mention's latest decision by its own index."""
        marks = ", ".join("?" for _ in labels)
        rows = self.db.execute(
            "select m.platform, m.id, m.created_at, m.text, m.url, d.label from mentions m "
            "join decisions d on d.id = (select max(d2.id) from decisions d2 "
            "where d2.platform = m.platform and d2.mention_id = m.id) "
            f"where m.created_at >= ? and m.created_at < ? and d.outcome != '{OutcomeKind.FILTERED}' "
            f"and d.label in ({marks}) "
            "order by m.created_at",
            [since, until, *labels],
        ).fetchall()
        return [PostText(f"{r[0]}:{r[1]}", r[2], r[3] or "", r[4] or "", r[5]) for r in rows]

    def decided_count(self, since: str, until: str) -> int:
        """Mentions posted from `since` (included) to `until` (excluded) that have been decided: the spike
        baseline is counted again when this changes (a backfill, a replay, a restart's pending mentions)."""
        row = self.db.execute(
            "select count(*) from mentions where created_at >= ? and created_at < ? and state = 'done'",
            [since, until],
        ).fetchone()
        return int(row[0])

    def overdue_counts(self, at: str) -> dict[str, tuple[int, str]]:
        """Open (new or claimed) queue items past their due time, per priority: (count, the oldest due time)."""
        rows = self.db.execute(
            "select priority, count(*), min(due_at) from queue_items "
            "where status in (?, ?) and due_at is not null and due_at < ? group by priority",
            [*_OPEN, at],
        ).fetchall()
        return {str(r[0]): (int(r[1]), str(r[2])) for r in rows}

    def alerts(self, status: str | None = None, limit: int = 100) -> list[AlertRecord]:
        """Alerts, firing first, then the most recently seen."""
        where, args = ("where status = ?", [status]) if status else ("", [])
        rows = self.db.query(
            f"select * from alerts {where} order by status = 'firing' desc, last_seen_at desc limit ?",
            [*args, limit],
        )
        return [_alert(r) for r in rows]

    def save_alert(self, a: AlertRecord) -> None:
        self.db.table("alerts").upsert(
            {"key": a.key, "kind": a.kind, "severity": a.severity, "status": a.status, "title": a.title,
             "summary": a.summary, "detail": dumps(a.detail), "first_at": a.first_at, "last_seen_at": a.last_seen_at,
             "last_sent_at": a.last_sent_at, "resolved_at": a.resolved_at, "sends": a.sends},
            pk="key",
        )

    def record_delivery(self, alert_key: str, webhook: str, event: str, result: str) -> None:
        self.db.table("alert_deliveries").insert(
            {"at": now(), "alert_key": alert_key, "webhook": webhook, "event": event, "result": result}
        )

    def deliveries_since(self, webhook: str, since: str) -> int:
        """Deliveries sent (or tried) to one webhook since a moment: its rate limit."""
        row = self.db.execute(
            "select count(*) from alert_deliveries where webhook = ? and at >= ? and result != 'suppressed'",
            [webhook, since],
        ).fetchone()
        return int(row[0])
