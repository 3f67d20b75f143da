"""Each config filter, with Dutch and English text: accents, casing, emoji, hashtags. Filters are pure
functions of (mention, settings), so these tests need no database; the pipeline test at the end checks that a
filtered mention is stored with its reason."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config.settings import Settings, load_settings
from bot.filters import filter_reason, text_length
from bot.mention import Author, Mention, find_handles


def mention(text: str, *, author: str = "reiziger", lang: str | None = "nl", is_repost: bool = False) -> Mention:
    return Mention(
        platform="x", id="1", text=text, author=Author("u1", author), created_at=datetime(2026, 11, 20, tzinfo=timezone.utc),
        lang=lang, is_repost=is_repost, handles=find_handles(text),
    )


@pytest.fixture
def configured(write_config: Callable[..., Path]) -> Callable[[str], Settings]:
    def make(filters: str) -> Settings:
        return load_settings(write_config("filters:\n" + filters))

    return make


@pytest.mark.parametrize("text", [
    "@Tulpair doen jullie mee aan de GIVEAWAY? 🎁",
    "@Tulpair is this giveaway real?",
    "Winactie!! #Giveaway @Tulpair",
    "@Tulpair   Winactíe voor  een gratis vlucht",  # accent and odd spacing in a phrase
])
def test_exclude_keywords_match_whole_words_in_any_case_accent_or_hashtag(configured, text: str) -> None:
    s = configured("  exclude_keywords: [giveaway, winactie voor]\n")
    assert filter_reason(mention(text), s) in (
        "contains 'giveaway' from filters.exclude_keywords",
        "contains 'winactie voor' from filters.exclude_keywords",
    )


@pytest.mark.parametrize("text", [
    "@Tulpair mijn koffer is kwijt 😡",
    "@Tulpair the giveaways page is down",  # a longer word is not the keyword
    "@Tulpair #giveawaytime?",  # nor is a longer hashtag
])
def test_exclude_keywords_leave_other_words_alone(configured, text: str) -> None:
    s = configured("  exclude_keywords: [giveaway, kwijtgeraakt]\n")
    assert filter_reason(mention(text), s) is None


def test_exclude_keyword_written_with_accent_matches_text_without(configured) -> None:
    s = configured("  exclude_keywords: ['café']\n")
    assert filter_reason(mention("@Tulpair het CAFE op Schiphol is dicht"), s) == (
        "contains 'café' from filters.exclude_keywords"
    )


def test_exclude_keyword_can_be_a_hashtag_or_an_emoji(configured) -> None:
    s = configured("  exclude_keywords: ['#ad', '🎰']\n")
    assert filter_reason(mention("Fly @Tulpair for less #AD"), s) == "contains '#ad' from filters.exclude_keywords"
    assert filter_reason(mention("@Tulpair spin to win 🎰🎰"), s) == "contains '🎰' from filters.exclude_keywords"
    assert filter_reason(mention("@Tulpair my bag, adding a photo"), s) is None


def test_include_keywords_keep_only_mentions_that_have_one(configured) -> None:
    s = configured("  include_keywords: [koffer, suitcase, 'geen bereik']\n")
    assert filter_reason(mention("@Tulpair waar is mijn KOFFER?"), s) is None
    assert filter_reason(mention("@Tulpair where's my suitcase?! 😤", lang="en"), s) is None
    assert filter_reason(mention("@Tulpair al uren GEEN  bereik #storing"), s) is None
    assert filter_reason(mention("@Tulpair #koffer"), s) is None
    assert filter_reason(mention("@Tulpair #kofferkwijt"), s) == (
        "contains none of filters.include_keywords or filters.include_patterns"
    )
    assert filter_reason(mention("@Tulpair lovely flight, thanks!", lang="en"), s) == (
        "contains none of filters.include_keywords or filters.include_patterns"
    )


def test_patterns_are_regular_expressions_matched_in_any_case(configured) -> None:
    s = configured("  exclude_patterns: ['\\b(promo|kortings)code\\b']\n  include_patterns: ['\\bTP\\s?\\d{3,4}\\b']\n")
    assert filter_reason(mention("@Tulpair gebruik KORTINGSCODE tp123"), s) == (
        "matches '\\b(promo|kortings)code\\b' from filters.exclude_patterns"
    )
    assert filter_reason(mention("@Tulpair flight tp 1234 delayed again", lang="en"), s) is None
    assert filter_reason(mention("@Tulpair flight delayed again", lang="en"), s) == (
        "contains none of filters.include_keywords or filters.include_patterns"
    )


def test_exclude_authors_ignores_case_and_at_sign(configured) -> None:
    s = configured("  exclude_authors: ['@DealBot']\n")
    assert filter_reason(mention("@Tulpair goedkoop naar Faro!", author="dealbot"), s) == (
        "author @dealbot is in filters.exclude_authors"
    )
    assert filter_reason(mention("@Tulpair cheap flights to Faro!", author="dealbotje", lang="en"), s) is None


def test_own_and_staff_accounts_are_always_filtered(write_config: Callable[..., Path]) -> None:
    path = write_config("")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("names: [Tulpair, Tulp Air]", "names: [Tulpair]\n  staff_accounts: ['@Marieke_Tulpair']"),
                    encoding="utf-8")
    s = load_settings(path)
    assert filter_reason(mention("Goedemorgen! Ons team is er ☀️", author="tulpairhelp"), s) == (
        "posted by our own account @tulpairhelp"
    )
    assert filter_reason(mention("@Tulpair thanks team!", author="MARIEKE_tulpair", lang="en"), s) == (
        "posted by staff account @MARIEKE_tulpair"
    )


def test_languages_keep_listed_and_unknown_languages(configured) -> None:
    s = configured("  languages: [nl, EN]\n")
    assert filter_reason(mention("@Tulpair où est ma valise?", lang="fr"), s) == (
        "language 'fr' is not in filters.languages (nl, en)"
    )
    assert filter_reason(mention("@Tulpair wáár is mijn koffer", lang="nl"), s) is None
    assert filter_reason(mention("@Tulpair where is my bag", lang="en-GB"), s) is None
    assert filter_reason(mention("@Tulpair 😡😡😡", lang="und"), s) is None
    assert filter_reason(mention("@Tulpair ???", lang=None), s) is None


def test_exclude_reposts_only_when_switched_on(configured) -> None:
    rt = mention("RT @fleur: vlucht naar Faro geannuleerd @Tulpair #schande", is_repost=True)
    assert filter_reason(rt, configured("  exclude_reposts: true\n")) == "a repost (filters.exclude_reposts is on)"
    assert filter_reason(rt, configured("  exclude_reposts: false\n")) is None


def test_min_text_length_does_not_count_handles_and_links(configured) -> None:
    s = configured("  min_text_length: 4\n")
    assert text_length("@Tulpair @TulpairHelp 👍 https://t.co/abc") == 1
    assert filter_reason(mention("@Tulpair @TulpairHelp 👍 https://t.co/abc"), s) == (
        "text of 1 characters is shorter than filters.min_text_length 4"
    )
    assert filter_reason(mention("@Tulpair Hé? 😡", lang="nl"), s) is None  # "Hé? 😡" is 5 characters
    assert filter_reason(mention("@Tulpair why?", lang="en"), s) is None


def test_no_filters_keep_everything_but_our_own_posts(settings: Settings) -> None:
    assert filter_reason(mention("@Tulpair RT giveaway 🎁 #ad", is_repost=True, lang="fr"), settings) is None


def test_a_filtered_mention_is_stored_with_its_reason(write_config: Callable[..., Path], tmp_path: Path) -> None:
    from bot.daemon import Daemon

    config = write_config("filters:\n  exclude_keywords: [vertraging]\n")
    daemon = Daemon(config)
    daemon.run_once()
    daemon.store.close()
    db = sqlite3.connect(tmp_path / "webcare.db")
    rows = db.execute(
        "select mention_id, outcome, filter_reason, config_version from decisions where outcome = 'filtered' "
        "and filter_reason like 'contains%'"
    ).fetchall()
    assert rows == [("2003", "filtered", "contains 'vertraging' from filters.exclude_keywords",
                     daemon.settings.version)]
    assert db.execute("select count(*) from mentions where state = 'done'").fetchone()[0] == 10
