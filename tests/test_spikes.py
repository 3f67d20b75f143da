"""Spike detection on generated streams: a planted problem is found as one spike with its terms and examples;
a flat stream, a busier day and calendar or filler words raise nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from alert_streams import Generated, stream, utc_now

from bot.alerts.spikes import find_spikes
from bot.text.terms import count_terms, terms
from bot.web.listening import listen

BRAND = ["Tulpair", "Tulp Air", "TulpairHelp"]


@dataclass(frozen=True)
class P:
    key: str
    created_at: str
    text: str
    url: str = ""


def split(posts: list[Generated], hours: int = 24) -> tuple[list[P], list[str]]:
    """The last `hours` as posts; the days before as the baseline's texts."""
    edge = (utc_now() - timedelta(hours=hours)).isoformat()
    current = [P(f"x:{i}", g.created_at, g.text) for i, g in enumerate(posts) if g.created_at >= edge]
    return current, [g.text for g in posts if g.created_at < edge]


def spikes_of(posts: list[Generated]) -> list:
    current, before = split(posts)
    return find_spikes(current, count_terms(before, BRAND), BRAND)


def test_a_planted_problem_is_one_spike_with_its_terms_and_examples() -> None:
    found = spikes_of(stream(utc_now(), planted=14))
    assert len(found) == 1
    spike = found[0]
    assert {"check-in app", "app crashes"} <= set(spike.names)
    assert spike.posts == 14
    assert spike.terms[0].count == 14 and spike.terms[0].expected < 1
    assert len(spike.examples) == 3 and all("crashes" in e.text for e in spike.examples)


@pytest.mark.parametrize("seed", range(1, 9))
def test_a_flat_stream_raises_nothing(seed: int) -> None:
    assert spikes_of(stream(utc_now(), seed=seed)) == []


def test_a_busier_day_of_the_usual_posts_raises_nothing() -> None:
    assert spikes_of(stream(utc_now(), today_factor=3.0)) == []


def test_a_small_problem_below_min_posts_is_not_a_spike() -> None:
    assert spikes_of(stream(utc_now(), planted=4)) == []


def test_nothing_is_found_before_the_baseline_has_enough_posts() -> None:
    # A first start: only a day of history, so every term would look new.
    assert spikes_of(stream(utc_now(), days=1, planted=20)) == []


def test_filler_calendar_and_brand_words_are_never_terms() -> None:
    found = terms("@Tulpair Tulp Air says the new November schedule starts tomorrow, 3 uur vertraging via "
                  "https://t.co/x &amp; RT", frozenset({"tulpair", "tulp", "air"}))
    assert found == {"schedule", "starts", "vertraging", "schedule starts"}


def test_a_month_name_that_appears_on_the_first_of_the_month_does_not_trend() -> None:
    posts = stream(utc_now())
    posts += [Generated((utc_now() - timedelta(hours=h)).isoformat(), f"@Tulpair in november, {h} uur: says new",
                        "about") for h in range(1, 13)]
    assert spikes_of(posts) == []


def test_the_listening_page_ranks_terms_by_the_same_test() -> None:
    today = utc_now().date()
    posts = [((today - timedelta(days=d)).isoformat(), t) for d in range(14) for t in
             ["Tulpair lounge is fine", "Tulpair boarding was slow"]]
    posts += [(today.isoformat(), "Tulpair lost luggage at the belt") for _ in range(6)]
    result = listen(posts, today, BRAND)
    names = [t.term for t in result.rising]
    assert names[:3] == ["lost luggage", "luggage belt", "belt"] or "lost luggage" in names[:3]
    assert "lounge" not in names and "boarding" not in names
