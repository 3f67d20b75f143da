"""The Bluesky source against a fake PDS on 127.0.0.1: facets in UTF-8 bytes with emoji, replies to our posts
(also when the post was deleted), quotes, paging back to the checkpoint, restarts, 429 and 5xx, the check command."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import Settings, load_settings
from bot.errors import ConfigError, RateLimited, SourceAuthError, SourceUnavailable
from bot.mention import Mention
from bot.decide import brand_of
from bot.pipeline import Pipeline
from bot.sources.bluesky.mapping import char_offset
from bot.sources.bluesky.source import BlueskyMentionsSource, build_bluesky_source, build_bluesky_sources
from bot.store import Store
from bot.wiring import build_classifier
from classifiers.features import normalise_text
from tests.fake_bluesky import APP_PASSWORD, DATA, TOO_MANY, UNAVAILABLE, FakeBluesky, Reply, reset_in

ENV = {"BLUESKY_APP_PASSWORD": APP_PASSWORD}
US = DATA["session"]["did"]


def uri(rkey: str, did: str = "did:plc:sanne000000000000000000") -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


JOOST = "did:plc:joost000000000000000000"


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    f = FakeBluesky().start()
    yield f
    f.stop()


@pytest.fixture
def b_settings(write_config: Callable[..., Path], fake: FakeBluesky) -> Callable[..., Settings]:
    def make(**b: object) -> Settings:
        section = {"enabled": True, "service_url": fake.url, "backfill_hours": 100_000, "interval_seconds": 0.2,
                   "jitter_seconds": 0, "timeout_seconds": 0.5, "max_backoff_seconds": 1, **b}
        path = write_config(sources=f"bluesky: {json.dumps(section)}\n")
        text = path.read_text(encoding="utf-8").replace(
            "  names: [Tulpair, Tulp Air]\n", "  names: [Tulpair, Tulp Air]\n  bluesky_handles: [tulpair.bsky.social]\n")
        path.write_text(text, encoding="utf-8")
        return load_settings(path)

    return make


def source(settings: Settings) -> BlueskyMentionsSource:
    return build_bluesky_source(settings, environ=ENV)


def by_id(settings: Settings) -> dict[str, Mention]:
    return {m.id: m for m in source(settings).fetch(None).mentions}


def notification(n: int, when: datetime) -> dict[str, object]:
    item = copy.deepcopy(DATA["notifications"][3])
    item["uri"] = uri(f"3lbnew{n:07d}", JOOST)
    item["indexedAt"] = item["record"]["createdAt"] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    item["record"]["text"] = f"@tulpair.bsky.social waar blijft mijn geld? {n}"
    return item


# --- mapping -----------------------------------------------------------------------------------------------

def test_facet_byte_offsets_after_emoji_become_character_positions(b_settings: Callable[..., Settings]) -> None:
    m = by_id(b_settings())[uri("3lbaaaaaaa001")]
    assert m.text.startswith("Hé 👋🏽 @tulpair.bsky.social, mijn koffer")
    [h] = m.handles
    assert (h.handle, h.start, h.end, h.typed_by_author) == ("tulpair.bsky.social", 6, 26, True)
    facet = DATA["notifications"][0]["record"]["facets"][0]["index"]
    assert (facet["byteStart"], facet["byteEnd"]) == (13, 33)  # é is 2 bytes, 👋🏽 is 8
    assert m.author.handle == "sanne.bsky.social" and m.author.id == "did:plc:sanne000000000000000000"
    assert m.url == "https://bsky.app/profile/sanne.bsky.social/post/3lbaaaaaaa001" and m.lang == "nl"
    assert not m.is_reply_to_brand and not m.is_direct_message


def test_facets_counted_in_characters_are_found_again_in_the_text(b_settings: Callable[..., Settings]) -> None:
    m = by_id(b_settings())[uri("3lbaaaaaaa005")]
    assert [(h.handle, m.text[h.start:h.end]) for h in m.handles] == [
        ("tulpair.bsky.social", "@tulpair.bsky.social"), ("joost.example.nl", "@joost.example.nl")]
    assert m.is_quote


def test_a_reply_to_our_post_is_known_from_the_parent_uri(b_settings: Callable[..., Settings]) -> None:
    m = by_id(b_settings())[uri("3lbaaaaaaa002", JOOST)]
    assert m.is_reply_to_brand and m.handles == ()
    assert m.in_reply_to_post_id == uri("3lbour0000001", US) and m.in_reply_to_user_id == US
    assert m.conversation_id == uri("3lbour0000001", US)
    assert m.parent_text is None  # the record names its parent by URI and CID only, not its text


def test_a_reply_to_our_deleted_post_is_still_a_reply_to_us(b_settings: Callable[..., Settings]) -> None:
    m = by_id(b_settings())[uri("3lbaaaaaaa003")]
    assert m.is_reply_to_brand and m.in_reply_to_post_id == uri("3lbdeleted0001", US)


def test_likes_are_not_read_and_a_record_without_text_is_a_reject(
        b_settings: Callable[..., Settings], fake: FakeBluesky) -> None:
    batch = source(b_settings()).fetch(None)
    assert len(batch.mentions) == 5 and uri("3lbaaaaaaa006", JOOST) not in {m.id for m in batch.mentions}
    [reject] = batch.rejects
    assert reject.location == f"bluesky:mentions page 1 notification {uri('3lbaaaaaaa007')}"
    assert reject.reason == "missing field 'text'"
    assert batch.checkpoint == "2026-11-20T09:07:00.000Z"
    [listed] = fake.calls("app.bsky.notification.listNotifications")
    assert listed.query["limit"] == "100"


def test_the_text_model_sees_our_bluesky_handle_as_the_brand(b_settings: Callable[..., Settings]) -> None:
    settings = b_settings()
    m = by_id(settings)[uri("3lbaaaaaaa005")]
    assert normalise_text(m.text, brand_of(settings, "bluesky")) == "Wat een dag 😅 met @brand en @user.example.nl"


def test_byte_offsets_inside_a_character_are_not_positions() -> None:
    data = "👋 @a.b".encode()
    assert char_offset(data, 5) == 2 and char_offset(data, 2) is None and char_offset(data, 99) is None


# --- paging, checkpoints, restarts -------------------------------------------------------------------------

def test_pages_back_to_the_checkpoint_and_resumes_after_a_restart(
        b_settings: Callable[..., Settings], fake: FakeBluesky, tmp_path: Path) -> None:
    settings = b_settings()
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    assert pipeline.poll(source(settings)).stored == 5
    fake.page_size = 4
    start = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    for n in range(10):
        fake.add(notification(n, start + timedelta(minutes=n)))
    second = pipeline.poll(source(settings))
    assert second.stored == 10 and store.mentions.checkpoint("bluesky:mentions") == "2026-11-21T10:09:00.000Z"
    cursors = [c.query.get("cursor") for c in fake.calls("app.bsky.notification.listNotifications")[1:]]
    assert cursors == [None, "o4", "o8"]  # stopped on the page that reached the checkpoint
    store.close()
    store = Store(tmp_path / "webcare.db")  # a restart
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    fake.add(notification(10, start + timedelta(minutes=10)))
    third = pipeline.poll(source(settings))
    assert (third.fetched, third.stored, third.rejected) == (2, 1, 0)  # the boundary post again, stored once
    rows = store.db.execute("select id, count(*) from mentions where platform = 'bluesky' group by id").fetchall()
    assert len(rows) == 16 and all(n == 1 for _, n in rows)
    assert store.db.execute("select count(*) from rejects").fetchone()[0] == 1
    store.close()


def test_a_backlog_longer_than_max_pages_goes_on_at_the_next_poll(
        b_settings: Callable[..., Settings], fake: FakeBluesky, tmp_path: Path) -> None:
    settings = b_settings(max_pages=2)
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    assert pipeline.poll(source(settings)).stored == 5
    fake.page_size = 3
    start = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    for n in range(10):  # an outage's worth: more than two pages of three
        fake.add(notification(n, start + timedelta(minutes=n)))
    assert pipeline.poll(source(settings)).stored == 6
    backlog = json.loads(store.mentions.checkpoint("bluesky:mentions") or "")
    assert backlog == {"since": "2026-11-20T09:07:00.000000Z", "newest": "2026-11-21T10:09:00.000Z", "cursor": "o6"}
    store.close()
    store = Store(tmp_path / "webcare.db")  # a restart in the middle of the backlog
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    assert pipeline.poll(source(settings)).stored == 4
    assert store.mentions.checkpoint("bluesky:mentions") == "2026-11-21T10:09:00.000Z"
    assert pipeline.poll(source(settings)).stored == 0
    rows = store.db.execute("select id, count(*) from mentions where platform = 'bluesky' group by id").fetchall()
    assert len(rows) == 15 and all(n == 1 for _, n in rows)
    store.close()


def test_only_queries_are_sent_besides_the_login(b_settings: Callable[..., Settings], fake: FakeBluesky) -> None:
    src = source(b_settings())
    src.fetch(src.fetch(None).checkpoint)
    posts = [s.path for s in fake.seen if s.method != "GET"]
    assert posts == ["/xrpc/com.atproto.server.createSession"]  # one login per run
    assert {s.path for s in fake.seen if s.method == "GET"} == {
        "/xrpc/app.bsky.actor.getProfile", "/xrpc/app.bsky.notification.listNotifications"}


# --- failures ----------------------------------------------------------------------------------------------

def test_a_429_waits_until_the_reset_and_does_not_call_again_before(
        b_settings: Callable[..., Settings], fake: FakeBluesky) -> None:
    src = source(b_settings(max_rate_limit_wait_seconds=120))
    fake.fail("app.bsky.notification.listNotifications", Reply(429, TOO_MANY, reset_in(60)))
    with pytest.raises(RateLimited) as e:
        src.fetch(None)
    assert e.value.retry_at is not None
    assert 55 < (e.value.retry_at - datetime.now(timezone.utc)).total_seconds() <= 62
    assert str(e.value).startswith("bluesky:mentions: Bluesky answered 429 Too Many Requests for "
                                   "app.bsky.notification.listNotifications; the next call waits until ")
    calls = len(fake.seen)
    with pytest.raises(RateLimited, match="still waiting until"):
        src.fetch(None)
    assert len(fake.seen) == calls


def test_a_burst_of_5xx_backs_off_and_leaves_the_checkpoint(
        b_settings: Callable[..., Settings], fake: FakeBluesky, tmp_path: Path) -> None:
    settings = b_settings(interval_seconds=0.01, max_backoff_seconds=0.04)
    src = source(settings)
    fake.fail("app.bsky.notification.listNotifications", Reply(500, UNAVAILABLE), Reply(502, UNAVAILABLE),
              Reply(503, UNAVAILABLE))
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    for failure in (1, 2, 3):
        src.gate = type(src.gate)(src.name)  # the next poll comes after the wait (the scheduler waits)
        result = pipeline.poll(src)
        assert result.error_kind == "unavailable" and store.mentions.checkpoint("bluesky:mentions") is None
        assert f"(failure {failure} in a row)" in (result.error or "")
    src.gate = type(src.gate)(src.name)
    assert pipeline.poll(src).stored == 5 and src.api.backoff.failures == 0
    store.close()


def test_a_time_out_is_unavailable(b_settings: Callable[..., Settings], fake: FakeBluesky) -> None:
    fake.fail("app.bsky.notification.listNotifications", Reply(200, {"notifications": []}, delay=1.0))
    with pytest.raises(SourceUnavailable, match=r"no answer from http://127\.0\.0\.1:\d+ within 0\.5s"):
        source(b_settings()).fetch(None)


def test_a_missing_or_refused_app_password_says_what_to_do(b_settings: Callable[..., Settings]) -> None:
    settings = b_settings()
    with pytest.raises(SourceAuthError) as e:
        build_bluesky_source(settings, environ={})
    assert str(e.value) == (
        "Bluesky: the environment variable BLUESKY_APP_PASSWORD is not set; set it to an app password of the brand "
        "account (Settings > Privacy and security > App passwords) before starting the bot")
    with pytest.raises(SourceAuthError) as e:
        build_bluesky_source(settings, environ={"BLUESKY_APP_PASSWORD": "wrong"}).fetch(None)
    assert str(e.value) == (f"bluesky:mentions: {settings.sources.bluesky.service_url} refused @tulpair.bsky.social "
                            f"(401 AuthenticationRequired: Invalid identifier or password); put a valid app password "
                            f"in the environment variable BLUESKY_APP_PASSWORD")


def test_enabled_without_a_handle_is_a_config_error(write_config: Callable[..., Path], fake: FakeBluesky) -> None:
    settings = load_settings(write_config(sources=f"bluesky: {{enabled: true, service_url: '{fake.url}'}}\n"))
    with pytest.raises(ConfigError) as e:
        build_bluesky_source(settings, environ=ENV)
    assert str(e.value) == ("sources.bluesky is enabled but neither sources.bluesky.handle nor brand.bluesky_handles "
                            "names the account; add the brand's handle, such as tulpair.bsky.social, to "
                            "brand.bluesky_handles")


# --- webcare bluesky check -----------------------------------------------------------------------------------

def test_check_names_the_account_and_the_rate_limit_window(
        b_settings: Callable[..., Settings], fake: FakeBluesky, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = b_settings()
    fake.rate = reset_in(120, remaining=2990)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", APP_PASSWORD)
    result = CliRunner().invoke(main, ["--config", str(settings.base_dir / "config.yaml"), "bluesky", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["app password from BLUESKY_APP_PASSWORD: accepted",
                         f"logged in as @tulpair.bsky.social ({US}) on {fake.url}"]
    assert lines[2].startswith("notifications: 2990/3000 requests left, resets at ")
    assert len(lines) == 3


def test_check_with_direct_messages_says_whether_the_password_may_read_them(
        b_settings: Callable[..., Settings], fake: FakeBluesky, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = b_settings(direct_messages=True)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", APP_PASSWORD)
    args = ["--config", str(settings.base_dir / "config.yaml"), "bluesky", "check"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and result.output.splitlines()[-1] == "direct messages: the app password may read them"
    fake.chat_allowed = False
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "make an app password with \"allow access to your direct messages\"" in result.output


# --- the optional search -----------------------------------------------------------------------------------

def test_search_reads_posts_that_name_the_brand_once_each_under_its_own_checkpoint(
        b_settings: Callable[..., Settings], fake: FakeBluesky, tmp_path: Path) -> None:
    settings = b_settings(search={"enabled": True})
    mentions, search = build_bluesky_sources(settings, environ=ENV)
    assert search.name == "bluesky:search"
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    assert pipeline.poll(mentions).stored == 5
    result = pipeline.poll(search)
    assert (result.stored, result.rejected) == (3, 1)  # the post with a number for text is kept as a reject
    assert store.mentions.checkpoint("bluesky:search") == "2026-11-20T10:04:00.000Z"
    assert [c.query["q"] for c in fake.calls("app.bsky.feed.searchPosts")] == ["Tulpair", "Tulp Air"]
    assert [p for p in fake.seen if p.method != "GET"] == [fake.seen[0]]  # one login for both sources
    again = pipeline.poll(search)
    assert (again.stored, again.rejected) == (0, 0)
    texts = [r[0] for r in store.db.execute("select text from mentions where id like '%3lbsearch%'").fetchall()]
    assert sorted(texts) == sorted(p["record"]["text"] for p in DATA["search"][:3])
    store.close()


# --- the optional direct messages ----------------------------------------------------------------------------

def test_direct_messages_to_the_brand_are_read_through_the_chat_proxy_once_each(
        b_settings: Callable[..., Settings], fake: FakeBluesky, tmp_path: Path) -> None:
    settings = b_settings(direct_messages=True)
    _, messages = build_bluesky_sources(settings, environ=ENV)
    assert messages.name == "bluesky:messages"
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    result = pipeline.poll(messages)
    # Sanne's two messages; not the brand's own reply, not the deleted one; the one with a number for text a reject.
    assert (result.stored, result.rejected) == (2, 1)
    assert store.mentions.checkpoint("bluesky:messages") == "3lbrev0000005"
    m = store.mentions.get_mention("bluesky", "dm:3lbconvo00001:3lbmsg0000003")
    assert m.is_direct_message and m.author.handle == "sanne.bsky.social" and m.text.startswith("Hoi, mijn boeking")
    assert m.url == "https://bsky.app/messages/3lbconvo00001"
    fake.messages["3lbconvo00001"].append({**DATA["chat"]["messages"]["3lbconvo00001"][0], "id": "3lbmsg0000006",
                                            "rev": "3lbrev0000006", "text": "Ik wacht nog steeds"})
    fake.convos[0]["rev"] = "3lbrev0000006"
    again = pipeline.poll(messages)
    assert (again.stored, again.rejected) == (1, 0)
    assert [c.query.get("convoId") for c in fake.calls("chat.bsky.convo.getMessages")] == [
        "3lbconvo00001", "3lbconvo00002", "3lbconvo00001"]  # the quiet conversation is not read again
    assert {s.method for s in fake.seen if s.path.startswith("/xrpc/chat.")} == {"GET"}
    store.close()


def test_without_access_to_direct_messages_the_error_says_how_to_fix_it(
        b_settings: Callable[..., Settings], fake: FakeBluesky) -> None:
    fake.chat_allowed = False
    _, messages = build_bluesky_sources(b_settings(direct_messages=True), environ=ENV)
    with pytest.raises(SourceAuthError) as e:
        messages.fetch(None)
    assert str(e.value) == (
        f"bluesky:messages: {fake.url} refused chat.bsky.convo.listConvos (401 InvalidToken: Bad token scope); make "
        f"an app password with \"allow access to your direct messages\" and put it in the environment variable "
        f"BLUESKY_APP_PASSWORD, or turn sources.bluesky.direct_messages off")
