"""The history page's charts and calendar as markup built in Python.

A year of history is about 12,000 template nodes when each day, dot and table row goes
through ``{% for %}`` and ``{{ }}``; the same markup joined here costs a small fraction of
that. The output equals what ``_line_chart.html``, ``_bar_chart.html`` and the calendar in
``history.html`` rendered (a test compares them), and every value is escaped (``_e``) before
the parts are marked safe. The clinic's pages still include the templates.
"""

from __future__ import annotations

import datetime
import functools
import html
from collections.abc import Sequence

from django.utils import dateformat, translation
from django.utils.safestring import SafeString, mark_safe

from .charts import BarChart, LineChart


def _e(value: object) -> str:
    """Escape a value as the template's ``{{ value }}`` does (floats print as ``str``)."""
    return html.escape(str(value), quote=True)


def _add(value: float, offset: int) -> int:
    # The templates' ``|add:'-4'`` works on int(value): kept so the markup is unchanged.
    return int(value) + offset


def _ticks(chart: LineChart | BarChart, *, word: bool = False, anchors: bool = True) -> list[str]:
    parts = []
    for tick in chart.y_ticks:
        parts.append(
            f'<line x1="{_e(chart.plot_left)}" x2="{_e(chart.plot_right)}" y1="{_e(tick.pos)}" '
            f'y2="{_e(tick.pos)}" class="grid"/>'
        )
        if word:
            parts.append(
                f'<text x="{_add(chart.plot_left, 4)}" y="{_add(tick.pos, -4)}" '
                f'text-anchor="start" class="tick word">{_e(tick.label)}</text>'
            )
        else:
            parts.append(
                f'<text x="{_add(chart.plot_left, -6)}" y="{_e(tick.pos)}" text-anchor="end" '
                f'dominant-baseline="middle" class="tick">{_e(tick.label)}</text>'
            )
    bottom = _add(chart.height, -8)
    for tick in chart.x_ticks:
        if anchors:
            minor = " minor" if tick.minor else ""
            parts.append(
                f'<text x="{_e(tick.pos)}" y="{bottom}" text-anchor="{_e(tick.anchor)}" '
                f'class="tick{minor}">{_e(tick.label)}</text>'
            )
        else:
            parts.append(
                f'<text x="{_e(tick.pos)}" y="{bottom}" text-anchor="middle" class="tick">'
                f"{_e(tick.label)}</text>"
            )
    return parts


def _svg_open(chart: LineChart | BarChart) -> str:
    slug = _e(chart.slug)
    return (
        f'<svg viewBox="0 0 {_e(chart.width)} {_e(chart.height)}" role="img" '
        f'aria-labelledby="{slug}-svg-title {slug}-svg-desc" class="chart-svg" '
        f'preserveAspectRatio="xMidYMid meet">'
        f'<title id="{slug}-svg-title">{_e(chart.title)}</title>'
        f'<desc id="{slug}-svg-desc">{_e(chart.description)} A table with the same data '
        f"follows.</desc>"
    )


def _figure(chart: LineChart | BarChart, body: str, empty_text: str) -> SafeString:
    slug = _e(chart.slug)
    head = (
        f'<figure class="chart" aria-labelledby="{slug}-title">'
        f'<figcaption id="{slug}-title"><h3>{_e(chart.title)}</h3></figcaption>'
    )
    inner = f"<p>{empty_text}</p>" if chart.empty else body
    return mark_safe(f"{head}{inner}</figure>")  # noqa: S308  # nosec B308, B703  # every value above is escaped (_e)


def line_chart_html(chart: LineChart) -> SafeString:
    """``_line_chart.html`` for one chart."""
    if chart.empty:
        return _figure(chart, "", "No data in this period yet.")
    parts = [_svg_open(chart), *_ticks(chart, word=chart.word_ticks)]
    parts += [f'<path d="{_e(d)}" class="line" fill="none"/>' for d in chart.paths]
    parts += [
        f'<circle cx="{_e(x)}" cy="{_e(y)}" r="3" class="dot"><title>{_e(label)}</title></circle>'
        for x, y, label in chart.dots
    ]
    parts.append("</svg>")
    parts.append(
        f"<details><summary>{_e(chart.title)} as a table</summary><table>"
        f'<caption class="visually-hidden">{_e(chart.description)}</caption>'
        f'<thead><tr><th scope="col">Date</th><th scope="col">{_e(chart.value_heading)}</th>'
        f"</tr></thead><tbody>"
    )
    parts += [f"<tr><td>{_e(day)}</td><td>{_e(value)}</td></tr>" for day, value in chart.rows]
    parts.append("</tbody></table></details>")
    return _figure(chart, "".join(parts), "")


