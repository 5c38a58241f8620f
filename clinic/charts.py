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
    runs, current = [], []
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


def history_charts(h: ClientHistory) -> dict:
    span = f"{h.start:%b %-d, %Y} to {h.end:%b %-d, %Y}"
    charts = {}
    common = {"start": h.start, "end": h.end}
    if any("mood" in c for c in h.checkins):
        charts["mood"] = line_chart(
            slug="mood",
            title="Mood",
            description=f"Mood on each day with a check-in, {span}. 1 is really struggling, "
            "5 is great.",
            values={c["local_date"]: c["mood"] for c in h.checkins},
            y_min=1,
            y_max=5,
            y_ticks=[(1, "1"), (3, "3"), (5, "5")],
            value_heading="Mood",
            value_label={m.value: f"{m.value} ({m.label})" for m in Mood},
            **common,
        )
        charts["craving"] = line_chart(
            slug="craving",
            title="Craving",
            description=f"Craving on each day with a check-in, {span}. 0 is none, 10 the "
            "strongest.",
            values={c["local_date"]: c["craving"] for c in h.checkins},
            y_min=0,
            y_max=10,
            y_ticks=[(0, "0"), (5, "5"), (10, "10")],
            value_heading="Craving (0–10)",
            **common,
        )
    if any("connectedness" in c for c in h.checkins):
        charts["connectedness"] = line_chart(
            slug="connectedness",
            title="How connected they felt",
            description=f"Connectedness on each day with a check-in, {span}. 1 is very alone, "
            "5 very connected.",
            values={c["local_date"]: c["connectedness"] for c in h.checkins},
            y_min=1,
            y_max=5,
            y_ticks=[(1, "1"), (3, "3"), (5, "5")],
            value_heading="Connectedness",
            value_label={c.value: f"{c.value} ({c.label})" for c in Connectedness},
            **common,
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
