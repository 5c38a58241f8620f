"""Account emails when the mail server is down or refuses: no server error, nothing lost."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD
from tests.nudges_support import free_port

pytestmark = pytest.mark.django_db


def _signup(client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Robin",
            "time_zone": "UTC",
        },
        follow=True,
    )


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    return settings


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "554 5.7.1 Refused"])
def test_signing_up_while_the_mail_server_refuses(client, smtp_server, smtp_settings, reply):
    smtp_server.script = {"robin@example.org": [reply, "250 OK"]}
    smtp_settings.EMAIL_PORT = int(smtp_server.url.rsplit(":", 1)[1])
    response = _signup(client, "robin@example.org")
    assert response.status_code == HTTPStatus.OK
    assert "couldn&#x27;t send the email just now" in response.content.decode()
    user = User.objects.get(email="robin@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert smtp_server.to("robin@example.org") == []
    # Asking again a few minutes later (allauth's resend cooldown, kept in the cache, has
    # passed), here by signing in, which resends the verification, reaches the person.
    cache.clear()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert len(smtp_server.to("robin@example.org")) == 1


def test_signing_up_while_nothing_listens_for_mail(client, smtp_settings):
    smtp_settings.EMAIL_PORT = free_port()
    response = _signup(client, "kim@example.org")
    assert response.status_code == HTTPStatus.OK
    assert User.objects.filter(email="kim@example.org").exists()
    assert "couldn&#x27;t send the email just now" in response.content.decode()
