"""Gaps a docs review found in the support network, each closed with a test."""

from __future__ import annotations

import html
import smtplib
import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from checkins import selectors as checkins_selectors
from network.consents import consent_record_sharing, consent_sign_part2, consents_expire
from network.invitations import invitation_create
from network.models import (
    ConsentEnd,
    Contact,
    ContactMethod,
    Invitation,
    InvitationStatus,
    Role,
    Scope,
    Tie,
    TieStatus,
)
from network.selectors import SOMEONE_ELSE, confirmed_contact_roles, open_ties_for
from network.services.contacts import (
    contact_log,
    contact_log_by_supporter,
    contact_log_from_nudge,
    contacts_sync_from_checkin,
)
from network.services.ties import tie_set_status
from notifications.models import Notification
from tests.factories import TherapistFactory


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
    settings.EMAIL_BACKEND = "tests.network.test_gaps.FailingBackend"
    client.force_login(member)
    response = _invite(client)
    assert response.status_code == HTTPStatus.OK
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.tie.status == "invited"
    text = _text(response)
    assert "couldn't be sent" in text
    assert "Invitation sent to" not in text
    assert reverse("network:invitation_resend", args=[invitation.pk]) in text

    resent = client.post(reverse("network:invitation_resend", args=[invitation.pk]), follow=True)
    assert resent.status_code == HTTPStatus.OK
    assert "couldn't be sent" in _text(resent)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.send_count == 2


@pytest.mark.django_db(transaction=True)
def test_a_working_mail_server_still_says_sent(client, member, settings, mailoutbox):
    client.force_login(member)
    response = _invite(client)
    assert "Invitation sent to maria@example.org" in _text(response)
    assert len(mailoutbox) == 1


# --- 5. The recipient is told when a consent expires -----------------------------------------


def test_expiry_tells_the_therapist_neutrally_once(member, make_user):
    now = timezone.now()
    therapist = TherapistFactory(display_name="Dr Lee", profile__verified_at=now)
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


# --- 3. A contact with no tie that wasn't a meeting -------------------------------------------


def test_a_reach_out_naming_no_one_shows_as_someone_and_is_not_a_group(client, member):
    now = timezone.now()
    today = now.astimezone(member.zone).date()
    contact_log_from_nudge(member=member, tie_id=None, occurred_at=now)
    contact_log(member=member, tie=None, method=ContactMethod.MEETING)
    client.force_login(member)
    text = _text(client.get(reverse("network:contacts")))
    assert "Someone · In touch" in text
    assert "A meeting · In touch" not in text
    assert "A meeting · Meeting" in text

    roles = sorted(role for _, role in confirmed_contact_roles(member, today, today))
    assert roles == [Role.GROUP, SOMEONE_ELSE]
    history = checkins_selectors.history(member, today, 30)
    week = checkins_selectors.week_start(today)
    assert history.contacts_by_week_role[week] == {Role.GROUP: 1, SOMEONE_ELSE: 1}
    page = _text(client.get(reverse("checkins:history")))
    assert "Someone else: 1" in page
    assert "Group or meeting: 1" in page


def test_a_supporter_sees_a_tie_less_reach_out_as_with_someone(client, member, make_user):
    supporter = make_user(display_name="Maria")
    tie = Tie.objects.create(member=member, supporter=supporter, role=Role.SPONSOR)
    consent_record_sharing(tie=tie, scopes=[Scope.CONTACTS], may_nudge=True, is_sos_contact=False)
    contact_log_from_nudge(member=member, tie_id=None, occurred_at=timezone.now())
    client.force_login(supporter)
    text = _text(client.get(reverse("network:supporting_member", args=[tie.pk])))
    assert "In touch with someone" in text
    assert "(meeting)" not in text


def test_the_checkin_offers_and_logs_no_one_still_invited(member, make_user):
    active = Tie.objects.create(member=member, offline_name="Grandma", role=Role.FAMILY)
    invited = Tie.objects.create(
        member=member, offline_name="Maria", role=Role.SPONSOR, status=TieStatus.INVITED
    )
    offered = {tie.pk for tie in open_ties_for(member)}
    assert offered == {active.pk}
    today = timezone.now().astimezone(member.zone).date()
    new = contacts_sync_from_checkin(
        member=member, local_date=today, tie_ids=[active.pk, invited.pk], meeting=False
    )
    assert [c.tie_id for c in new] == [active.pk]
    assert not Contact.objects.filter(tie=invited).exists()


# --- 1. A supporter leaves a member's network ---------------------------------------------------


