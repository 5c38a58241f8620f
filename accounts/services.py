"""Account-wide operations: the therapist application, data export and account deletion.

accounts sits below every app that stores a person's data, so it never imports them. They
take part in export and deletion through two registries of dotted paths, resolved when used:
``EXPORTERS`` (each adds its section to the export) and ``DELETION_HANDLERS`` (each does what
must happen before the user's rows cascade away). An app that stores personal data adds itself
to both; docs/architecture.md names these as one of the two upward mechanisms.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ContactPreferences, TherapistProfile, User

# 2: quiet hours and channels moved from checkins.reminder_preference to
# account.contact_preferences.
EXPORT_FORMAT_VERSION = 2

# Every app that stores a person's data adds its exporter here: a function taking the user
# and returning a JSON-serialisable dict of what they own, and nothing of anyone else's.
EXPORTERS: dict[str, str] = {
    "network": "network.exports.export_user_data",
    "checkins": "checkins.exports.export_user_data",
    "nudges": "nudges.exports.export_user_data",
}

# Run in this order inside the deletion's transaction, after the user's row is locked and
# before it is deleted: each takes the departing user and returns nothing.
DELETION_HANDLERS: list[str] = [
    # Supporters and therapists are told once; ties where the user supports someone end.
    "network.services.departure.end_ties_of_departing_user",
]


def therapist_apply(*, user: User, credential: str, organisation: str = "") -> TherapistProfile:
    """Create or update the user's pending therapist application.

    A verified or revoked profile is not changed here: a new credential needs staff to look
    again, and a revoked one stays revoked. Raises ValidationError in both cases.
    """
    profile = TherapistProfile.objects.filter(user=user).first()
    if profile is None:
        profile = TherapistProfile(user=user)
    elif profile.revoked_at is not None:
        raise ValidationError("Your clinician access was withdrawn; an administrator can help.")
    elif profile.verified_at is not None:
        raise ValidationError("Your credential is verified; ask an administrator to change it.")
    profile.credential = credential
    profile.organisation = organisation
    profile.submitted_at = timezone.now()
    profile.full_clean()
    profile.save()
    return profile


def contact_push_enable(*, user: User) -> None:
    """Turn push back on in the person's saved contact preferences: they subscribed a device.

    Someone without saved preferences gets no row: without one push is on already (the
    model default, which every reader applies to a missing row).
    """
    ContactPreferences.objects.filter(user=user).update(channel_push=True)


def _export_account(user: User) -> dict[str, Any]:
    # The one-to-one rows in the user's own query (absent rows come back as None).
    row = User.objects.select_related("therapist_profile", "contact_preferences").get(pk=user.pk)
    profile: TherapistProfile | None = getattr(row, "therapist_profile", None)
    contact: ContactPreferences | None = getattr(row, "contact_preferences", None)
    return {
        "email": user.email,
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "phone": user.phone,
        "language": user.language,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        # Which second factors exist, never their secrets.
        "two_factor_methods": [
            {"type": authenticator.type, "created_at": authenticator.created_at.isoformat()}
            for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "contact_preferences": None
        if contact is None
        else {
            "quiet_start": contact.quiet_start.isoformat(),
            "quiet_end": contact.quiet_end.isoformat(),
            "channel_in_app": contact.channel_in_app,
            "channel_email": contact.channel_email,
            "channel_push": contact.channel_push,
        },
        "therapist_profile": None
        if profile is None
        else {
            "credential": profile.credential,
            "organisation": profile.organisation,
            "submitted_at": profile.submitted_at.isoformat(),
            "verified": profile.is_verified,
            "verified_at": profile.verified_at.isoformat() if profile.verified_at else None,
            "revoked_at": profile.revoked_at.isoformat() if profile.revoked_at else None,
        },
    }


def export_user_data(user: User) -> dict[str, Any]:
    """Collect everything the user owns into one JSON-serialisable dict.

    The accounts part is built here; each app in EXPORTERS adds its own section. The query
    count is constant in the amount of data.
    """
    data: dict[str, Any] = {
        "format": "rat-park-export",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "account": _export_account(user),
    }
    for section, path in EXPORTERS.items():
        data[section] = import_string(path)(user)
    return data


@transaction.atomic
def delete_account(user: User) -> None:
    """Delete the user and everything they own, telling the people on the other side of ties.

    Each supporter and therapist of theirs is told once that they closed their account, and
    ties where the user supports someone end, with a neutral notification to each member
    (network.services.departure.end_ties_of_departing_user, in DELETION_HANDLERS). The delete then
    cascades to their check-ins, contacts, ties as a member, notifications, email addresses
    and authenticators.
    """
    # Lock the row: a tie being created with this user as supporter right now (an invitation
    # accepted) either commits first and is ended below, or waits and then fails its FK check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    for path in DELETION_HANDLERS:
        import_string(path)(user)
    user.delete()
