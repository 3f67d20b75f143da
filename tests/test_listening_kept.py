"""/listening keeps each day's term counts between looks, and still shows every change: a new post's terms
appear, and an erased person's terms, or texts blanked by retention, are gone at the next look."""

from __future__ import annotations

from collections.abc import Callable
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from bot.mention import Author, Mention
from bot.store import Outcome
from web_support import AGENT, AGENT_PASSWORD, fill, log_in, serving


def page(session: requests.Session, url: str) -> str:
    """The page without its CSRF token, which is signed anew at every request."""
    return re.sub(r'name="csrf_token"[^>]*>', "", session.get(url, timeout=30).text)


def test_listening_shows_new_posts_and_forgets_erased_and_purged_ones(write_config: Callable[..., Path]) -> None:
    with serving(fill(write_config())) as (base, store):
        agent = log_in(base, AGENT, AGENT_PASSWORD)
        day = store.insights.latest_mention_day()
        assert day
        at = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) + timedelta(hours=1)
        assert "zebrapad" not in page(agent, f"{base}/listening")
        posts = [Mention("x", f"77{i}", f"weer een zebrapad bij Tulpair kapot {i}", Author(f"77{i}", "zebrafan"),
                         at + timedelta(minutes=i)) for i in range(12)]
        # Last week's talk, so this week's new word stands out against a baseline.
        earlier = [Mention("x", f"66{i}", f"de koffie aan boord van Tulpair was lauw {i}", Author(f"66{i}", "koffie"),
                           at - timedelta(days=8, minutes=i)) for i in range(20)]
        store.mentions.store_batch("replay", earlier + posts, None)
        for m in earlier + posts:
            store.decisions.record_outcome(m, Outcome("not_queued", label="about"))
        shown = page(agent, f"{base}/listening")
        assert "zebrapad" in shown
        assert page(agent, f"{base}/listening") == shown  # kept: the same page again
        store.care.forget_author("zebrafan", "privacy")
        assert "zebrapad" not in page(agent, f"{base}/listening")
        again = [Mention("x", f"88{i}", f"weer een zebrapad bij Tulpair kapot {i}", Author(f"88{i}", "zebra2"),
                         at + timedelta(minutes=i)) for i in range(12)]
        store.mentions.store_batch("replay", again, None)
        for m in again:
            store.decisions.record_outcome(m, Outcome("not_queued", label="about"))
        assert "zebrapad" in page(agent, f"{base}/listening")
        # Retention blanks the texts: the kept terms go with them.
        store.care.purge_older_than(0, at=datetime.now(timezone.utc) + timedelta(days=1))
        assert "zebrapad" not in page(agent, f"{base}/listening")