@pytest.fixture
def maria_tie(member, make_user):
    maria = make_user("maria@example.org", display_name="Maria")
    tie = Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR)
    consent_record_sharing(tie=tie, scopes=[Scope.CONTACTS], may_nudge=True, is_sos_contact=True)
    return tie


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_supporter_may_leave(client, member, maria_tie, make_user, method):
    url = reverse("network:supporting_leave", args=[maria_tie.pk])
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]
    stranger_tie = Tie.objects.create(member=make_user(), supporter=make_user(), role=Role.FRIEND)
    for user, tie_id in [
        (member, maria_tie.pk),  # the member has no supporter side to this tie
        (make_user(), maria_tie.pk),  # another member
        (maria_tie.supporter, stranger_tie.pk),  # someone else's tie
        (maria_tie.supporter, uuid.uuid4()),  # unknown
    ]:
        client.force_login(user)
        url = reverse("network:supporting_leave", args=[tie_id])
        assert getattr(client, method)(url).status_code == HTTPStatus.NOT_FOUND
    maria_tie.refresh_from_db()
    assert maria_tie.status == TieStatus.ACTIVE


def test_leaving_asks_first_then_ends_the_tie_and_consent_and_tells_the_member_neutrally(
    client, member, maria_tie
):
    contact_log(member=member, tie=maria_tie, method=ContactMethod.CALL)
    client.force_login(maria_tie.supporter)
    supporting = _text(client.get(reverse("network:supporting")))
    url = reverse("network:supporting_leave", args=[maria_tie.pk])
    assert url in supporting
    assert "Leave Sam's network" in supporting
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "Leave Sam's network?" in _text(page)
    maria_tie.refresh_from_db()
    assert maria_tie.status == TieStatus.ACTIVE  # a GET only asks

    response = client.post(url, follow=True)
    assert "You've left Sam's network." in _text(response)
    maria_tie.refresh_from_db()
    assert maria_tie.status == TieStatus.ENDED
    assert Contact.objects.filter(tie=maria_tie).count() == 1  # history kept
    consent = maria_tie.consents.get()
    assert consent.ended_at is not None
    assert consent.end_reason == ConsentEnd.RECIPIENT_LEFT
    note = Notification.objects.get(recipient=member)
    assert note.body == "Someone is no longer part of your support network on Rat Park."
    assert "Maria" not in f"{note.title} {note.body}"
    # Left: nothing more to see, and leaving again is a 404, not a second note.
    assert client.get(reverse("network:supporting_member", args=[maria_tie.pk])).status_code == 404
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    assert Notification.objects.filter(recipient=member).count() == 1


def test_a_supporter_can_leave_a_paused_tie(client, member, maria_tie):
    tie_set_status(tie=maria_tie, status=TieStatus.PAUSED)
    client.force_login(maria_tie.supporter)
    client.post(reverse("network:supporting_leave", args=[maria_tie.pk]))
    maria_tie.refresh_from_db()
    assert maria_tie.status == TieStatus.ENDED


# --- 2. Editing and deleting the member's own contacts ------------------------------------------


@pytest.fixture
def grandma(member):
    return Tie.objects.create(member=member, offline_name="Grandma", role=Role.FAMILY)


@pytest.mark.parametrize("name", ["network:contact_edit", "network:contact_delete"])
def test_only_the_member_may_edit_or_delete_their_contact(
    client, member, grandma, maria_tie, make_user, name
):
    contact = contact_log(member=member, tie=grandma, method=ContactMethod.CALL)
    pending = contact_log_by_supporter(
        supporter=maria_tie.supporter, tie=maria_tie, method=ContactMethod.TEXT
    )
    url = reverse(name, args=[contact.pk])
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.FOUND
        assert "/accounts/login/" in response["Location"]
    for user, contact_id in [
        (maria_tie.supporter, contact.pk),  # a supporter of the member
        (maria_tie.supporter, pending.pk),  # even the one they logged
        (make_user(), contact.pk),  # another member
        (member, uuid.uuid4()),  # unknown
        (member, pending.pk),  # awaiting confirmation: confirm or dismiss instead
    ]:
        client.force_login(user)
        for method in ("get", "post"):
            target = reverse(name, args=[contact_id])
            assert getattr(client, method)(target).status_code == HTTPStatus.NOT_FOUND
    assert Contact.objects.filter(member=member).count() == 2
    client.force_login(member)
    assert client.get(url).status_code == HTTPStatus.OK


