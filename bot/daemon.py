"""The daemon: one APScheduler interval job per enabled source, started by `webcare run` (bot/cli/run.py).

SIGTERM and SIGINT stop it gracefully: the batch in hand is finished and committed, then it exits 0. A job that
raises is logged and the next poll goes on; nothing an API or a mention does can stop the scheduler.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from bot.alerts import AlertEngine, check_webhooks
from bot.config.reload import ConfigWatcher
from bot.config.settings import Settings, load_settings
from bot.errors import StoreError, WebcareError
from bot.ops import OpsServer, ServiceState, wsgi_app
from bot.pipeline import Pipeline, PollResult
from bot.store import Store
from bot.wiring import Scheduled, build_classifier, build_sources

if TYPE_CHECKING:
    from bot.web import WebServer

log = logging.getLogger(__name__)

__all__ = ["Daemon"]

MAX_CRASH_BACKOFF = 300.0  # seconds: the longest pause after polls that keep raising


class Daemon:
    def __init__(self, config_path: str | Path, settings: Settings | None = None) -> None:
        self.config_path = Path(config_path)
        self.settings = settings or load_settings(self.config_path)
        self.store = Store(self.settings.database_path)
        # Sources first: a missing credential is refused before seconds go to loading the model.
        self.stopping = threading.Event()  # SIGTERM/SIGINT; also cuts a platform request in flight short
        self.scheduled: list[Scheduled] = build_sources(self.settings, self.store.x_users, self.stopping)
        check_webhooks(self.settings)
        self.classifier = build_classifier(self.settings).load()
        self.ops = ServiceState()  # counters and liveness for /healthz and /metrics
        self.ops.track([s.source.name for s in self.scheduled], self.store.mentions.source_status())
        self.pipeline = Pipeline(self.store, lambda: self.settings, self.classifier,
                                 on_decision=self.ops.metrics.observe_decision)
        self._reread = threading.Event()  # SIGHUP: re-read the config now
        self.watcher = ConfigWatcher(self.config_path, self.settings)
        self.alerts = AlertEngine(
            self.store, lambda: self.settings, lambda: [s.source.name for s in self.scheduled],
            classifier_failures=lambda: self.ops.metrics.registry.get_sample_value(
                "webcare_classification_failures_total") or 0.0,
        )
        self._lock = threading.Lock()  # one poll at a time: the classifier and the SQLite writer are shared
        self.scheduler: BackgroundScheduler | None = None
        self._crashes: dict[str, int] = {}  # polls in a row that raised, per source

    def run_once(self) -> list[PollResult]:
        """One poll of every enabled source, then return (`webcare run --once`)."""
        results = [self._poll(s) for s in self.scheduled]
        if not self.scheduled:
            log.warning("no source is enabled in %s: nothing to poll", self.config_path)
        return results

    def _poll(self, scheduled: Scheduled) -> PollResult:
        with self._lock:
            self.reload_config()
            try:
                result = self.pipeline.poll(scheduled.source)
            except Exception as e:  # noqa: BLE001 - a bug or bad input in one poll must not stop the daemon
                return self._crashed(scheduled, e)
            self._crashes.pop(scheduled.source.name, None)
            self.ops.record_write(None)
        self.ops.metrics.observe_poll(result)
        self.ops.observe_poll(result)
        self._delay(scheduled, result)
        return result

    def _crashed(self, scheduled: Scheduled, e: Exception) -> PollResult:
        """A poll raised past the pipeline: log it, count it, tell health, and back off like a failing platform
        (doubling pauses), so a bug or a broken database that repeats does not spin through polls."""
        name = scheduled.source.name
        if isinstance(e, WebcareError):  # ours, with a message that says what to do: no traceback
            log.error("poll of %s failed; the next poll goes on: %s", name, e)
        else:
            log.exception("poll of %s failed; the next poll goes on", name)
        self.ops.metrics.observe_crash(name, e)
        if isinstance(e, sqlite3.Error | StoreError):
            self.ops.record_write(e)
        try:
            if not isinstance(e, StoreError):  # a busy or broken database cannot take the record either
                self.store.mentions.record_poll(name, e, type(e).__name__)
        except sqlite3.Error as again:  # the same full disk or lock: health already says so
            log.error("cannot record the failed poll of %s: %s", name, again)
        crashes = self._crashes[name] = self._crashes.get(name, 0) + 1
        pause = min(scheduled.interval_seconds * 2 ** min(crashes, 20), MAX_CRASH_BACKOFF)
        result = PollResult(name, error=f"{type(e).__name__}: {e}", error_kind=type(e).__name__,
                            next_poll_after=pause)
        self.ops.observe_poll(result)
        self._delay(scheduled, result)
        return result

    def _delay(self, scheduled: Scheduled, result: PollResult) -> None:
        if result.next_poll_after and self.scheduler is not None:
            # The source asks for a pause (rate limits): move its next run, keep its interval.
            job = self.scheduler.get_job(scheduled.source.name)
            if job is not None:
                later = datetime.now(timezone.utc) + timedelta(seconds=result.next_poll_after)
                if job.next_run_time is None or job.next_run_time < later:
                    job.modify(next_run_time=later)

    def run_forever(self) -> int:
        """Poll on the configured intervals until SIGTERM or SIGINT; returns the exit code."""
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)
        self.scheduler.add_listener(self._job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        for s in self.scheduled:
            self.scheduler.add_job(
                self._poll, "interval", args=[s], id=s.source.name, name=s.source.name,
                seconds=s.interval_seconds, jitter=s.jitter_seconds or None, max_instances=1, coalesce=True,
                misfire_grace_time=max(1, int(s.interval_seconds)), next_run_time=datetime.now(timezone.utc),
            )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_hangup)
        if self.settings.storage.retention_days:
            self.scheduler.add_job(self.purge, "interval", id="retention", name="retention", hours=24,
                                   next_run_time=datetime.now(timezone.utc))
        # Alerts in a job of their own, never inside the poll lock: a slow webhook holds up no poll.
        every = self.settings.alerts.evaluate_every_seconds
        self.scheduler.add_job(self.evaluate_alerts, "interval", id="alerts", name="alerts", seconds=every,
                               max_instances=1, coalesce=True, misfire_grace_time=max(1, int(every)),
                               next_run_time=datetime.now(timezone.utc) + timedelta(seconds=every))
        ops_server = None
        if self.settings.ops.port is not None:
            ops_server = OpsServer(wsgi_app(self.store, self.ops), self.settings.ops.host, self.settings.ops.port)
        self.scheduler.start()
        self.ops.attach(self.scheduler)
        if ops_server is not None:
            ops_server.start()
        web_server = self._start_web()
        log.info("daemon started: %d source(s), config %s (version %s), database %s",
                 len(self.scheduled), self.config_path, self.settings.version, self.store.path)
        while not self.stopping.wait(0.5):
            if self._reread.is_set():
                self._reread.clear()
                with self._lock:
                    self.reload_config(force=True)
        log.info("stopping: finishing the batch in hand")
        self.scheduler.shutdown(wait=True)
        self.ops.attach(None)
        if ops_server is not None:
            ops_server.stop()
        if web_server is not None:
            web_server.stop()
        self.store.close()
        log.info("stopped")
        return 0

    def purge(self) -> None:
        """Retention (storage.retention_days): blank old texts and raw payloads, keep the counts. Daily."""
        days = self.settings.storage.retention_days
        if days:
            with self._lock:
                purged = self.store.care.purge_older_than(days)
            log.info("retention: purged the text of %d mention(s) and %d reject(s) older than %d days",
                     purged.mentions, purged.rejects, days)

    def evaluate_alerts(self) -> None:
        """One evaluation of the alerts (alerts.enabled); a failure is logged and the next one goes on."""
        if not self.settings.alerts.enabled:
            return
        try:
            self.alerts.evaluate()
        except Exception:  # noqa: BLE001 - alerts must never stop the daemon or its polls
            log.exception("evaluating the alerts failed; the next evaluation goes on")

    def _start_web(self) -> WebServer | None:
        """The review app (web.enabled) in a waitress thread beside the scheduler, on the daemon's store."""
        if not self.settings.web.enabled:
            return None
        from bot.web import WebServer  # the web app stands after the daemon in the flow: loaded when served

        ops = wsgi_app(self.store, self.ops)  # health and metrics on the web app's port too
        return WebServer(self.store, lambda: self.settings, mounts={"/healthz": ops, "/metrics": ops}).start()

    def stop(self) -> None:
        self.stopping.set()

    def reload_config(self, force: bool = False) -> bool:
        """Take a changed, valid config file into use (bot/config/reload.py); True when the settings changed."""
        new = self.watcher.poll(force)
        if new is None:
            return False
        self.settings = new
        return True

    def _on_hangup(self, signum: int, frame: FrameType | None) -> None:
        log.info("received SIGHUP: re-reading the config")
        self._reread.set()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        self.stop()

    def _job_event(self, event: JobExecutionEvent) -> None:
        if event.exception is not None:
            log.error("poll of %s raised; the next poll goes on", event.job_id,
                      exc_info=(type(event.exception), event.exception, event.exception.__traceback__))
        else:
            log.warning("poll of %s was missed (the previous one ran long)", event.job_id)
