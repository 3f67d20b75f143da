"""Stored mentions of a period, read back as `Mention`s for a what-if run (`webcare config diff`). Read only."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.mention import Mention
from bot.store.mentions import MentionStore, mention_from_row


class PeriodStore(MentionStore):
    def mentions_since(self, since: datetime, limit: int = 100_000) -> list[Mention]:
        """Mentions posted at or after `since`, oldest first (failed ones too: a new config may treat them so)."""
        rows = self.db.query(
            "select * from mentions where created_at >= ? order by created_at, platform, id limit ?",
            [since.astimezone(timezone.utc).isoformat(), limit],
        )
        return [mention_from_row(r) for r in rows]
