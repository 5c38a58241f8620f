"""Gaps a docs review found in the support network, each closed with a test."""

from __future__ import annotations

import html
import smtplib
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from accounts.models import TherapistProfile
from network.consents import consent_sign_part2, consents_expire
from network.models import Invitation, InvitationStatus, Role, Scope, Tie
from nudges.models import Notification


def _text(response) -> str:
    return html.unescape(response.content.decode())


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 try again later")


# --- 4. An invitation email that can't be sent ----------------------------------------------


def _invite(client, email="maria@example.org"):
    data = {"email": email, "name": "Maria", "role": Role.SPONSOR, "message": "Be my sponsor?"}
    return client.post(reverse("network:invitation_create"), data, follow=True)


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_failure_keeps_the_invitation_and_says_so_kindly(client, member, settings):
    # Committed transactions, as in production: the send runs right after the invitation saves.
    settings.EMAIL_BACKEND = "tests.test_network_gaps.FailingBackend"
    client.force_login(member)
    response = _invite(client)
    assert response.status_code == HTTPStatus.OK
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.PENDING and invitation.tie.status == "invited"
    text = _text(response)
    assert "couldn't be sent" in text and "Invitation sent to" not in text
    assert reverse("network:invitation_resend", args=[invitation.pk]) in text

    resent = client.post(reverse("network:invitation_resend", args=[invitation.pk]), follow=True)
    assert resent.status_code == HTTPStatus.OK
    assert "couldn't be sent" in _text(resent)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING and invitation.send_count == 2


@pytest.mark.django_db(transaction=True)
def test_a_working_mail_server_still_says_sent(client, member, settings, mailoutbox):
    client.force_login(member)
    response = _invite(client)
    assert "Invitation sent to maria@example.org" in _text(response)
    assert len(mailoutbox) == 1


# --- 5. The recipient is told when a consent expires -----------------------------------------


def test_expiry_tells_the_therapist_neutrally_once(member, make_user):
    now = timezone.now()
    therapist = make_user(display_name="Dr Lee")
    TherapistProfile.objects.create(user=therapist, credential="LCSW 9", verified_at=now)
    tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent = consent_sign_part2(
        tie=tie,
        scopes=[Scope.NOTES, Scope.USE],
        purpose="Treatment",
        signature_name="Sam Example",
        expires_at=now + timedelta(days=1),
    )
    event_tie = Tie.objects.create(
        member=member, supporter=make_user(display_name="Dr Event"), role=Role.THERAPIST
    )
    consent_sign_part2(
        tie=event_tie,
        scopes=[Scope.NOTES],
        purpose="Treatment",
        signature_name="Sam Example",
        expires_at=None,
        expiry_event="When my treatment with Dr Event ends",
    )
    later = now + timedelta(days=3)
    assert consents_expire(now=later)[0] == 1
    consents_expire(now=later)  # a second run adds nothing
    notes = list(Notification.objects.filter(recipient=therapist))
    assert len(notes) == 1
    note = notes[0]
    assert note.title == "A sharing permission has ended"
    assert note.idempotency_key == f"network:consent:{consent.pk}:expired:recipient"
    # Lock-screen safe: no name, no health word, no scope.
    for word in ("Sam", "notes", "use", "recovery", "substance", "therapy"):
        assert word not in f"{note.title} {note.body}"
    # An event-based consent is never ended by the job: its recipient hears nothing.
    assert event_tie.consents.get().ended_at is None
    assert not Notification.objects.filter(recipient=event_tie.supporter).exists()
