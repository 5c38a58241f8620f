"""The demo caseload's shape: who is flagged, whose consent is ending or ended, which scopes.

Used only by ``seed_demo``. Deterministic and safe to run again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn, Instrument, QuestionnaireResponse
from network.models import Contact, Scope, Tie

from .models import Membership, Organisation

FULL = (
    Scope.CHECKIN_STATUS,
    Scope.MOOD_CRAVING,
    Scope.USE,
    Scope.CONTACTS,
    Scope.CONNECTEDNESS,
    Scope.NETWORK,
    Scope.QUESTIONNAIRES,
)
BASIC = (Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING, Scope.USE, Scope.CONTACTS)
STATUS_ONLY = (Scope.CHECKIN_STATUS, Scope.CONTACTS)


@dataclass(frozen=True)
class ConsentPlan:
    scopes: tuple
    days: int = 365
    end: bool = False


def client_consent_plan(n: int) -> ConsentPlan:
    if n == 5:
        return ConsentPlan(FULL, days=7)  # expiring in a week
    if n == 6:
        return ConsentPlan(BASIC, end=True)  # ended: a line with no data
    if n == 4:
        return ConsentPlan(FULL)  # questionnaire scores shared: the loneliness flag shows
    if n % 5 == 0:
        return ConsentPlan(STATUS_ONLY)
    return ConsentPlan(FULL if n % 2 else BASIC)


def seed_clinic(therapist: User, secret: str, password_hash: str, demo_user) -> None:
    """The therapist's authenticator (a published demo secret) and their organisation."""
    if not Authenticator.objects.filter(user=therapist, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(therapist, secret)
    org, _ = Organisation.objects.get_or_create(name="Riverside Counseling (demo)")
    Membership.objects.get_or_create(organisation=org, user=therapist)
    office = demo_user("office", "Riverside office", password_hash)
    Membership.objects.get_or_create(organisation=org, user=office, defaults={"is_admin": True})


def shape_client(member: User, tie: Tie, n: int) -> None:
    """Give some clients what the caseload is there to notice."""
    today = member.local_now().date()
    if n == 1:  # isolating: no contact for 9 days
        Contact.objects.filter(
            member=member, local_date__gt=today - datetime.timedelta(days=9)
        ).delete()
    elif n == 2:  # a hard check-in yesterday
        CheckIn.objects.update_or_create(
            member=member,
            local_date=today - datetime.timedelta(days=1),
            defaults={"mood": 1, "craving": 9, "connectedness": 1, "used": False},
        )
    elif n == 3:  # missed check-ins: only 2 of the last 7 days
        CheckIn.objects.filter(
            member=member, local_date__gt=today - datetime.timedelta(days=7)
        ).exclude(local_date__in=[today, today - datetime.timedelta(days=3)]).delete()
    elif n == 4:  # loneliness rising on the UCLA-3
        for days_ago, answers in ((40, [1, 2, 1]), (5, [3, 3, 2])):
            QuestionnaireResponse.objects.get_or_create(
                member=member,
                instrument=Instrument.UCLA3,
                local_date=today - datetime.timedelta(days=days_ago),
                defaults={
                    "version": "Hughes 2004, 3-item",
                    "answers": answers,
                    "scores": {"total": sum(answers)},
                    "completed_at": timezone.now() - datetime.timedelta(days=days_ago),
                },
            )
