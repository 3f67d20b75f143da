"""The pipeline: the only place the stages meet. fetch -> store raw (with the checkpoint) -> filter ->
classify -> route -> queue. Every mention's outcome is stored with its reasons; one that fails is marked and
retried on a later poll while the others go on."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from bot.config.settings import Settings
from bot.errors import SourceError
from bot.filters import filter_reason, own_account
from bot.mention import Mention
from bot.router import JOIN_LABELS, route
from bot.sources import Reject, Source
from bot.store import Conversation, Outcome
from classifiers import Brand, Classifier, Decision

log = logging.getLogger(__name__)

__all__ = ["Pipeline", "PipelineStore", "PollResult", "brand_of"]


class _Intake(Protocol):
    def checkpoint(self, source: str) -> str | None: ...

    def store_batch(self, source: str, mentions: Sequence[Mention], checkpoint: str | None,
                    rejects: Sequence[Reject] = ()) -> int: ...

    def record_poll(self, source: str, error: BaseException | None = None, kind: str = "",
                    stored: int = 0) -> None: ...

    def pending_mentions(self, limit: int = 500) -> list[Mention]: ...

    def mark_failed(self, mention: Mention, error: str) -> None: ...


class _Threads(Protocol):
    def open_conversation(self, mention: Mention, *, is_ours: bool = False) -> Conversation | None: ...

    def recent_contacts(self, platform: str, author_handle: str, days: int = 7) -> int: ...


class _Outcomes(Protocol):
    def record_outcome(self, mention: Mention, outcome: Outcome) -> int | None: ...


class PipelineStore(Protocol):
    """What the pipeline uses of the store: mentions in (with checkpoints and poll status), the open
    conversations and contact history the router weighs, and the outcomes out."""

    @property
    def mentions(self) -> _Intake: ...

    @property
    def conversations(self) -> _Threads: ...

    @property
    def decisions(self) -> _Outcomes: ...


@dataclass
class PollResult:
    source: str
    fetched: int = 0
    stored: int = 0
    rejected: int = 0
    filtered: int = 0
    failed: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    queued: int = 0
    joined: int = 0  # posts that joined an open item's conversation (queued ones included)
    queued_labels: Counter[str] = field(default_factory=Counter)  # for metrics: queued by label
    error: str | None = None
    error_kind: str | None = None  # SourceError.kind: rate_limited, unavailable, auth, ...
    next_poll_after: float | None = None

    def summary(self) -> str:
        labels = " ".join(f"{k}={self.labels[k]}" for k in ("queue", "direct_other", "about", "irrelevant"))
        text = (f"{self.source}: fetched={self.fetched} stored={self.stored} rejected={self.rejected} "
                f"filtered={self.filtered} {labels} queued={self.queued} joined={self.joined} failed={self.failed}")
        return text + (f" error={self.error}" if self.error else "")


def brand_of(settings: Settings, platform: str = "x") -> Brand:
    """The brand as the classifier sees it on one platform: that platform's handles (qualified on Mastodon and
    Bluesky, so `@tulpair@mastodon.social` is ours and `@tulpair@elsewhere.social` is not), and every own account."""
    b = settings.brand
    own = [*b.own_accounts, *b.staff_accounts, *b.handles, *b.mastodon_handles, *b.bluesky_handles]
    return Brand.of(b.handles_on(platform), b.names or [b.name], list(dict.fromkeys(own)))


class Pipeline:
    def __init__(self, store: PipelineStore, settings: Callable[[], Settings], classifier: Classifier,
                 on_decision: Callable[[Mention, Decision | None, float], None] | None = None) -> None:
        self.store = store
        self.settings = settings  # called at each step, so a reloaded config takes effect at the next poll
        self.classifier = classifier
        self.on_decision = on_decision

    def poll(self, source: Source) -> PollResult:
        """One poll of one source: fetch, store the batch and move the checkpoint together, then decide every
        pending mention. A source error is recorded and leaves the checkpoint where it was."""
        result = PollResult(source.name)
        try:
            batch = source.fetch(self.store.mentions.checkpoint(source.name))
        except SourceError as e:
            result.error, result.error_kind = f"{e.kind}: {e}", e.kind
            self.store.mentions.record_poll(source.name, e, e.kind)
            log.warning("%s: poll failed (%s): %s", source.name, e.kind, e)
            if e.retry_at is not None:  # a rate-limit reset or a back-off: the scheduler waits until then
                result.next_poll_after = max(0.0, (e.retry_at - datetime.now(timezone.utc)).total_seconds())
        else:
            result.fetched, result.rejected = len(batch.mentions), len(batch.rejects)
            result.next_poll_after = batch.next_poll_after
            result.stored = self.store.mentions.store_batch(source.name, batch.mentions, batch.checkpoint,
                                                            batch.rejects)
            self.store.mentions.record_poll(source.name, stored=result.stored)
        self.process_pending(result)
        log.info("poll %s", result.summary())
        return result

    def process_pending(self, result: PollResult | None = None, limit: int = 10_000) -> PollResult:
        """Decide every stored mention that has no outcome yet (new ones, and ones a crash cut off)."""
        result = result or PollResult("pending")
        settings = self.settings()
        size = settings.classifier.batch_size
        pending = self.store.mentions.pending_mentions(limit)
        for start in range(0, len(pending), size):
            self._decide(pending[start : start + size], settings, result)
        return result

    def _decide(self, mentions: Sequence[Mention], settings: Settings, result: PollResult) -> None:
        reasons = [filter_reason(m, settings) for m in mentions]
        keep = [m for m, reason in zip(mentions, reasons, strict=True) if reason is None]
        started = time.perf_counter()
        decisions: dict[int, Decision | None] = {}
        for platform in dict.fromkeys(m.platform for m in keep):  # each platform's handles are the brand's own
            indexes = [i for i, m in enumerate(keep) if m.platform == platform]
            group = [keep[i] for i in indexes]
            brand = brand_of(settings, platform)
            try:
                found: list[Decision | None] = list(self.classifier.classify(group, brand))
            except Exception:  # noqa: BLE001 - one bad mention must not stop the batch: find it one by one
                log.warning("classifying a batch of %d failed; retrying one by one", len(group))
                found = [self._classify_one(m, brand) for m in group]
            decisions.update(zip(indexes, found, strict=True))
        per_mention = (time.perf_counter() - started) / max(len(keep), 1)
        decided = iter(decisions[i] for i in range(len(keep)))
        # Outcomes are stored in the order the posts were written, so a reply finds the item its thread opened.
        for m, reason in zip(mentions, reasons, strict=True):
            if reason is not None:
                # Our own reply to a customer is not worked, but it belongs in their item's conversation.
                ours = self.store.conversations.open_conversation(m, is_ours=True) if own_account(m, settings) else None
                self.store.decisions.record_outcome(m, Outcome("filtered", filter_reason=reason,
                                                     config_version=settings.version, joins=ours))
                result.filtered += 1
                continue
            d = next(decided)
            if self.on_decision:
                self.on_decision(m, d, per_mention)
            if d is None:
                result.failed += 1
                continue
            self._store_decision(m, d, settings, result)

    def _classify_one(self, m: Mention, brand: Brand) -> Decision | None:
        try:
            return self.classifier.classify([m], brand)[0]
        except Exception as e:  # noqa: BLE001 - marked and retried on a later poll; the others go on
            log.exception("classifying %s failed; it stays pending and is retried", m.key)
            self.store.mentions.mark_failed(m, f"{type(e).__name__}: {e}")
            return None

    def _store_decision(self, m: Mention, d: Decision, settings: Settings, result: PollResult) -> None:
        conversation = self.store.conversations.open_conversation(m) if d.label.value in JOIN_LABELS else None
        # A follow-up in an open conversation is not a repeat contact: it joins the item it follows up.
        contacts = (self.store.conversations.recent_contacts(m.platform, m.author.handle)
                    if d.label.value == "queue" and conversation is None else 0)
        r = route(d, settings, recent_contacts=contacts, mention=m, conversation=conversation)
        outcome = Outcome(
            "queued" if r.queued else "joined" if r.joins else "not_queued", label=d.label.value,
            probabilities=d.probabilities, priority=r.priority.value, reasons=d.reasons,
            priority_reasons=r.priority_reasons, features=d.features, model_version=d.model_version,
            config_version=settings.version, route_reason=r.reason, due_at=r.due_at, joins=r.joins,
        )
        self.store.decisions.record_outcome(m, outcome)
        result.labels[d.label.value] += 1
        result.queued += int(r.queued)
        result.joined += int(r.joins is not None)
        if r.queued:
            result.queued_labels[d.label.value] += 1
