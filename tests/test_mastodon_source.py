"""The Mastodon source against a fake Mastodon server on 127.0.0.1: HTML made plain, who typed which handle,
direct messages and replies to our posts, paging and checkpoints, 429 and 5xx, the check command."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import Settings, load_settings
from bot.errors import ConfigError, RateLimited, SourceAuthError, SourceUnavailable
from bot.mention import Mention
from bot.decide import brand_of
from bot.pipeline import Pipeline
from bot.sources.mastodon.source import MastodonPoller, build_mastodon_source, build_mastodon_sources
from bot.store import Store
from bot.text.terms import terms
from bot.wiring import build_classifier
from classifiers.features import extract, normalise_text
from tests.fake_mastodon import DATA, TOKEN, TOO_MANY, UNAVAILABLE, FakeMastodon, Reply, reset_in

ENV = {"MASTODON_ACCESS_TOKEN": TOKEN}
BRAND = "  mastodon_handles: ['@tulpair@mastodon.social']\n"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    f = FakeMastodon().start()
    yield f
    f.stop()


@pytest.fixture
def m_settings(write_config: Callable[..., Path], fake: FakeMastodon) -> Callable[..., Settings]:
    def make(**m: object) -> Settings:
        section = {"enabled": True, "api_base_url": fake.url, "backfill_hours": 100_000, "interval_seconds": 0.2,
                   "jitter_seconds": 0, "timeout_seconds": 0.5, "max_backoff_seconds": 1, **m}
        path = write_config(sources=f"mastodon: {json.dumps(section)}\n")
        text = path.read_text(encoding="utf-8").replace("  names: [Tulpair, Tulp Air]\n",
                                                        "  names: [Tulpair, Tulp Air]\n" + BRAND)
        path.write_text(text, encoding="utf-8")
        return load_settings(path)

    return make


def source(settings: Settings) -> MastodonPoller:
    return build_mastodon_source(settings, environ=ENV)


def by_id(settings: Settings) -> dict[str, Mention]:
    return {m.id: m for m in source(settings).fetch(None).mentions}


def notification(n: int, text: str = "help") -> dict[str, object]:
    """A new mention notification, shaped like the fixture's first one."""
    item = copy.deepcopy(DATA["notifications"][0])
    item["id"] = str(500_000 + n)
    item["status"]["id"] = str(113_600_000_000_000_000 + n)
    item["status"]["content"] = f"<p>@tulpair {text} {n}</p>"
    return item


# --- mapping -----------------------------------------------------------------------------------------------

def test_html_becomes_plain_text_with_qualified_handles_links_and_emoji(m_settings: Callable[..., Settings]) -> None:
    m = by_id(m_settings())["113500000000000101"]
    assert m.text == ("@tulpair@mastodon.social waar is mijn koffer? 😡 Al 3 dagen & niemand belt terug "
                      "https://example.com/claim/2026/abc #bagage\n\nGroet,\nPiet")
    [h] = m.handles
    assert (h.handle, m.text[h.start:h.end], h.typed_by_author) == (
        "tulpair@mastodon.social", "@tulpair@mastodon.social", True)
    assert m.author.handle == "piet@mastodon.social" and m.author.name == "Piet"
    assert m.url == "https://mastodon.social/@piet/113500000000000101" and m.lang == "nl"
    assert m.platform == "mastodon" and not m.is_direct_message and not m.is_reply_to_brand
    assert "alert" not in m.text


def test_a_direct_status_is_a_direct_message(m_settings: Callable[..., Settings]) -> None:
    m = by_id(m_settings())["113500000000000102"]
    assert m.is_direct_message and m.author.handle == "anna@other.example"
    assert m.typed_handles == ["tulpair@mastodon.social"]


def test_a_reply_to_our_post_is_known_and_its_prefilled_handle_inherited(m_settings: Callable[..., Settings]) -> None:
    m = by_id(m_settings())["113500000000000103"]
    assert m.is_reply_to_brand and m.in_reply_to_post_id == "113500000000000010"
    assert m.inherited_handles == ["tulpair@mastodon.social"] and m.typed_handles == []
    assert m.parent_text is None  # a status names its parent by id only; it was not fetched for this one


