"""A named cast for the support-network tests: one member and everyone around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from accounts.models import TherapistProfile, User
from checkins.models import CheckIn
from network.consents import consent_record_sharing, consent_revoke, consent_sign_part2
from network.models import (
    SHARING_SCOPE_CHOICES,
    Consent,
    Contact,
    ContactMethod,
    Role,
    Scope,
    Tie,
    TieStatus,
)
from network.services.ties import tie_set_status

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
    tie = Tie.objects.create(member=member, supporter=supporter, role=role)
    if role != Role.THERAPIST:
        consent_record_sharing(tie=tie, scopes=scopes, may_nudge=True, is_sos_contact=False)
    return tie


THERAPIST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _verified(user: User, *, mfa: bool = True) -> User:
    """A therapist staff verified, with an authenticator app (MFA is mandatory for them: the
    access predicate shares nothing with one who has none) unless ``mfa=False``."""
    TherapistProfile.objects.create(user=user, credential="LCSW 1", verified_at=timezone.now())
    if mfa:
        TOTP.activate(user, THERAPIST_TOTP_SECRET)
    return user


def _therapist_tie(member: User, therapist: User, scopes) -> Tie:
    tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent_sign_part2(
        tie=tie,
        scopes=scopes,
        purpose="Treatment",
        signature_name="Sam Example",
        expires_at=timezone.now() + timedelta(days=365),
    )
    return tie


def build_cast(make_user) -> Cast:
    member = make_user("sam@example.org", display_name="Sam", phone="+15035550100")
    cast = Cast(
        member=member,
        other_member=make_user("olive@example.org", display_name="Olive"),
        staff=make_user("staff@example.org", display_name="Staff", is_staff=True),
        supporter_none=make_user(display_name="Nobody"),
    )
    cast.ties["supporter_none"] = _tie(member, cast.supporter_none)
    for scope in ALL_SCOPES:
        user = make_user(display_name=f"Only {scope}")
        cast.by_scope[scope] = user
        cast.ties[f"scope:{scope}"] = _tie(member, user, scopes=[scope])
    cast.ended = make_user(display_name="Ended")
    ended_tie = _tie(member, cast.ended, scopes=ALL_SCOPES)
    tie_set_status(tie=ended_tie, status=TieStatus.ENDED)
    cast.ties["ended"] = ended_tie

    therapist_scopes = [Scope.MOOD_CRAVING, Scope.NOTES]
    cast.therapist_active = _verified(make_user(display_name="Dr Active"))
    cast.ties["therapist_active"] = _therapist_tie(member, cast.therapist_active, therapist_scopes)
    cast.therapist_expired = _verified(make_user(display_name="Dr Expired"))
    tie = _therapist_tie(member, cast.therapist_expired, therapist_scopes)
    # Past its expiry but not yet swept by the daily job: access must already be gone.
    Consent.objects.filter(tie=tie).update(expires_at=timezone.now() - timedelta(minutes=1))
    cast.ties["therapist_expired"] = tie
    cast.therapist_revoked = _verified(make_user(display_name="Dr Revoked"))
    tie = _therapist_tie(member, cast.therapist_revoked, therapist_scopes)
    consent_revoke(consent=tie.consents.get())
    cast.ties["therapist_revoked"] = tie
    cast.therapist_unverified = make_user(display_name="Dr Unverified")
    cast.ties["therapist_unverified"] = _therapist_tie(
        member, cast.therapist_unverified, therapist_scopes
    )

    cast.offline_tie = Tie.objects.create(member=member, offline_name="Grandma", role=Role.FAMILY)
    cast.other_tie = _tie(cast.other_member, make_user(display_name="Olive's friend"))

    today = timezone.now().astimezone(member.zone).date()
    CheckIn.objects.create(
        member=member,
        local_date=today,
        mood=2,
        craving=7,
        used=True,
        connectedness=2,
        notes=SECRET_NOTE,
    )
    Contact.objects.create(
        member=member,
        tie=cast.offline_tie,
        method=ContactMethod.CALL,
        occurred_at=timezone.now(),
        local_date=today,
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
