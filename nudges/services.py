"""What the one-tap answers mean, a message's details, SOS, and web push sign-up.

Creating a notification is ``notifications.services.notify``; recording an answer is
``notifications.services.notification_respond``.
"""

from __future__ import annotations

import datetime
import logging
from datetime import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn
from checkins.services import risk_event_claim
from network.selectors import sos_ties
from network.services.contacts import contact_log_from_nudge
from network.services.disclosure import record_disclosures_for_ties
from notifications.models import Kind, Notification
from notifications.services import notify, quiet_hours_end

from . import selectors
from .models import NudgePreference, SosAlert

if TYPE_CHECKING:
    from checkins.models import CheckIn

logger = logging.getLogger(__name__)


def log_reach_out(notification: Notification, now: dt) -> None:
    """ "I reached out" on a prompt: log the contact, so tomorrow brings no reach-out prompt
    (``notifications.services.ANSWER_HANDLERS``)."""
    contact_log_from_nudge(
        member=notification.recipient,
        tie_id=notification.data.get("tie_id"),
        occurred_at=now,
    )


def snooze_prompts(notification: Notification, now: dt) -> None:
    """ "Snooze": a day without prompts (``notifications.services.ANSWER_HANDLERS``)."""
    NudgePreference.objects.update_or_create(
        member=notification.recipient, defaults={"snoozed_until": now + datetime.timedelta(days=1)}
    )


SOS_REPEAT_MINUTES = 15  # a second press within this reuses the alert: no second wave


# Draws a shown message and its details on its page (``notifications.views.DETAILS``).
DETAILS_TEMPLATE = "nudges/_notification_details.html"


def notification_details(notification: selectors.ShownNotification) -> dict[str, Any]:
    """What the notification's page shows beyond its title and text
    (``notifications.views.DETAILS``), and the template that draws it.

    Every part of a member's shared data it shows (a nudge's facts, the digest's caseload, an
    SOS card's phone number) is recorded in that member's access log: one batched append.
    ``notification`` must come from ``selectors.with_access``.
    """
    details, shown = selectors.details_for(notification)
    record_disclosures_for_ties(shown, viewer=notification.recipient)
    return {**details, "details_template": DETAILS_TEMPLATE}


def caseload_summary(therapist: User, *, now: dt | None = None) -> list[dict[str, Any]]:
    """The therapist's consenting caseload (``selectors.caseload_rows``), each member's
    columns shown recorded in their access log: one batched append for the whole caseload."""
    rows, shown = selectors.caseload_rows(therapist, now=now)
    record_disclosures_for_ties(shown, viewer=therapist)
    return rows


def sos_send(
    *, member: User, checkin: CheckIn | None = None, message: str | None = None
) -> list[Notification]:
    """Alert the member's SOS contacts now, with only the words the member chose to share.

    From the standing "I need support" button (no check-in: ``message`` is the member's own
    words for this time, else their saved SOS words) or from a hard check-in (one alert per
    check-in). A second press within a few minutes reuses the open alert, so contacts are
    told once; a contact added meanwhile is told too. Contacts in their quiet hours get it in
    the inbox at once and by email/push when their quiet hours end, unless they opted in to
    urgent alerts. Once someone is told about a check-in, its risk event is marked handled
    (the check-in app's ``risk_event_claim``), so it stays in the member's history.
    """
    if checkin is not None and checkin.member_id != member.pk:
        raise ValueError("Not the member's check-in.")
    alert = sos_alert_open(member=member, checkin=checkin, message=message)
    return sos_alert_send(alert)


def sos_saved_words(member: User) -> str:
    pref = NudgePreference.objects.filter(member=member).first()
    return pref.sos_message if pref else NudgePreference._meta.get_field("sos_message").default


def sos_alert_open(
    *, member: User, checkin: CheckIn | None = None, message: str | None = None
) -> SosAlert:
    """The member's alert for this press: the check-in's, a recent one, or a new one."""
    words = (message or "").strip()[:200] or sos_saved_words(member)
    if checkin is not None:
        alert, _ = SosAlert.objects.get_or_create(
            checkin_ref=checkin.pk, defaults={"member": member, "message": words}
        )
        return alert
    now = timezone.now()
    recent = (
        SosAlert.objects.filter(
            member=member,
            checkin_ref__isnull=True,
            created_at__gte=now - datetime.timedelta(minutes=SOS_REPEAT_MINUTES),
        )
        .order_by("-created_at")
        .first()
    )
    return recent or SosAlert.objects.create(member=member, message=words, created_at=now)


def sos_alert_send(alert: SosAlert) -> list[Notification]:
    """Tell each current SOS contact about ``alert`` once (idempotent per alert and contact)."""
    member = alert.member
    now = timezone.now()
    ties = sos_ties(member, now)
    urgent = set(
        NudgePreference.objects.filter(
            member__in=[t.supporter_id for t in ties], urgent_alerts=True
        ).values_list("member_id", flat=True)
    )
    sent = []
    for tie in ties:
        supporter = tie.supporter
        if supporter is None:  # an offline contact: Tie.objects.sos never yields one
            continue
        not_before = None if supporter.pk in urgent else quiet_hours_end(supporter, now)
        notification, _ = notify(
            recipient=supporter,
            kind=Kind.SOS,
            title=f"{member.display_name} asked for support",
            body=f"{member.display_name} would like you to reach out when you can.",
            idempotency_key=f"sos:{supporter.pk}:{alert.pk}",
            subject_member=member,
            data={"words": alert.message, "tie_id": str(tie.pk), "sos_id": str(alert.pk)},
            not_before=not_before,
        )
        if notification is not None:  # always, as nobody can stop SOS alerts
            sent.append(notification)
    if sent and alert.checkin_ref:
        checkin = CheckIn.objects.filter(pk=alert.checkin_ref, member=member).first()
        if checkin is not None:
            risk_event_claim(checkin=checkin, now=now)
    return sent
