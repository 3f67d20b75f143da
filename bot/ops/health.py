"""/healthz: is the daemon doing its job? The scheduler lives, the database takes writes; and per source, the
last good poll and the last error (a failing source is reported, not fatal: a 429 is routine)."""

from __future__ import annotations

from typing import Any, Protocol

from bot.ops.state import ServiceState
from bot.redaction import redact
from bot.store.mentions import PollStatus
from bot.store.records import SourceStatus

__all__ = ["HealthReads", "health", "source_rows"]


class _Writable(Protocol):
    def is_writable(self, timeout: float = 1.0) -> str | None: ...


class HealthReads(Protocol):
    """What /healthz reads of the store: the sources' poll status and whether the database takes writes."""

    @property
    def mentions(self) -> PollStatus: ...

    @property
    def care(self) -> _Writable: ...


def source_rows(store: HealthReads, state: ServiceState) -> list[SourceStatus]:
    """The daemon's own sources as it saw them poll; without a daemon (the endpoints alone), the store's rows."""
    rows = state.source_rows()
    return store.mentions.source_status() if rows is None else rows


def health(store: HealthReads, state: ServiceState) -> tuple[bool, dict[str, Any]]:
    """(healthy, report). Healthy means the scheduler runs and the database is writable: a write transaction
    can start, and the daemon's last write did not fail (a full disk lets the first and fails the second)."""
    scheduler_alive = state.is_scheduler_alive()
    db_problem = store.care.is_writable() or state.write_problem()
    sources = []
    for row in source_rows(store, state):
        ok_at, err_at = row.last_success_at, row.last_error_at
        sources.append({
            "source": row.source,
            "ok": bool(ok_at) and (not err_at or (ok_at or "") >= err_at),
            "last_poll_at": row.last_poll_at,
            "last_success_at": ok_at,
            "last_error_at": err_at,
            "last_error_kind": row.last_error_kind,
            "last_error": row.last_error,
            "polls": row.polls,
            "errors": row.errors,
        })
    healthy = scheduler_alive and db_problem is None
    report = {
        "status": "ok" if healthy else "failing",
        "scheduler": {"alive": scheduler_alive, "started_at": state.started_at.isoformat()},
        "database": {"writable": db_problem is None, "error": db_problem},
        "sources": sources,
    }
    return healthy, _redacted(report)


def _redacted(value: Any) -> Any:
    """Every string of the report through the secret mask: /healthz needs no login."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value
