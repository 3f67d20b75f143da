"""Bar charts as geometry for inline SVG, drawn server-side by the `charts.html` macro: no script, no CDN, and
every label escaped by Jinja like any other text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.vocabulary import Label, OutcomeKind

# Each series' colour: the labels (and what the filters set aside), then the service-level series.
COLORS: dict[str, str] = {
    Label.QUEUE: "#c2410c", Label.DIRECT_OTHER: "#0f766e", Label.ABOUT: "#4338ca", Label.IRRELEVANT: "#6b7280",
    OutcomeKind.FILTERED: "#a8a29e", "count": "#4338ca", "late": "#b91c1c", "on time": "#15803d",
    "overdue": "#f59e0b",
}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Value:
    """A column's total, written above it."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    max_value: int
    legend: tuple[tuple[str, str], ...]
    baseline: float
    values: tuple[Value, ...] = ()


def stacked_bars(title: str, columns: Sequence[str], series: Mapping[str, Sequence[int]], *,
                 labels: Sequence[str] | None = None, width: int = 720, height: int = 220) -> Chart:
    """One bar per column, stacked by series (in the order given). `labels` are the column captions shown under
    the axis (every few, so they never overlap)."""
    top, bottom, left = 26.0, 28.0, 36.0
    plot_h = height - top - bottom
    n = max(len(columns), 1)
    step = (width - left - 8) / n
    totals = [sum(series[s][i] for s in series) for i in range(len(columns))]
    peak = max([*totals, 1])
    bars: list[Bar] = []
    for i, column in enumerate(columns):
        y = top + plot_h
        for name, values in series.items():
            v = values[i]
            if not v:
                continue
            h = plot_h * v / peak
            y -= h
            bars.append(Bar(round(left + i * step + step * 0.15, 1), round(y, 1), round(step * 0.7, 1), round(h, 1),
                            COLORS.get(name, "#4338ca"), f"{column}: {v} {name} (of {totals[i]})"))
    captions = list(labels or columns)
    every = max(1, -(-len(captions) * 70 // (width - left)))
    ticks = tuple(Tick(round(left + i * step + step / 2, 1), c) for i, c in enumerate(captions) if i % every == 0)
    legend = tuple((name, COLORS.get(name, "#4338ca")) for name in series) if len(series) > 1 else ()
    # Each column's total above it, where there is room for the digits (a narrow column shows it on hover).
    room = step >= 7 * len(str(peak)) + 4
    on_top = tuple(Value(round(left + i * step + step / 2, 1), round(top + plot_h - plot_h * t / peak - 4, 1), str(t))
                   for i, t in enumerate(totals) if room and t)
    return Chart(title, width, height, tuple(bars), ticks, peak, legend, top + plot_h, on_top)
