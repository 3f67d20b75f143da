"""The rule layer: the structural and lexical signals of DESIGN.md, in Dutch and English."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from bot.mention import Author, Mention, find_handles
from classifiers import Brand, Label, Priority, RuleClassifier
from classifiers.features import PARENT_FEATURES, extract, normalise_text

BRAND = Brand.of(["Tulpair", "TulpairHelp"], ["Tulpair", "Tulp Air"])


def post(text: str, *, inherited: int = 0, author: str = "jan", **flags: bool) -> Mention:
    return Mention("x", "1", text, Author("9", author), datetime(2026, 11, 20, tzinfo=timezone.utc),
                   handles=find_handles(text, inherited), **flags)


def signals(text: str, **kw: object) -> dict[str, float]:
    return {k: v for k, v in extract(post(text, **kw), BRAND).values.items() if v}  # type: ignore[arg-type]


def label(text: str, **kw: object) -> Label:
    return RuleClassifier().classify([post(text, **kw)], BRAND)[0].label  # type: ignore[arg-type]


def test_a_leading_handle_typed_by_the_author_addresses_the_brand() -> None:
    assert "brand_handle_leading" in signals("@Tulpair waar is mijn koffer?")


def test_a_handle_inherited_from_the_reply_chain_does_not() -> None:
    s = signals("@pieter @Tulpair haha ja die hadden wij ook", inherited=len("@pieter @Tulpair "))
    assert "brand_handle_leading" not in s and s["brand_handle_inherited_only"] == 1


def test_typing_the_handle_again_after_the_prefix_counts_as_leading() -> None:
    text = "@pieter @Tulpair @Tulpair kunnen jullie hem helpen?"
    assert "brand_handle_leading" in signals(text, inherited=len("@pieter @Tulpair "))


@pytest.mark.parametrize("text", ["Dear @Tulpair, my bag is lost", "Hoi @Tulpair, kunnen jullie helpen?",
                                  "hey @Tulpair can you check my booking"])
def test_a_greeting_before_a_mid_text_handle_addresses_the_brand(text: str) -> None:
    assert "brand_vocative" in signals(text)
    assert label(text) is Label.QUEUE


@pytest.mark.parametrize("text, expected", [
    ("@Tulpair waar is mijn koffer?", Label.QUEUE),
    ("Dear @Tulpair, you charged my card twice. Please refund.", Label.QUEUE),
    ("@Tulpair thanks, the crew were lovely!", Label.DIRECT_OTHER),
    ("@Tulpair bedankt, top geregeld!", Label.DIRECT_OTHER),
    ("nooit meer Tulp Air, 4 uur vertraging", Label.ABOUT),
    ("anyone else's @Tulpair app down?", Label.ABOUT),
    ("heeft iemand anders ook dat de app van @Tulpair eruit ligt?", Label.ABOUT),
    ("mooie tulpen op de markt vandaag", Label.IRRELEVANT),
    ("BTC giveaway!! claim now @Tulpair", Label.IRRELEVANT),
])
def test_rules_label_the_clear_cases(text: str, expected: Label) -> None:
    assert label(text) is expected


@pytest.mark.parametrize("text", [
    "my suitcase came back ripped. wtf @Tulpair",
    "app logs me out every hour @Tulpair #fail https://t.co/AbC12",
    "battery dies in an hour since the update, anyone else? @PhoneShop @Tulpair",
    "zo blij met de nieuwe stoelen! @Tulpair 😍😍",
])
def test_a_tag_after_the_message_is_read_as_a_tag(text: str) -> None:
    assert "brand_handle_at_end" in signals(text)


@pytest.mark.parametrize("text", [
    "@Tulpair my bag is lost",  # a leading handle is an address, not a tag
    "@jan @Tulpair",  # handles only
    "just boarded my @Tulpair flight to Lisbon",  # a name inside the sentence
    "RT @Tulpair: new routes this summer",
])
def test_a_handle_with_words_after_it_or_nothing_before_it_is_not_a_tag(text: str) -> None:
    assert "brand_handle_at_end" not in signals(text)


def test_a_question_to_peers_with_our_tag_at_the_end_is_left_to_the_model() -> None:
    """LABELING.md step 1: "anyone else's @brand app down?" is said to peers (never queue), but a problem tagged
    to us at the end asks us to look, even when it also asks others."""
    from classifiers.trained import _asks_peers

    assert _asks_peers(extract(post("anyone else's @Tulpair app down?"), BRAND).values)
    assert not _asks_peers(extract(post("app down since noon, anyone else? @Tulpair"), BRAND).values)


def test_structure_decides_for_direct_messages_replies_to_us_and_reposts() -> None:
    assert label("my flight got cancelled, what now?", is_direct_message=True) is Label.QUEUE
    assert label("same here, no wifi on board", is_reply_to_brand=True) is Label.QUEUE
    assert label("RT @news: Tulpair cancels 40 flights", is_repost=True) is Label.ABOUT
    assert label("Vandaag 12 extra vluchten naar Lissabon", author="Tulpair") is Label.IRRELEVANT


def test_second_and_third_person_cues_in_both_languages() -> None:
    assert signals("@Tulpair kunnen jullie me helpen")["second_person"] > 0
    assert signals("@Tulpair can you help me")["second_person"] > 0
    assert signals("Tulpair again, they never answer")["third_person"] > 0
    assert signals("Tulpair weer, ze reageren nooit")["third_person"] > 0


def test_every_decision_says_why_in_an_agents_words() -> None:
    d = RuleClassifier().classify([post("same here, is there a refund?", is_reply_to_brand=True)], BRAND)[0]
    assert "addressed: reply to our post" in d.reasons
    assert "asks a question" in d.reasons
    assert abs(sum(d.probabilities.values()) - 1) < 1e-9


def test_urgent_and_emotional_requests_come_first() -> None:
    d = RuleClassifier().classify([post("@Tulpair we are stranded in Rome with a sick child, flight home today?")], BRAND)[0]
    assert d.priority is Priority.URGENT
    assert d.priority_reasons[0] == "someone is stranded (stranded)"
    assert "a child is involved (child)" in d.priority_reasons


def test_normalise_text_hides_brand_and_people() -> None:
    assert (normalise_text("@Tulpair @pieter Tulp Air sucks https://t.co/x1", BRAND)
            == "@brand @user BRAND sucks http")


def test_a_repost_of_our_own_post_is_told_apart_from_other_reposts() -> None:
    ours = signals("RT @Tulpair: Vandaag 12 extra vluchten naar Lissabon", is_repost=True)
    theirs = signals("RT @nos: Tulpair schrapt 40 vluchten", is_repost=True)
    assert "repost_of_brand" in ours and "is_repost" not in ours
    assert "is_repost" in theirs and "repost_of_brand" not in theirs


def test_signals_read_the_structure_real_posts_use() -> None:
    assert "brand_in_leading_handles" in signals("@jan @Tulpair same here, still no bag")
    assert "quotes_a_post" in signals('\u201c@Tulpair: 12 new routes!\u201d yeah right')
    assert "via_handle" in signals("Tulpair cuts 40 flights http://t.co/x via @nos")
    assert "brand_hashtag" in signals("queue at the gate again #tulpair")
    assert "no_brand_reference" not in signals("queue at the gate again #tulpair")
    assert "handle_as_subject" in signals("@Tulpair buys rival for $2bn http://t.co/x")
    assert "handle_as_subject" not in signals("@Tulpair where is my bag?")
    assert "brand_handle_as_subject" in signals("so apparently @Tulpair put a fee on seats now")
    assert "closed" in signals("@Tulpair works now, found it")
    assert "closed" not in signals("@Tulpair still not resolved")
    assert "praise" not in signals("@Tulpair it is not fixed")
    assert "only_handles" in signals("@Tulpair")


def test_signals_read_the_post_it_replies_to() -> None:
    def of(parent: str | None) -> dict[str, float]:
        m = replace(post("@TulpairHelp five times now", inherited=len("@TulpairHelp"), is_reply_to_brand=True),
                    in_reply_to_post_id="41", parent_text=parent)
        return {k: v for k, v in extract(m, BRAND).values.items() if v}

    tried = of("Sorry to hear that! Have you tried restarting the app?")
    assert {"has_parent", "parent_question", "parent_suggests_fix"} <= set(tried)
    assert {"has_parent", "parent_asks_details"} <= set(of("Kun je ons je boekingsnummer via dm sturen?"))
    assert "parent_checks_resolved" in of("Is everything working again now?")
    assert "parent_promises" in of("We've passed this on to our baggage team, they'll be in touch.")
    alone = of(None)
    assert not set(alone) & set(PARENT_FEATURES)  # no parent: nothing read from one
    assert {k: v for k, v in tried.items() if k not in PARENT_FEATURES} == alone  # the post's own signals stay
    reasons = extract(replace(post("@TulpairHelp yes"), parent_text="Have you tried restarting?"), BRAND).reasons
    assert reasons["parent_suggests_fix"] == "replies to a suggested fix"


@pytest.mark.parametrize("reply, parent, reads", [
    ("yes, twice", "Have you tried restarting the app?", "open"),  # tried what we suggested: still broken
    ("still the same", "Could you try clearing the cache?", "open"),
    ("ja, nog steeds hetzelfde", "Heb je de app al opnieuw opgestart?", "open"),
    ("nope, same error", "Is everything working again now?", "open"),
    ("yep", "Is everything working again now?", "closed"),
    ("no that's everything, ta", "Anything else we can help with today?", "closed"),  # here "no" closes
    ("works now, thanks!", "Have you tried restarting the app?", ""),  # the words say it: no need to read the parent
    ("ok, will try that tonight", "Have you tried restarting the app?", ""),  # not an answer
    ("done, sent it", "Can you DM us your booking reference?", ""),  # open or closed: the words must tell
])
def test_a_reply_reads_its_yes_or_no_by_the_question_it_answers(reply: str, parent: str, reads: str) -> None:
    m = replace(post(f"@TulpairHelp {reply}", inherited=len("@TulpairHelp"), is_reply_to_brand=True),
                in_reply_to_post_id="41", parent_text=parent)
    fired = {k for k, v in extract(m, BRAND).values.items() if v}
    assert ("answer_keeps_open" in fired) is (reads == "open")
    assert ("answer_closes" in fired) is (reads == "closed")
