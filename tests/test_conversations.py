"""Conversations and claims in the store, through the real pipeline: a customer's thread is one queue item with
all its messages (ours included), a claim protects its item, and the item's history comes from the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config.settings import load_settings
from bot.daemon import Daemon
from bot.errors import HeldByAnother, InvalidTransition, NotAllowed
from bot.store import QueueSearch, Store
from bot.store.users import ROLES

THREAD = Path(__file__).resolve().parent / "fixtures" / "conversation.jsonl"


def replayed(write_config: Callable[..., Path]) -> Store:
    config = write_config(stream=THREAD)
    daemon = Daemon(config, load_settings(config))
    daemon.run_once()
    daemon.store.close()
    return Store(load_settings(config).database_path)


def _user(store: Store, name: str, role: str) -> None:
    assert role in ROLES
    store.users.add_user(name, role, "$argon2id$not-a-real-hash")


def test_a_thread_of_four_posts_by_one_customer_is_one_item_with_its_messages(
        write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    items = store.queue.list_queue(None)
    assert sorted(i.author_handle for i in items) == ["gerrit", "marieke"]
    [item] = [i for i in items if i.author_handle == "marieke"]
    assert item.mention_id == "5001" and item.messages == 5
    messages = store.conversations.messages(item.id)
    assert [(m.mention_id, m.kind, m.why) for m in messages] == [
        ("5001", "customer", "first post"), ("5002", "customer", "same author"), ("5003", "ours", "our reply"),
        ("5004", "customer", "reply to our reply"), ("5005", "customer", "same thread")]
    assert [m for m in messages if not m.is_ours][3].text == "@TulpairHelp Hij is gevonden, bedankt voor de hulp!"
    assert [m.label for m in messages][:3] == ["queue", "queue", ""]  # each post's own label; ours has none
    # Every post is explained, and none of the joined ones is shown as "left out" of the queue.
    why = store.decisions.why("x", "5002")
    assert "joins item #%d (same author)" % item.id in why.decisions[0].route_reason
    assert why.queue_item and why.queue_item.id == item.id
    assert not {m.mention_id for m in messages} & {r.mention_id for r in store.insights.search_left_out()}
    assert [e.words for e in store.queue.history(item.id)] == [
        "entered the queue (normal)", "new message joined (same author), priority raised to high",
        "our reply joined (our reply)",
        "new message joined (reply to our reply)", "new message joined (same thread)"]


def test_retention_keeps_the_messages_of_an_open_item_and_forget_removes_them(
        write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    [item] = [i for i in store.queue.list_queue(None) if i.author_handle == "marieke"]
    store.care.purge_older_than(0, at=datetime.now(timezone.utc) + timedelta(days=1))
    assert all(m.text for m in store.conversations.messages(item.id))
    store.care.forget_author("marieke", "ops")
    assert store.db.execute("select count(*) from queue_messages where queue_item_id = ?", [item.id]).fetchone()[0] == 0


def test_a_post_after_the_item_is_closed_opens_a_new_item(write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    [item] = [i for i in store.queue.list_queue(None) if i.author_handle == "marieke"]
    store.queue.resolve(item.id, "ann")
    mention = store.mentions.get_mention("x", "5002")
    assert store.conversations.open_conversation(mention) is None


def test_only_the_holder_releases_or_closes_a_claimed_item(write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    item = store.queue.list_queue("open")[0]
    store.queue.claim(item.id, "ann")
    refusal = f"queue item {item.id} is claimed by ann; only ann can %s it (a lead can take it over first)"
    for action, act in [("release", lambda: store.queue.release(item.id, "bob")),
                        ("resolve", lambda: store.queue.resolve(item.id, "bob")),
                        ("dismiss", lambda: store.queue.dismiss(item.id, "bob", "answered by phone")),
                        ("dismiss", lambda: store.queue.mark_wrongly_routed(item.id, "bob", "about"))]:
        with pytest.raises(HeldByAnother) as e:
            act()
        assert (str(e.value), e.value.holder) == (refusal % action, "ann")
    assert store.queue.get_item(item.id).assignee == "ann" and store.queue.get_item(item.id).status.value == "claimed"
    assert store.queue.feedback() == []  # the refused wrongly-routed left no feedback behind
    store.queue.add_note(item.id, "bob", "she called us too")  # a note closes nothing: anyone may add one
    assert store.queue.release(item.id, "ann").status.value == "new"


def test_a_lead_takes_over_a_claim_and_it_is_logged(write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    _user(store, "lena", "lead")
    _user(store, "bob", "agent")
    item = store.queue.list_queue("open")[0]
    store.queue.claim(item.id, "ann")
    with pytest.raises(HeldByAnother):
        store.queue.resolve(item.id, "lena")  # a lead too must take it over first
    with pytest.raises(NotAllowed, match="^only a team lead can take over an item; bob is not a lead$"):
        store.queue.take_over(item.id, "bob")
    assert store.queue.take_over(item.id, "lena").assignee == "lena"
    store.queue.resolve(item.id, "lena")
    assert [(e.actor, e.words) for e in store.queue.history(item.id) if e.actor != "router"] == [
        ("ann", "claimed"), ("lena", "taken over from ann"), ("lena", "resolved")]


def test_a_lead_assigns_an_item_to_a_named_agent(write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    _user(store, "lena", "lead")
    _user(store, "bob", "agent")
    item = store.queue.list_queue("open")[0]
    assert store.queue.assign(item.id, "lena", "BOB").assignee == "bob"
    with pytest.raises(NotAllowed):
        store.queue.assign(item.id, "bob", "lena")
    with pytest.raises(InvalidTransition) as e:
        store.queue.resolve(item.id, "lena")
    assert str(e.value).startswith(f"queue item {item.id} is claimed by bob; only bob can resolve it")
    assert store.queue.history(item.id)[-1].words == "assigned to bob"


def test_the_queue_is_searched_by_text_author_day_and_reference(write_config: Callable[..., Path]) -> None:
    store = replayed(write_config)
    [marieke] = [i.id for i in store.queue.list_queue(None) if i.author_handle == "marieke"]
    [gerrit] = [i.id for i in store.queue.list_queue(None) if i.author_handle == "gerrit"]

    def found(**terms: str) -> list[int]:
        return sorted(i.id for i in store.queue.list_queue(None, search=QueueSearch(**terms)))

    assert found(text="gevonden") == [marieke]  # a word in a later message finds the item
    assert found(text="AMS123456") == [marieke]  # typed as "AMS 1234-56" in the post
    assert found(text="tpx4q1") == [gerrit]
    assert found(author="@Marieke") == [marieke] and found(author="Gerr") == [gerrit]
    day = store.queue.get_item(marieke).created_at[:10]
    assert found(since=day, until=day) == sorted([marieke, gerrit])
    assert found(until="2000-01-01") == []
    assert found(text="100%_") == []
    assert store.queue.count_queue(None, search=QueueSearch(text="koffer")) == 1
