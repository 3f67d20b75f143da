"""The decision: what becomes of each stored mention of a batch under one config. filter -> classify -> route,
in one place for the pipeline (which stores each verdict) and the what-if diff (which compares two configs'
verdicts). Writes nothing: what routing needs of the past (open conversations, repeat contacts) is read through
`ContactHistory`, and a mention the classifier fails on comes back with its error for the caller to record."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.config.settings import Settings
from bot.filters import filter_reason, own_account
from bot.mention import Mention
from bot.router import JOIN_LABELS, Route, route
from bot.store.records import Conversation
from bot.vocabulary import Label, OutcomeKind, Priority
from classifiers import Brand, Classifier, Decision

log = logging.getLogger(__name__)

__all__ = ["ContactHistory", "Verdict", "brand_of", "decide"]


class ContactHistory(Protocol):
    """What routing reads of the queue as it stands: the open item a post continues, and how often its author
    entered the queue lately (a repeat contact is raised)."""

    def open_conversation(self, mention: Mention, *, is_ours: bool = False) -> Conversation | None: ...

    def recent_contacts(self, platform: str, author_handle: str) -> int: ...


@dataclass(frozen=True)
class Verdict:
    """What one config makes of one mention: filtered (`filter_reason`), failed (`error`: the classifier raised
    on it, so it stays pending), or classified and routed (`decision` and `route`)."""

    mention: Mention
    filter_reason: str | None = None
    decision: Decision | None = None
    route: Route | None = None
    error: str | None = None
    joins: Conversation | None = None  # the open item this post joins (a filtered one: our own reply in it)
    seconds: float = 0.0  # its share of the time the classifier took

    @property
    def outcome(self) -> OutcomeKind:
        if self.filter_reason is not None:
            return OutcomeKind.FILTERED
        if self.route is None or not self.route.queued:
            return OutcomeKind.JOINED if self.joins is not None else OutcomeKind.NOT_QUEUED
        return OutcomeKind.QUEUED

    @property
    def queued(self) -> bool:
        return self.route is not None and self.route.queued

    @property
    def label(self) -> Label | None:
        return self.decision.label if self.decision is not None else None

    @property
    def priority(self) -> Priority | None:
        return self.route.priority if self.route is not None else None

    @property
    def reason(self) -> str:
        if self.filter_reason is not None:
            return self.filter_reason
        if self.route is not None:
            return self.route.reason
        return f"the classifier failed: {self.error}"

    @property
    def bucket(self) -> str:
        """`label/priority` for a queued mention: the what-if diff counts by it."""
        return f"{self.label}/{self.priority}"

    def describe(self) -> str:
        if self.outcome is OutcomeKind.FILTERED:
            return f"filtered: {self.reason}"
        if self.queued:
            return f"queued as {self.bucket}"
        return f"not queued ({self.reason})"


def brand_of(settings: Settings, platform: str = "x") -> Brand:
    """The brand as the classifier sees it on one platform: that platform's handles (qualified on Mastodon and
    Bluesky, so `@tulpair@mastodon.social` is ours and `@tulpair@elsewhere.social` is not), and every own account."""
    b = settings.brand
    own = [*b.own_accounts, *b.staff_accounts, *b.handles, *b.mastodon_handles, *b.bluesky_handles]
    return Brand.of(b.handles_on(platform), b.names or [b.name], list(dict.fromkeys(own)))


def decide(mentions: Sequence[Mention], settings: Settings, classifier: Classifier,
           history: ContactHistory | None = None, now: datetime | None = None) -> Iterator[Verdict]:
    """One verdict per mention, in order. The batch is classified at the first verdict asked for (per platform,
    `classifier.batch_size` at a time); each verdict is routed only when it is asked for, so a caller that
    stores it first lets a later mention of the batch (a reply) find the item it opened. Without `history`
    nothing joins a conversation and no repeat contact is raised. `now` fixes the due times (default: the clock)."""
    reasons = [filter_reason(m, settings) for m in mentions]
    keep = [m for m, reason in zip(mentions, reasons, strict=True) if reason is None]
    started = time.perf_counter()
    decided = _classify(keep, settings, classifier)
    seconds = (time.perf_counter() - started) / max(len(keep), 1)
    found = iter(decided)
    for m, reason in zip(mentions, reasons, strict=True):
        if reason is not None:
            # Our own reply to a customer is not worked, but it belongs in their item's conversation.
            ours = None
            if history is not None and own_account(m, settings):
                ours = history.open_conversation(m, is_ours=True)
            yield Verdict(m, filter_reason=reason, joins=ours)
            continue
        d = next(found)
        if isinstance(d, _Failed):
            yield Verdict(m, error=d.error, seconds=seconds)
            continue
        r = _route(m, d, settings, history, now)
        yield Verdict(m, decision=d, route=r, joins=r.joins, seconds=seconds)


@dataclass(frozen=True)
class _Failed:
    error: str  # what the classifier raised on one mention


def _classify(keep: list[Mention], settings: Settings, classifier: Classifier) -> list[Decision | _Failed]:
    """A decision for each mention, or what the classifier raised on it."""
    size = settings.classifier.batch_size
    decisions: dict[int, Decision | _Failed] = {}
    for platform in dict.fromkeys(m.platform for m in keep):  # each platform's handles are the brand's own
        brand = brand_of(settings, platform)
        indexes = [i for i, m in enumerate(keep) if m.platform == platform]
        for start in range(0, len(indexes), size):
            chunk = indexes[start : start + size]
            group = [keep[i] for i in chunk]
            try:
                found: list[Decision | _Failed] = list(classifier.classify(group, brand))
            except Exception:  # noqa: BLE001 - one bad mention must not stop the batch: find it one by one
                log.warning("classifying a batch of %d failed; retrying one by one", len(group))
                found = [_classify_one(classifier, m, brand) for m in group]
            decisions.update(zip(chunk, found, strict=True))
    return [decisions[i] for i in range(len(keep))]


def _classify_one(classifier: Classifier, m: Mention, brand: Brand) -> Decision | _Failed:
    try:
        return classifier.classify([m], brand)[0]
    except Exception as e:  # noqa: BLE001 - the caller marks it; it is retried on a later poll, the others go on
        log.exception("classifying %s failed; it stays pending and is retried", m.key)
        return _Failed(f"{type(e).__name__}: {e}")


def _route(m: Mention, d: Decision, settings: Settings, history: ContactHistory | None,
           now: datetime | None) -> Route:
    conversation = history.open_conversation(m) if history is not None and d.label in JOIN_LABELS else None
    # A follow-up in an open conversation is not a repeat contact: it joins the item it follows up.
    contacts = (history.recent_contacts(m.platform, m.author.handle)
                if history is not None and d.label is Label.QUEUE and conversation is None else 0)
    return route(d, settings, recent_contacts=contacts, now=now, mention=m, conversation=conversation)
