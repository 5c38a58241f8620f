"""The history page's charts and calendar, built in Python (checkins.markup): the same markup
the templates rendered, every value escaped, and a bounded number of template nodes."""

from __future__ import annotations

import datetime
import re
from http import HTTPStatus

import pytest
from django.template import Context, Template
from django.template.base import Node
from django.template.loader import render_to_string
from django.urls import reverse

from checkins import charts, markup, selectors
from checkins.models import CheckIn
from network.models import Contact, ContactMethod, Role, Tie

# The calendar loop history.html had before its rows were built in Python.
OLD_CALENDAR = (
    '{% for heading, week in calendar %}{% if heading %}<tr class="cal-month-row"><th '
    'colspan="7" scope="colgroup">{{ heading }}</th></tr>{% endif %}<tr>{% for cell in week %}'
    '{% if cell %}<td class="{% if cell.checked_in %}checked{% endif %}{% if cell.connected %}'
    ' connected{% endif %}"><span class="cal-date">{{ cell.date|date:"j" }}</span>'
    '{% if cell.date.day == 1 %} <span class="cal-month">{{ cell.date|date:"M" }}</span>'
    '{% endif %}{% if cell.checked_in %}<span aria-hidden="true">✓</span>{% endif %}'
    '{% if cell.connected %}<span aria-hidden="true">●</span>{% endif %}<span '
    'class="visually-hidden">{{ cell.date|date:"M j" }}: {% if cell.checked_in %}checked in'
    "{% else %}no check-in{% endif %}{% if cell.connected %}, connected{% endif %}</span></td>"
    "{% else %}<td></td>{% endif %}{% endfor %}</tr>\n{% endfor %}"
)


def _squash(markup_text: str) -> str:
    return re.sub(r">\s+<", "><", str(markup_text)).strip()


@pytest.fixture
def year(member, make_user):
    tie = Tie.objects.create(member=member, supporter=make_user(), role=Role.SPONSOR)
    today = selectors.local_today(member)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            local_date=today - datetime.timedelta(days=i),
            mood=1 + i % 5,
            craving=i % 11,
            connectedness=1 + (i * 3) % 5,
            sleep_quality=None,
        )
        for i in range(365)
        if i % 7
    )
    Contact.objects.bulk_create(
        Contact(
            member=member,
            tie=tie if i % 3 else None,
            method=ContactMethod.CALL if i % 3 else ContactMethod.MEETING,
            local_date=today - datetime.timedelta(days=i),
        )
        for i in range(0, 365, 2)
    )
    return selectors.history(member, today, 365)


@pytest.mark.parametrize("days", [30, 365])
def test_the_markup_equals_what_the_templates_rendered(member, year, days):
    h = selectors.history(member, year.end, days)
    trends = charts.history_charts(h)
    for key, build, template in [
        ("contacts_chart", markup.bar_chart_html, "checkins/_bar_chart.html"),
        ("mood_chart", markup.line_chart_html, "checkins/_line_chart.html"),
        ("craving_chart", markup.line_chart_html, "checkins/_line_chart.html"),
        ("connected_chart", markup.line_chart_html, "checkins/_line_chart.html"),
    ]:
        chart = trends[key]
        assert not chart.empty
        assert _squash(build(chart)) == _squash(render_to_string(template, {"chart": chart}))
    calendar = charts.calendar_months(charts.calendar_weeks(h))
    old = Template(OLD_CALENDAR).render(Context({"calendar": calendar}))
    assert _squash(markup.calendar_rows_html(calendar)) == _squash(old)


def test_an_empty_chart_says_so_as_before(member):
    today = selectors.local_today(member)
    h = selectors.history(member, today, 30)
    trends = charts.history_charts(h)
    for key, build, template in [
        ("contacts_chart", markup.bar_chart_html, "checkins/_bar_chart.html"),
        ("mood_chart", markup.line_chart_html, "checkins/_line_chart.html"),
    ]:
        chart = trends[key]
        assert chart.empty
        assert _squash(build(chart)) == _squash(render_to_string(template, {"chart": chart}))


def test_every_value_is_escaped(member, year):
    chart = charts.history_charts(year)["mood_chart"]
    chart.title = '<script>alert("t")</script>'
    chart.rows = [("<b>day</b>", '"><img src=x>')]
    chart.dots = [(1.0, 2.0, "<i>dot</i>")]
    out = str(markup.line_chart_html(chart))
    assert "<script>" not in out
    assert "<b>" not in out
    assert "<img" not in out
    assert "<i>" not in out
    assert "&lt;script&gt;" in out
    assert "&quot;&gt;&lt;img" in out
    assert _squash(out) == _squash(render_to_string("checkins/_line_chart.html", {"chart": chart}))


def test_a_year_of_history_renders_few_template_nodes(client, member, year, monkeypatch):
    """7,430 node renders for this year before the markup moved to Python; now under 100."""
    rendered = [0]
    original = Node.render_annotated

    def counting(self, context):
        rendered[0] += 1
        return original(self, context)

    monkeypatch.setattr(Node, "render_annotated", counting)
    client.force_login(member)
    response = client.get(f"{reverse('checkins:history')}?range=365")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert body.count("<title") >= 4
    assert body.count("<desc") >= 4
    assert body.count("<table") >= 5
    assert '<td class="checked connected">' in body
    assert rendered[0] < 1000, rendered[0]