def test_the_parents_handles_prefilled_in_a_reply_are_inherited(
        m_settings: Callable[..., Settings], fake: FakeMastodon) -> None:
    m = by_id(m_settings())["113500000000000104"]
    # Anna replied to Mark's post that mentioned us: Mastodon prefilled both handles.
    assert m.inherited_handles == ["mark@mastodon.social", "tulpair@mastodon.social"] and m.typed_handles == []
    assert not m.is_reply_to_brand
    assert [c.path for c in fake.calls("status")].count("/api/v1/statuses/113500000000000020") == 1
    # The parent was fetched to tell the prefill, so its plain text comes along as the classifier's context.
    assert m.parent_text == "Wie vliegt er ook met @tulpair morgen?"


def test_a_reply_whose_parent_was_deleted_is_kept_with_what_it_says(
        m_settings: Callable[..., Settings], fake: FakeMastodon) -> None:
    m = by_id(m_settings())["113500000000000105"]
    assert "/api/v1/statuses/113500000000000099" in [c.path for c in fake.calls("status")]  # answered 404
    assert m.in_reply_to_post_id == "113500000000000099" and m.in_reply_to_user_id == "109000000000000002"
    # Only the parent's author is known to be prefilled; our handle after it was typed.
    assert m.inherited_handles == ["mark@mastodon.social"] and m.typed_handles == ["tulpair@mastodon.social"]


def test_an_account_of_the_same_name_on_another_server_is_not_the_brand(m_settings: Callable[..., Settings]) -> None:
    settings = m_settings()
    m = by_id(settings)["113500000000000106"]
    assert m.text.startswith("meta\n\nLol, @tulpair@evil.example is niet @tulpair@mastodon.social")  # the CW first
    assert m.typed_handles == ["tulpair@evil.example", "tulpair@mastodon.social"]
    # What the text model reads: only the brand's own server's account is @brand.
    assert normalise_text(m.text, brand_of(settings, "mastodon")).startswith(
        "meta\n\nLol, @user@evil.example is niet @brand")
    signals = extract(m, brand_of(settings, "mastodon"))
    assert signals["brand_handle_typed"] == 1 and signals["other_handles"] > 0


def test_a_notification_without_its_status_account_is_a_reject_and_the_rest_is_kept(
        m_settings: Callable[..., Settings]) -> None:
    batch = source(m_settings()).fetch(None)
    assert len(batch.mentions) == 6
    [reject] = batch.rejects
    assert reject.location == "mastodon:mentions page 1 notification 400008"
    assert reject.reason == "field 'account' must be an object, got NoneType"
    assert json.loads(reject.raw)["id"] == "400008"
    assert batch.checkpoint == "400008"


# --- paging, checkpoints, restarts -------------------------------------------------------------------------

def test_pages_forward_from_the_checkpoint_and_resumes_after_a_restart(
        m_settings: Callable[..., Settings], fake: FakeMastodon, tmp_path: Path) -> None:
    settings = m_settings(max_pages=2)
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    first = pipeline.poll(source(settings))
    assert first.stored == 6 and store.mentions.checkpoint("mastodon:mentions") == "400008"
    fake.page_size = 3
    for n in range(10):
        fake.add(notification(n))
    second = pipeline.poll(source(settings))  # two pages of three: six of the ten
    assert second.stored == 6 and store.mentions.checkpoint("mastodon:mentions") == "500005"
    store.close()
    store = Store(tmp_path / "webcare.db")  # a restart: a new store and source, the same file
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    third = pipeline.poll(source(settings))
    assert third.stored == 4 and store.mentions.checkpoint("mastodon:mentions") == "500009"
    assert pipeline.poll(source(settings)).stored == 0
    rows = store.db.execute("select id, count(*) from mentions where platform = 'mastodon' group by id").fetchall()
    assert len(rows) == 16 and all(n == 1 for _, n in rows)
    forward = [c.query.get("min_id") for c in fake.calls("notifications") if "min_id" in c.query]
    assert forward[:3] == ["400008", "500002", "500005"]
    store.close()


