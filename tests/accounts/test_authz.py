"""Who may reach which accounts page: anonymous people never, a member only their own data."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import TherapistProfile, User
from tests.accounts.test_export import give_data

pytestmark = pytest.mark.django_db

ACCOUNTS_URLS = [
    "dashboard",
    "account_settings",
    "therapist_application",
    "account_export",
    "account_delete",
]


@pytest.mark.parametrize("name", ACCOUNTS_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, name, method):
    url = reverse(name)
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('account_login')}?next={url}"


def test_each_member_sees_only_their_own_pages(client, member, make_user):
    other = make_user("other@example.org", display_name="Otherperson")
    give_data(other, tag="THEIRS")
    TherapistProfile.objects.create(user=other, credential="THEIRS-LCSW")
    client.force_login(member)
    for name in ACCOUNTS_URLS:
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.OK, name
        body = response.content.decode()
        for secret in ("THEIRS", "other@example.org", "Otherperson"):
            assert secret not in body, (name, secret)
    export = json.loads(client.get(reverse("account_export")).content)
    assert export["account"]["email"] == member.email


def test_posting_settings_changes_only_the_signed_in_member(client, member, make_user):
    other = make_user("other@example.org", display_name="Otherperson")
    client.force_login(member)
    client.post(
        reverse("account_settings"),
        {"display_name": "Changed", "time_zone": "UTC", "language": "en", "id": other.pk},
    )
    assert User.objects.get(pk=other.pk).display_name == "Otherperson"
    assert User.objects.get(pk=member.pk).display_name == "Changed"


def test_deleting_removes_only_the_signed_in_member(client, member, make_user):
    other = make_user("other@example.org")
    give_data(other, tag="THEIRS")
    client.force_login(member)
    reauth = client.post(reverse("account_delete"), {"confirm": "on", "id": other.pk}).url
    client.post(reauth, {"password": "a-long-test-password-42"})
    assert not User.objects.filter(pk=member.pk).exists()
    assert User.objects.filter(pk=other.pk).exists()
    assert other.checkins.count() == 2


def test_a_non_staff_member_cannot_use_the_therapist_admin(client, member):
    profile = TherapistProfile.objects.create(user=member, credential="LCSW 1")
    client.force_login(member)
    response = client.post(
        reverse("admin:accounts_therapistprofile_changelist"),
        {"action": "verify", "_selected_action": [profile.pk]},
    )
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    profile.refresh_from_db()
    assert profile.verified_at is None
