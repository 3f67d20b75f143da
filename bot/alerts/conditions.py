"""The alert conditions, each a pure function of facts the engine gathers (store rows, counters, the clock) and
the `alerts` settings. Each returns the alerts that hold now; the engine compares them with what was firing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.alerts.spikes import Spike
from bot.config.section_alerts import Alerts
from bot.vocabulary import Priority

__all__ = ["Alert", "SourceFacts", "classifier_alerts", "error_alerts", "overdue_alerts", "quiet_alerts",
           "spike_alerts"]


@dataclass(frozen=True)
class Alert:
    """A condition that holds now. `key` names it across evaluations: the same key is the same alert."""

    key: str
    kind: str  # spike, source_quiet, poll_errors, overdue, classifier
    severity: str  # critical, warning
    title: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceFacts:
    """What the store knows of one source's polls."""

    source: str
    last_success_at: datetime | None
    last_mention_at: datetime | None
    consecutive_errors: int
    last_error_kind: str | None


def spike_alerts(spikes: Sequence[Spike], window: str, labels: Sequence[str]) -> list[Alert]:
    out = []
    for s in spikes:
        top = s.terms[0]
        names = ", ".join(f"'{t}'" for t in s.names[:3])
        out.append(Alert(
            key=f"spike:{top.term}", kind="spike", severity="warning",
            title=f"Rising: {names}",
            summary=(f"{s.posts} posts in the last {window} with '{top.term}', about {top.expected:.2g} expected "
                     f"(×{min(top.growth, 999):.0f}); a recurring problem to fix at its source"),
            detail={"terms": [{"term": t.term, "posts": t.count, "expected": round(t.expected, 2),
                               "p_value": t.p_value} for t in s.terms],
                    "posts": s.posts, "window": window, "labels": list(labels),
                    "examples": [{"key": p.key, "created_at": p.created_at, "text": p.text[:280], "url": p.url}
                                 for p in s.examples]},
        ))
    return out


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    m = seconds // 60
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m}m" if m else f"{seconds}s"


def quiet_alerts(sources: Iterable[SourceFacts], expected: Iterable[str], settings: Alerts, now: datetime,
                 started_at: datetime) -> list[Alert]:
    """A source with no good poll, or no new mention, for longer than its limit. A source the daemon runs but
    that never polled counts from the daemon's start."""
    known = {f.source: f for f in sources}
    out = []
    # Only the sources this daemon runs: a source of another config (a `--once` run, an old setup) is not ours.
    for name in sorted(set(expected)):
        facts = known.get(name)
        limits = settings.quiet.limits(name)
        success = (facts.last_success_at if facts else None) or started_at
        mention = (facts.last_mention_at if facts else None) or started_at
        for minutes, since, what in ((limits.no_success_minutes, success, "no successful poll"),
                                     (limits.no_mention_minutes, mention, "no new mention")):
            if minutes and now - since > timedelta(minutes=minutes):
                kind = "no_poll" if what.startswith("no successful") else "no_mention"
                out.append(Alert(
                    key=f"source_quiet:{kind}:{name}", kind="source_quiet", severity="critical" if kind == "no_poll"
                    else "warning", title=f"{name}: {what} for {_minutes(now - since)}",
                    summary=f"{what} from {name} since {since.isoformat(timespec='seconds')} (limit {minutes:g} min)",
                    detail={"source": name, "since": since.isoformat(), "limit_minutes": minutes},
                ))
    return out


def error_alerts(sources: Iterable[SourceFacts], expected: Iterable[str], in_a_row: int) -> list[Alert]:
    if not in_a_row:
        return []
    wanted = set(expected)
    return [
        Alert(key=f"poll_errors:{f.source}", kind="poll_errors", severity="critical",
              title=f"{f.source}: {f.consecutive_errors} polls failed in a row",
              summary=f"the last {f.consecutive_errors} polls of {f.source} failed ({f.last_error_kind or 'error'}); "
                      "see /healthz for the last error",
              detail={"source": f.source, "in_a_row": f.consecutive_errors, "kind": f.last_error_kind})
        for f in sources if f.source in wanted and f.consecutive_errors >= in_a_row
    ]


def overdue_alerts(counts: Mapping[str, tuple[int, str]], settings: Alerts) -> list[Alert]:
    out = []
    for priority in settings.overdue.priorities:
        n, oldest = counts.get(priority, (0, ""))
        if n >= settings.overdue.min_items:
            out.append(Alert(
                key=f"overdue:{priority}", kind="overdue",
                severity="critical" if priority is Priority.URGENT else "warning",
                title=f"{n} {priority} item{'s' if n != 1 else ''} past due",
                summary=f"{n} open {priority} queue item{'s' if n != 1 else ''} waiting past the service level; "
                        f"the oldest was due at {oldest}",
                detail={"priority": priority, "items": n, "oldest_due_at": oldest},
            ))
    return out


def classifier_alerts(failures: int, settings: Alerts) -> list[Alert]:
    limit = settings.classifier
    if not limit.failures or failures < limit.failures:
        return []
    return [Alert(
        key="classifier:failing", kind="classifier", severity="critical",
        title=f"The classifier failed {failures} times in {limit.window_minutes:g} minutes",
        summary="mentions could not be classified; they stay pending and are retried (see the daemon's log)",
        detail={"failures": failures, "window_minutes": limit.window_minutes},
    )]
