"""The notifications part of a member's data export (see accounts.services.export_user_data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef

from accounts.models import User
from network.models import Tie
from notifications.models import Kind, Mute, Notification, PushSubscription
from notifications.selectors import WITHHELD_BODY, WITHHELD_TITLE

from .models import NudgePreference, SosAlert

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _SosWordsShown(TypedDict):
        sos_words_shown: bool


PREFERENCE_FIELDS = [
    "isolation_enabled",
    "isolation_days",
    "prompt_time",
    "supporter_nudges_enabled",
    "missed_checkin_days",
    "no_contact_days",
    "digest_weekday",
    "digest_hour",
    "urgent_alerts",
    "sos_message",
]


# The words in a notification's data that were written for its recipient, by kind (keyed by
# the plain str a notification's kind reads back as).
MESSAGE_KEYS: dict[str, str] = {
    Kind.ENCOURAGEMENT: "message",
    Kind.CELEBRATION: "message",
    Kind.SOS: "words",
}


def _message(notification: WithAnnotations[Notification, _SosWordsShown]) -> str | None:
    """The words meant for the recipient, exactly as Rat Park would show them now.

    Kind words and celebrations are the recipient's. An SOS's words belong to the member who
    asked for help and were shared with their SOS contacts only: they are exported on the
    same terms as the notification page shows them (nudges.selectors), i.e. while the user is
    still that member's SOS contact. Nothing else in ``data`` (tie ids, the member) is.
    """
    key = MESSAGE_KEYS.get(notification.kind)
    if key is None:
        return None
    if notification.kind == Kind.SOS and not notification.sos_words_shown:
        return None
    return notification.data.get(key) or None


def export_user_data(user: User) -> dict[str, Any]:
    """Return the notifications the user received (oldest first) and their nudge choices.

    Titles and texts are exported as the inbox shows them now. ``subject_member`` and the
    rest of ``data`` are left out: they can point at another member
    (a nudge about someone the user supports), and that person's data is theirs to export;
    only the words addressed to the user are included (see ``_message``). Push keys are left
    out too: they are secrets of the user's devices, not data about the user.
    """
    from .selectors import with_access

    notifications = (
        with_access(Notification.objects.filter(recipient=user))
        .annotate(
            sos_words_shown=Exists(
                Tie.objects.sos().filter(member=OuterRef("subject_member"), supporter=user)
            )
        )
        .order_by("created_at")
        .prefetch_related("deliveries")
    )
    pref = NudgePreference.objects.filter(member=user).first()
    return {
        "notifications": [
            {
                "id": str(notification.id),
                "kind": notification.kind,
                # A message about a member the user may no longer hear about is exported as
                # the inbox shows it now (nudges.selectors.with_access).
                "title": notification.title if notification.may_show else WITHHELD_TITLE,
                "body": notification.body if notification.may_show else WITHHELD_BODY,
                "message": _message(notification),
                "action_url": notification.action_url,
                "due_at": notification.due_at.isoformat(),
                "created_at": notification.created_at.isoformat(),
                "read_at": notification.read_at.isoformat() if notification.read_at else None,
                "response": notification.response,
                "deliveries": [
                    {
                        "channel": d.channel,
                        "status": d.status,
                        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                    }
                    for d in notification.deliveries.all()
                ],
            }
            for notification in notifications
        ],
        "nudge_preferences": (
            {
                name: (value.isoformat() if hasattr(value, "isoformat") else value)
                for name in PREFERENCE_FIELDS
                for value in [getattr(pref, name)]
            }
            if pref
            else None
        ),
        "muted": [{"kind": m.kind, "channel": m.channel} for m in Mute.objects.filter(user=user)],
        "push_devices": PushSubscription.objects.filter(user=user).count(),
        # The times the user asked for support, with the words they sent. Who answered is
        # kept on each contact's own alert (their data), so it is not repeated here.
        "sos_requests": [
            {"created_at": a.created_at.isoformat(), "message": a.message}
            for a in SosAlert.objects.filter(member=user).order_by("created_at")
        ],
    }
