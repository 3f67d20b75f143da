"""What the web app reads besides the queue: the search of mentions the bot left out, the texts of `about`
mentions for listening, and the rows that stats are computed from. Days are UTC dates (YYYY-MM-DD)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.store.database import Part, cut_bytes, cut_columns, cut_text, like_pattern
from bot.text.printable import LIST_LIMIT
from bot.vocabulary import Label, OutcomeKind, Priority, Status

ABOUT_TEXT_LIMIT = 2_000  # characters of a post that listening reads for its terms

# The latest decision of each mention: a mention decided twice (a retry, a re-run) counts once. A seek in the
# (platform, mention_id) index per mention, where a grouped subquery would read every decision at every look.
_LATEST = "d.id = (select max(l.id) from decisions l where l.platform = m.platform and l.mention_id = m.id)"


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
    outcome: str  # not_queued or filtered
    label: Label | None
    probabilities: dict[str, float]
    reasons: tuple[str, ...]
    route_reason: str
    filter_reason: str
    text_length: int = 0  # of the whole text; `text` is cut for the list

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.mention_id}"


@dataclass(frozen=True)
class QueueTimes:
    """One queue item's times, for stats: when it entered, was first claimed, was closed, and was due."""

    priority: Priority
    status: Status
    created_at: str
    first_claim_at: str | None
    closed_at: str | None
    due_at: str | None


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _days(column: str, since: str | None, until: str | None) -> tuple[list[str], list[str]]:
    """Conditions keeping `column` (an ISO time in UTC) within days `since` to `until` included, written as a
    range the column's index can seek (a substr() of the column could not use it)."""
    where, args = [], []
    if since:
        where.append(f"{column} >= ?")
        args.append(since)
    if until:
        where.append(f"{column} < ?")
        args.append(_day_after(until))
    return where, args


class Insights(Part):
    def search_left_out(self, text: str = "", label: str | None = None, since: str | None = None,
                        until: str | None = None, limit: int = 50, offset: int = 0,
                        cut: int = LIST_LIMIT) -> list[LeftOut]:
        """Decided mentions that are not in the queue, newest first. `text` matches anywhere (any case),
        `label` is a label or 'filtered', `since`/`until` are days, both included. Texts are cut to `cut`
        characters in SQL (`text_length` keeps the whole length)."""
        where = ["not exists (select 1 from queue_items q where q.platform = m.platform and q.mention_id = m.id)",
                 "not exists (select 1 from queue_messages qm where qm.platform = m.platform and qm.mention_id = m.id)"]
        args: list[Any] = []
        if text.strip():
            where.append("m.text like ? escape '\\'")
            args.append(like_pattern(text.strip()))
        if label == OutcomeKind.FILTERED:
            where.append(f"d.outcome = '{OutcomeKind.FILTERED}'")
        elif label:
            where.append(f"d.outcome != '{OutcomeKind.FILTERED}' and d.label = ?")
            args.append(label)
        in_days, day_args = _days("m.created_at", since, until)
        where += in_days
        args += day_args
        sql = (
            "select m.platform, m.id, m.author_handle, m.author_name, m.url, m.lang, m.created_at, d.outcome, "
            f"d.label, d.probabilities, d.reasons, d.route_reason, d.filter_reason, {cut_columns('m.text', 'text')} "
            # CROSS JOIN: newest mentions first, in the time index, until a page is found; left to itself
            # SQLite may start from every decision with the label asked for.
            "from mentions m cross join decisions d on d.platform = m.platform and d.mention_id = m.id "
            f"and {_LATEST} where {' and '.join(where)} order by m.created_at desc, m.id desc limit ? offset ?"
        )
        found = []
        for r in self.db.execute(sql, [cut_bytes(cut), *args, limit, offset]).fetchall():
            text, length = cut_text(r[13], r[14], r[15], cut)
            found.append(LeftOut(r[0], r[1], text, r[2] or "", r[3] or "", r[4] or "", r[5], r[6], r[7],
                                 Label(r[8]) if r[8] else None,
                                 json.loads(r[9] or "{}"), tuple(json.loads(r[10] or "[]")), r[11] or "",
                                 r[12] or "", length))
        return found

    def about_texts(self, since: str, until: str, cut: int = ABOUT_TEXT_LIMIT) -> list[tuple[str, str]]:
        """(day, text) of every mention whose latest decision is `about`, from day `since` to `until` included;
        texts cut to `cut` characters in SQL (a post's terms are in its first lines)."""
        in_days, args = _days("m.created_at", since, until)
        rows = self.db.execute(
            f"select substr(m.created_at, 1, 10), {cut_columns('m.text', 'text')} from mentions m "
            f"join decisions d on d.platform = m.platform and d.mention_id = m.id and {_LATEST} "
            f"where d.outcome != '{OutcomeKind.FILTERED}' and d.label = '{Label.ABOUT}' and {' and '.join(in_days)} "
            "order by m.created_at",
            [cut_bytes(cut), *args],
        ).fetchall()
        return [(r[0], cut_text(r[1], r[2], r[3], cut)[0]) for r in rows]

    def about_days(self, since: str, until: str) -> dict[str, tuple[int, int]]:
        """Per day from `since` to `until`: how many mentions' latest decision is `about`, and how often that
        day's counts changed (a mention added, re-decided or erased; texts purged or masked). A reader that
        keeps a day's term counts reads that day's texts again only when this pair moved. From the counts kept
        per day: no mention is read."""
        rows = self.db.execute(
            f"select day, mentions, changes from daily_counts where label = '{Label.ABOUT}' and day between ? and ?",
            [since, until],
        ).fetchall()
        return {r[0]: (int(r[1]), int(r[2])) for r in rows if r[1] > 0}

    def latest_mention_day(self) -> str | None:
        """The day of the newest stored mention: the default end of listening and stats windows, so a replayed
        or paused stream still shows its last weeks."""
        # max() of the indexed column itself is one seek; times are stored in UTC, so the newest is the greatest.
        row = self.db.execute("select substr(max(created_at), 1, 10) from mentions").fetchone()
        return row[0] if row and row[0] else None

    def latest_queue_day(self) -> str | None:
        """The day the newest queue item entered the queue: the default end of the queue stats window."""
        row = self.db.execute("select substr(max(created_at), 1, 10) from queue_items").fetchone()
        return row[0] if row and row[0] else None

    def volume_by_day(self, since: str, until: str) -> list[tuple[str, str, int]]:
        """(day, label, count) of decided mentions by the day they were posted; 'filtered' for filtered ones.
        Read from the counts kept per day (`daily_counts`), not recounted."""
        rows = self.db.execute(
            "select day, label, mentions from daily_counts where day between ? and ? and mentions > 0 "
            "order by day, label",
            [since, until],
        ).fetchall()
        return [(r[0], r[1], int(r[2])) for r in rows]

    def queue_times(self, since: str, until: str) -> list[QueueTimes]:
        """Every queue item that entered the queue from day `since` to `until` included, with its first claim
        (kept on the item: a release does not erase it) and the time it was resolved or dismissed."""
        in_days, args = _days("q.created_at", since, until)
        rows = self.db.execute(
            "select q.priority, q.status, q.created_at, q.first_claimed_at, q.resolved_at, q.due_at "
            f"from queue_items q where {' and '.join(in_days)} order by q.created_at",
            args,
        ).fetchall()
        return [QueueTimes(Priority(r[0]), Status(r[1]), *r[2:]) for r in rows]
