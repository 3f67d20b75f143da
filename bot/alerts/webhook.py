"""Delivering an alert event to a webhook: the body in the configured format, one POST with a bounded total
time. A failure is returned as a short reason (never raised, never the address: it is a secret), so a dead
webhook costs one time-out per evaluation and stops nothing else."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests

from bot.bounded_http import BoundedSession
from bot.redaction import redact
from bot.store import AlertRecord

log = logging.getLogger(__name__)

__all__ = ["Event", "body", "deliver"]

_SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


@dataclass(frozen=True)
class Event:
    """One thing to tell: an alert started firing, is still firing (a reminder), or was resolved."""

    event: str  # firing, reminder, resolved
    alert: AlertRecord
    brand: str


def _slack_text(text: str) -> str:
    # Slack reads <...> as links and mentions (<!channel>): a post's text must never become one.
    return "".join(_SLACK_ESCAPES.get(c, c) for c in text)


def body(e: Event, fmt: str) -> dict[str, Any]:
    a = e.alert
    if fmt == "slack":
        mark = {"firing": ":rotating_light:", "reminder": ":warning:", "resolved": ":white_check_mark:"}[e.event]
        lines = [f"{mark} *{_slack_text(e.brand)}: {_slack_text(a.title)}* ({e.event})", _slack_text(a.summary)]
        for ex in a.detail.get("examples", [])[:3]:
            lines.append("> " + _slack_text(" ".join(str(ex.get("text", "")).split())))
        return {"text": "\n".join(lines)}
    return {
        "source": "webcare-triage", "brand": e.brand, "event": e.event, "status": a.status, "key": a.key,
        "kind": a.kind, "severity": a.severity, "title": a.title, "summary": a.summary, "detail": a.detail,
        "first_at": a.first_at, "last_seen_at": a.last_seen_at, "resolved_at": a.resolved_at,
    }


def deliver(url: str, payload: dict[str, Any], timeout: float) -> str | None:
    """POST the payload; None when the webhook took it (2xx), else why not, in a few words."""
    try:
        # An alert can quote a source's last error: it leaves the process through the same mask as the logs.
        with BoundedSession(timeout) as session:  # the whole POST within `timeout`, however slow the answer
            r = session.post(url, data=redact(json.dumps(payload)), headers={"Content-Type": "application/json"},
                             timeout=(min(timeout, 5.0), timeout), allow_redirects=False)
    except requests.Timeout:
        return f"no answer within {timeout:g}s"
    except requests.RequestException as e:
        return f"cannot connect ({type(e).__name__})"
    with r:
        if 200 <= r.status_code < 300:
            return None
        return f"answered {r.status_code}"
