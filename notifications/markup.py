"""The inbox's list of messages as markup built in Python.

Each message is a link, its text, its age, up to four one-tap answers and "Mark as read":
through the templates that is about a hundred node renders and five URL reversals a message.
Here each URL is reversed once per page (with a placeholder id) and every value passes
through ``format_html``, which escapes it. The markup matches what ``inbox.html`` and
``_actions.html`` drew; the message's own page still includes ``_actions.html``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from .models import Notification

if TYPE_CHECKING:
    from .selectors import ShownNotification

# Answered with a form to ``notifications:respond`` (the signed link is for emails and pushes).
ANSWERS = frozenset({"reached_out", "snooze", "stop"})
_PLACEHOLDER = uuid.UUID(int=0)


class _Urls:
    """The inbox's per-message URLs, each reversed once and filled in per message."""

    def __init__(self) -> None:
        self.detail = reverse("notifications:detail", args=[_PLACEHOLDER])
        self.read = reverse("notifications:mark_read", args=[_PLACEHOLDER])
        self.respond = {
            a: reverse("notifications:respond", args=[_PLACEHOLDER, a]) for a in ANSWERS
        }

    @staticmethod
    def fill(url: str, pk: uuid.UUID) -> str:
        return url.replace(str(_PLACEHOLDER), str(pk), 1)


def _csrf_input(csrf_token: str) -> SafeString:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)


def _actions(n: Notification, actions: list[dict[str, str]], urls: _Urls, csrf: str) -> str:
    if n.response:
        thanks = ": you reached out. Thank you." if n.response == "reached_out" else ""
        return format_html('<p class="meta">Answered{}</p>', thanks)
    if not actions:
        return ""
    items = []
    for action in actions:
        if action["action"] in ANSWERS:
            css = "button secondary" if action["action"] != "reached_out" else ""
            items.append(
                format_html(
                    '<li><form method="post" action="{}">{}<button type="submit" class="{}">{}'
                    "</button></form></li>",
                    urls.fill(urls.respond[action["action"]], n.pk),
                    csrf,
                    css,
                    action["label"],
                )
            )
        else:
            items.append(
                format_html(
                    '<li><a class="button" href="{}">{}</a></li>', action["url"], action["label"]
                )
            )
    return format_html(
        '<ul class="actions">{}</ul>', format_html_join("", "{}", ((i,) for i in items))
    )


def inbox_items_html(
    items: Sequence[tuple[ShownNotification, list[dict[str, str]]]],
    *,
    csrf_token: str,
    withheld: dict[str, str],
) -> SafeString:
    """The ``<li>`` of each message, in order. ``items`` pairs each message (from
    ``views.WITH_ACCESS``) with its actions (``links.actions_for``)."""
    urls = _Urls()
    csrf = _csrf_input(csrf_token)
    now = timezone.now()

    def item(n: ShownNotification, actions: list[dict[str, str]]) -> tuple:
        unread = n.read_at is None
        read_form = (
            format_html(
                '<form method="post" action="{}">{}<button type="submit" class="link-button">'
                "Mark as read</button></form>",
                urls.fill(urls.read, n.pk),
                csrf,
            )
            if unread
            else ""
        )
        return (
            " unread" if unread else "",
            urls.fill(urls.detail, n.pk),
            n.title if n.may_show else withheld["title"],
            format_html('<span class="visually-hidden">{}</span>', "(unread)") if unread else "",
            n.body if n.may_show else withheld["body"],
            dateformat.format(timezone.localtime(n.created_at), "c"),
            timesince(n.created_at, now),
            _actions(n, actions, urls, csrf),
            read_form,
        )

    return format_html_join(
        "\n",
        '<li class="inbox-item{}"><h2><a href="{}">{}</a> {}</h2><p>{}</p>'
        '<p class="meta"><time datetime="{}">{} ago</time></p>{}{}</li>',
        (item(n, actions) for n, actions in items),
    )
