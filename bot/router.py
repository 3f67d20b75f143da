"""The routing policy from config: does a classified mention enter the queue, at which priority, due when?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.settings import Settings
from classifiers import Decision, Label, Priority

__all__ = ["Route", "route"]


@dataclass(frozen=True)
class Route:
    queued: bool
    priority: Priority
    reason: str
    priority_reasons: tuple[str, ...] = ()
    due_at: datetime | None = None


def route(decision: Decision, settings: Settings, *, recent_contacts: int = 0, now: datetime | None = None) -> Route:
    """Queue what is addressed to the brand and needs care, as config says; a repeat contact is raised."""
    policy = settings.routing
    now = now or datetime.now(timezone.utc)
    priority, reasons = decision.priority, tuple(decision.priority_reasons)
    label, p = decision.label, decision.confidence
    if label.value in policy.queue_labels and p >= policy.min_probability:
        queued, why = True, f"{label.value} with probability {p:.2f}"
    elif label is Label.DIRECT_OTHER and policy.praise_to_queue:
        queued, why, priority, reasons = True, "direct praise or thanks (praise_to_queue is on)", Priority.LOW, ()
    elif label.value in policy.queue_labels:
        queued, why = False, f"{label.value} but probability {p:.2f} is below routing.min_probability {policy.min_probability}"
    else:
        queued, why = False, f"{label.value}: not a label routing.queue_labels sends to the queue"
    if not queued:
        return Route(False, priority, why)
    if recent_contacts > 0:
        raised = priority.raised_to(Priority.HIGH)
        if raised is not priority:
            reasons = (*reasons, f"repeat contact ({recent_contacts} earlier this week)")
        priority = raised
    minutes = getattr(settings.service_levels, priority.value)
    return Route(True, priority, why, reasons, now + timedelta(minutes=minutes))
