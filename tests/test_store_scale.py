"""What the store keeps so pages need not recount: the first-claim time on the item (with its backfill for an
older database), mention counts per day and label, queue counts per status and priority; all staying right
through re-decisions, retention and forget. And list texts cut in SQL, with the whole length kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

from bot.mention import Author, Mention
from bot.store import Database, Outcome, Store, schema, schema_ops, schema_web, schema_x

NOW = datetime.now(timezone.utc)
# Noon two days ago: a few minutes either side stay on that day whatever time the test runs.
NOON = (NOW - timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
DAY = NOON.date().isoformat()


def mention(i: int, author: str = "jan", text: str = "@Tulpair waar is mijn koffer?") -> Mention:
    return Mention("x", str(i), text, Author(str(i), author), NOON - timedelta(minutes=i), lang="nl")


def outcome(label: str) -> Outcome:
    if label == "filtered":
        return Outcome("filtered", filter_reason="excluded keyword")
    if label == "queue":
        return Outcome("queued", label="queue", priority="high", due_at=NOW + timedelta(hours=1))
    return Outcome("not_queued", label=label)


def fill(store: Store, labels: list[tuple[int, str, str]]) -> None:
    ms = [mention(i, author) for i, author, _ in labels]
    store.mentions.store_batch("replay", ms, None)
    for m, (_, _, label) in zip(ms, labels):
        store.decisions.record_outcome(m, outcome(label))


def test_the_first_claim_stays_through_a_release_and_a_new_claim(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    fill(store, [(1, "jan", "queue")])
    item = store.queue.list_queue("new")[0].id
    first = store.queue.claim(item, "arie").first_claimed_at
    store.queue.release(item, "arie")
    again = store.queue.claim(item, "bo")
    assert first and again.first_claimed_at == first and again.claimed_at != first
    times = store.insights.queue_times(DAY, NOW.date().isoformat())
    assert [t.first_claim_at for t in times] == [first]


def test_an_older_database_gets_its_first_claims_and_counts_filled_in(tmp_path: Path) -> None:
    # The schema as it was before the scale migrations.
    Database(tmp_path / "w.db", [schema.core, schema_ops.ops, schema_web.web, schema_x.x]).close()
    # Rows as the code before these migrations wrote them: the first claim only in the audit log.
    db = sqlite_utils.Database(tmp_path / "w.db")
    at = NOON.isoformat()
    for i, label, outcome_ in ((1, "queue", "queued"), (2, "queue", "queued"), (3, "about", "not_queued"),
                               (4, None, "filtered"), (4, "about", "not_queued")):
        db["mentions"].insert({"platform": "x", "id": str(i), "text": "t", "state": "done", "created_at": at,
                               "author_handle": "Jan"}, ignore=True)
        db["decisions"].insert({"platform": "x", "mention_id": str(i), "outcome": outcome_, "label": label})
    for i in (1, 2):
        db["queue_items"].insert({"id": i, "platform": "x", "mention_id": str(i), "status": "new",
                                  "priority": "high", "priority_rank": 1, "created_at": at})
    first, later = (NOW - timedelta(days=1)).isoformat(), NOW.isoformat()
    db["audit_log"].insert_all([{"at": later, "action": "claim", "queue_item_id": 1},
                                {"at": first, "action": "claim", "queue_item_id": 1},
                                {"at": first, "action": "resolve", "queue_item_id": 2}])
    db.execute("update queue_items set status = 'claimed' where id = 1")
    db.execute("update queue_items set status = 'resolved' where id = 2")
    db.close()
    store = Store(tmp_path / "w.db")
    assert store.queue.get_item(1).first_claimed_at == first
    assert store.queue.get_item(2).first_claimed_at is None
    # Mention 4 counts once, under its latest decision.
    assert store.insights.volume_by_day(DAY, DAY) == [(DAY, "about", 2), (DAY, "queue", 2)]
    assert store.queue.queue_counts() == {("claimed", "high"): 1, ("resolved", "high"): 1}
    assert store.queue.count_queue("open") == 1 and store.queue.count_queue(None) == 2
    assert store.conversations.recent_contacts("x", "JAN") == 2  # the author kept on the items, matched case-blind
    assert store.conversations.recent_contacts("x", "JAN", days=1) == 0


def test_day_counts_follow_a_re_decision_and_forget_but_not_retention(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    fill(store, [(1, "jan", "about"), (2, "jan", "irrelevant"), (3, "kim", "about"), (4, "kim", "queue")])
    store.decisions.record_outcome(mention(2, "jan"), outcome("about"))  # re-decided: it moves, it is not added
    assert store.insights.volume_by_day(DAY, DAY) == [(DAY, "about", 3), (DAY, "queue", 1)]
    store.care.purge_older_than(1)  # texts go, counts stay
    assert store.insights.volume_by_day(DAY, DAY) == [(DAY, "about", 3), (DAY, "queue", 1)]
    assert store.care.forget_author("@KIM", "privacy").mentions == 2
    assert store.insights.volume_by_day(DAY, DAY) == [(DAY, "about", 2)]
    store.close()
    db = sqlite_utils.Database(tmp_path / "w.db")
    # Nothing left counting kim; an emptied count stays at zero, its change counter moved on.
    assert sorted((r["label"], r["mentions"]) for r in db["daily_counts"].rows) == [("about", 2), ("irrelevant", 0), ("queue", 0)]
    assert all(r["changes"] > 0 for r in db["daily_counts"].rows)


def test_queue_counts_follow_every_transition_and_forget(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    fill(store, [(i, "jan" if i < 3 else "kim", "queue") for i in range(1, 6)])
    a, b, c, d, e = (i.id for i in store.queue.list_queue("new", limit=10))
    store.queue.claim(a, "arie")
    store.queue.resolve(b, "arie")
    store.queue.dismiss(c, "arie", "spam")
    store.queue.mark_wrongly_routed(d, "arie", "about")
    store.queue.claim(e, "bo")
    store.queue.release(e, "bo")
    assert store.queue.queue_counts() == {("claimed", "high"): 1, ("resolved", "high"): 1, ("dismissed", "high"): 2,
                                    ("new", "high"): 1}
    assert (store.queue.count_queue("open"), store.queue.count_queue("dismissed"), store.queue.count_queue(None, "high"),
            store.queue.count_queue(None, "low")) == (2, 2, 5, 0)
    assert (store.conversations.recent_contacts("x", "Jan"), store.conversations.recent_contacts("x", "KIM"), store.conversations.recent_contacts("y", "kim")) \
        == (2, 3, 0)
    store.care.forget_author("jan", "privacy")
    assert store.queue.queue_counts() == {("dismissed", "high"): 2, ("new", "high"): 1}
    assert store.queue.count_queue(None) == len(store.queue.list_queue(None, limit=100)) == 3


def test_lists_cut_a_huge_text_in_sql_and_keep_its_whole_length(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    huge = "@Tulpair " + "koffer\x00kwijt é " * 20_000  # a NUL stops SQLite's own text functions
    store.mentions.store_batch("replay", [mention(1, text=huge), mention(2, text=huge)], None)
    store.decisions.record_outcome(mention(1, text=huge), outcome("queue"))
    store.decisions.record_outcome(mention(2, text=huge), outcome("about"))
    listed = store.queue.list_queue("open", cut=100)[0]
    assert (listed.text, listed.text_length) == (huge[:100], len(huge))
    assert store.queue.get_item(listed.id).text == huge
    found = store.insights.search_left_out("koffer", cut=100)[0]
    assert (found.text, found.text_length) == (huge[:100], len(huge))
    assert store.queue.list_queue("open")[0].text == huge  # uncut unless asked (the CLI's --json)


def test_a_short_text_with_a_nul_is_listed_whole(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    text = "@Tulpair nul\x00 in het midden"
    store.mentions.store_batch("replay", [mention(1, text=text)], None)
    store.decisions.record_outcome(mention(1, text=text), outcome("queue"))
    item = store.queue.list_queue("open", cut=2000)[0]
    assert (item.text, item.text_length) == (text, len(text))
