"""The bot's counters for Prometheus, in a registry of their own (never the global one, so tests and a web app
that mounts us see only ours). The pipeline feeds them: one call per poll, one per classified mention."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from bot.mention import Mention
from bot.pipeline import PollResult
from bot.redaction import redact
from classifiers import Decision

__all__ = ["LATENCY_BUCKETS", "Metrics"]

# Seconds per mention: the rules take well under a millisecond, the transformer some milliseconds on a CPU.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """Counters since the daemon started. Prometheus computes rates; the store holds the totals."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.fetched = Counter("webcare_mentions_fetched", "Mentions fetched from a source.", ["source"], registry=r)
        self.stored = Counter("webcare_mentions_stored", "Fetched mentions that were new and stored.", ["source"],
                              registry=r)
        self.rejected = Counter("webcare_mentions_rejected", "Input a source could not read (kept as a reject).",
                                ["source"], registry=r)
        self.filtered = Counter("webcare_mentions_filtered", "Mentions set aside by the config filters.", registry=r)
        self.classified = Counter("webcare_mentions_classified", "Mentions classified, by label.", ["label"],
                                  registry=r)
        self.classify_failures = Counter("webcare_classification_failures",
                                         "Mentions whose classification raised (marked and retried).", registry=r)
        self.queued = Counter("webcare_mentions_queued", "Mentions put in the queue, by label.", ["label"],
                              registry=r)
        self.polls = Counter("webcare_polls", "Polls of a source.", ["source"], registry=r)
        self.poll_errors = Counter("webcare_poll_errors", "Polls that failed, by source and kind.",
                                   ["source", "kind"], registry=r)
        self.latency = Histogram("webcare_classification_seconds", "Classification time per mention.",
                                 buckets=LATENCY_BUCKETS, registry=r)

    def observe_poll(self, result: PollResult) -> None:
        self.polls.labels(redact(result.source)).inc()
        self.fetched.labels(redact(result.source)).inc(result.fetched)
        self.stored.labels(redact(result.source)).inc(result.stored)
        self.rejected.labels(redact(result.source)).inc(result.rejected)
        self.filtered.inc(result.filtered)
        for label, n in result.queued_labels.items():
            self.queued.labels(label).inc(n)
        if result.error_kind:
            self.poll_errors.labels(redact(result.source), redact(result.error_kind)).inc()

    def observe_crash(self, source: str, error: BaseException) -> None:
        """A poll raised past the pipeline (the database locked for too long, a bug): counted by its type."""
        self.polls.labels(redact(source)).inc()
        self.poll_errors.labels(redact(source), redact(type(error).__name__)).inc()

    def observe_decision(self, mention: Mention, decision: Decision | None, seconds: float) -> None:
        """The Pipeline's `on_decision` hook."""
        if decision is None:
            self.classify_failures.inc()
            return
        self.classified.labels(decision.label.value).inc()
        self.latency.observe(seconds)
