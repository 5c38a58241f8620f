"""Sign-up, email verification, login and the Django admin's login, end to end through allauth."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)")


def _signup(client, email: str = "new@example.org", **overrides):
    data = {
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "display_name": "Robin",
        "time_zone": "America/Chicago",
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_signs_up_verifies_by_link_and_logs_in(client):
    response = _signup(client)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="new@example.org")
    assert user.display_name == "Robin"
    assert user.time_zone == "America/Chicago"
    assert not EmailAddress.objects.get(user=user).verified
    assert not _is_logged_in(client)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.org"]
    link = CONFIRM_LINK.search(mail.outbox[0].body).group(1)

    # GET only shows the confirmation button (mail scanners must not verify by fetching).
    assert client.get(link).status_code == HTTPStatus.OK
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(link)
    assert response.status_code == HTTPStatus.FOUND
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK

    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "new@example.org", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("dashboard")
    assert _is_logged_in(client)


def test_it_keeps_unverified_people_out(client):
    _signup(client)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "new@example.org", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_logged_in(client)
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.FOUND


def test_it_rejects_an_unknown_time_zone_at_signup(client):
    response = _signup(client, time_zone="Mars/Olympus_Mons")
    assert response.status_code == HTTPStatus.OK
    assert "time_zone" in response.context["form"].errors
    assert not User.objects.filter(email="new@example.org").exists()
    # What the person typed is still there.
    assert 'value="new@example.org"' in response.content.decode()


def test_it_rejects_a_duplicate_email_without_telling_who_has_it(client, member):
    response = _signup(client, email="sam@example.org")
    # allauth's enumeration prevention: same page as a new sign-up, and no second user.
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email="sam@example.org").count() == 1


def test_it_rejects_a_wrong_password(client, member):
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": "not-the-password"}
    )
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert not _is_logged_in(client)


def test_the_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login") + "?next=")


def test_non_staff_get_403_from_the_admin(client, member):
    client.force_login(member)
    assert client.get("/admin/login/").status_code == HTTPStatus.FORBIDDEN
    response = client.get("/admin/", follow=True)
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_staff_reach_the_admin(client, make_user):
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == HTTPStatus.OK
    assert client.get("/admin/login/").status_code in (HTTPStatus.OK, HTTPStatus.FOUND)


def test_the_login_page_renders_inside_the_site_layout(client):
    response = client.get(reverse("account_login"))
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'class="site-header"' in body
    assert "tel:988" in body  # crisis resources on every page, including sign-in
    assert 'for="id_login"' in body
    assert 'for="id_password"' in body
    assert "style=" not in body
    assert 'class="button' in body  # allauth's elements pick up the site's button styles
    scripts = re.findall(r"<script(?P<attrs>[^>]*)>", body)
    for attrs in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs


def emailed_code(message) -> str:
    lines = [line.strip() for line in message.body.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("Your sign-in code"))
    return next(line for line in lines[start + 1 :] if line)


def test_login_byemailed_code(client, member):
    response = client.post(reverse("account_request_login_code"), {"email": member.email})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_confirm_login_code")
    code = emailed_code(mail.outbox[-1])

    response = client.post(reverse("account_confirm_login_code"), {"code": "WRONG1"})
    assert response.status_code == HTTPStatus.OK
    assert not _is_logged_in(client)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == HTTPStatus.FOUND
    assert _is_logged_in(client)


def test_login_by_code_does_not_reveal_whether_an_account_exists(client):
    response = client.post(reverse("account_request_login_code"), {"email": "nobody@example.org"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_confirm_login_code")
    assert not _is_logged_in(client)


def test_logout_is_a_post_and_ends_the_session(client, member):
    client.force_login(member)
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("home")
    assert not _is_logged_in(client)


def test_password_reset_by_emailed_link(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == HTTPStatus.FOUND
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    response = client.get(link.group(1))
    # allauth moves the key out of the URL into the session, then shows the form.
    assert response.status_code == HTTPStatus.FOUND
    new = "another-long-password-77"
    response = client.post(response.url, {"password1": new, "password2": new})
    assert response.status_code == HTTPStatus.FOUND
    client.logout()
    response = client.post(reverse("account_login"), {"login": member.email, "password": new})
    assert response.status_code == HTTPStatus.FOUND
    assert _is_logged_in(client)
