"""The network page's list of people as markup built in Python.

Each card has up to five links and forms (edit, what they see or consent, pause or resume,
end), each a URL reversal and a CSRF field through the templates. Here each URL is reversed
once per page with a placeholder id and filled in per tie, and every value passes through
``format_html``, which escapes it. The markup is what ``home.html``'s loop drew.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .models import Role, Tie, TieStatus

_PLACEHOLDER = str(uuid.UUID(int=0))


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def _last_contact(days: int | None) -> str:
    if days is None:
        return "No contact logged yet."
    if days == 0:
        return "In touch today."
    return f"Last contact {days} day{_plural(days)} ago."


def tie_cards_html(ties: Sequence[Tie], *, csrf_token: str) -> SafeString:
    """One ``<li>`` per tie (from ``ties_for_member``, with ``network_health``'s days_since)."""
    urls = {
        "edit": reverse("network:tie_edit", args=[_PLACEHOLDER]),
        "sharing": reverse("network:tie_sharing", args=[_PLACEHOLDER]),
        "consent": reverse("network:consent_part2", args=[_PLACEHOLDER]),
        **{
            action: reverse("network:tie_status", args=[_PLACEHOLDER, action])
            for action in ("pause", "resume", "end")
        },
    }
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)

    def url(key: str, tie: Tie) -> str:
        return urls[key].replace(_PLACEHOLDER, str(tie.pk), 1)

    def form(tie: Tie, action: str, label: str, hidden: str) -> SafeString:
        return format_html(
            '<form method="post" action="{}">{}<button class="link-button" type="submit">{}'
            '<span class="visually-hidden"> {}</span></button></form>',
            url(action, tie),
            csrf,
            label,
            hidden,
        )

    def card(tie: Tie) -> tuple:
        name = tie.name
        label = (
            format_html(' <span class="muted">({})</span>', tie.relationship_label)
            if tie.relationship_label
            else ""
        )
        sharing: SafeString | str = ""
        if tie.supporter_id or tie.status == TieStatus.INVITED:
            if tie.role == Role.THERAPIST:
                sharing = format_html(
                    '<a href="{}">Consent<span class="visually-hidden"> for {}</span></a>',
                    url("consent", tie),
                    name,
                )
            else:
                sharing = format_html(
                    '<a href="{}">What they see<span class="visually-hidden"> ({})</span></a>',
                    url("sharing", tie),
                    name,
                )
        toggle: SafeString | str = ""
        if tie.status == TieStatus.ACTIVE:
            toggle = form(tie, "pause", "Pause", name)
        elif tie.status == TieStatus.PAUSED:
            toggle = form(tie, "resume", "Resume", name)
        return (
            tie.pk,
            name,
            label,
            tie.get_role_display(),
            tie.get_status_display(),
            tie.get_ease_display(),
            _last_contact(tie.days_since),
            tie.contacts_30,
            _plural(tie.contacts_30),
            url("edit", tie),
            name,
            sharing,
            toggle,
            form(tie, "end", "End", f"tie with {name}"),
        )

    return format_html_join(
        "\n",
        '<li id="tie-{}"><h3>{}{}</h3><p>{} · {} · {}. {} {} contact{} in 30 days.</p>'
        '<div class="actions"><a href="{}">Edit<span class="visually-hidden"> {}</span></a>'
        "{}{}{}</div></li>",
        (card(tie) for tie in ties),
    )
