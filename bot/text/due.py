"""Due times and ages in the words an agent reads at a glance: "overdue by 50m", "due in 12m", "3h 5m". One
place for the web app and the terminal, so both say the same. A leaf module."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["ago", "due_words", "span", "stored_time", "when"]


def stored_time(iso: str | None) -> datetime | None:
    """A time as the store writes it (ISO 8601), aware; None when absent or unreadable."""
    if not iso:
        return None
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def span(seconds: float) -> str:
    """A length of time in its two largest units: '45s', '12m', '1h 20m', '3d 4h'."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h {m}m" if m else f"{h}h"
    d, h = divmod(s // 3600, 24)
    return f"{d}d {h}h" if h else f"{d}d"


def due_words(due_iso: str | None, now: datetime | None = None) -> str:
    """'due in 12m' or 'overdue by 50m'; '' when there is no due time."""
    due = stored_time(due_iso)
    if due is None:
        return ""
    seconds = (due - (now or datetime.now(timezone.utc))).total_seconds()
    return f"due in {span(seconds)}" if seconds >= 0 else f"overdue by {span(seconds)}"


def ago(iso: str | None, now: datetime | None = None) -> str:
    """'3m', '5h', '2d': how long ago, in its largest unit (a list's age column); a time in the future gets
    'in ' before it; '-' when there is no time."""
    t = stored_time(iso)
    if t is None:
        return "-"
    seconds = int(((now or datetime.now(timezone.utc)) - t).total_seconds())
    prefix = "in " if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{prefix}{seconds // size}{unit}"
    return f"{prefix}{seconds}s"


def when(iso: str | None) -> str:
    """'2026-11-21 08:14 UTC': a stored time without its microseconds; '-' when there is none."""
    t = stored_time(iso)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if t else "-"
