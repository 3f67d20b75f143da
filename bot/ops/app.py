"""The ops endpoints as one small WSGI app: GET /healthz (JSON, 200 or 503) and GET /metrics (Prometheus text).
Served on a port of its own by config (`bot.ops.server`), or mounted in the web app under a prefix."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Protocol
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from bot.ops.health import HealthReads, health, source_rows
from bot.ops.state import ServiceState
from bot.redaction import redact
from bot.store import AlertRecord
from bot.vocabulary import ALERT_KINDS, PRIORITIES, STATUSES, Priority, Status

__all__ = ["OpsReads", "wsgi_app"]


class _QueueGauges(Protocol):
    def queue_counts(self) -> dict[tuple[Status, Priority], int]: ...

    def oldest_unclaimed_at(self) -> datetime | None: ...


class _AlertGauges(Protocol):
    def overdue_counts(self, at: str) -> dict[str, tuple[int, str]]: ...

    def alerts(self, status: str | None = None, limit: int = 100) -> list[AlertRecord]: ...


class OpsReads(HealthReads, Protocol):
    """What /healthz and /metrics read of the store: health's reads, the queue's sizes and oldest unclaimed
    item, the overdue items and the firing alerts."""

    @property
    def queue(self) -> _QueueGauges: ...

    @property
    def alerts(self) -> _AlertGauges: ...


class _Counters:
    """The daemon's own counters, forwarded into each app's registry (so two apps never register them twice)."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        yield from self.state.metrics.registry.collect()


class _FromStore:
    """Gauges read from the store at scrape time: they stay true across restarts."""

    def __init__(self, store: OpsReads, state: ServiceState) -> None:
        self.store, self.state = store, state

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("webcare_scheduler_up", "1 while the daemon's scheduler runs.")
        up.add_metric([], 1.0 if self.state.is_scheduler_alive() else 0.0)
        yield up
        counts = self.store.queue.queue_counts()
        queue = GaugeMetricFamily("webcare_queue_items", "Queue items by status and priority.",
                                  labels=["status", "priority"])
        for status in STATUSES:
            for priority in PRIORITIES:
                queue.add_metric([status.value, priority], counts.get((status, priority), 0))
        yield queue
        oldest = self.store.queue.oldest_unclaimed_at()
        age = GaugeMetricFamily("webcare_queue_oldest_unclaimed_age_seconds",
                                "Seconds the oldest unclaimed queue item has waited (0 when none waits).")
        age.add_metric([], (datetime.now(timezone.utc) - oldest).total_seconds() if oldest else 0.0)
        yield age
        success = GaugeMetricFamily("webcare_source_last_success_timestamp_seconds",
                                    "Unix time of each source's last good poll.", labels=["source"])
        failure = GaugeMetricFamily("webcare_source_last_error_timestamp_seconds",
                                    "Unix time of each source's last failed poll.", labels=["source"])
        rows = source_rows(self.store, self.state)
        for row in rows:
            for family, at in ((success, row.last_success_at), (failure, row.last_error_at)):
                if at:
                    family.add_metric([redact(row.source)], datetime.fromisoformat(at).timestamp())
        mention = GaugeMetricFamily("webcare_source_last_mention_timestamp_seconds",
                                    "Unix time each source last stored a new mention.", labels=["source"])
        in_a_row = GaugeMetricFamily("webcare_source_consecutive_errors",
                                     "Polls of each source that failed since its last good one.", labels=["source"])
        for row in rows:
            if row.last_mention_at:
                mention.add_metric([redact(row.source)], datetime.fromisoformat(row.last_mention_at).timestamp())
            in_a_row.add_metric([redact(row.source)], float(row.consecutive_errors))
        yield from (success, failure, mention, in_a_row)
        overdue = GaugeMetricFamily("webcare_queue_overdue_items",
                                    "Open queue items past their due time, by priority.", labels=["priority"])
        late = self.store.alerts.overdue_counts(datetime.now(timezone.utc).isoformat())
        for priority in PRIORITIES:
            overdue.add_metric([priority], late.get(priority, (0, ""))[0])
        yield overdue
        firing = GaugeMetricFamily("webcare_alerts_firing", "Alerts firing now, by kind.", labels=["kind"])
        kinds = Counter(a.kind for a in self.store.alerts.alerts(status="firing", limit=10_000))
        for kind in ALERT_KINDS:
            firing.add_metric([kind], kinds.get(kind, 0))
        yield firing


def wsgi_app(store: OpsReads, daemon_state: ServiceState) -> WSGIApplication:
    """GET /healthz and GET /metrics for this store and daemon, on a server of its own or mounted in the web
    app at /healthz and /metrics (a mount moves the path into SCRIPT_NAME, so the full path is read)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Counters(daemon_state))
    registry.register(_FromStore(store, daemon_state))
    metrics: WSGIApplication = make_wsgi_app(registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _text(start_response, "405 Method Not Allowed", "only GET is served here\n")
        if path == "/metrics":
            return metrics(environ, start_response)
        if path == "/healthz":
            healthy, report = health(store, daemon_state)
            body = json.dumps(report, indent=2).encode() + b"\n"
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store")])
            return [body]
        return _text(start_response, "404 Not Found", redact(f"no page {path}; try /healthz or /metrics\n"))

    return app


def _text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
