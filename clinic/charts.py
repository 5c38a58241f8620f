"""Sparklines for the caseload and the charts of a client's history (server-side SVG)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

from checkins.charts import ROLE_CATEGORIES, line_chart, stacked_weekly_bars
from checkins.models import Connectedness, Mood
from checkins.selectors import week_start

from .history import ClientHistory
from .selectors import WINDOW_DAYS

SPARK_W, SPARK_H = 120, 28


@dataclass(frozen=True)
class Sparkline:
    title: str
    points: list[str]  # one polyline per run of consecutive days
    text: str  # the text alternative: what a screen reader hears instead of the picture

    def svg(self) -> str:
        """The picture as markup, built here rather than in the template: a caseload of 200
        draws 600 of these, and the template engine made that the page's slowest part."""
        lines = format_html_join("", '<polyline points="{}"/>', ((p,) for p in self.points))
        return format_html(
            '<svg viewBox="0 0 {} {}" role="img" aria-label="{}"><rect width="{}" height="{}"/>'
            "{}</svg>",
            SPARK_W,
            SPARK_H,
            self.text,
            SPARK_W,
            SPARK_H,
            lines,
        )


def sparkline(
    title: str, values: Mapping[datetime.date, int], today: datetime.date, lo: int, hi: int
) -> Sparkline:
    """A 30-day sparkline; a day without a value breaks the line."""
    runs: list[list[str]] = []
    current: list[str] = []
    for i in range(WINDOW_DAYS):
        day = today - datetime.timedelta(days=WINDOW_DAYS - 1 - i)
        value = values.get(day)
        if value is None:
            if current:
                runs.append(current)
            current = []
            continue
        x = round(2 + i * (SPARK_W - 4) / (WINDOW_DAYS - 1), 1)
        y = round(2 + (hi - value) * (SPARK_H - 4) / (hi - lo), 1)
        current.append(f"{x},{y}")
    if current:
        runs.append(current)
    # A lone day has no line: repeat it a hair to the right so it still shows as a dot.
    points = [" ".join(r) if len(r) > 1 else f"{r[0]} {_nudge(r[0])}" for r in runs]
    if values:
        latest = values[max(values)]
        mean = sum(values.values()) / len(values)
        text = (
            f"{title}, last 30 days: {len(values)} days recorded, average {mean:.1f}, "
            f"latest {latest} ({max(values):%b %-d})."
        )
    else:
        text = f"{title}: nothing recorded in the last 30 days."
    return Sparkline(title, points, text)


def _nudge(point: str) -> str:
    x, y = point.split(",")
    return f"{float(x) + 1:.1f},{y}"


# Over a longer range a chart plots weekly means: a point (and a table row) per week rather than
# per day keeps a 3-year chart readable, and its text alternative a table of 157 rows, not 1,096.
DAILY_UP_TO_DAYS = 92


def _series(h: ClientHistory, key: str) -> tuple[dict, list | None]:
    """Values to plot, and for a long range the weekly rows of the table (None: daily)."""
    daily = {c["local_date"]: c[key] for c in h.checkins if c.get(key) is not None}
    if (h.end - h.start).days <= DAILY_UP_TO_DAYS:
        return daily, None
    weeks: dict = {}
    for day, value in daily.items():
        weeks.setdefault(max(week_start(day), h.start), []).append(value)
    means = {week: round(sum(v) / len(v), 1) for week, v in weeks.items()}
    # Each day of a week carries the week's mean, so the line runs on through the week.
    plotted = {day: means[max(week_start(day), h.start)] for day in daily}
    rows = [(f"Week of {week.isoformat()}", f"{mean:g}") for week, mean in sorted(means.items())]
    return plotted, rows


def _line(h: ClientHistory, key: str, **kwargs):
    values, weekly_rows = _series(h, key)
    if weekly_rows is not None:
        kwargs.pop("value_label", None)  # a mean has no label of its own
    chart = line_chart(values=values, start=h.start, end=h.end, **kwargs)
    if weekly_rows is not None:
        chart.rows = weekly_rows
        chart.dots = []
    return chart


def history_charts(h: ClientHistory) -> dict:
    span = f"{h.start:%b %-d, %Y} to {h.end:%b %-d, %Y}"
    if (h.end - h.start).days > DAILY_UP_TO_DAYS:
        span += " (weekly averages)"
    charts = {}
    if any("mood" in c for c in h.checkins):
        charts["mood"] = _line(
            h,
            "mood",
            slug="mood",
            title="Mood",
            description=f"Mood on each day with a check-in, {span}. 1 is really struggling, "
            "5 is great.",
            y_min=1,
            y_max=5,
            y_ticks=[(1, "1"), (3, "3"), (5, "5")],
            value_heading="Mood",
            value_label={m.value: f"{m.value} ({m.label})" for m in Mood},
        )
        charts["craving"] = _line(
            h,
            "craving",
            slug="craving",
            title="Craving",
            description=f"Craving on each day with a check-in, {span}. 0 is none, 10 the "
            "strongest.",
            y_min=0,
            y_max=10,
            y_ticks=[(0, "0"), (5, "5"), (10, "10")],
            value_heading="Craving (0–10)",
        )
    if any("connectedness" in c for c in h.checkins):
        charts["connectedness"] = _line(
            h,
            "connectedness",
            slug="connectedness",
            title="How connected they felt",
            description=f"Connectedness on each day with a check-in, {span}. 1 is very alone, "
            "5 very connected.",
            y_min=1,
            y_max=5,
            y_ticks=[(1, "1"), (3, "3"), (5, "5")],
            value_heading="Connectedness",
            value_label={c.value: f"{c.value} ({c.label})" for c in Connectedness},
        )
    if h.contacts_by_week_role or h.contacts:
        weeks, week = [], week_start(h.start)
        while week <= h.end:
            weeks.append(week)
            week += datetime.timedelta(days=7)
        charts["contacts"] = stacked_weekly_bars(
            slug="contacts",
            title="Contacts per week, by role",
            description=f"Confirmed contacts each week by the supporter's role, {span}.",
            weeks=weeks,
            counts=h.contacts_by_week_role,
            categories=ROLE_CATEGORIES,
        )
    return charts
