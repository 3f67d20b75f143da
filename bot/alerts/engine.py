"""The alert engine: at each evaluation, gather the facts, ask every condition which alerts hold, and compare
with what is firing in the store. A new alert fires (logged, listed, sent); one still holding is sent again
after `repeat_minutes`; one gone for `clear_after_minutes` is resolved (and that is sent too). Deliveries are
rate-limited per webhook and hour; a failing webhook is logged and retried at the next event, never raised.

It runs as its own job in the daemon, beside the polls and never inside their lock: a slow webhook cannot hold
up a poll."""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Protocol

from bot.alerts.conditions import (
    Alert,
    SourceFacts,
    classifier_alerts,
    error_alerts,
    overdue_alerts,
    quiet_alerts,
    spike_alerts,
)
from bot.alerts.spikes import find_spikes
from bot.alerts.webhook import Event, body, deliver
from bot.config.settings import Settings
from bot.errors import ConfigError
from bot.store import AlertRecord, Alerts
from bot.store.mentions import PollStatus
from bot.text.terms import TermCounts, count_terms

log = logging.getLogger(__name__)

__all__ = ["AlertEngine", "AlertStore", "check_webhooks"]

_WINDOW = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


def check_webhooks(settings: Settings) -> None:
    """Refuse to start when a webhook's environment variable is missing: an alert sent nowhere is a silent miss."""
    for i, hook in enumerate(settings.alerts.webhooks if settings.alerts.enabled else []):
        if not os.environ.get(hook.url_env, "").strip():
            raise ConfigError(
                f"alerts.webhooks[{i}].url_env: the environment variable {hook.url_env} is not set; "
                "export the webhook's address in it, or remove the webhook"
            )


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    t = datetime.fromisoformat(stamp)
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


class AlertStore(Protocol):
    """What the alert engine uses of the store: the sources' poll status, and the alerts part (the texts,
    counts and overdue items it watches, the alerts it keeps and their deliveries)."""

    @property
    def mentions(self) -> PollStatus: ...

    @property
    def alerts(self) -> Alerts: ...


