"""What the running daemon tells its health and metrics endpoints: its counters, whether its scheduler lives, and
how each of its own sources last polled. The daemon owns one; the endpoints (on their own port or mounted in the
web app) read it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Protocol

from bot.ops.metrics import Metrics
from bot.pipeline import PollResult
from bot.store.records import SourceStatus

__all__ = ["ServiceState"]


class _Scheduler(Protocol):
    @property
    def running(self) -> bool: ...


class ServiceState:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics or Metrics()
        self.started_at = datetime.now(timezone.utc)
        self._scheduler: _Scheduler | None = None
        self._sources: dict[str, SourceStatus] | None = None
        self._lock = threading.Lock()
        self._write_error: str | None = None

    def record_write(self, error: BaseException | None) -> None:
        """The outcome of the daemon's last write to the database (a poll's batch): None when it went through.
        The database can take a lock yet fail every write (a full disk), so health asks this too."""
        self._write_error = None if error is None else (
            f"the last write failed at {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC: {error}")

    def write_problem(self) -> str | None:
        return self._write_error

    def attach(self, scheduler: _Scheduler | None) -> None:
        """The daemon's scheduler once started (None once stopped)."""
        self._scheduler = scheduler

    def is_scheduler_alive(self) -> bool:
        """The scheduler is started and its thread still runs (a thread that died would stop every poll)."""
        s = self._scheduler
        if s is None or not s.running:
            return False
        thread = getattr(s, "_thread", None)
        return thread is None or thread.is_alive()

    def track(self, names: Iterable[str], stored: Iterable[SourceStatus]) -> None:
        """Report these sources (the daemon's own), starting from their rows in the store (the polls before a
        restart). From then on only this daemon's polls change them: another process on the same database (a
        `--once` run with another config) writes its own rows, which this daemon's /healthz does not show."""
        rows = {r.source: r for r in stored}
        with self._lock:
            self._sources = {n: rows.get(n, SourceStatus(n)) for n in names}

    def observe_poll(self, result: PollResult) -> None:
        """One poll of a tracked source, as the store records it (bot/store/mentions.py, record_poll)."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        with self._lock:
            if self._sources is None or result.source not in self._sources:
                return
            old = self._sources[result.source]
            if result.error is None:
                new = replace(old, last_poll_at=stamp, polls=old.polls + 1, last_success_at=stamp,
                              consecutive_errors=0, last_mention_at=stamp if result.stored else old.last_mention_at)
            else:
                kind = result.error_kind or "error"
                new = replace(old, last_poll_at=stamp, polls=old.polls + 1, last_error_at=stamp,
                              last_error_kind=kind, errors=old.errors + 1,
                              consecutive_errors=old.consecutive_errors + 1,
                              last_error=result.error.removeprefix(f"{kind}: ")[:500])
            self._sources[result.source] = new

    def source_rows(self) -> list[SourceStatus] | None:
        """The tracked sources' rows, shaped like the store's `source_status()`; None when nothing is tracked
        (the endpoints then read the store)."""
        with self._lock:
            if self._sources is None:
                return None
            return [self._sources[n] for n in sorted(self._sources)]
