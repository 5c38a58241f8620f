"""The SOS loop: who was told, their answers, and what an SOS contact may do about it.

An SOS contact answers with "I'm reaching out now" (a contact the member confirms later, and
a "Maria is reaching out" notice to the member at once) or with kind words. The member's SOS
page reads the answers back from the contacts' notifications. Free of requests and HTML.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from network.models import Scope, Tie
from network.services.access import Access, access_for_tie
from network.services.contacts import contact_log_by_supporter
from network.services.disclosure import record_disclosures_for_ties
from network.services.encouragement import encouragement_send
from network.services.errors import NetworkError
from notifications.models import Kind, Notification

from .models import SosAlert

REACHING_OUT = "reaching_out"
KIND_WORDS = "kind_words"
ANSWERS = (REACHING_OUT, KIND_WORDS)


class SosError(Exception):
    """An answer that cannot be given; the message is safe and kind to show."""


@dataclass
class SosCard:
    """One SOS pinned on an SOS contact's Today, with what they may do about it."""

    notification: Notification
    member: User
    tie_id: str
    words: str
    phone: str  # empty unless the member shares "how to reach me" with this contact
    sos_id: str
    # The phone number is the member's shared data: what showing this card discloses.
    disclosed: Access | None = None


@dataclass(frozen=True)
class SosAnswer:
    name: str
    answer: str  # "", REACHING_OUT or KIND_WORDS
    answered_at: datetime.datetime | None
    reply: str


def _active_since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(hours=SosAlert.ACTIVE_HOURS)


def pinned_for(supporter: User, *, now: datetime.datetime | None = None) -> list[SosCard]:
    """The unanswered SOS alerts of the last 24 hours to ``supporter`` from members who still
    have them as an SOS contact, newest first.

    Three queries however many (alerts, their ties with consents), and one batched append to
    the access log of every member whose card shows their phone number.
    """
    now = now or timezone.now()
    alerts = list(
        Notification.objects.filter(
            recipient=supporter, kind=Kind.SOS, response="", created_at__gte=_active_since(now)
        )
        .select_related("subject_member")
        .order_by("-created_at")
    )
    if not alerts:
        return []

    ties = {
        tie.member_id: tie
        for tie in Tie.objects.sos(now)
        .filter(supporter=supporter, member__in={a.subject_member_id for a in alerts})
        .with_open_consents()
    }
    cards, seen = [], set()
    for alert in alerts:
        tie = ties.get(alert.subject_member_id)
        if tie is None or alert.subject_member_id in seen:
            continue  # no longer their SOS contact; or an older alert of the same member
        seen.add(alert.subject_member_id)
        cards.append(_card(alert, tie, supporter, now))
    record_disclosures_for_ties([c.disclosed for c in cards if c.disclosed], viewer=supporter)
    return cards


def _card(alert: Notification, tie, supporter: User, now: datetime.datetime) -> SosCard:
    phone, disclosed = "", None
    access = access_for_tie(tie, supporter, now=now)
    if tie.member.phone and Scope.REACH in access.scopes:
        phone = tie.member.phone
        disclosed = Access(tie, access.consent, frozenset({Scope.REACH}))
    return SosCard(
        notification=alert,
        member=tie.member,
        tie_id=str(tie.pk),
        words=alert.data.get("words", ""),
        phone=phone,
        sos_id=alert.data.get("sos_id", ""),
        disclosed=disclosed,
    )


def card_for(notification: Notification) -> SosCard | None:
    """The answer card for one SOS notification, if its recipient may still answer it.

    Reads only: the card's ``disclosed`` is for the caller to record (the detail page's
    ``services.notification_details``)."""
    if notification.kind != Kind.SOS or notification.subject_member_id is None:
        return None
    now = timezone.now()
    tie = (
        Tie.objects.sos(now)
        .filter(member_id=notification.subject_member_id, supporter_id=notification.recipient_id)
        .with_open_consents()
        .first()
    )
    if tie is None:
        return None
    return _card(notification, tie, tie.supporter, now)


