"""The listening and stats pages: charts and tables over the store's counts, for seeing a problem build and
how the team keeps up. Windows end on the newest stored day, so a paused or replayed stream still shows."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from bot.export import csv_text
from bot.text.terms import TermCounts, brand_ignore, stop_words
from bot.vocabulary import AlertKind, Label
from bot.web import stats as st
from bot.web.auth import login_required
from bot.web.charts import stacked_bars
from bot.web.context import settings, store
from bot.web.listening import Listening, day_terms, rank
from bot.web.paging import day

bp = Blueprint("insights", __name__)


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _until(default: str | None) -> date:
    """The last day shown: ?until=YYYY-MM-DD (a bad or far-off date is a 400 with a message), else `default`."""
    asked = day(request.args.get("until"), "until")
    if asked:
        return date.fromisoformat(asked)
    return date.fromisoformat(default) if default else _today()


class DayTerms:
    """Each day's term counts, kept between looks at /listening and counted again only for a day whose `about`
    mentions changed (new, re-decided, purged or erased ones move the store's mark of the day): two weeks of
    posts are tokenised once, not at every page view."""

    KEEP = 64  # days kept; a window is 14

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (database, day, ignored words, stop words) -> (the store's fingerprint of the day, its term counts)
        self._days: dict[tuple[str, date, frozenset[str], frozenset[str]], tuple[tuple[int, int], TermCounts]] = {}

    def window(self, since: date, until: date, ignore: frozenset[str],
               stop: frozenset[str]) -> dict[date, TermCounts]:
        s = store()
        found = {}
        for day_text, fingerprint in s.insights.about_days(since.isoformat(), until.isoformat()).items():
            day = date.fromisoformat(day_text)
            key = (str(s.path), day, ignore, stop)
            with self._lock:
                kept = self._days.get(key)
            if kept is None or kept[0] != fingerprint:
                counted = day_terms((text for _, text in s.insights.about_texts(day_text, day_text)), ignore, stop)
                with self._lock:
                    self._days[key] = (fingerprint, counted)
                    for old in sorted(self._days, key=lambda k: k[1])[:-self.KEEP]:
                        del self._days[old]
                kept = (fingerprint, counted)
            found[day] = kept[1]
        return found


_DAY_TERMS = DayTerms()


def _csv(name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Response:
    return Response(csv_text(columns, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=webcare-{name}.csv"})


def _listening() -> Listening:
    until = _until(store().insights.latest_mention_day())
    since = until - timedelta(days=13)
    brand = settings().brand
    languages = tuple(settings().alerts.spike.languages)
    ignore, stop = brand_ignore([brand.name, *brand.names, *brand.handles]), stop_words(languages)
    return rank(_DAY_TERMS.window(since, until, ignore, stop), until)


@bp.route("/listening")
@login_required
def listening() -> ResponseReturnValue:
    result = _listening()
    chart = stacked_bars("Mentions about the brand per day", [d.isoformat() for d, _ in result.days],
                         {Label.ABOUT: [n for _, n in result.days]},
                         labels=[d.strftime("%d %b") for d, _ in result.days])
    alerts = settings().alerts
    spikes = [a for a in store().alerts.alerts(status="firing", limit=100) if a.kind == AlertKind.SPIKE]
    return render_template("listening.html", result=result, chart=chart, spikes=spikes, config=alerts,
                           alerts_enabled=alerts.enabled,
                           spike_window=alerts.spike.window, baseline_days=alerts.spike.baseline_days)


@bp.route("/listening.csv")
@login_required
def listening_csv() -> ResponseReturnValue:
    """The listening tables as CSV: `table=days` (about-mentions per day) or `table=rising` (the terms)."""
    result = _listening()
    if request.args.get("table") == "rising":
        return _csv("rising", ("term", "this_week", "week_before", "expected", "growth"),
                    [(t.term, t.count, t.baseline, round(t.expected, 1), round(t.growth, 2)) for t in result.rising])
    return _csv("about-per-day", ("day", Label.ABOUT), [(d.isoformat(), n) for d, n in result.days])


def _stats() -> dict[str, Any]:
    days_wanted = min(max(request.args.get("days", 14, type=int) or 14, 1), 90)
    until = _until(store().insights.latest_mention_day())
    days = st.days_between(until - timedelta(days=days_wanted - 1), until)
    counts = st.volume(store().insights.volume_by_day(days[0].isoformat(), until.isoformat()), days)
    queue_until = date.fromisoformat(store().insights.latest_queue_day() or _today().isoformat())
    items = store().insights.queue_times((queue_until - timedelta(days=days_wanted - 1)).isoformat(), queue_until.isoformat())
    return {"day_list": days, "counts": counts, "totals": {k: sum(v) for k, v in counts.items()},
            "first_claim": st.to_first_claim(items), "resolve": st.to_resolve(items), "breaches": st.breaches(items),
            "days": days_wanted, "since": days[0], "until": until,
            "queue_since": queue_until - timedelta(days=days_wanted - 1), "queue_until": queue_until,
            "items": len(items)}


@bp.route("/stats")
@login_required
def stats() -> ResponseReturnValue:
    data = _stats()
    days, counts, breaches = data["day_list"], data["counts"], data["breaches"]
    volume_chart = stacked_bars("Mentions per day by label", [d.isoformat() for d in days], counts,
                                labels=[d.strftime("%d %b") for d in days])
    breach_chart = stacked_bars("Service levels per priority", [b.priority for b in breaches],
                                {"on time": [b.on_time for b in breaches], "late": [b.late for b in breaches],
                                 "overdue": [b.overdue for b in breaches]}, width=420)
    return render_template("stats.html", volume_chart=volume_chart, breach_chart=breach_chart, duration=st.duration,
                           **data)


@bp.route("/stats.csv")
@login_required
def stats_csv() -> ResponseReturnValue:
    """A stats table as CSV: `table=volume` (per day by label), `times` (to first claim and to resolve, in
    seconds) or `service` (service levels per priority)."""
    data = _stats()
    table = request.args.get("table", "volume")
    if table == "volume":
        labels = tuple(data["counts"])
        return _csv("volume", ("day", *labels),
                    [(d.isoformat(), *(data["counts"][k][i] for k in labels)) for i, d in enumerate(data["day_list"])])
    if table == "times":
        return _csv("response-times", ("measure", "items", "median_seconds", "p90_seconds"),
                    [(name, s.count, s.median, s.p90) for name, s in
                     (("to first claim", data["first_claim"]), ("to resolve", data["resolve"]))])
    if table == "service":
        return _csv("service-levels", ("priority", "items", "closed_on_time", "closed_late", "open_overdue"),
                    [(b.priority, b.items, b.on_time, b.late, b.overdue) for b in data["breaches"]])
    abort(404)
