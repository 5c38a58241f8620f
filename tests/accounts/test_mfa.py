"""Two-factor authentication: TOTP enrolment, login with TOTP, recovery codes."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from tests.accounts.test_auth import emailed_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def totp_code(secret: str, *, step: int = 0) -> str:
    """The authenticator app's code for the current time step (or a later one)."""
    period = mfa_settings.TOTP_PERIOD
    # Don't compute a code that expires before the test is done using it.
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period + step))


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def enrol_totp(client, user) -> str:
    """Sign in, re-enter the password as allauth asks, activate TOTP; return the secret."""
    client.force_login(user)
    activate = reverse("mfa_activate_totp")
    response = client.get(activate)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))
    response = client.post(response.url, {"password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    response = client.get(activate)
    assert response.status_code == HTTPStatus.OK
    secret = client.session[SECRET_SESSION_KEY]

    # A code from ten minutes ahead is wrong (no clock-drift tolerance is configured).
    response = client.post(activate, {"code": totp_code(secret, step=20)})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert not Authenticator.objects.filter(user=user).exists()

    response = client.post(activate, {"code": totp_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    return secret


def _password_step(client, user):
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_authenticate")
    # The password alone does not sign anyone in.
    assert not _is_logged_in(client)
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.FOUND


def test_login_needs_the_totp_code_once_enrolled(client, member):
    secret = enrol_totp(client, member)
    # Enrolment also generated recovery codes, shown once.
    assert Authenticator.objects.filter(
        user=member, type=Authenticator.Type.RECOVERY_CODES
    ).exists()

    _password_step(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert not _is_logged_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, step=0)})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("dashboard")
    assert _is_logged_in(client)


def test_a_totp_code_cannot_be_replayed(client, member):
    secret = enrol_totp(client, member)
    code = totp_code(secret)
    _password_step(client, member)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    _password_step(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == HTTPStatus.OK
    assert not _is_logged_in(client)


def test_a_recovery_code_signs_in_once(client, member):
    enrol_totp(client, member)
    codes = RecoveryCodes(
        Authenticator.objects.get(user=member, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    assert len(codes) >= 5

    _password_step(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == HTTPStatus.FOUND
    assert _is_logged_in(client)

    _password_step(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == HTTPStatus.OK
    assert not _is_logged_in(client)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[1]})
    assert response.status_code == HTTPStatus.FOUND
    assert _is_logged_in(client)


def test_mfa_pages_render_for_an_enrolled_member(client, member):
    enrol_totp(client, member)
    for name in ("mfa_index", "mfa_view_recovery_codes", "mfa_list_webauthn"):
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.OK, name
        assert "style=" not in response.content.decode()


def test_an_empty_passkey_login_is_a_clear_error_not_a_crash(client, member):
    # What the "Sign in with a passkey" button posts when JavaScript is off.
    response = client.post(reverse("mfa_login_webauthn"), {"credential": ""})
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert not _is_logged_in(client)


def test_an_emailed_sign_in_code_does_not_skip_the_second_factor(client, member):
    enrol_totp(client, member)
    client.logout()
    client.post(reverse("account_request_login_code"), {"email": member.email})
    response = client.post(
        reverse("account_confirm_login_code"), {"code": emailed_code(mail.outbox[-1])}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_authenticate")
    assert not _is_logged_in(client)
