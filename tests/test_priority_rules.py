"""Priority rules from config raise a queued mention's priority, per language, and say which rule did it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from bot.config.settings import load_settings
from bot.mention import Author, Mention, find_handles
from bot.router import route
from classifiers import Decision, Label, Priority

RULES = """\
priority_rules:
  - name: medisch
    raise_to: urgent
    languages: [nl]
    keywords: [insuline, rolstoel]
  - name: medical
    raise_to: urgent
    languages: [en]
    keywords: [insulin, wheelchair]
  - name: missed connection
    raise_to: high
    patterns: ['\\bmiss(ed)?\\s+(my\\s+)?connection\\b', 'aansluiting\\s+gemist']
"""


def queued(priority: Priority = Priority.NORMAL, label: Label = Label.QUEUE) -> Decision:
    probs = {lab.value: 0.0 for lab in Label}
    probs[label.value] = 1.0
    return Decision(label, probs, priority, ("asks a question",))


def mention(text: str, lang: str | None) -> Mention:
    return Mention("x", "1", text, Author("u", "reiziger"), datetime(2026, 11, 20, tzinfo=timezone.utc), lang=lang,
                   handles=find_handles(text))


def test_a_rule_raises_priority_with_its_name_as_reason(write_config: Callable[..., Path]) -> None:
    s = load_settings(write_config(RULES))
    r = route(queued(), s, mention=mention("@Tulpair mijn INSULINE zit in de koffer die kwijt is 😰", "nl"))
    assert (r.queued, r.priority, r.priority_reasons) == (True, Priority.URGENT, ("priority rule 'medisch' (insuline)",))


def test_a_rule_applies_only_to_its_languages_and_to_unknown_ones(write_config: Callable[..., Path]) -> None:
    s = load_settings(write_config(RULES))
    assert route(queued(), s, mention=mention("@Tulpair need a WHEELCHAIR at gate D4", "en")).priority is Priority.URGENT
    # An English word in a Dutch post is not the English rule's business.
    assert route(queued(), s, mention=mention("@Tulpair wheelchair service was top", "nl")).priority is Priority.NORMAL
    assert route(queued(), s, mention=mention("@Tulpair wheelchair pls", None)).priority is Priority.URGENT


def test_patterns_raise_and_a_rule_never_lowers(write_config: Callable[..., Path]) -> None:
    s = load_settings(write_config(RULES))
    r = route(queued(), s, mention=mention("@Tulpair #TP641 te laat, aansluiting  gemist naar Lima", "nl"))
    assert (r.priority, r.priority_reasons) == (Priority.HIGH, ("priority rule 'missed connection' (aansluiting\\s+gemist)",))
    urgent = route(queued(Priority.URGENT), s, mention=mention("@Tulpair I missed my connection", "en"))
    assert (urgent.priority, urgent.priority_reasons) == (Priority.URGENT, ())


def test_rules_do_not_queue_what_the_routing_leaves_out(write_config: Callable[..., Path]) -> None:
    s = load_settings(write_config(RULES))
    r = route(queued(label=Label.ABOUT), s, mention=mention("they lost her insulin, @Tulpair is a disgrace", "en"))
    assert r.queued is False