def test_the_member_edits_how_when_how_long_and_whether_it_helped(client, make_user):
    member = make_user(display_name="Sam", time_zone="America/New_York")
    tie = Tie.objects.create(member=member, offline_name="Grandma", role=Role.FAMILY)
    contact = contact_log(member=member, tie=tie, method=ContactMethod.CALL)
    client.force_login(member)
    url = reverse("network:contact_edit", args=[contact.pk])
    local_now = timezone.now().astimezone(member.zone)
    yesterday = (local_now - timedelta(days=1)).replace(hour=18, minute=30, second=0, microsecond=0)
    page = _text(client.get(url))
    assert local_now.strftime("%Y-%m-%dT%H:%M") in page  # shown in the member's own time
    response = client.post(
        url,
        {
            "method": ContactMethod.IN_PERSON,
            "occurred_at": yesterday.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "45",
            "helped": "5",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    contact.refresh_from_db()
    assert contact.method == ContactMethod.IN_PERSON
    assert contact.occurred_at == yesterday
    assert contact.local_date == yesterday.date()
    assert contact.duration_minutes == 45
    assert contact.helped == 5


def test_a_future_time_or_bad_value_is_refused_and_changes_nothing(client, member, grandma):
    contact = contact_log(member=member, tie=grandma, method=ContactMethod.CALL, helped=3)
    before = Contact.objects.values().get(pk=contact.pk)
    client.force_login(member)
    url = reverse("network:contact_edit", args=[contact.pk])
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    for data, message in [
        ({"method": "call", "occurred_at": future}, "can't be in the future"),
        ({"method": "unspecified", "occurred_at": "2026-01-01T10:00"}, "valid choice"),
        ({"method": "call", "occurred_at": "yesterday"}, "valid date/time"),
        ({"method": "call", "occurred_at": "2026-01-01T10:00", "helped": "9"}, "valid choice"),
    ]:
        response = client.post(url, data)
        assert response.status_code == HTTPStatus.OK, data
        assert message in _text(response), data
    assert Contact.objects.values().get(pk=contact.pk) == before


def test_a_way_left_unsaid_can_be_kept_when_editing(client, member):
    contact = contact_log_from_nudge(member=member, tie_id=None, occurred_at=timezone.now())
    client.force_login(member)
    url = reverse("network:contact_edit", args=[contact.pk])
    when = timezone.now().astimezone(member.zone).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"method": "unspecified", "occurred_at": when, "helped": "4"})
    assert response.status_code == HTTPStatus.FOUND
    contact.refresh_from_db()
    assert contact.method == ContactMethod.UNSPECIFIED
    assert contact.helped == 4


def test_deleting_asks_first_and_keeps_the_rest(client, member, grandma, maria_tie):
    keep = contact_log(member=member, tie=grandma, method=ContactMethod.TEXT)
    contact = contact_log(member=member, tie=grandma, method=ContactMethod.CALL)
    pending = contact_log_by_supporter(
        supporter=maria_tie.supporter, tie=maria_tie, method=ContactMethod.TEXT
    )
    client.force_login(member)
    listing = _text(client.get(reverse("network:contacts")))
    url = reverse("network:contact_delete", args=[contact.pk])
    assert url in listing
    assert reverse("network:contact_edit", args=[contact.pk]) in listing
    # The supporter's contact keeps its own answer buttons, not edit or delete.
    assert reverse("network:contact_delete", args=[pending.pk]) not in listing
    assert reverse("network:contact_answer", args=[pending.pk, "confirm"]) in listing
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "Delete this contact?" in _text(page)
    assert Contact.objects.filter(pk=contact.pk).exists()
    client.post(url)
    assert set(Contact.objects.filter(member=member).values_list("pk", flat=True)) == {
        keep.pk,
        pending.pk,
    }


# --- 6. An invitation opened by an account with a different address ----------------------------


def test_an_account_with_another_address_is_asked_before_accepting(client, member, make_user):
    invitation, token = invitation_create(
        member=member, email="maria@example.org", name="Maria", role=Role.SPONSOR
    )
    other = make_user("mj@work.example", display_name="M. J.")
    client.force_login(other)
    url = reverse("network:invitation_respond", args=[token])
    page = _text(client.get(url))
    assert "This invitation was sent to a different email address than yours." in page
    assert "Accept as M. J.?" in page
    assert "maria@example.org" not in page  # the invited address isn't shown to the holder

    # Accepting without the confirmation only asks again.
    asked = client.post(url, {"answer": "accept"})
    assert asked.status_code == HTTPStatus.OK
    assert "different email address" in _text(asked)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.tie.supporter is None

    done = client.post(url, {"answer": "accept", "other_address": "confirmed"})
    assert done.status_code == HTTPStatus.FOUND
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == other


def test_no_extra_step_for_an_address_of_ones_own(client, member, make_user):
    invitation, token = invitation_create(
        member=member, email="Maria.Home@example.org", name="Maria", role=Role.SPONSOR
    )
    maria = make_user("maria@work.example", display_name="Maria")
    EmailAddress.objects.create(user=maria, email="maria.home@example.org", verified=True)
    client.force_login(maria)
    url = reverse("network:invitation_respond", args=[token])
    assert "different email address" not in _text(client.get(url))
    assert client.post(url, {"answer": "accept"}).status_code == HTTPStatus.FOUND
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED


def test_an_unverified_extra_address_still_asks(client, member, make_user):
    _, token = invitation_create(
        member=member, email="maria@example.org", name="Maria", role=Role.SPONSOR
    )
    someone = make_user("someone@example.net")
    EmailAddress.objects.create(user=someone, email="maria@example.org", verified=False)
    client.force_login(someone)
    page = _text(client.get(reverse("network:invitation_respond", args=[token])))
    assert "different email address" in page