def _sos_tie(supporter: User, notification: Notification):
    """The SOS tie behind ``notification`` if ``supporter`` may still answer it; else raise."""
    if (
        notification.recipient_id != supporter.pk
        or notification.kind != Kind.SOS
        or notification.subject_member_id is None
    ):
        raise SosError("This isn't an SOS you can answer.")
    tie = (
        Tie.objects.sos()
        .filter(member_id=notification.subject_member_id, supporter=supporter)
        .select_related("member", "supporter")
        .first()
    )
    if tie is None:
        raise SosError("You're no longer one of this person's SOS contacts.")
    return tie


def _record_answer(notification: Notification, answer: str, reply: str = "") -> bool:
    """Store the first answer on the notification (later kind words are kept as the reply)."""
    now = timezone.now()
    data = dict(notification.data)
    if reply:
        data["reply"] = reply
    answered = Notification.objects.filter(pk=notification.pk, response="").update(
        response=answer, responded_at=now, read_at=now, data=data
    )
    if not answered and reply:
        Notification.objects.filter(pk=notification.pk).update(data=data)
    return bool(answered)


@transaction.atomic
def sos_reaching_out(*, supporter: User, notification: Notification, method: str) -> bool:
    """ "I'm reaching out now": log a contact for the member to confirm and tell them at once.

    Returns False (and changes nothing) if this supporter already said they are reaching out.
    """
    tie = _sos_tie(supporter, notification)
    if notification.response == REACHING_OUT:
        return False
    try:
        contact_log_by_supporter(supporter=supporter, tie=tie, method=method, announce=False)
    except NetworkError as exc:
        raise SosError(str(exc)) from exc
    _record_answer(notification, REACHING_OUT)
    if notification.response:  # kind words came first: reaching out is the news now
        Notification.objects.filter(pk=notification.pk).update(response=REACHING_OUT)
    _tell_member(notification, tie, f"{supporter.display_name} is reaching out")
    return True


def sos_kind_words(*, supporter: User, notification: Notification, message: str) -> None:
    """Answer with kind words: they go to the member's inbox and show on their SOS page."""
    tie = _sos_tie(supporter, notification)
    try:
        encouragement_send(supporter=supporter, tie=tie, message=message)
    except NetworkError as exc:
        raise SosError(str(exc)) from exc
    _record_answer(notification, KIND_WORDS, reply=message.strip())


def _tell_member(notification: Notification, tie, title: str) -> None:
    from .services import notify

    sos_id = notification.data.get("sos_id", "")
    notify(
        recipient=tie.member,
        kind=Kind.NETWORK,
        title=title,
        body=f"{title}. You can confirm the contact in Rat Park afterwards.",
        idempotency_key=f"sos-answer:{notification.pk}",
        action_url=reverse("nudges:sos_status", args=[sos_id]) if sos_id else "",
        # Someone asked for help: this goes out now, quiet hours or not.
        not_before=timezone.now(),
    )


def answers_for(alert: SosAlert) -> list[SosAnswer]:
    """Who was told about ``alert`` and how each answered, answered first. One query."""
    rows = (
        Notification.objects.filter(
            subject_member_id=alert.member_id, kind=Kind.SOS, data__sos_id=str(alert.pk)
        )
        .select_related("recipient")
        .order_by("created_at")
    )
    answers = [
        SosAnswer(
            name=n.recipient.display_name,
            answer=n.response if n.response in ANSWERS else "",
            answered_at=n.responded_at if n.response in ANSWERS else None,
            reply=n.data.get("reply", ""),
        )
        for n in rows
    ]
    return sorted(answers, key=lambda a: (a.answer != REACHING_OUT, a.answer == ""))


def latest_active_alert(member: User, *, now: datetime.datetime | None = None) -> SosAlert | None:
    """The member's own SOS of the last 24 hours, if any (shown on their Today). One query."""
    now = now or timezone.now()
    return (
        SosAlert.objects.filter(member=member, created_at__gte=_active_since(now))
        .order_by("-created_at")
        .first()
    )
