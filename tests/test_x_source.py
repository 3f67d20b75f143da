"""The X source against a fake X API v2 on 127.0.0.1: mapping, paging, checkpoints, pacing and failures."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import Settings, load_settings
from bot.errors import ConfigError, RateLimited, SourceAuthError, SourceError, SourceUnavailable
from bot.mention import Mention
from bot.pipeline import Pipeline
from bot.sources.x.check import check_x
from bot.sources.x.client import build_client
from bot.sources.x.source import XMentionsSource, XSearchSource, build_x_sources, search_query
from bot.store import Store
from bot.wiring import build_classifier
from tests.fake_x import TOKEN, TOO_MANY, UNAVAILABLE, FakeX, RefusingProxy, Reply, forward, load, reset_in, served_time

ENV = {"X_BEARER_TOKEN": TOKEN}
TIMELINE = load("timeline.json")
IDS = [t["id"] for t in TIMELINE["data"]]


@pytest.fixture
def x_settings(write_config: Callable[..., Path]) -> Callable[..., Settings]:
    def make(search: dict[str, object] | None = None, **x: object) -> Settings:
        section = {"enabled": True, "accounts": ["Tulpair"], "backfill_hours": 100_000, "interval_seconds": 0.2,
                   "jitter_seconds": 0, "timeout_seconds": 0.5, **x}
        if search is not None:
            section["search"] = search
        return load_settings(write_config(sources=f"x: {json.dumps(section)}\n"))

    return make


def sources(settings: Settings, fake: FakeX, store: Store | None = None) -> list[XMentionsSource | XSearchSource]:
    return build_x_sources(settings, store.x_users if store else None, client=forward(build_client(settings.sources.x, ENV), fake))


def fetch_all(settings: Settings, fake: FakeX) -> dict[str, Mention]:
    batch = sources(settings, fake)[0].fetch(None)
    return {m.id: m for m in batch.mentions}


def by_text(mentions: dict[str, Mention], start: str) -> Mention:
    return next(m for m in mentions.values() if m.text.startswith(start))


# --- mapping: who typed which handle, replies to the brand, positions -------------------------------------------

def test_reply_prefix_handles_are_inherited_not_typed(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    ms = fetch_all(x_settings(), fake)
    plain = by_text(ms, "@Tulpair waar is mijn koffer")
    assert plain.typed_handles == ["Tulpair"] and plain.inherited_handles == []
    # Jan replies to Mark's post that mentioned the brand: both handles are X's prefix.
    chain_only = by_text(ms, "@mark_travels @Tulpair same here")
    assert chain_only.inherited_handles == ["mark_travels", "Tulpair"] and chain_only.typed_handles == []
    # Same thread, but Jan typed the brand's handle himself after the prefix.
    typed = by_text(ms, "@mark_travels ik vraag het gewoon")
    assert typed.inherited_handles == ["mark_travels"] and typed.typed_handles == ["Tulpair"]
    assert typed.in_reply_to_post_id == TIMELINE["data"][1]["id"] and typed.in_reply_to_user_id == "1002"


def test_without_display_text_range_the_replied_to_post_tells_the_prefix(
        x_settings: Callable[..., Settings], fake: FakeX) -> None:
    ms = fetch_all(x_settings(), fake)
    # No display_text_range: Sanne (replied to) and Tulpair (in Sanne's post) are the thread's handles.
    reply = by_text(ms, "@sanne_v @Tulpair herkenbaar")
    assert "display_text_range" not in reply.raw["data"]
    assert reply.inherited_handles == ["sanne_v", "Tulpair"] and reply.typed_handles == []


def test_reply_to_the_brands_own_post_is_marked(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    ms = fetch_all(x_settings(), fake)
    to_brand = by_text(ms, "@Tulpair en wanneer vertrekt hij dan")
    assert to_brand.is_reply_to_brand is True
    assert to_brand.inherited_handles == ["Tulpair"]  # the prefix, yet clearly addressed to the brand
    assert by_text(ms, "@mark_travels @Tulpair same here").is_reply_to_brand is False
    assert by_text(ms, "@Tulpair waar is mijn koffer").is_reply_to_brand is False


def test_a_reply_carries_the_text_of_the_post_it_replies_to(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    ms = fetch_all(x_settings(), fake)
    # The replied-to posts come in the page's includes.tweets: the brand's own post, a customer's post.
    assert by_text(ms, "@Tulpair en wanneer vertrekt hij dan").parent_text == (
        "We're sorry for the delays at Schiphol today. Our team is working hard to get you on your way.")
    assert by_text(ms, "@mark_travels @Tulpair same here").parent_text == (
        "@Tulpair why is my flight to Lisbon cancelled again? Nobody at the desk")
    assert by_text(ms, "@Tulpair waar is mijn koffer").parent_text is None  # not a reply
    assert by_text(ms, "Lol look at @Tulpair").parent_text is None  # a quote is not a reply


@pytest.mark.parametrize("start", ["😡🧳 @Tulpair", "🇳🇱✈️ Dank je", "@Tulpair 𝐰𝐡𝐞𝐫𝐞"])
def test_positions_are_python_characters_with_emoji_and_astral_text(
        x_settings: Callable[..., Settings], fake: FakeX, start: str) -> None:
    m = by_text(fetch_all(x_settings(), fake), start)
    assert m.handles and all(m.text[h.start:h.end] == f"@{h.handle}" for h in m.handles)
    assert any(ord(c) > 0xFFFF for c in m.text[: m.handles[-1].start])  # UTF-16 offsets would be off here
    assert all(h.typed_by_author for h in m.handles)


def test_dutch_and_english_posts_fill_every_field(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    ms = fetch_all(x_settings(), fake)
    nl, en = by_text(ms, "@Tulpair waar is mijn koffer"), by_text(ms, "@Tulpair why is my flight")
    assert (nl.lang, en.lang) == ("nl", "en")
    assert nl.platform == "x" and nl.id == IDS[0] and nl.key == f"x:{IDS[0]}"
    assert (nl.author.id, nl.author.handle, nl.author.name, nl.author.followers) == ("1001", "sanne_v", "Sanne", 312)
    assert nl.url == f"https://x.com/sanne_v/status/{IDS[0]}"
    assert nl.created_at == served_time("2026-11-20T09:00:00.000Z")
    assert nl.conversation_id == IDS[0] and nl.in_reply_to_post_id is None and nl.in_reply_to_user_id is None
    assert (nl.is_repost, nl.is_quote, nl.is_direct_message, nl.is_reply_to_brand) == (False, False, False, False)
    assert nl.raw["data"]["public_metrics"]["impression_count"] == 41
    assert [u["id"] for u in nl.raw["includes"]["users"]] == ["1001"]
    assert by_text(ms, "Lol look at @Tulpair").is_quote is True


def test_escaped_text_is_unescaped_and_positions_still_hold(x_settings: Callable[..., Settings],
                                                            fake: FakeX) -> None:
    m = by_text(fetch_all(x_settings(), fake), "@Tulpair bagage")
    assert m.text == "@Tulpair bagage & check-in gingen top vandaag <3 dank jullie wel"
    assert [(h.handle, h.start, h.end) for h in m.handles] == [("Tulpair", 0, 8)]


def test_errors_array_is_logged_and_the_rest_kept(x_settings: Callable[..., Settings], fake: FakeX,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    page = load("page_deleted_reference.json")
    fake.fail("mentions", Reply(200, page))
    with caplog.at_level(logging.WARNING, logger="bot.sources.x.source"):
        batch = sources(x_settings(), fake)[0].fetch("1")
    deleted = page["errors"][0]["resource_id"]
    assert f"x:mentions:Tulpair: X left out 1 item(s), the rest is kept: tweet {deleted}: Not Found Error" \
        in caplog.messages
    assert len(batch.mentions) == 2 and batch.rejects == []
    reply = next(m for m in batch.mentions if m.in_reply_to_post_id == deleted)  # the replied-to post is gone
    assert reply.inherited_handles == ["reisnieuws"] and reply.typed_handles == ["Tulpair"]
    assert reply.is_reply_to_brand is False and reply.raw["includes"]["tweets"] == []
    assert reply.parent_text is None  # X could not send it
    assert batch.checkpoint == page["meta"]["newest_id"]


def test_missing_includes_do_not_crash_and_a_broken_post_is_rejected(x_settings: Callable[..., Settings],
                                                                      fake: FakeX) -> None:
    fake.fail("mentions", Reply(200, load("page_no_includes.json")))
    batch = sources(x_settings(), fake)[0].fetch("1")
    [m] = batch.mentions
    assert m.author.id == "1001" and m.author.handle == "" and m.url == f"https://x.com/i/web/status/{m.id}"
    assert m.typed_handles == ["Tulpair"]
    [reject] = batch.rejects
    assert reject.reason == "missing field 'created_at'"
    assert reject.location.startswith("x:mentions:Tulpair page 1 post ")
    assert json.loads(reject.raw)["text"] == "@Tulpair test"


# --- paging and checkpoints ---------------------------------------------------------------------------------------

def test_pagination_follows_next_token_to_the_end(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    fake.page_size = 5
    batch = sources(x_settings(), fake)[0].fetch(None)
    assert sorted(m.id for m in batch.mentions) == sorted(IDS)
    assert batch.checkpoint == max(IDS, key=int)
    calls = fake.calls("mentions")
    assert [c.query.get("pagination_token") for c in calls] == [None, "p5", "p10"]
    assert all(c.query["max_results"] == "100" and "display_text_range" in c.query["tweet.fields"] for c in calls)
    assert calls[0].path == "/2/users/90001/mentions"


def test_since_id_resumes_after_restart_and_stores_each_post_once(
        x_settings: Callable[..., Settings], fake: FakeX, tmp_path: Path) -> None:
    settings = x_settings()
    store = Store(settings.database_path)
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    first = pipeline.poll(sources(settings, fake, store)[0])
    assert (first.fetched, first.stored, first.error) == (12, 12, None)
    store.close()

    fresh = dict(TIMELINE["data"][0], id=str(int(max(IDS, key=int)) + 1), text="@Tulpair nog een vraag")
    fake.timelines["mentions"]["data"].append(fresh)
    store = Store(settings.database_path)  # a restart: new store, new sources, new client
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    second = pipeline.poll(sources(settings, fake, store)[0])
    assert (second.fetched, second.stored) == (1, 1)
    assert fake.calls("mentions")[-1].query["since_id"] == max(IDS, key=int)
    assert store.mentions.checkpoint("x:mentions:Tulpair") == fresh["id"]
    assert store.mentions.count_mentions() == 13
    assert len(fake.calls("users")) == 1  # the handle's user id came from the store after the restart
    assert store.x_users.x_user_id("TULPAIR") == "90001"
    store.close()


def test_first_start_backfills_only_as_far_as_configured(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    sources(x_settings(backfill_hours=2), fake)[0].fetch(None)
    query = fake.calls("mentions")[0].query
    start = datetime.strptime(query["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert "since_id" not in query
    assert abs((datetime.now(timezone.utc) - start) - timedelta(hours=2)) < timedelta(seconds=5)


# --- pacing and failures ------------------------------------------------------------------------------------------

def test_429_waits_until_the_reset_header_and_keeps_the_checkpoint(
        x_settings: Callable[..., Settings], fake: FakeX, tmp_path: Path) -> None:
    settings = x_settings()
    store = Store(settings.database_path)
    store.mentions.store_batch("x:mentions:Tulpair", [], IDS[0])
    source = sources(settings, fake, store)[0]
    fake.fail("mentions", Reply(429, TOO_MANY, reset_in(30)))
    result = Pipeline(store, lambda: settings, build_classifier(settings).load()).poll(source)
    assert result.error is not None and result.error.startswith(
        "rate_limited: x:mentions:Tulpair: X answered 429 Too Many Requests for GET /2/users/90001/mentions; "
        "the next call waits until ")
    assert result.next_poll_after is not None and 28 <= result.next_poll_after <= 32
    assert store.mentions.checkpoint("x:mentions:Tulpair") == IDS[0]
    [status] = [s for s in store.mentions.source_status() if s.source == "x:mentions:Tulpair"]
    assert status.last_error_kind == "rate_limited" and status.errors == 1
    calls = len(fake.seen)
    with pytest.raises(RateLimited, match=r"^x:mentions:Tulpair: still waiting until .* UTC after: X answered 429"):
        source.fetch(IDS[0])
    assert len(fake.seen) == calls  # polled early: X was not called again
    store.close()


def test_429_wait_is_bounded_by_config(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    fake.fail("mentions", Reply(429, TOO_MANY, reset_in(3600)))
    with pytest.raises(RateLimited) as e:
        sources(x_settings(max_rate_limit_wait_seconds=60), fake)[0].fetch(None)
    assert e.value.retry_at is not None
    assert (e.value.retry_at - datetime.now(timezone.utc)).total_seconds() == pytest.approx(60, abs=2)


def test_429_without_reset_header_backs_off_instead_of_spinning(x_settings: Callable[..., Settings],
                                                                fake: FakeX) -> None:
    fake.fail("mentions", Reply(429, TOO_MANY))
    with pytest.raises(RateLimited) as e:
        sources(x_settings(interval_seconds=10), fake)[0].fetch(None)
    assert e.value.retry_at is not None
    assert 4 <= (e.value.retry_at - datetime.now(timezone.utc)).total_seconds() <= 11
    assert len(fake.calls("mentions")) == 1


def test_503_then_recovery(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    source = sources(x_settings(), fake)[0]
    fake.fail("mentions", Reply(503, UNAVAILABLE), Reply(503, UNAVAILABLE))
    with pytest.raises(SourceUnavailable, match=r"^x:mentions:Tulpair: X answered 503 Service Unavailable for "
                       r"GET /2/users/90001/mentions; retrying in 0s \(failure 1 in a row\)$"):
        source.fetch(None)
    time.sleep(0.25)
    with pytest.raises(SourceUnavailable, match=r"\(failure 2 in a row\)$"):
        source.fetch(None)
    time.sleep(0.45)
    batch = source.fetch(None)
    assert len(batch.mentions) == 12 and batch.checkpoint == max(IDS, key=int)


def test_a_failed_second_page_returns_nothing(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    fake.page_size = 5
    fake.fail("mentions", Reply(normal=True), Reply(502, {"title": "Bad Gateway"}))
    with pytest.raises(SourceUnavailable, match="X answered 502 Bad Gateway"):
        sources(x_settings(), fake)[0].fetch(None)
    assert [c.query.get("pagination_token") for c in fake.calls("mentions")] == [None, "p5"]


def test_timeout_is_unavailable_and_backs_off(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    fake.fail("mentions", Reply(200, {"data": []}, delay=1.5))
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"^x:mentions:Tulpair: no answer from X within 0.3s; retrying in "
                       r"\d+s \(failure 1 in a row\)$") as e:
        sources(x_settings(timeout_seconds=0.3), fake)[0].fetch(None)
    assert time.monotonic() - started < 1.4
    assert e.value.retry_at is not None


def test_rate_limit_headers_stretch_the_interval(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    fake.rate = reset_in(900, remaining=3, limit=10)
    batch = sources(x_settings(), fake)[0].fetch(None)
    assert batch.next_poll_after == pytest.approx(300, abs=3)
    fake.rate = reset_in(900, remaining=450, limit=450)
    assert sources(x_settings(interval_seconds=60), fake)[0].fetch(None).next_poll_after is None


# --- credentials --------------------------------------------------------------------------------------------------

def test_missing_token_names_the_environment_variable(x_settings: Callable[..., Settings]) -> None:
    with pytest.raises(SourceAuthError) as e:
        build_client(x_settings(bearer_token_env="TULPAIR_X_TOKEN").sources.x, {})
    assert str(e.value) == ("X: the environment variable TULPAIR_X_TOKEN is not set; set it to the bearer token of "
                            "your X app (developer.x.com, Keys and tokens) before starting the bot")


def test_refused_token_never_appears_in_messages_or_logs(x_settings: Callable[..., Settings], fake: FakeX,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    settings = x_settings()
    with caplog.at_level(logging.DEBUG):
        sources(settings, fake)[0].fetch(None)  # a full good poll, logged at DEBUG
        wrong = build_x_sources(settings, None, client=forward(
            build_client(settings.sources.x, {"X_BEARER_TOKEN": "wrong-token-BBBB"}), fake))[0]
        with pytest.raises(SourceAuthError) as e:
            wrong.fetch(None)
    assert str(e.value) == ("x:mentions:Tulpair: X refused the bearer token (401 Unauthorized); put a valid token "
                            "in the environment variable X_BEARER_TOKEN")
    assert caplog.records and TOKEN not in caplog.text and "wrong-token-BBBB" not in caplog.text


def test_unknown_handle_is_named(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    with pytest.raises(SourceError) as e:
        sources(x_settings(accounts=["Tulpiar"]), fake)[0].fetch(None)
    assert str(e.value) == ("x:mentions:Tulpiar: X knows no account @Tulpiar; check the handles in "
                            "sources.x.accounts (or brand.handles)")


# --- search -------------------------------------------------------------------------------------------------------

def test_search_query_is_built_from_the_config(x_settings: Callable[..., Settings]) -> None:
    settings = x_settings(accounts=[], search={"enabled": True, "exclude_terms": ["vacature"], "languages": ["nl", "en"]})
    assert search_query(settings) == ('(Tulpair OR "Tulp Air") -vacature -@Tulpair -@TulpairHelp -from:Tulpair '
                                      '-from:TulpairHelp (lang:nl OR lang:en) -is:retweet')
    reposts = x_settings(search={"enabled": True, "terms": ["Tulpair"], "include_reposts": True})
    assert search_query(reposts) == "(Tulpair) -@Tulpair -from:Tulpair -from:TulpairHelp"


def test_a_search_query_over_512_characters_is_refused(x_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError) as e:
        search_query(x_settings(search={"enabled": True, "terms": [f"term{i:03d}" for i in range(70)]}))
    assert str(e.value) == ("sources.x.search: the search query is 822 characters long and X allows 512; use fewer "
                            "terms, exclude_terms or staff_accounts")


def test_search_has_its_own_checkpoint(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    settings = x_settings(search={"enabled": True})
    store = Store(settings.database_path)
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    mentions, search = sources(settings, fake, store)
    assert search.name == "x:search"
    result = pipeline.poll(search)
    assert (result.fetched, result.stored, result.error) == (3, 3, None)
    searched = load("search.json")["data"]
    assert store.mentions.checkpoint("x:search") == max((t["id"] for t in searched), key=int)
    assert store.mentions.checkpoint("x:mentions:Tulpair") is None
    assert fake.calls("search")[0].query["query"] == search.query
    assert store.mentions.get_mention("x", searched[1]["id"]).handles == ()
    store.close()


# --- webcare x check ----------------------------------------------------------------------------------------------

def test_x_check_resolves_handles_keeps_them_and_shows_the_limits(
        x_settings: Callable[..., Settings], fake: FakeX) -> None:
    settings = x_settings(search={"enabled": True})
    fake.rate = {"x-rate-limit-limit": "10", "x-rate-limit-remaining": "9", "x-rate-limit-reset": "1795172400"}
    store = Store(settings.database_path)
    lines = check_x(settings, forward(build_client(settings.sources.x, ENV), fake), store.x_users)
    assert lines[:5] == [
        "bearer token from X_BEARER_TOKEN: accepted",
        "@Tulpair: user id 90001 (mentions read)",
        "@TulpairHelp: user id 90002",
        "users lookup: 9/10 requests left, resets at 2026-11-20 11:00:00 UTC",
        "mentions: 9/10 requests left, resets at 2026-11-20 11:00:00 UTC",
    ]
    assert lines[5].startswith("search query (") and lines[6].startswith("search: 9/10 requests left")
    assert store.x_users.x_user_id("tulpairhelp") == "90002"
    assert {s.method for s in fake.seen} == {"GET"}
    store.close()


def test_x_check_command_without_a_token_says_which_variable(write_config: Callable[..., Path]) -> None:
    config = write_config(sources="x: {enabled: true}\n")
    result = CliRunner().invoke(main, ["--config", str(config), "x", "check"])
    assert result.exit_code == 1
    assert result.output == ("Error: X: the environment variable X_BEARER_TOKEN is not set; set it to the bearer "
                             "token of your X app (developer.x.com, Keys and tokens) before starting the bot\n")


def test_x_check_offline_says_so_without_promising_a_retry(
        write_config: Callable[..., Path], proxy: RefusingProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(sources="x: {enabled: true}\n")
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # the way out leads nowhere: offline
    result = CliRunner().invoke(main, ["--config", str(config), "x", "check"])
    assert (result.exit_code, result.output) == (1, (
        "Error: x check: cannot reach X (ProxyError); nothing was retried: run it again when X can be reached\n"))
    assert proxy.asked == ["api.twitter.com:443"]


def test_x_check_rate_limited_says_when_to_try_again(x_settings: Callable[..., Settings], fake: FakeX) -> None:
    settings = x_settings()
    fake.fail("users", Reply(429, TOO_MANY, reset_in(120)))
    store = Store(settings.database_path)
    with pytest.raises(RateLimited) as e:
        check_x(settings, forward(build_client(settings.sources.x, ENV), fake), store.x_users)
    store.close()
    assert e.value.retry_at is not None
    assert str(e.value) == ("x check: X answered 429 Too Many Requests for GET /2/users/by; try again after "
                            f"{e.value.retry_at:%H:%M:%S} UTC")
