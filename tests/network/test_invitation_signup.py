"""An invitee without an account signs up through the invitation link, verifies their email,
and lands back on the invitation to answer it."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from network.invitations import invitation_create
from network.models import Invitation, TieStatus
from tests.factories import PASSWORD

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)")


@pytest.fixture
def invitation_url(member):
    _, token = invitation_create(
        member=member, email="maria@example.org", name="Maria", role="sponsor"
    )
    mail.outbox.clear()
    return reverse("network:invitation_respond", args=[token])


def _signup_from_invitation(client, invitation_url) -> None:
    page = client.get(invitation_url).content.decode()
    signup = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', page).group(1)
    response = client.post(
        signup.replace("&amp;", "&"),
        {
            "email": "maria@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Maria",
            "time_zone": "America/Chicago",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")


def _confirm_link() -> str:
    (message,) = mail.outbox
    return CONFIRM_LINK.search(message.body).group(1)


def _accept_works(client, invitation_url) -> None:
    client.post(invitation_url, {"answer": "accept"})
    assert Invitation.objects.get().status == "accepted"
    assert Invitation.objects.get().tie.status == TieStatus.ACTIVE


def test_verifying_in_the_same_browser_returns_to_the_invitation(client, invitation_url):
    _signup_from_invitation(client, invitation_url)
    response = client.post(_confirm_link())
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == invitation_url
    _accept_works(client, invitation_url)


def test_verifying_elsewhere_then_logging_in_returns_to_the_invitation(client, invitation_url):
    _signup_from_invitation(client, invitation_url)
    # The link is opened in the mail app's browser: a different session, not logged in there.
    Client().post(_confirm_link())
    response = client.post(
        reverse("account_login"), {"login": "maria@example.org", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == invitation_url
    _accept_works(client, invitation_url)
    # Once answered, the next login goes to the dashboard as usual.
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "maria@example.org", "password": PASSWORD}
    )
    assert response.url == reverse("dashboard")


def test_a_cancelled_invitation_is_not_where_login_leads(client, invitation_url):
    from network.invitations import invitation_cancel

    _signup_from_invitation(client, invitation_url)
    Client().post(_confirm_link())
    invitation_cancel(invitation=Invitation.objects.get())
    response = client.post(
        reverse("account_login"), {"login": "maria@example.org", "password": PASSWORD}
    )
    assert response.url == reverse("dashboard")