def test_only_reads_are_sent(m_settings: Callable[..., Settings], fake: FakeMastodon) -> None:
    src = source(m_settings())
    src.fetch(src.fetch(None).checkpoint)
    assert {s.method for s in fake.seen} == {"GET"}
    assert {fake.endpoint(s.path) for s in fake.seen} == {"verify", "notifications", "status"}


# --- failures ----------------------------------------------------------------------------------------------

def test_a_429_waits_until_the_reset_and_does_not_call_again_before(
        m_settings: Callable[..., Settings], fake: FakeMastodon) -> None:
    src = source(m_settings(max_rate_limit_wait_seconds=120))
    fake.fail("notifications", Reply(429, TOO_MANY, reset_in(60)))
    with pytest.raises(RateLimited) as e:
        src.fetch("400001")
    assert e.value.retry_at is not None
    wait = (e.value.retry_at - datetime.now(timezone.utc)).total_seconds()
    assert 55 < wait <= 62
    assert str(e.value).startswith("mastodon:mentions: Mastodon answered 429 Too Many Requests for notifications; "
                                   "the next call waits until ")
    calls = len(fake.seen)
    with pytest.raises(RateLimited, match="still waiting until"):
        src.fetch("400001")
    assert len(fake.seen) == calls


def test_a_burst_of_5xx_backs_off_longer_each_time_and_leaves_the_checkpoint(
        m_settings: Callable[..., Settings], fake: FakeMastodon, tmp_path: Path) -> None:
    settings = m_settings(interval_seconds=0.01, max_backoff_seconds=0.04)
    src = source(settings)
    fake.fail("notifications", Reply(503, UNAVAILABLE), Reply(502, UNAVAILABLE), Reply(500, UNAVAILABLE),
              Reply(504, UNAVAILABLE))
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    messages = []
    for _ in range(4):
        src.gate = type(src.gate)(src.name)  # the next poll comes after the wait (the scheduler waits)
        result = pipeline.poll(src)
        assert result.error_kind == "unavailable" and store.mentions.checkpoint("mastodon:mentions") is None
        messages.append(result.error or "")
    assert "failure 4 in a row" in messages[-1] and "answered 504" in messages[-1]
    src.gate = type(src.gate)(src.name)
    assert pipeline.poll(src).stored == 6 and src.api.backoff.failures == 0
    store.close()


def test_a_time_out_is_unavailable_not_a_crash(m_settings: Callable[..., Settings], fake: FakeMastodon) -> None:
    fake.fail("notifications", Reply(200, [], delay=1.0))
    with pytest.raises(SourceUnavailable, match=r"no answer from 127\.0\.0\.1 within 0\.5s"):
        source(m_settings()).fetch(None)


def test_a_request_in_flight_is_cut_short_when_the_daemon_stops(
        m_settings: Callable[..., Settings], fake: FakeMastodon) -> None:
    stop = threading.Event()
    src = build_mastodon_sources(m_settings(timeout_seconds=10), environ=ENV, stop=stop)[0]
    fake.fail("notifications", Reply(200, [], delay=5))
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as e:
        src.fetch(None)
    assert time.monotonic() - started < 2
    assert str(e.value) == ("mastodon:mentions: the daemon is stopping; this poll was cut short and the checkpoint "
                            "did not move")


def test_a_missing_or_refused_token_says_what_to_do(m_settings: Callable[..., Settings]) -> None:
    settings = m_settings()
    with pytest.raises(SourceAuthError) as e:
        build_mastodon_source(settings, environ={})
    assert str(e.value) == (
        "Mastodon: the environment variable MASTODON_ACCESS_TOKEN is not set; set it to the access token of an "
        "application on the brand account (Preferences > Development > New application, scopes read:accounts "
        "read:notifications read:statuses) before starting the bot")
    with pytest.raises(SourceAuthError) as e:
        build_mastodon_source(settings, environ={"MASTODON_ACCESS_TOKEN": "wrong"}).fetch(None)
    assert str(e.value) == ("mastodon:mentions: 127.0.0.1 refused the access token (401 Unauthorized); put a valid "
                            "token in the environment variable MASTODON_ACCESS_TOKEN")


