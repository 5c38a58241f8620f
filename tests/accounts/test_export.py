"""The JSON download of everything a person owns, and nothing of anyone else's."""

from __future__ import annotations

import datetime
import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import TherapistProfile
from accounts.services import export_user_data
from checkins.models import CheckIn, ReminderPreference
from network.models import Contact, ContactMethod, Role, Tie
from nudges.services import notify

pytestmark = pytest.mark.django_db


def give_data(member, *, tag: str, days: int = 2) -> None:
    """Give ``member`` a tie, contacts, check-ins, reminders and a notification, all tagged."""
    tie = Tie.objects.create(
        member=member,
        offline_name=f"{tag} sponsor",
        phone="+1 555 0100",
        role=Role.SPONSOR,
        relationship_label=f"{tag} label",
    )
    for day in range(days):
        date = datetime.date(2026, 1, 1) + datetime.timedelta(days=day)
        CheckIn.objects.create(
            member=member,
            local_date=date,
            mood=3,
            craving=2,
            connectedness=4,
            notes=f"{tag} note {day}",
        )
        Contact.objects.create(member=member, tie=tie, method=ContactMethod.CALL, local_date=date)
    ReminderPreference.objects.get_or_create(member=member)
    notify(
        recipient=member,
        kind="encouragement",
        title=f"{tag} title",
        body=f"{tag} body",
        idempotency_key=f"test:{tag}",
    )


def test_it_contains_the_members_own_data_and_nobody_elses(member, make_user):
    other = make_user("other@example.org", display_name="Otherperson")
    give_data(member, tag="MINE")
    give_data(other, tag="THEIRS")
    TherapistProfile.objects.create(user=other, credential="THEIRS-LCSW")

    data = export_user_data(member)
    text = json.dumps(data)

    assert data["account"]["email"] == "sam@example.org"
    assert data["account"]["display_name"] == "Sam"
    assert [t["name"] for t in data["network"]["ties"]] == ["MINE sponsor"]
    assert len(data["network"]["contacts"]) == 2
    assert [c["notes"] for c in data["checkins"]["checkins"]] == ["MINE note 0", "MINE note 1"]
    assert data["checkins"]["reminder_preference"]["reminder_days"][0] == "mon"
    assert [n["title"] for n in data["nudges"]["notifications"]] == ["MINE title"]
    for secret in ("THEIRS", "other@example.org", "Otherperson"):
        assert secret not in text


def test_supporting_someone_exports_only_the_fact(member, make_user):
    friend = make_user("friend@example.org", display_name="Friend")
    give_data(friend, tag="FRIENDS")
    Tie.objects.create(member=friend, supporter=member, role=Role.FRIEND, share_notes=True)

    data = export_user_data(member)
    assert data["network"]["supporting"] == [
        {
            "member": "Friend",
            "role": "friend",
            "status": "active",
            "created_at": data["network"]["supporting"][0]["created_at"],
        }
    ]
    text = json.dumps(data)
    assert "FRIENDS" not in text
    assert "friend@example.org" not in text
    # And the friend's own export names their supporter by display name only.
    friend_ties = export_user_data(friend)["network"]["ties"]
    assert [t["name"] for t in friend_ties if t["is_rat_park_user"]] == ["Sam"]
    assert "sam@example.org" not in json.dumps(export_user_data(friend))


def test_the_download_is_an_attachment_of_the_signed_in_members_data(client, member, make_user):
    other = make_user("other@example.org")
    give_data(other, tag="THEIRS")
    give_data(member, tag="MINE")
    client.force_login(member)
    response = client.get(reverse("account_export"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="rat-park-export-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == member.email
    assert "THEIRS" not in response.content.decode()


def test_the_export_is_constant_query(member, django_assert_max_num_queries):
    give_data(member, tag="A", days=2)
    with django_assert_max_num_queries(21) as small:
        export_user_data(member)
    CheckIn.objects.filter(member=member).delete()
    Contact.objects.filter(member=member).delete()
    give_data(member, tag="B", days=40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        export_user_data(member)