def bar_chart_html(chart: BarChart) -> SafeString:
    """``_bar_chart.html`` for one chart."""
    if chart.empty:
        return _figure(chart, "", "No contacts logged in this period yet.")
    parts = [_svg_open(chart), *_ticks(chart, anchors=False)]
    for bar in chart.bars:
        parts += [
            f'<rect x="{_e(bar.x)}" y="{_e(y)}" width="{_e(bar.width)}" height="{_e(h)}" '
            f'class="{_e(css)}"><title>{_e(label)}</title></rect>'
            for y, h, css, label in bar.segments
        ]
    parts.append('</svg><ul class="legend">')
    parts += [
        f'<li><svg width="12" height="12" aria-hidden="true" focusable="false"><rect width="12" '
        f'height="12" class="{_e(css)}"/></svg> {_e(label)}</li>'
        for css, label in chart.legend
    ]
    parts.append(
        f"</ul><details><summary>{_e(chart.title)} as a table</summary><table>"
        f'<caption class="visually-hidden">{_e(chart.description)}</caption>'
        f'<thead><tr><th scope="col">Week</th>'
        + "".join(f'<th scope="col">{_e(c)}</th>' for c in chart.columns)
        + '<th scope="col">Total</th></tr></thead><tbody>'
    )
    for week, values, total in chart.rows:
        cells = "".join(f"<td>{_e(v)}</td>" for v in values)
        parts.append(f'<tr><th scope="row">{_e(week)}</th>{cells}<td>{_e(total)}</td></tr>')
    parts.append("</tbody></table></details>")
    return _figure(chart, "".join(parts), "")


@functools.lru_cache(maxsize=32)
def _month_abbrs(language: str | None) -> tuple[str, ...]:
    return tuple(dateformat.format(datetime.date(2000, m, 1), "M") for m in range(1, 13))


def _month_abbr(month: int) -> str:
    """The template's ``|date:"M"`` ("Dec"), once per language rather than once per day
    (formatting each day's date was nine tenths of a year's calendar)."""
    return _month_abbrs(translation.get_language())[month - 1]


CHECK_MARK = '<span aria-hidden="true">✓</span>'
CONNECTED_MARK = '<span aria-hidden="true">●</span>'


def _cell(cell: dict | None) -> str:
    if not cell:
        return "<td></td>"
    day: datetime.date = cell["date"]
    checked, connected = cell["checked_in"], cell["connected"]
    css = ("checked" if checked else "") + (" connected" if connected else "")
    abbr = _e(_month_abbr(day.month))
    month = f' <span class="cal-month">{abbr}</span>'
    status = "checked in" if checked else "no check-in"
    return (
        f'<td class="{css}"><span class="cal-date">{day.day}</span>'
        f"{month if day.day == 1 else ''}"
        f"{CHECK_MARK if checked else ''}"
        f"{CONNECTED_MARK if connected else ''}"
        f'<span class="visually-hidden">{abbr} {day.day}: {status}'
        f"{', connected' if connected else ''}</span></td>"
    )


def calendar_rows_html(calendar: Sequence[tuple[str, list[dict | None]]]) -> SafeString:
    """The calendar's body rows (``charts.calendar_months``), as ``history.html`` had them."""
    rows = []
    for heading, week in calendar:
        if heading:
            rows.append(
                f'<tr class="cal-month-row"><th colspan="7" scope="colgroup">{_e(heading)}</th>'
                "</tr>"
            )
        rows.append("<tr>" + "".join(_cell(cell) for cell in week) + "</tr>")
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308, B703  # every value above is escaped (_e)