def test_enabled_without_the_brands_mastodon_handle_is_a_config_error(
        write_config: Callable[..., Path], fake: FakeMastodon) -> None:
    settings = load_settings(write_config(sources=f"mastodon: {{enabled: true, api_base_url: '{fake.url}'}}\n"))
    with pytest.raises(ConfigError) as e:
        build_mastodon_source(settings, environ=ENV)
    assert str(e.value) == ("sources.mastodon is enabled but brand.mastodon_handles is empty; add the brand's "
                            "account with its server, such as tulpair@mastodon.social")


def test_an_unqualified_mastodon_handle_in_the_config_is_refused(write_config: Callable[..., Path]) -> None:
    path = write_config()
    path.write_text(path.read_text().replace("  names:", "  mastodon_handles: [tulpair]\n  names:"))
    with pytest.raises(ConfigError) as e:
        load_settings(path)
    assert str(e.value) == (f"{path} line 4: brand.mastodon_handles: 'tulpair' is not a qualified Mastodon handle; "
                            f"write it with its server, such as tulpair@mastodon.social")


# --- webcare mastodon check ----------------------------------------------------------------------------------

def test_check_names_the_account_and_the_rate_limit_window(
        m_settings: Callable[..., Settings], fake: FakeMastodon, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = m_settings()
    fake.rate = reset_in(120, remaining=280)
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["--config", str(settings.base_dir / "config.yaml"), "mastodon", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["access token from MASTODON_ACCESS_TOKEN: accepted",
                         "logged in as @tulpair@mastodon.social (account id 109000000000000001)"]
    assert lines[2].startswith("notifications: 280/300 requests left, resets at ")
    assert {s.method for s in fake.seen} == {"GET"}


def test_check_without_a_token_exits_1_with_the_fix(m_settings: Callable[..., Settings]) -> None:
    settings = m_settings()
    result = CliRunner().invoke(main, ["--config", str(settings.base_dir / "config.yaml"), "mastodon", "check"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: Mastodon: the environment variable MASTODON_ACCESS_TOKEN is not set;")


def test_qualified_handles_are_not_words_in_listening_and_alerts() -> None:
    found = terms("@tulpair@mastodon.social koffer kwijt, @anna.bsky.social ook @piet@other.example")
    assert not found & {"mastodon", "social", "bsky", "other", "example", "anna", "piet"}
    assert "koffer" in found


# --- the optional hashtags -----------------------------------------------------------------------------------

def test_a_hashtag_is_read_forward_under_its_own_checkpoint(
        m_settings: Callable[..., Settings], fake: FakeMastodon, tmp_path: Path) -> None:
    settings = m_settings(hashtags=["#tulpair"])
    mentions, hashtag = build_mastodon_sources(settings, environ=ENV)
    assert hashtag.name == "mastodon:hashtag:tulpair"
    store = Store(tmp_path / "webcare.db")
    pipeline = Pipeline(store, lambda: settings, build_classifier(settings).load())
    assert pipeline.poll(mentions).stored == 6
    result = pipeline.poll(hashtag)
    assert (result.stored, result.rejected) == (2, 1)
    assert store.mentions.checkpoint("mastodon:hashtag:tulpair") == "113500000000000203"
    m = store.mentions.get_mention("mastodon", "113500000000000201")
    assert m.text == "Weer 2 uur vertraging #tulpair, nooit meer" and m.handles == ()
    fake.tagged["tulpair"].append({**fake.tagged["tulpair"][0], "id": "113500000000000204"})
    assert pipeline.poll(hashtag).stored == 1
    assert [c.query.get("min_id") for c in fake.calls("hashtag")][-2:] == ["113500000000000203", "113500000000000204"]
    assert {s.method for s in fake.seen} == {"GET"}
    store.close()
