"""Chart geometry for server-rendered, accessible SVG (no JavaScript, no CDN).

Functions here return numbers and strings the templates place into ``<svg>`` elements; each
chart also carries the rows of its data-table alternative.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from network.models import Role
from network.selectors import SOMEONE_ELSE

from . import selectors
from .instruments import INSTRUMENTS
from .models import Connectedness, Mood

WIDTH = 640
HEIGHT = 200
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 28
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
# Dots on every point help reading short ranges; on a year they would be a smear.
MAX_DOTS = 100


@dataclass
class Tick:
    pos: float
    label: str
    # Every other date tick is left out on phones, so the ones shown never overlap.
    minor: bool = False
    # Ticks near the edges hang inwards, so their labels are never cut off.
    anchor: str = "middle"


@dataclass
class LineChart:
    slug: str
    title: str
    description: str
    paths: list[str]
    dots: list[tuple[float, float, str]]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    rows: list[tuple[str, str]]
    value_heading: str
    # Word labels ("Really struggling", "Great") sit inside the plot, above their grid line.
    word_ticks: bool = False
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.rows


def _x(day: datetime.date, start: datetime.date, span: int) -> float:
    return round(LEFT + (day - start).days * PLOT_W / max(span, 1), 1)


def _y(value: float, y_min: float, y_max: float) -> float:
    return round(TOP + (y_max - value) * PLOT_H / (y_max - y_min), 1)


def _x_ticks(start: datetime.date, end: datetime.date) -> list[Tick]:
    span = (end - start).days
    if span <= 31:
        step = 7
        fmt = "%b %-d"
    elif span <= 100:
        step = 14
        fmt = "%b %-d"
    else:
        step = 61
        fmt = "%b %Y"
    ticks: list[Tick] = []
    day = start
    while day <= end:
        pos = _x(day, start, span)
        anchor = "start" if pos < LEFT + 30 else ("end" if pos > WIDTH - RIGHT - 30 else "middle")
        ticks.append(Tick(pos, day.strftime(fmt), minor=len(ticks) % 2 == 1, anchor=anchor))
        day += datetime.timedelta(days=step)
    return ticks


def line_chart(
    *,
    slug: str,
    title: str,
    description: str,
    start: datetime.date,
    end: datetime.date,
    values: Mapping[datetime.date, float],
    y_min: float,
    y_max: float,
    y_ticks: Sequence[tuple[float, str]],
    value_heading: str,
    value_label: Mapping[float, str] | None = None,
    word_ticks: bool = False,
) -> LineChart:
    """Return a line chart of one value per date; missing dates break the line."""
    span = (end - start).days
    paths: list[str] = []
    dots = []
    current: list[str] = []
    rows = []
    day = start
    while day <= end:
        value = values.get(day)
        if value is None:
            if current:
                paths.append(" ".join(current))
                current = []
        else:
            x, y = _x(day, start, span), _y(value, y_min, y_max)
            current.append(f"{'M' if not current else 'L'}{x},{y}")
            shown = value_label.get(value, str(value)) if value_label else _fmt(value)
            dots.append((x, y, f"{day:%b %-d}: {shown}"))
            rows.append((day.isoformat(), shown))
        day += datetime.timedelta(days=1)
    if current:
        paths.append(" ".join(current))
    # A lone point has no line: draw a tiny segment so it still shows.
    paths = [p if " " in p else f"{p} l0.1,0" for p in paths]
    return LineChart(
        slug=slug,
        title=title,
        description=description,
        paths=paths,
        dots=dots if len(dots) <= MAX_DOTS else [],
        y_ticks=[Tick(_y(v, y_min, y_max), label) for v, label in y_ticks],
        x_ticks=_x_ticks(start, end),
        rows=rows,
        value_heading=value_heading,
        word_ticks=word_ticks,
    )


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


@dataclass
class Bar:
    x: float
    width: float
    segments: list[tuple[float, float, str, str]]  # y, height, css class, label


@dataclass
class BarChart:
    slug: str
    title: str
    description: str
    bars: list[Bar]
    legend: list[tuple[str, str]]  # css class, label
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    columns: list[str]
    rows: list[tuple[str, list[int], int]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(total for _w, _c, total in self.rows)


def stacked_weekly_bars(
    *,
    slug: str,
    title: str,
    description: str,
    weeks: Sequence[datetime.date],
    counts: Mapping[datetime.date, Mapping[str, int]],
    categories: Sequence[tuple[str, str]],
) -> BarChart:
    """Return a stacked bar per week, one segment per category (e.g. supporter role)."""
    top = max([sum(counts.get(w, {}).values()) for w in weeks] + [1])
    # Round the scale up to a tidy number so the gridlines read well.
    scale = next(n for n in (2, 5, 10, 15, 20, 30, 50, 100, 200, 500, 10**9) if n >= top)
    slot = PLOT_W / max(len(weeks), 1)
    bar_w = round(max(slot * 0.7, 1), 1)
    bars, rows = [], []
    for i, week in enumerate(weeks):
        x = round(LEFT + i * slot + (slot - bar_w) / 2, 1)
        y_base: float = TOP + PLOT_H
        segments = []
        week_counts = counts.get(week, {})
        for key, label in categories:
            n = week_counts.get(key, 0)
            if n:
                h = n * PLOT_H / scale
                y_base -= h
                segments.append((round(y_base, 1), round(h, 1), f"role-{key}", f"{label}: {n}"))
        bars.append(Bar(x, bar_w, segments))
        values = [week_counts.get(key, 0) for key, _ in categories]
        rows.append((f"Week of {week:%b %-d, %Y}", values, sum(values)))
    step = max(len(weeks) // 6, 1)
    x_ticks = [
        Tick(round(LEFT + i * slot + slot / 2, 1), f"{w:%b %-d}")
        for i, w in enumerate(weeks)
        if i % step == 0
    ]
    y_ticks = [
        Tick(round(TOP + PLOT_H - v * PLOT_H / scale, 1), str(v)) for v in (0, scale // 2, scale)
    ]
    return BarChart(
        slug=slug,
        title=title,
        description=description,
        bars=bars,
        legend=[(f"role-{key}", label) for key, label in categories],
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        columns=[label for _, label in categories],
        rows=rows,
    )


# --- The charts of the history page -------------------------------------------------------

ROLE_CATEGORIES = [(role.value, role.label) for role in Role] + [(SOMEONE_ELSE, "Someone else")]


def history_charts(h: selectors.History) -> dict:
    """Return the mood, craving, connectedness and weekly-contacts charts for ``h``."""
    mood = {c.local_date: c.mood for c in h.checkins}
    craving = {c.local_date: c.craving for c in h.checkins}
    connected = {c.local_date: c.connectedness for c in h.checkins}
    weeks = []
    week = selectors.week_start(h.start)
    while week <= h.end:
        weeks.append(week)
        week += datetime.timedelta(days=7)
    span = f"{h.start:%b %-d, %Y} to {h.end:%b %-d, %Y}"
    return {
        "mood_chart": line_chart(
            slug="mood",
            title="Mood",
            description=f"Your mood each day you checked in, from {span}. 1 is really "
            "struggling, 5 is great.",
            start=h.start,
            end=h.end,
            values=mood,
            y_min=1,
            y_max=5,
            y_ticks=[(1, Mood(1).label), (3, Mood(3).label), (5, Mood(5).label)],
            word_ticks=True,
            value_heading="Mood",
            value_label={m.value: f"{m.value} ({m.label})" for m in Mood},
        ),
        "craving_chart": line_chart(
            slug="craving",
            title="Craving",
            description=f"Craving each day you checked in, from {span}. 0 is none, 10 is the "
            "strongest.",
            start=h.start,
            end=h.end,
            values=craving,
            y_min=0,
            y_max=10,
            y_ticks=[(0, "0"), (5, "5"), (10, "10")],
            value_heading="Craving (0–10)",
        ),
        "connected_chart": line_chart(
            slug="connectedness",
            title="How connected you felt",
            description=f"How connected you felt each day you checked in, from {span}. 1 is "
            "very alone, 5 is very connected.",
            start=h.start,
            end=h.end,
            values=connected,
            y_min=1,
            y_max=5,
            y_ticks=[(c, Connectedness(c).label) for c in (1, 3, 5)],
            word_ticks=True,
            value_heading="Connectedness",
            value_label={c.value: f"{c.value} ({c.label})" for c in Connectedness},
        ),
        "contacts_chart": stacked_weekly_bars(
            slug="contacts",
            title="Contacts per week, by role",
            description=f"How many times you connected with people each week, by their role "
            f"in your network, from {span}.",
            weeks=weeks,
            counts=h.contacts_by_week_role,
            categories=ROLE_CATEGORIES,
        ),
    }


def score_charts(h: selectors.History) -> list[dict]:
    by_instrument: dict[str, dict[datetime.date, float]] = {}
    for response in h.responses:
        by_instrument.setdefault(response.instrument, {})[response.local_date] = (
            response.scores.get("total")
        )
    result = []
    for key, values in by_instrument.items():
        definition = INSTRUMENTS[key]
        total = definition.score([definition.options[0][0]] * len(definition.items))[0]
        result.append(
            {
                "definition": definition,
                "chart": line_chart(
                    slug=f"score-{key}",
                    title=definition.short_name,
                    description=f"Your {definition.short_name} total over time. Higher means "
                    f"{total.higher_means}.",
                    start=h.start,
                    end=h.end,
                    values=values,
                    y_min=total.minimum,
                    y_max=total.maximum,
                    y_ticks=[
                        (total.minimum, f"{total.minimum:g}"),
                        (total.maximum, f"{total.maximum:g}"),
                    ],
                    value_heading="Score",
                ),
            }
        )
    return result


def calendar_weeks(h: selectors.History) -> list[list[dict | None]]:
    """Weeks (Monday first) of the range, each day marked checked-in and/or connected."""
    weeks: list[list[dict | None]] = []
    day = selectors.week_start(h.start)
    while day <= h.end:
        week: list[dict | None] = []
        for _ in range(7):
            if h.start <= day <= h.end:
                week.append(
                    {
                        "date": day,
                        "checked_in": day in h.by_date,
                        "connected": day in h.contact_dates,
                    }
                )
            else:
                week.append(None)
            day += datetime.timedelta(days=1)
        weeks.append(week)
    return weeks


def calendar_months(weeks: list[list[dict | None]]) -> list[tuple[str, list[dict | None]]]:
    """The weeks with a month heading ("December 2026") before the first week and before each
    week in which a month begins; other weeks get an empty heading."""
    rows, last_month = [], None
    for week in weeks:
        days = [cell["date"] for cell in week if cell]
        heading = ""
        for day in days:
            if (day.year, day.month) != last_month and (day.day == 1 or last_month is None):
                heading = f"{day:%B %Y}"
                last_month = (day.year, day.month)
        if days and last_month is None:
            last_month = (days[0].year, days[0].month)
        rows.append((heading, week))
    return rows
