"""The network cast plus one of every object a URL can name, and a snapshot of the database.

``build_world`` gives the attack suites a member (Sam) who owns one of each kind of object
(tie, invitation, consent, contacts, questionnaire result, notification, passkey) and everyone
around them, including a therapist whose verification staff withdrew.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.utils import timezone

from accounts.models import TherapistProfile, User
from checkins.models import QuestionnaireResponse
from checkins.services import questionnaire_submit
from network.invitations import invitation_create
from network.models import Contact, ContactMethod, Invitation, Role
from notifications.models import Kind, Notification

from ..network_cast import Cast, _therapist_tie, actors, build_cast

# Every table a request could change; users are compared without their last login (logging in
# is not a change an attacker makes to someone else).
SNAPSHOT_APPS = ("accounts", "network", "checkins", "notifications", "nudges", "mfa", "account")
_VOLATILE = {"last_login"}


@dataclass
class World:
    cast: Cast
    people: dict[str, User | None]
    invitation: Invitation
    invitation_token: str
    pending_contact: Contact
    contact: Contact
    result: QuestionnaireResponse
    notification: Notification
    passkey: Authenticator
    extra: dict[str, object] = field(default_factory=dict)


def build_world(make_user) -> World:
    cast = build_cast(make_user)
    member = cast.member
    withdrawn = make_user(display_name="Dr Withdrawn")
    TherapistProfile.objects.create(
        user=withdrawn,
        credential="LCSW 2",
        verified_at=timezone.now() - timedelta(days=30),
        revoked_at=timezone.now() - timedelta(days=1),
    )
    cast.ties["therapist_withdrawn"] = _therapist_tie(member, withdrawn, ["notes"])
    people = actors(cast)
    people["therapist_withdrawn"] = withdrawn

    invitation, token = invitation_create(
        member=member, email="invitee@example.org", name="Invitee", role=Role.FRIEND
    )
    friend_tie = cast.ties["scope:contacts"]
    today = timezone.now().astimezone(member.zone).date()
    pending = Contact.objects.create(
        member=member,
        tie=friend_tie,
        method=ContactMethod.TEXT,
        local_date=today,
        source=Contact.Source.SUPPORTER,
        confirmed=False,
    )
    contact = Contact.objects.filter(member=member, confirmed=True).first()
    result = questionnaire_submit(member=member, instrument="ucla3", answers=[1, 2, 3])
    notification = Notification.objects.create(
        recipient=member,
        subject_member=member,
        kind=Kind.values[0],
        idempotency_key="attack-suite-1",
        title="A notification",
        body="Only Sam may read this.",
    )
    passkey = Authenticator.objects.create(
        user=member, type=Authenticator.Type.WEBAUTHN, data={"name": "Sam's key"}
    )
    return World(
        cast=cast,
        people=people,
        invitation=invitation,
        invitation_token=token,
        pending_contact=pending,
        contact=contact,
        result=result,
        notification=notification,
        passkey=passkey,
    )


def snapshot() -> dict[str, str]:
    """A digest of every row of every model in ``SNAPSHOT_APPS``, by model."""
    digests = {}
    for model in apps.get_models():
        if model._meta.app_label not in SNAPSHOT_APPS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in _VOLATILE]
        rows = model._base_manager.order_by("pk").values_list(*fields)
        digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
        digests[model._meta.label] = digest
    return digests


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))
