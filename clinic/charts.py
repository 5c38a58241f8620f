"""Sparklines for the caseload and the charts of a client's history (server-side SVG)."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe

from checkins.charts import ROLE_CATEGORIES, line_chart, stacked_weekly_bars
from checkins.models import Connectedness, Mood
from checkins.selectors import week_start
from network.models import Scope

from .history import ClientHistory
from .selectors import WINDOW_DAYS, CaseloadRow

SPARK_W, SPARK_H = 120, 28
_PAD = 2  # keeps a line on the edge of the box clear of its border


@dataclass(frozen=True)
class Measure:
    """One check-in value as the clinic draws it: a sparkline on the caseload and a line chart
    on a client's history, over the same scale, shown only with its scope."""

    key: str  # the check-in field, and the attribute of a caseload row holding its values
    name: str  # the sparkline's title
    scope: str
    lo: int
    hi: int
    chart_title: str
    scale_note: str  # what the ends of the scale mean, for the chart's description
    value_heading: str
    labels: dict[int, str] | None = None  # a value's words in the chart's table

    @property
    def ticks(self) -> list[tuple[int, str]]:
        return [(v, str(v)) for v in (self.lo, (self.lo + self.hi) // 2, self.hi)]


MEASURES = (
    Measure(
        "mood",
        "Mood",
        Scope.MOOD_CRAVING,
        1,
        5,
        chart_title="Mood",
        scale_note="1 is really struggling, 5 is great.",
        value_heading="Mood",
        labels={m.value: f"{m.value} ({m.label})" for m in Mood},
    ),
    Measure(
        "craving",
        "Craving",
        Scope.MOOD_CRAVING,
        0,
        10,
        chart_title="Craving",
        scale_note="0 is none, 10 the strongest.",
        value_heading="Craving (0–10)",
    ),
    Measure(
        "connectedness",
        "Connectedness",
        Scope.CONNECTEDNESS,
        1,
        5,
        chart_title="How connected they felt",
        scale_note="1 is very alone, 5 very connected.",
        value_heading="Connectedness",
        labels={c.value: f"{c.value} ({c.label})" for c in Connectedness},
    ),
)

# The x of each day of the window, oldest first, as drawn: the same for every sparkline.
_SPARK_X = tuple(
    str(round(_PAD + i * (SPARK_W - 2 * _PAD) / (WINDOW_DAYS - 1), 1)) for i in range(WINDOW_DAYS)
)


@functools.lru_cache(maxsize=64)
def _spark_y(value: int, lo: int, hi: int) -> str:
    """The y of a value as drawn (a scale has a handful of values; a page draws 4,500)."""
    return str(round(_PAD + (hi - value) * (SPARK_H - 2 * _PAD) / (hi - lo), 1))


@dataclass(frozen=True)
class Sparkline:
    title: str
    points: list[str]  # one polyline per run of consecutive days
    text: str  # the text alternative: what a screen reader hears instead of the picture

    def svg(self) -> str:
        """The picture as markup, built here rather than in the template: a caseload page
        draws 150 of these, and the template engine made that the page's slowest part. The
        text is escaped; the points are numbers formatted here."""
        lines = "".join(f'<polyline points="{p}"/>' for p in self.points)
        return mark_safe(  # noqa: S308  # nosec B308, B703  # the text escaped, the points ours
            f'<svg viewBox="0 0 {SPARK_W} {SPARK_H}" role="img" '
            f'aria-label="{escape(self.text)}"><rect width="{SPARK_W}" height="{SPARK_H}"/>'
            f"{lines}</svg>"
        )


@functools.lru_cache(maxsize=8)
def _window(today: datetime.date) -> tuple[datetime.date, ...]:
    """The window's days up to ``today``, oldest first (a page's clients share a few)."""
    return tuple(today - datetime.timedelta(days=WINDOW_DAYS - 1 - i) for i in range(WINDOW_DAYS))


def sparkline(
    title: str, values: Mapping[datetime.date, int], today: datetime.date, lo: int, hi: int
) -> Sparkline:
    """A 30-day sparkline; a day without a value breaks the line."""
    runs: list[list[str]] = []
    current: list[str] = []
    for x, day in zip(_SPARK_X, _window(today), strict=True):
        value = values.get(day)
        if value is None:
            if current:
                runs.append(current)
                current = []
            continue
        current.append(f"{x},{_spark_y(value, lo, hi)}")
    if current:
        runs.append(current)
    # A lone day has no line: repeat it a hair to the right so it still shows as a dot.
    points = [" ".join(r) if len(r) > 1 else f"{r[0]} {_nudge(r[0])}" for r in runs]
    if values:
        last = max(values)
        mean = sum(values.values()) / len(values)
        text = (
            f"{title}, last 30 days: {len(values)} days recorded, average {mean:.1f}, "
            f"latest {values[last]} ({last:%b %-d})."
        )
    else:
        text = f"{title}: nothing recorded in the last 30 days."
    return Sparkline(title, points, text)


def row_sparklines(row: CaseloadRow) -> list[Sparkline]:
    """A caseload row's sparklines: each measure its consent's scopes allow, in order."""
    return [
        sparkline(m.name, getattr(row, m.key), row.today, m.lo, m.hi)
        for m in MEASURES
        if m.scope in row.scopes
    ]


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
        kwargs["value_label"] = None  # a mean has no label of its own
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
    for m in MEASURES:
        if any(m.key in c for c in h.checkins):
            charts[m.key] = _line(
                h,
                m.key,
                slug=m.key,
                title=m.chart_title,
                description=f"{m.name} on each day with a check-in, {span}. {m.scale_note}",
                y_min=m.lo,
                y_max=m.hi,
                y_ticks=m.ticks,
                value_heading=m.value_heading,
                value_label=m.labels,
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
