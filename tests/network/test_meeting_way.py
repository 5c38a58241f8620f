"""A meeting keeps the way the member chose (in person, by video, by phone), and stays a
meeting for network health, check-ins and the people who see shared contacts."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from network.models import Contact, ContactMethod, MeetingWay, Role, Scope, Tie
from network.selectors import (
    confirmed_contact_roles,
    network_health,
    shared_data,
    ties_for_member,
)
from network.services.contacts import contacts_sync_from_checkin


def _log(client, **data):
    return client.post(reverse("network:contacts"), data)


def test_a_meeting_in_person_is_saved_as_chosen_and_reads_so(client, member):
    client.force_login(member)
    assert _log(client, tie="meeting", method="in_person").status_code == HTTPStatus.FOUND
    contact = Contact.objects.get()
    assert contact.tie is None
    assert (contact.method, contact.meeting_way) == (ContactMethod.MEETING, MeetingWay.IN_PERSON)
    page = client.get(reverse("network:contacts")).content.decode()
    assert "Meeting, in person" in page


def test_each_way_of_a_meeting_is_kept(client, member):
    client.force_login(member)
    for way in ("video", "call", "meeting"):
        _log(client, tie="meeting", method=way)
    ways = sorted(Contact.objects.values_list("method", "meeting_way"))
    assert ways == [("meeting", ""), ("meeting", "call"), ("meeting", "video")]


def test_a_meeting_by_text_is_refused_with_a_message_and_nothing_saved(client, member):
    client.force_login(member)
    response = _log(client, tie="meeting", method="text", duration_minutes="45")
    assert response.status_code == HTTPStatus.OK
    assert "A meeting is in person, by video or by phone" in response.content.decode()
    assert 'value="45"' in response.content.decode()  # what was entered is kept
    assert not Contact.objects.exists()


def test_a_meeting_counts_as_a_group_and_in_person_only_when_not_online(client, member):
    client.force_login(member)
    _log(client, tie="meeting", method="in_person")
    _log(client, tie="meeting", method="video")
    _log(client, tie="meeting", method="meeting")  # way not said: counted as before, in person
    _log(client, tie="meeting", method="call")
    health = network_health(member, list(ties_for_member(member, timezone.now())))
    assert health.in_person_percent == 50
    today = timezone.now().astimezone(member.zone).date()
    roles = {role for _, role in confirmed_contact_roles(member, today, today)}
    assert roles == {Role.GROUP}


def test_a_checkin_sees_a_logged_meeting_and_leaves_its_way_alone(client, member):
    client.force_login(member)
    _log(client, tie="meeting", method="in_person")
    today = timezone.now().astimezone(member.zone).date()
    assert (
        contacts_sync_from_checkin(member=member, local_date=today, tie_ids=[], meeting=True) == []
    )
    contacts_sync_from_checkin(member=member, local_date=today, tie_ids=[], meeting=False)
    contact = Contact.objects.get()  # logged by hand: a check-in never removes it
    assert contact.meeting_way == MeetingWay.IN_PERSON


def test_editing_a_meeting_changes_its_way_and_keeps_it_a_meeting(client, member):
    client.force_login(member)
    _log(client, tie="meeting", method="in_person")
    contact = Contact.objects.get()
    url = reverse("network:contact_edit", args=[contact.pk])
    page = client.get(url).content.decode()
    assert 'value="in_person" selected' in page
    local = contact.occurred_at.astimezone(member.zone).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"method": "video", "occurred_at": local}).status_code == 302
    contact.refresh_from_db()
    assert (contact.method, contact.meeting_way) == (ContactMethod.MEETING, MeetingWay.VIDEO)
    response = client.post(url, {"method": "text", "occurred_at": local})
    assert response.status_code == HTTPStatus.OK
    contact.refresh_from_db()
    assert contact.meeting_way == MeetingWay.VIDEO


def test_a_supporter_sees_the_way_of_a_meeting(client, member):
    client.force_login(member)
    _log(client, tie="meeting", method="video")
    data = shared_data(member, frozenset({Scope.CONTACTS}))
    assert [c["method_label"] for c in data.contacts] == ["Meeting, by video"]


def test_only_a_meeting_has_a_way(member):
    tie = Tie.objects.create(member=member, offline_name="Jo", role=Role.FRIEND)
    with pytest.raises(IntegrityError):
        Contact.objects.create(
            member=member, tie=tie, method=ContactMethod.CALL, meeting_way=MeetingWay.VIDEO
        )
