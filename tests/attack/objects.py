"""The network cast plus one of every object a URL can name, and a snapshot of the database.

``build_world`` gives the attack suites a member (Sam) who owns one of each kind of object
(tie, invitation, consent, contacts, questionnaire result, notification, passkey, SOS alert)
and everyone around them, including a therapist whose verification staff withdrew. Every
therapist has a TOTP authenticator, so the clinic's second-factor gate lets them through and
only the access check itself stands between them and someone else's client. The active
therapist has a session note, a discussed mark and administers an organisation.
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
from clinic.models import DiscussedMark, Membership, Organisation, SessionNote
from clinic.services import session_note_add
from network.consents import consent_record_sharing
from network.invitations import invitation_create
from network.models import Contact, ContactMethod, Invitation, Role
from notifications.models import Kind, Notification
from nudges.models import SosAlert
from nudges.services import sos_alert_open, sos_alert_send

from ..clinic_support import enrol_mfa
from ..network_cast import Cast, _therapist_tie, actors, build_cast

# Every table a request could change; users are compared without their last login (logging in
# is not a change an attacker makes to someone else).
SNAPSHOT_APPS = (
    "accounts",
    "network",
    "checkins",
    "notifications",
    "nudges",
    "clinic",
    "mfa",
    "account",
)
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
    sos_alert: SosAlert
    sos_notification: Notification  # the alert as the SOS contact (supporter_none) got it
    session_note: SessionNote
    organisation: Organisation
    extra: dict[str, object] = field(default_factory=dict)


def build_world(make_user) -> World:
    cast = build_cast()
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
    for name, user in people.items():
        if name.startswith("therapist_") and user is not None:
            enrol_mfa(user)
    therapist = cast.therapist_active
    session_note = session_note_add(
        author=therapist, member=member, session_on=today, text="Only the author reads this."
    )
    DiscussedMark.objects.create(author=therapist, member=member, day=today)
    organisation = Organisation.objects.create(name="Sweep Clinic")
    Membership.objects.create(organisation=organisation, user=therapist, is_admin=True)
    # Sam asks for support; the friend without scopes is Sam's SOS contact.
    consent_record_sharing(
        tie=cast.ties["supporter_none"], scopes=[], may_nudge=True, is_sos_contact=True
    )
    sos_alert = sos_alert_open(member=member, message="Please call me")
    sos_alert_send(sos_alert)
    sos_notification = Notification.objects.get(recipient=cast.supporter_none, kind=Kind.SOS)
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
        sos_alert=sos_alert,
        sos_notification=sos_notification,
        session_note=session_note,
        organisation=organisation,
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
