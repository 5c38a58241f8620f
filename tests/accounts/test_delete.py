"""Deleting an account: confirmation through allauth's reauthentication, then everything goes."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.models import User
from accounts.services import delete_account
from checkins.models import CheckIn, ReminderPreference
from network.models import Contact, Role, Tie, TieStatus
from notifications.models import Notification
from tests.accounts.test_export import give_data
from tests.accounts.test_mfa import enrol_totp, totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("account_delete")


def _personal_rows(user_id: int) -> dict[str, int]:
    return {
        "checkins": CheckIn.objects.filter(member_id=user_id).count(),
        "contacts": Contact.objects.filter(member_id=user_id).count(),
        "ties": Tie.objects.filter(member_id=user_id).count(),
        "reminders": ReminderPreference.objects.filter(member_id=user_id).count(),
        "notifications": Notification.objects.filter(recipient_id=user_id).count(),
        "emails": EmailAddress.objects.filter(user_id=user_id).count(),
    }


def test_get_shows_a_confirmation_page_and_changes_nothing(client, member):
    client.force_login(member)
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "can't be undone" in body
    assert 'for="id_confirm"' in body
    assert User.objects.filter(pk=member.pk).exists()


def test_anonymous_is_sent_to_login(client):
    for method in (client.get, client.post):
        response = method(URL)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("account_login"))


def test_it_deletes_after_the_password_is_entered_again(client, member):
    give_data(member, tag="MINE")
    before = _personal_rows(member.pk)
    assert all(before.values()), before
    client.force_login(member)

    response = client.post(URL, {"confirm": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert User.objects.filter(pk=member.pk).exists()

    response = client.post(response.url, {"password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("home")
    assert not User.objects.filter(pk=member.pk).exists()
    assert set(_personal_rows(member.pk).values()) == {0}
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.FOUND


def test_a_wrong_password_changes_nothing(client, member):
    give_data(member, tag="MINE")
    before = _personal_rows(member.pk)
    client.force_login(member)
    reauth = client.post(URL, {"confirm": "on"}).url
    response = client.post(reauth, {"password": "not-my-password"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert _personal_rows(member.pk) == before
    assert User.objects.filter(pk=member.pk).exists()


def test_the_box_must_be_ticked(client, member):
    client.force_login(member)
    response = client.post(URL, {})
    assert response.status_code == HTTPStatus.OK
    assert "Tick the box" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()


def test_with_two_factor_on_the_authenticator_code_confirms(client, member):
    secret = enrol_totp(client, member)
    # A fresh session: the enrolment's own reauthentication must not count.
    client.logout()
    client.force_login(member)
    response = client.post(URL, {"confirm": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("mfa_reauthenticate"))

    response = client.post(response.url, {"code": totp_code(secret, step=20)})
    assert response.status_code == HTTPStatus.OK
    assert User.objects.filter(pk=member.pk).exists()

    response = client.post(response.wsgi_request.get_full_path(), {"code": totp_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Authenticator.objects.filter(user_id=member.pk).exists()


def test_members_they_supported_are_told_neutrally(member, make_user):
    supported = make_user("ana@example.org", display_name="Ana")
    former = make_user("bo@example.org", display_name="Bo")
    open_tie = Tie.objects.create(member=supported, supporter=member, role=Role.SPONSOR)
    ended_tie = Tie.objects.create(
        member=former, supporter=member, role=Role.FRIEND, status=TieStatus.ENDED
    )

    delete_account(member)

    open_tie.refresh_from_db()
    ended_tie.refresh_from_db()
    assert open_tie.status == TieStatus.ENDED
    assert open_tie.supporter is None
    assert "Sam" not in open_tie.name
    assert ended_tie.supporter is None

    (notice,) = Notification.objects.filter(recipient=supported)
    assert notice.kind == "network"
    assert notice.title == "A change in your network"
    assert notice.body == "Someone is no longer part of your support network on Rat Park."
    assert "Sam" not in notice.title + notice.body
    # Only members whose tie was still open hear about it.
    assert not Notification.objects.filter(recipient=former).exists()


def test_supporters_of_a_departing_member_keep_nothing_of_theirs(member, make_user):
    supporter = make_user("sup@example.org")
    Tie.objects.create(member=member, supporter=supporter, role=Role.FRIEND)
    Notification.objects.create(
        recipient=supporter,
        subject_member=member,
        kind="supporter_nudge",
        idempotency_key="nudge:1",
        title="Someone may like a call",
        body="x",
    )
    delete_account(member)
    assert not Tie.objects.filter(supporter=supporter).exists()
    # Only the closing notice is left, and it is about no one in the database.
    left = list(Notification.objects.filter(recipient=supporter))
    assert [(n.kind, n.subject_member_id) for n in left] == [("network", None)]
    assert left[0].title.endswith("has closed their Rat Park account")
    assert User.objects.filter(pk=supporter.pk).exists()
