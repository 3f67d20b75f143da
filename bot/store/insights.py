"""What the web app reads besides the queue: the search of mentions the bot left out, the texts of `about`
mentions for listening, and the rows that stats are computed from. Days are UTC dates (YYYY-MM-DD)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.store.base import BaseStore, like_pattern

# The latest decision of each mention: a mention decided twice (a retry, a re-run) counts once.
_LATEST = "select max(id) as id from decisions group by platform, mention_id"


@dataclass(frozen=True)
class LeftOut:
    """A mention that is not in the queue, with the decision that kept it out."""

    platform: str
    mention_id: str
    text: str
    author_handle: str
    author_name: str
    url: str
    lang: str | None
    created_at: str
    outcome: str
    label: str | None
    probabilities: dict[str, float]
    reasons: tuple[str, ...]
    route_reason: str
    filter_reason: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.mention_id}"


@dataclass(frozen=True)
class QueueTimes:
    """One queue item's times, for stats: when it entered, was first claimed, was closed, and was due."""

    priority: str
    status: str
    created_at: str
    first_claim_at: str | None
    closed_at: str | None
    due_at: str | None


_like = like_pattern


class InsightStore(BaseStore):
    def search_left_out(self, text: str = "", label: str | None = None, since: str | None = None,
                        until: str | None = None, limit: int = 50, offset: int = 0) -> list[LeftOut]:
        """Decided mentions that are not in the queue, newest first. `text` matches anywhere (any case),
        `label` is a label or 'filtered', `since`/`until` are days, both included."""
        where = ["not exists (select 1 from queue_items q where q.platform = m.platform and q.mention_id = m.id)",
                 "not exists (select 1 from queue_messages qm where qm.platform = m.platform and qm.mention_id = m.id)"]
        args: list[Any] = []
        if text.strip():
            where.append("m.text like ? escape '\\'")
            args.append(_like(text.strip()))
        if label == "filtered":
            where.append("d.outcome = 'filtered'")
        elif label:
            where.append("d.outcome != 'filtered' and d.label = ?")
            args.append(label)
        if since:
            where.append("substr(m.created_at, 1, 10) >= ?")
            args.append(since)
        if until:
            where.append("substr(m.created_at, 1, 10) <= ?")
            args.append(until)
        sql = (
            "select m.platform, m.id, m.text, m.author_handle, m.author_name, m.url, m.lang, m.created_at, "
            "d.outcome, d.label, d.probabilities, d.reasons, d.route_reason, d.filter_reason "
            f"from mentions m join decisions d on d.platform = m.platform and d.mention_id = m.id "
            f"join ({_LATEST}) last on last.id = d.id where {' and '.join(where)} "
            "order by m.created_at desc, m.id desc limit ? offset ?"
        )
        return [
            LeftOut(r[0], r[1], r[2] or "", r[3] or "", r[4] or "", r[5] or "", r[6], r[7], r[8], r[9],
                    json.loads(r[10] or "{}"), tuple(json.loads(r[11] or "[]")), r[12] or "", r[13] or "")
            for r in self.db.execute(sql, [*args, limit, offset]).fetchall()
        ]

    def about_texts(self, since: str, until: str) -> list[tuple[str, str]]:
        """(day, text) of every mention whose latest decision is `about`, from day `since` to `until` included."""
        rows = self.db.execute(
            "select substr(m.created_at, 1, 10), m.text from mentions m "
            "join decisions d on d.platform = m.platform and d.mention_id = m.id "
            f"join ({_LATEST}) last on last.id = d.id "
            "where d.outcome != 'filtered' and d.label = 'about' and substr(m.created_at, 1, 10) between ? and ? "
            "order by m.created_at",
            [since, until],
        ).fetchall()
        return [(r[0], r[1] or "") for r in rows]

    def latest_mention_day(self) -> str | None:
        """The day of the newest stored mention: the default end of listening and stats windows, so a replayed
        or paused stream still shows its last weeks."""
        row = self.db.execute("select max(substr(created_at, 1, 10)) from mentions").fetchone()
        return row[0] if row and row[0] else None

    def latest_queue_day(self) -> str | None:
        """The day the newest queue item entered the queue: the default end of the queue stats window."""
        row = self.db.execute("select max(substr(created_at, 1, 10)) from queue_items").fetchone()
        return row[0] if row and row[0] else None

    def volume_by_day(self, since: str, until: str) -> list[tuple[str, str, int]]:
        """(day, label, count) of decided mentions by the day they were posted; 'filtered' for filtered ones."""
        rows = self.db.execute(
            "select substr(m.created_at, 1, 10), case when d.outcome = 'filtered' then 'filtered' else d.label end, "
            "count(*) from mentions m join decisions d on d.platform = m.platform and d.mention_id = m.id "
            f"join ({_LATEST}) last on last.id = d.id "
            "where substr(m.created_at, 1, 10) between ? and ? group by 1, 2 order by 1, 2",
            [since, until],
        ).fetchall()
        return [(r[0], r[1] or "unknown", int(r[2])) for r in rows]

    def queue_times(self, since: str, until: str) -> list[QueueTimes]:
        """Every queue item that entered the queue from day `since` to `until` included, with its first claim
        (from the audit log: a release does not erase it) and the time it was resolved or dismissed."""
        rows = self.db.execute(
            "select q.priority, q.status, q.created_at, "
            "(select min(a.at) from audit_log a where a.queue_item_id = q.id and a.action = 'claim'), "
            "q.resolved_at, q.due_at from queue_items q "
            "where substr(q.created_at, 1, 10) between ? and ? order by q.created_at",
            [since, until],
        ).fetchall()
        return [QueueTimes(*r) for r in rows]
