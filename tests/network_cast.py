"""A named cast for the support-network tests: one member and everyone around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from network.consents import consent_revoke
from network.models import SHARING_SCOPE_CHOICES, Consent, Role, Scope, Tie, TieStatus
from network.services.ties import tie_set_status
from tests.factories import (
    CheckinFactory,
    ContactFactory,
    OfflineTieFactory,
    TherapistConsentFactory,
    TherapistFactory,
    TieFactory,
    UserFactory,
)

ALL_SCOPES = [value for value, _ in SHARING_SCOPE_CHOICES]  # what a supporter can be given
EVERY_SCOPE = [s.value for s in Scope]  # with the clinical ones a formal consent adds
SECRET_NOTE = "SECRET-NOTE-4417"


@dataclass
class Cast:
    member: User
    other_member: User
    staff: User
    supporter_none: User  # active tie, shares nothing
    by_scope: dict[str, User] = field(default_factory=dict)  # active tie sharing one scope
    ended: User | None = None
    therapist_active: User | None = None
    therapist_expired: User | None = None
    therapist_revoked: User | None = None
    therapist_unverified: User | None = None
    ties: dict[str, Tie] = field(default_factory=dict)  # by actor name
    offline_tie: Tie | None = None
    other_tie: Tie | None = None  # a tie of other_member's


def _tie(member: User, supporter: User, role: str = Role.FRIEND, scopes=()) -> Tie:
    return TieFactory(member=member, supporter=supporter, role=role, scopes=scopes)


def _therapist_tie(member: User, therapist: User, scopes) -> Tie:
    tie = TieFactory(member=member, supporter=therapist, role=Role.THERAPIST)
    TherapistConsentFactory(tie=tie, scopes=scopes)
    return tie


def build_cast() -> Cast:
    """The cast, in the database (the caller needs the ``db`` fixture)."""
    member = UserFactory(email="sam@example.org", display_name="Sam", phone="+15035550100")
    cast = Cast(
        member=member,
        other_member=UserFactory(email="olive@example.org", display_name="Olive"),
        staff=UserFactory(email="staff@example.org", display_name="Staff", is_staff=True),
        supporter_none=UserFactory(display_name="Nobody"),
    )
    cast.ties["supporter_none"] = _tie(member, cast.supporter_none)
    for scope in ALL_SCOPES:
        user = UserFactory(display_name=f"Only {scope}")
        cast.by_scope[scope] = user
        cast.ties[f"scope:{scope}"] = _tie(member, user, scopes=[scope])
    cast.ended = UserFactory(display_name="Ended")
    ended_tie = _tie(member, cast.ended, scopes=ALL_SCOPES)
    tie_set_status(tie=ended_tie, status=TieStatus.ENDED)
    cast.ties["ended"] = ended_tie

    therapist_scopes = [Scope.MOOD_CRAVING, Scope.NOTES]
    cast.therapist_active = TherapistFactory(display_name="Dr Active")
    cast.ties["therapist_active"] = _therapist_tie(member, cast.therapist_active, therapist_scopes)
    cast.therapist_expired = TherapistFactory(display_name="Dr Expired")
    tie = _therapist_tie(member, cast.therapist_expired, therapist_scopes)
    # Past its expiry but not yet swept by the daily job: access must already be gone.
    Consent.objects.filter(tie=tie).update(expires_at=timezone.now() - timedelta(minutes=1))
    cast.ties["therapist_expired"] = tie
    cast.therapist_revoked = TherapistFactory(display_name="Dr Revoked")
    tie = _therapist_tie(member, cast.therapist_revoked, therapist_scopes)
    consent_revoke(consent=tie.consents.get())
    cast.ties["therapist_revoked"] = tie
    cast.therapist_unverified = UserFactory(display_name="Dr Unverified")
    cast.ties["therapist_unverified"] = _therapist_tie(
        member, cast.therapist_unverified, therapist_scopes
    )

    cast.offline_tie = OfflineTieFactory(member=member, offline_name="Grandma")
    cast.other_tie = _tie(cast.other_member, UserFactory(display_name="Olive's friend"))

    CheckinFactory(member=member, mood=2, craving=7, used=True, connectedness=2, notes=SECRET_NOTE)
    ContactFactory(
        member=member,
        tie=cast.offline_tie,
        occurred_at=timezone.now(),
        helped=4,
    )
    return cast


def actors(cast: Cast) -> dict[str, User | None]:
    """Everyone in the authorization matrix, by name; None is the anonymous visitor."""
    people: dict[str, User | None] = {
        "anonymous": None,
        "member": cast.member,
        "other_member": cast.other_member,
        "staff": cast.staff,
        "supporter_none": cast.supporter_none,
        "ended": cast.ended,
        "therapist_active": cast.therapist_active,
        "therapist_expired": cast.therapist_expired,
        "therapist_revoked": cast.therapist_revoked,
        "therapist_unverified": cast.therapist_unverified,
    }
    for scope, user in cast.by_scope.items():
        people[f"scope:{scope}"] = user
    return people
