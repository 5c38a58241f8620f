"""Inviting supporters: single-use expiring links, accept/decline, resend, cancel, rate limits."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from network.invitations import (
    INVITES_PER_HOUR,
    hash_token,
    invitation_accept,
    invitation_create,
    invitations_expire,
)
from network.models import Invitation, Role, Tie
from network.services.errors import NetworkError
from notifications.models import Notification


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://ratpark.example"


def _invite(client, email="maria@example.org", **extra):
    data = {"email": email, "name": "Maria", "role": Role.SPONSOR, "message": "Be my sponsor?"}
    data.update(extra)
    return client.post(reverse("network:invitation_create"), data)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _token_from_mail(message) -> str:
    match = re.search(r"https://ratpark\.example/network/invite/([\w-]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_invitation_email_has_a_single_use_link_and_only_a_hash_is_stored(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client)
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@example.org"]
    assert "Sam invited you" in message.subject
    assert message.alternatives
    assert message.alternatives[0][1] == "text/html"
    token = _token_from_mail(message)
    assert len(token) >= 40
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    tie = invitation.tie
    assert tie.status == "invited"
    assert tie.supporter is None
    assert tie.role == Role.SPONSOR


def test_accepting_links_the_existing_account_and_tells_the_member(client, member, make_user):
    maria = make_user("maria@example.org", display_name="Maria")
    invitation, token = invitation_create(
        member=member, email="Maria@Example.org", name="Maria", role=Role.SPONSOR
    )
    client.force_login(maria)
    url = reverse("network:invitation_respond", args=[token])
    assert client.get(url).status_code == HTTPStatus.OK
    response = client.post(url, {"answer": "accept"})
    assert response.status_code == HTTPStatus.FOUND
    tie = Tie.objects.get(pk=invitation.tie_id)
    assert tie.supporter == maria
    assert tie.status == "active"
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == maria
    note = Notification.objects.get(recipient=member)
    assert note.title == "Your invitation was accepted"
    assert "Maria" in note.body
    # The link is single-use.
    second = client.post(url, {"answer": "accept"})
    assert "already been accepted" in _text(second)
    assert Tie.objects.filter(supporter=maria).count() == 1


def test_declining_ends_the_invited_tie_without_deleting_it(client, member, make_user):
    maria = make_user()
    invitation, token = invitation_create(
        member=member, email="m@example.org", name="M", role=Role.FRIEND
    )
    client.force_login(maria)
    client.post(reverse("network:invitation_respond", args=[token]), {"answer": "decline"})
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert Tie.objects.get(pk=invitation.tie_id).status == "ended"
    note = Notification.objects.get(recipient=member)
    assert "can't join" in note.body


def test_anonymous_must_log_in_to_answer(client, member):
    _, token = invitation_create(member=member, email="m@example.org", name="M", role="friend")
    url = reverse("network:invitation_respond", args=[token])
    response = client.post(url, {"answer": "accept"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
    assert Invitation.objects.get().status == "pending"


def test_expired_link_is_refused_and_changes_nothing(client, member, make_user):
    invitation, token = invitation_create(
        member=member, email="m@example.org", name="M", role="friend"
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client.force_login(make_user())
    url = reverse("network:invitation_respond", args=[token])
    assert client.get(url).status_code == HTTPStatus.GONE
    response = client.post(url, {"answer": "accept"})
    assert "expired" in _text(response)
    assert Tie.objects.get(pk=invitation.tie_id).status == "invited"
    assert invitations_expire() == 1
    assert Invitation.objects.get().status == "expired"


def test_a_guessed_or_replaced_token_is_refused(client, member, make_user):
    invitation, token = invitation_create(
        member=member, email="m@example.org", name="M", role="friend"
    )
    client.force_login(member)
    client.post(reverse("network:invitation_resend", args=[invitation.pk]))
    client.force_login(make_user())
    old = client.post(reverse("network:invitation_respond", args=[token]), {"answer": "accept"})
    assert "isn't valid" in _text(old)
    guess = client.get(reverse("network:invitation_respond", args=["x" * 43]))
    assert guess.status_code == HTTPStatus.GONE
    assert Tie.objects.get(pk=invitation.tie_id).status == "invited"


def test_resend_sends_a_fresh_link_and_extends_expiry(
    client, member, django_capture_on_commit_callbacks
):
    invitation, _ = invitation_create(member=member, email="m@example.org", name="M", role="peer")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1), status="expired"
    )
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("network:invitation_resend", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert invitation.send_count == 2
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert invitation.token_hash == hash_token(_token_from_mail(mail.outbox[-1]))


def test_cancel_ends_the_tie_and_kills_the_link(client, member, make_user):
    invitation, token = invitation_create(
        member=member, email="m@example.org", name="M", role="peer"
    )
    client.force_login(member)
    client.post(reverse("network:invitation_cancel", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == "cancelled"
    assert Tie.objects.get(pk=invitation.tie_id).status == "ended"
    with pytest.raises(NetworkError, match="cancelled"):
        invitation_accept(token=token, user=make_user())
    # Cancelling twice says so and changes nothing.
    response = client.post(reverse("network:invitation_cancel", args=[invitation.pk]), follow=True)
    assert "already been answered or cancelled" in _text(response)


def test_inviting_yourself_is_refused(client, member):
    client.force_login(member)
    response = _invite(client, email="SAM@example.org")
    assert response.status_code == HTTPStatus.OK
    assert "can't invite yourself" in _text(response)
    assert not Tie.objects.exists()
    assert not Invitation.objects.exists()


def test_inviting_someone_already_in_the_network_is_refused(client, member, make_user):
    maria = make_user("maria@example.org")
    Tie.objects.create(member=member, supporter=maria, role=Role.FRIEND)
    client.force_login(member)
    response = _invite(client, email="maria@example.org")
    assert "already in your network" in _text(response)
    assert Tie.objects.count() == 1
    assert not Invitation.objects.exists()


def test_a_second_pending_invitation_to_the_same_address_is_refused(client, member):
    client.force_login(member)
    _invite(client)
    response = _invite(client)
    assert "already invited this address" in _text(response)
    assert Invitation.objects.count() == 1


def test_accepting_when_already_in_the_network_changes_nothing(member, make_user):
    maria = make_user()
    _first, token1 = invitation_create(member=member, email="a@example.org", name="A", role="peer")
    second, token2 = invitation_create(member=member, email="b@example.org", name="B", role="peer")
    invitation_accept(token=token1, user=maria)
    with pytest.raises(NetworkError, match="already in Sam's network"):
        invitation_accept(token=token2, user=maria)
    second.refresh_from_db()
    assert second.status == "pending"
    assert Tie.objects.get(pk=second.tie_id).status == "invited"


def test_the_member_cannot_accept_their_own_invitation(member):
    _, token = invitation_create(member=member, email="a@example.org", name="A", role="peer")
    with pytest.raises(NetworkError, match="your own invitation"):
        invitation_accept(token=token, user=member)


def test_invitations_are_rate_limited(client, member):
    client.force_login(member)
    for i in range(INVITES_PER_HOUR):
        assert _invite(client, email=f"p{i}@example.org").status_code == HTTPStatus.FOUND
    response = _invite(client, email="one-too-many@example.org")
    assert "a lot of invitations" in _text(response)
    assert Invitation.objects.count() == INVITES_PER_HOUR


def test_the_database_keeps_one_pending_invitation_per_address(member):
    invitation, _ = invitation_create(member=member, email="a@example.org", name="A", role="peer")
    duplicate = Invitation(
        tie=Tie.objects.create(member=member, offline_name="A again", role="peer"),
        member=member,
        email="a@example.org",
        token_hash="f" * 64,
        expires_at=invitation.expires_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_invitation_form_starts_with_no_role_chosen(client, member):
    client.force_login(member)
    page = client.get(reverse("network:invitation_create")).content.decode()
    assert '<option value="" selected>Choose their role</option>' in page
    response = client.post(
        reverse("network:invitation_create"), {"email": "kim@example.org", "name": "Kim"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "Choose their role" in response.content.decode()
    assert not Invitation.objects.exists()
    assert not Tie.objects.exists()


def test_after_accepting_the_member_keeps_the_name_they_gave(client, member, make_user):
    maria = make_user("maria@example.org", display_name="Maria")
    invitation, token = invitation_create(
        member=member, email="maria@example.org", name="Mum", role=Role.FAMILY
    )
    client.force_login(maria)
    client.post(reverse("network:invitation_respond", args=[token]), {"answer": "accept"})
    tie = Tie.objects.select_related("supporter").get(pk=invitation.tie_id)
    assert tie.name == "Mum (Maria)"
    client.force_login(member)
    assert "Mum (Maria)" in client.get(reverse("network:home")).content.decode()
    tie.offline_name = "maria"
    assert tie.name == "Maria"  # the same name, differently cased, shows once
