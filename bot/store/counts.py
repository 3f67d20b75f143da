"""The mention counts kept per day and label (`daily_counts`): moved when a mention is decided (or decided
again), taken out when it is erased, and marked changed when texts are blanked or masked, so stats and
listening never recount the mentions table. Functions of a connection, run in the caller's transaction."""

from __future__ import annotations

from sqlite_utils import Database

from bot.vocabulary import OutcomeKind
from bot.store.schema_scale import COUNTED_LABEL

__all__ = ["count_decision", "counted_as", "touch_counts", "uncount"]


def count_decision(db: Database, platform: str, mention_id: str, outcome: str, label: str | None) -> None:
    """Move the mention's count from its previous latest decision's label (a re-run) to this one's."""
    counted = OutcomeKind.FILTERED.value if outcome == OutcomeKind.FILTERED else label or "unknown"
    previous = counted_as(db, platform, mention_id)
    if previous:
        db.execute("update daily_counts set mentions = mentions - 1, changes = changes + 1 "
                   "where day = ? and label = ?", previous)
    db.execute(
        "insert into daily_counts (day, label, mentions, changes) select substr(created_at, 1, 10), ?, 1, 1 "
        "from mentions where platform = ? and id = ? "
        "on conflict (day, label) do update set mentions = mentions + 1, changes = changes + 1",
        [counted, platform, mention_id],
    )


def counted_as(db: Database, platform: str, mention_id: str) -> tuple[str, str] | None:
    """(day, label) a decided mention is counted under; None when it is not decided."""
    row = db.execute(
        f"select substr(m.created_at, 1, 10), {COUNTED_LABEL} from mentions m join decisions d "
        "on d.platform = m.platform and d.mention_id = m.id where m.platform = ? and m.id = ? "
        "order by d.id desc limit 1", [platform, mention_id],
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def uncount(db: Database, keys: list[tuple[str, str]]) -> None:
    """Take these mentions out of the counts, before their rows go."""
    for platform, mention_id in keys:
        counted = counted_as(db, platform, mention_id)
        if counted:
            db.execute("update daily_counts set mentions = mentions - 1 where day = ? and label = ?", counted)


def touch_counts(db: Database) -> None:
    """Mark every day changed: after texts were blanked or masked (retention, forget), which moves no count."""
    db.execute("update daily_counts set changes = changes + 1")