class AlertEngine:
    def __init__(self, store: AlertStore, settings: Callable[[], Settings], sources: Callable[[], Sequence[str]],
                 classifier_failures: Callable[[], float] = lambda: 0.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        """`sources`: the names of the sources the daemon runs; `classifier_failures`: the running total of
        failed classifications (the daemon's counter)."""
        self.store, self.settings, self.sources = store, settings, sources
        self.classifier_failures, self.clock = classifier_failures, clock
        self.started_at = clock()
        self._failures: deque[tuple[datetime, float]] = deque()
        self._baseline: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], int], TermCounts] | None = None

    def evaluate(self) -> list[Alert]:
        """One evaluation; returns the alerts that hold now."""
        settings = self.settings()
        now = self.clock()
        holding = self.conditions(settings, now)
        self._reconcile(holding, settings, now)
        return holding

    def conditions(self, settings: Settings, now: datetime) -> list[Alert]:
        a = settings.alerts
        facts = [SourceFacts(r.source, _parse(r.last_success_at), _parse(r.last_mention_at), r.consecutive_errors,
                             r.last_error_kind)
                 for r in self.store.mentions.source_status()]
        names = list(self.sources())
        return [
            *self._spikes(settings, now),
            *quiet_alerts(facts, names, a, now, self.started_at),
            *error_alerts(facts, names, a.poll_errors_in_a_row),
            *overdue_alerts(self.store.alerts.overdue_counts(now.isoformat()), a),
            *classifier_alerts(self._recent_failures(now, a.classifier.window_minutes), a),
        ]

    def _spikes(self, settings: Settings, now: datetime) -> list[Alert]:
        spike = settings.alerts.spike
        if not spike.enabled:
            return []
        start = now - _WINDOW[spike.window]
        # The baseline (the days before the window) changes slowly: counted again once an hour, when its
        # settings change, or when more of its mentions were decided (a backfill, a replay), not at every evaluation.
        hour = start.replace(minute=0, second=0, microsecond=0)
        since, until = _iso(hour - timedelta(days=spike.baseline_days)), _iso(hour)
        key = (since, until, tuple(spike.labels), tuple(spike.languages), self.store.alerts.decided_count(since, until))
        if self._baseline is None or self._baseline[0] != key:
            texts = self.store.alerts.decided_texts(tuple(spike.labels), since, until)
            self._baseline = (key, count_terms([t.text for t in texts], self._brand_words(settings),
                                               tuple(spike.languages)))
        baseline = self._baseline[1]
        current = self.store.alerts.decided_texts(tuple(spike.labels), start.isoformat(),
                                                  _iso(now + timedelta(seconds=1)))
        spikes = find_spikes(current, baseline, self._brand_words(settings), languages=tuple(spike.languages),
                             min_count=spike.min_posts, alpha=spike.p_value, min_ratio=spike.min_ratio,
                             min_baseline_posts=spike.min_baseline_posts)
        return spike_alerts(spikes, spike.window, spike.labels)

    @staticmethod
    def _brand_words(settings: Settings) -> list[str]:
        b = settings.brand
        return [b.name, *b.names, *b.handles]

    def _recent_failures(self, now: datetime, window_minutes: float) -> int:
        total = float(self.classifier_failures())
        self._failures.append((now, total))
        while len(self._failures) > 1 and now - self._failures[0][0] > timedelta(minutes=window_minutes):
            self._failures.popleft()
        return int(total - self._failures[0][1]) if len(self._failures) > 1 else 0

    def _reconcile(self, holding: list[Alert], settings: Settings, now: datetime) -> None:
        a = settings.alerts
        firing = {r.key: r for r in self.store.alerts.alerts(status="firing", limit=10_000)}
        holding = self._same_spikes(holding, firing)
        stamp = _iso(now)
        for alert in holding:
            old = firing.pop(alert.key, None)
            if old is None:
                record = AlertRecord(alert.key, alert.kind, alert.severity, "firing", alert.title, alert.summary,
                                     alert.detail, first_at=stamp, last_seen_at=stamp)
                log.warning("alert firing: %s: %s", alert.key, alert.title)
                self._send(record, "firing", settings, now)
                continue
            record = replace(old, severity=alert.severity, title=alert.title, summary=alert.summary,
                             detail=alert.detail, last_seen_at=stamp)
            last_sent = _parse(old.last_sent_at)
            if a.webhooks and not old.sends:
                self._send(record, "firing", settings, now)  # not delivered yet (the webhook was down): again
            elif a.repeat_minutes and last_sent and now - last_sent >= timedelta(minutes=a.repeat_minutes):
                self._send(record, "reminder", settings, now)
            else:
                self.store.alerts.save_alert(record)
        for old in firing.values():  # firing before, not holding now
            seen = _parse(old.last_seen_at) or now
            if now - seen < timedelta(minutes=a.clear_after_minutes):
                continue
            record = replace(old, status="resolved", resolved_at=stamp)
            log.info("alert resolved: %s: %s", old.key, old.title)
            if old.sends:
                self._send(record, "resolved", settings, now)
            else:
                self.store.alerts.save_alert(record)

    @staticmethod
    def _same_spikes(holding: list[Alert], firing: dict[str, AlertRecord]) -> list[Alert]:
        """A spike whose leading term changed ('app down' then 'app') is the same problem: it keeps the key of
        the firing spike it shares a term with, so it is not announced twice."""
        out = []
        for alert in holding:
            if alert.kind == "spike" and alert.key not in firing:
                names = {t["term"] for t in alert.detail.get("terms", [])}
                for key, rec in firing.items():
                    if rec.kind == "spike" and names & {t["term"] for t in rec.detail.get("terms", [])}:
                        alert = replace(alert, key=key)
                        break
            out.append(alert)
        return out

    def _send(self, record: AlertRecord, event: str, settings: Settings, now: datetime) -> None:
        """Deliver to every webhook (within its hourly limit), then keep the record with its send count."""
        sent = False
        for i, hook in enumerate(settings.alerts.webhooks):
            name = f"webhooks[{i}]:{hook.url_env}"  # the variable's name in logs and the table; never the address
            if self.store.alerts.deliveries_since(name, _iso(now - timedelta(hours=1))) >= settings.alerts.max_per_hour:
                log.warning("alert %s not sent to %s: over %d deliveries this hour", record.key, name,
                            settings.alerts.max_per_hour)
                self.store.alerts.record_delivery(record.key, name, event, "suppressed")
                continue
            url = os.environ.get(hook.url_env, "").strip()
            started = time.monotonic()
            problem = deliver(url, body(Event(event, record, settings.brand.name), hook.format),
                              hook.timeout_seconds) if url else f"{hook.url_env} is not set"
            self.store.alerts.record_delivery(record.key, name, event, problem or "sent")
            if problem:
                log.error("alert %s (%s) not delivered to %s: %s", record.key, event, name, problem)
            else:
                sent = True
                log.info("alert %s (%s) sent to %s in %.0f ms", record.key, event, name,
                         (time.monotonic() - started) * 1000)
        if sent:
            record = replace(record, last_sent_at=_iso(now), sends=record.sends + 1)
        self.store.alerts.save_alert(record)
