"""The one-tap links a notification offers, for emails, pushes and the inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse

from .models import Kind
from .tokens import action_token

if TYPE_CHECKING:
    from .models import Notification

# Keyed by the kinds' string values: a notification's ``kind`` is read back from the database
# as a plain str, which equals its Kind member.
STOP_LABELS: dict[str, str] = {
    Kind.CHECKIN_REMINDER: "Stop check-in reminders",
    Kind.ISOLATION_PROMPT: "Stop reach-out prompts",
    Kind.SUPPORTER_NUDGE: "Stop these suggestions",
    Kind.CELEBRATION: "Stop celebrations",
    Kind.THERAPIST_DIGEST: "Stop the weekly summary",
}


def _absolute(path: str, absolute: bool) -> str:
    if not absolute or path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def open_url(notification: Notification, *, absolute: bool) -> str:
    return _absolute(reverse("notifications:detail", args=[notification.pk]), absolute)


def actions_for(
    notification: Notification, *, absolute: bool, signed: bool = True
) -> list[dict[str, str]]:
    """Links shown under a notification: call/text, "I reached out", "Not now", "Stop".

    ``signed=False`` leaves the answers' URLs empty: a page that answers with its own forms
    (the inbox) need not sign a token for each.
    """

    def token_link(action: str, label: str) -> dict[str, str]:
        if not signed:
            return {"action": action, "label": label, "url": ""}
        path = reverse("notifications:act", args=[action_token(notification.pk, action)])
        return {"action": action, "label": label, "url": _absolute(path, absolute)}

    actions: list[dict[str, str]] = []
    kind = notification.kind
    if kind == Kind.ISOLATION_PROMPT:
        name, phone = notification.data.get("name"), notification.data.get("phone")
        if name and phone:
            actions.append({"action": "call", "label": f"Call {name}", "url": f"tel:{phone}"})
            actions.append({"action": "text", "label": f"Text {name}", "url": f"sms:{phone}"})
        actions.append(token_link("reached_out", "I reached out"))
        actions.append(token_link("snooze", "Not now"))
    elif kind == Kind.CHECKIN_REMINDER:
        actions.append(
            {
                "action": "checkin",
                "label": "Check in now",
                "url": _absolute(notification.action_url or "/", absolute),
            }
        )
        actions.append(token_link("snooze", "Not today"))
    elif notification.action_url:
        # Notifications from other apps point at their own page (login needed there).
        actions.append(
            {
                "action": "open",
                "label": "Open",
                "url": _absolute(notification.action_url, absolute),
            }
        )
    if kind in STOP_LABELS:
        actions.append(token_link("stop", STOP_LABELS[kind]))
    return actions
