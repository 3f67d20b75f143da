"""What the running daemon tells its health and metrics endpoints: its counters and whether its scheduler lives.
The daemon owns one; the endpoints (on their own port or mounted in the web app) read it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol

from bot.ops.metrics import Metrics

__all__ = ["ServiceState"]


class _Scheduler(Protocol):
    @property
    def running(self) -> bool: ...


class ServiceState:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics or Metrics()
        self.started_at = datetime.now(timezone.utc)
        self._scheduler: _Scheduler | None = None
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
