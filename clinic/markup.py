"""The caseload's cards as markup built in Python.

A page of 50 cards with three sparklines each is about 4,000 template nodes through
``{% for %}``, ``{% if %}`` and ``{{ }}``, which made the template the slowest part of the page;
joined here it costs a fraction of that. Every value goes through ``format_html`` (or
``escape``), so a display name, a flag's reason or a consent's expiry event is escaped exactly
as the template escaped it; dates are formatted by the template's own ``date`` filter, in the
page's time zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from .charts import Sparkline
from .selectors import CaseloadRow


def _days(n: int | None) -> str:
    # The template's ``{{ n }} day{{ n|pluralize }}``.
    return f"{n} day{'' if n == 1 else 's'}"


def _spark(spark: Sparkline) -> SafeString:
    return format_html(
        '<figure class="spark"><figcaption>{}</figcaption>{}'
        '<span class="visually-hidden">{}</span></figure>',
        spark.title,
        spark.svg(),
        spark.text,
    )


def _figures(row: CaseloadRow) -> SafeString:
    parts = []
    if row.checkin_days_7 is not None:
        last = date_filter(row.last_checkin, "D j M") if row.last_checkin else "None yet"
        parts.append(format_html("<dt>Last check-in</dt><dd>{}</dd>", last))
    if row.contacts_7 is not None:
        days = row.days_since_contact
        parts.append(
            format_html(
                "<dt>Last contact</dt><dd>{}</dd>"
                "<dt>Contacts, 7 days</dt><dd>{} (their 4-week weekly average: {})</dd>"
                "<dt>Connection streak</dt><dd>{}</dd>",
                "None logged" if days is None else f"{_days(days)} ago",
                row.contacts_7,
                row.weekly_average,
                _days(row.streak),
            )
        )
    expires: datetime.datetime | None = row.expires_at
    ends = (
        date_filter(template_localtime(expires), "j M Y")
        if expires
        else row.access.consent.expiry_event
    )
    parts.append(format_html("<dt>Consent ends</dt><dd>{}</dd>", ends))
    return mark_safe("".join(parts))  # noqa: S308 - every part built by format_html


def caseload_card(row: CaseloadRow, url: str, sparks: list[Sparkline]) -> SafeString:
    """One client's card: name and link, flags with their reasons, figures, sparklines."""
    flags = (
        format_html(
            '<ul class="flags" aria-label="Flags">{}</ul>',
            format_html_join("", "<li>{}</li>", ((f.reason,) for f in row.flags)),
        )
        if row.flags
        else ""
    )
    charts = (
        format_html('<div class="sparks">{}</div>', mark_safe("".join(map(_spark, sparks))))  # noqa: S308
        if sparks
        else ""
    )
    return format_html(
        '<li class="client-card{}">\n<h2><a href="{}">{}</a></h2>\n{}<dl>{}</dl>\n{}</li>\n',
        " flagged" if row.flags else "",
        url,
        row.name,
        flags,
        _figures(row),
        charts,
    )


def caseload_cards(cards: Iterable[tuple[CaseloadRow, str, list[Sparkline]]]) -> SafeString:
    """The cards of a page, each a (row, its client page's URL, its sparklines)."""
    return mark_safe("".join(caseload_card(*card) for card in cards))  # noqa: S308
