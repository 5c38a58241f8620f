"""Failed-login rate limits, directly and behind a trusted reverse proxy."""

from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def _login(client, email: str, password: str, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


def _fail_from_many_emails(client, times: int = 10, **headers) -> None:
    for n in range(times):
        response = _login(client, f"nobody{n}@example.org", "wrong-password", **headers)
        assert response.status_code == HTTPStatus.OK


def test_repeated_failures_for_one_email_lock_it_with_a_form_error(client, member):
    for _ in range(5):
        assert _login(client, member.email, "wrong-password").status_code == HTTPStatus.OK
    # Even the right password is refused for now, with a clear message and no crash.
    response = _login(client, member.email, PASSWORD)
    assert response.status_code == HTTPStatus.OK
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_lock_that_address(client, member):
    _fail_from_many_emails(client)
    response = _login(client, member.email, PASSWORD)
    assert response.status_code == HTTPStatus.OK
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_flood_of_login_posts_gets_429(client):
    statuses = [
        _login(client, f"x{n}@example.org", "wrong-password").status_code for n in range(30)
    ]
    assert statuses == [HTTPStatus.OK] * 30
    response = _login(client, "x@example.org", "wrong-password")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    body = response.content.decode()
    assert "Too many attempts" in body
    assert "tel:988" in body  # still inside the site layout, crisis line included


def test_without_a_trusted_proxy_everyone_behind_it_shares_one_limit(client, member):
    # The control for the next test: X-Forwarded-For is ignored, both share 127.0.0.1.
    _fail_from_many_emails(client, HTTP_X_FORWARDED_FOR="203.0.113.5")
    response = _login(client, member.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert TOO_MANY in response.content.decode()


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_clients_are_limited_separately(client, member):
    _fail_from_many_emails(client, HTTP_X_FORWARDED_FOR="203.0.113.5")
    response = _login(client, "nobody0@example.org", "x", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert TOO_MANY in response.content.decode()

    # A spoofed left-most address does not escape: the proxy's own entry counts.
    response = _login(client, member.email, PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = _login(client, member.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("dashboard")


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_a_short_forwarded_for_header_is_not_a_server_error(client, member):
    # A request that skipped one of the configured proxies.
    response = _login(client, member.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR


def test_trusted_proxy_count_comes_from_the_environment():
    code = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    env = {**os.environ, "TRUSTED_PROXY_COUNT": "2", "DJANGO_SETTINGS_MODULE": "recovery.settings"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "2"
