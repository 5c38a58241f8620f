"""The clinic's cast: the network cast plus the clinical cases (MFA, withdrawn, scopes)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from network.models import Scope
from tests.factories import THERAPIST_TOTP_SECRET, TherapistFactory

from .network_cast import Cast, _therapist_tie, build_cast

PASSWORD = "a-long-test-password-42"
TOTP_SECRET = THERAPIST_TOTP_SECRET


def enrol_mfa(user: User) -> User:
    """A real allauth TOTP authenticator with a known secret (once: the cast's verified
    therapists already have one)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


def reauthenticate(client) -> None:
    """Confirm it's you with the authenticator, as allauth's MFA reauthentication asks."""
    from tests.accounts.test_mfa import totp_code

    response = client.post(reverse("mfa_reauthenticate"), {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == 302, response.content[:500]


def build_clinic_cast(make_user) -> tuple[Cast, dict[str, User | None]]:
    cast = build_cast()
    for user in (
        cast.therapist_active,
        cast.therapist_expired,
        cast.therapist_revoked,
        cast.therapist_unverified,
    ):
        enrol_mfa(user)
    withdrawn = enrol_mfa(TherapistFactory(display_name="Dr Withdrawn"))
    cast.ties["therapist_withdrawn"] = _therapist_tie(cast.member, withdrawn, [Scope.MOOD_CRAVING])
    withdrawn.therapist_profile.revoked_at = timezone.now()
    withdrawn.therapist_profile.save()
    # A therapist of the member's whose consent covers only check-in status.
    narrow = enrol_mfa(TherapistFactory(display_name="Dr Narrow"))
    cast.ties["therapist_narrow"] = _therapist_tie(cast.member, narrow, [Scope.CHECKIN_STATUS])
    # A verified therapist with MFA who isn't the member's therapist at all.
    stranger = enrol_mfa(TherapistFactory(display_name="Dr Stranger"))
    no_mfa = TherapistFactory(display_name="Dr NoMFA", mfa=False)
    cast.ties["therapist_no_mfa"] = _therapist_tie(cast.member, no_mfa, [Scope.MOOD_CRAVING])
    extra = {
        "therapist_withdrawn": withdrawn,
        "therapist_narrow": narrow,
        "therapist_stranger": stranger,
        "therapist_no_mfa": no_mfa,
    }
    return cast, extra
