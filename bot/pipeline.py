"""The pipeline: the only place the stages meet. fetch -> store raw (with the checkpoint) -> filter ->
classify -> route -> queue. Every mention's outcome is stored with its reasons; one that fails is marked and
retried on a later poll while the others go on."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from bot.config.settings import Settings
from bot.decide import ContactHistory, decide
from bot.errors import SourceError
from bot.mention import Mention
from bot.router import Route
from bot.sources import Reject, Source
from bot.store import Outcome
from bot.vocabulary import LABELS, OutcomeKind
from classifiers import Classifier, Decision

log = logging.getLogger(__name__)

__all__ = ["Pipeline", "PipelineStore", "PollResult"]


class _Intake(Protocol):
    def checkpoint(self, source: str) -> str | None: ...

    def store_batch(self, source: str, mentions: Sequence[Mention], checkpoint: str | None,
                    rejects: Sequence[Reject] = ()) -> int: ...

    def record_poll(self, source: str, error: BaseException | None = None, kind: str = "",
                    stored: int = 0) -> None: ...

    def pending_mentions(self, limit: int = 500) -> list[Mention]: ...

    def mark_failed(self, mention: Mention, error: str) -> None: ...


class _Outcomes(Protocol):
    def record_outcome(self, mention: Mention, outcome: Outcome) -> int | None: ...


class PipelineStore(Protocol):
    """What the pipeline uses of the store: mentions in (with checkpoints and poll status), the open
    conversations and contact history the router weighs, and the outcomes out."""

    @property
    def mentions(self) -> _Intake: ...

    @property
    def conversations(self) -> ContactHistory: ...

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
        labels = " ".join(f"{k}={self.labels[k]}" for k in LABELS)
        text = (f"{self.source}: fetched={self.fetched} stored={self.stored} rejected={self.rejected} "
                f"filtered={self.filtered} {labels} queued={self.queued} joined={self.joined} failed={self.failed}")
        return text + (f" error={self.error}" if self.error else "")


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
        # Each verdict is stored before the next is routed, so a reply finds the item its thread opened (the
        # mentions come in the order they were written).
        for v in decide(mentions, settings, self.classifier, history=self.store.conversations):
            m = v.mention
            if v.filter_reason is not None:
                self.store.decisions.record_outcome(m, Outcome(OutcomeKind.FILTERED, filter_reason=v.filter_reason,
                                                               config_version=settings.version, joins=v.joins))
                result.filtered += 1
                continue
            if self.on_decision:
                self.on_decision(m, v.decision, v.seconds)
            if v.decision is None or v.route is None:
                self.store.mentions.mark_failed(m, v.error or "")
                result.failed += 1
                continue
            self._store_decision(m, v.decision, v.route, v.outcome, settings, result)

    def _store_decision(self, m: Mention, d: Decision, r: Route, kind: OutcomeKind, settings: Settings,
                        result: PollResult) -> None:
        outcome = Outcome(
            kind, label=d.label, probabilities=d.probabilities, priority=r.priority, reasons=d.reasons,
            priority_reasons=r.priority_reasons, features=d.features, model_version=d.model_version,
            config_version=settings.version, route_reason=r.reason, due_at=r.due_at, joins=r.joins,
        )
        self.store.decisions.record_outcome(m, outcome)
        result.labels[d.label] += 1
        result.queued += int(r.queued)
        result.joined += int(r.joins is not None)
        if r.queued:
            result.queued_labels[d.label] += 1
