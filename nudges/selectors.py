"""Reads of notifications: what a detail page may show (only after login, only within
scopes), and what other apps may read of a member's own notifications."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.utils import timezone

from .models import Kind, Notification

DIGEST_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Encouragement:
    message: str
    sender: str
    sent_at: datetime.datetime


def received_encouragements(member, *, limit: int = 50) -> list[Encouragement]:
    """The kind words supporters sent ``member``, newest first (for the network app's page).

    The words live only in the notification's data: its title and body are for lock screens.
    One query.
    """
    rows = (
        Notification.objects.filter(recipient=member, kind=Kind.ENCOURAGEMENT)
        .order_by("-created_at")
        .values_list("data", "created_at")[:limit]
    )
    return [
        Encouragement(data.get("message", ""), data.get("from", ""), created_at)
        for data, created_at in rows
    ]


def details_for(notification: Notification) -> dict[str, Any]:
    if notification.kind in (Kind.ENCOURAGEMENT, Kind.CELEBRATION):
        # The recipient's own words (a supporter's message, a milestone), never on a lock screen.
        return {"message": notification.data.get("message", "")}
    if notification.kind == Kind.SOS:
        return _sos_details(notification)
    if notification.kind == Kind.SUPPORTER_NUDGE:
        return {"facts": _member_facts(notification.recipient, notification.subject_member)}
    if notification.kind == Kind.THERAPIST_DIGEST:
        return {"caseload": caseload_summary(notification.recipient)}
    return {}


def _sos_details(notification: Notification) -> dict[str, Any]:
    from network.models import Tie

    member = notification.subject_member
    # The member's chosen words are for their current SOS contacts only.
    if member and Tie.objects.sos().filter(member=member, supporter=notification.recipient):
        return {"sos_words": notification.data.get("words", "")}
    return {}


def _member_facts(viewer, member) -> list[tuple[str, str]]:
    """A few facts about ``member`` that ``viewer`` may see, each logged as a disclosure."""
    from checkins.models import CheckIn
    from network.models import Contact, Scope
    from network.services import record_disclosure, shared_scopes

    if member is None:
        return []
    scopes = shared_scopes(viewer, member)
    facts = []
    today = member.local_now().date()
    if Scope.CHECKIN_STATUS in scopes:
        checked = CheckIn.objects.filter(member=member, local_date=today).exists()
        facts.append(("Checked in today", "Yes" if checked else "Not yet"))
        record_disclosure(viewer=viewer, member=member, scope=Scope.CHECKIN_STATUS)
    if Scope.CONTACTS in scopes:
        last = Contact.objects.confirmed().filter(member=member).aggregate(d=Max("local_date"))["d"]
        facts.append(("Last contact logged", last.isoformat() if last else "None yet"))
        record_disclosure(viewer=viewer, member=member, scope=Scope.CONTACTS)
    return facts


def caseload_summary(therapist) -> list[dict[str, Any]]:
    """The therapist's consenting caseload: isolating, missed check-ins, risk signals.

    Risk signals come from ``checkins.selectors.risk_summaries`` (the check-in app's one
    definition of a hard day), one query for the whole caseload.

    Each column is shown only where that member's consent covers it; a member who shares
    nothing with this therapist is left out.
    """
    from accounts.models import User
    from checkins.selectors import RiskSummary, risk_summaries
    from network.models import Contact, Role, Scope, Tie
    from network.services import record_disclosure, shared_scopes

    member_ids = list(
        Tie.objects.active()
        .filter(supporter=therapist, role=Role.THERAPIST)
        .values_list("member_id", flat=True)
    )
    if not member_ids:
        return []
    since = timezone.now().date() - datetime.timedelta(days=DIGEST_WINDOW_DAYS)
    members = User.objects.filter(pk__in=member_ids).order_by("display_name")
    checkins = risk_summaries(member_ids, since=since)
    contacts = dict(
        Contact.objects.confirmed()
        .filter(member_id__in=member_ids)
        .values("member_id")
        .annotate(last=Max("local_date"))
        .values_list("member_id", "last")
    )
    rows = []
    for member in members:
        scopes = shared_scopes(therapist, member)
        if not scopes:
            continue
        row: dict[str, Any] = {"name": member.display_name}
        stats = checkins.get(member.pk, RiskSummary(0, 0, 0))
        if Scope.CHECKIN_STATUS in scopes:
            row["checkins"] = stats.checkins
            record_disclosure(viewer=therapist, member=member, scope=Scope.CHECKIN_STATUS)
        if Scope.MOOD_CRAVING in scopes:
            row["hard_days"] = stats.hard_days
            record_disclosure(viewer=therapist, member=member, scope=Scope.MOOD_CRAVING)
        if Scope.USE in scopes:
            row["use_reports"] = stats.use_reports
            record_disclosure(viewer=therapist, member=member, scope=Scope.USE)
        if Scope.CONTACTS in scopes:
            last = contacts.get(member.pk)
            row["isolating"] = last is None or (timezone.now().date() - last).days >= 2
            record_disclosure(viewer=therapist, member=member, scope=Scope.CONTACTS)
        rows.append(row)
    return rows
