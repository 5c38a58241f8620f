"""Adding and editing ties, offline contacts, the admin pages and the data export."""

from __future__ import annotations

import html
import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from network.accesslog import disclosures_append
from network.exports import export_user_data
from network.invitations import invitation_create
from network.models import Consent, Contact, Role, Scope, Tie
from network.services.errors import NetworkError
from network.services.ties import tie_add_offline, tie_update


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_add_an_offline_contact(client, member):
    client.force_login(member)
    response = client.post(
        reverse("network:tie_add"),
        {
            "offline_name": "Grandma",
            "role": Role.FAMILY,
            "relationship_label": "my grandmother",
            "ease": "effort",
            "reach_methods": ["call", "in_person"],
            "phone": "+1 555 0100",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    tie = Tie.objects.get()
    assert tie.supporter is None
    assert tie.name == "Grandma"
    assert tie.status == "active"
    assert tie.reach_methods == ["call", "in_person"]
    assert tie.ease == "effort"


def test_a_duplicate_offline_contact_is_refused(client, member):
    tie_add_offline(member=member, offline_name="Grandma", role=Role.FAMILY)
    client.force_login(member)
    response = client.post(
        reverse("network:tie_add"), {"offline_name": " grandma ", "role": "family", "ease": "easy"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "grandma is already in your network" in _text(response).lower()
    assert Tie.objects.count() == 1


def test_bad_tie_input_is_refused_with_a_message(client, member):
    client.force_login(member)
    for data in [
        {"offline_name": "", "role": "family", "ease": "easy"},
        {"offline_name": "X", "role": "boss", "ease": "easy"},
        {"offline_name": "X", "role": "family", "ease": "easy", "reach_methods": ["telepathy"]},
        {"offline_name": "X", "role": "family", "ease": "easy", "contact_email": "nope"},
    ]:
        response = client.post(reverse("network:tie_add"), data)
        assert response.status_code == HTTPStatus.OK, data
        assert "errorlist" in _text(response), data
    assert not Tie.objects.exists()


def test_edit_a_tie(client, member):
    tie = tie_add_offline(member=member, offline_name="Jo", role=Role.FRIEND)
    client.force_login(member)
    response = client.post(
        reverse("network:tie_edit", args=[tie.pk]),
        {"offline_name": "Joanna", "role": "peer", "ease": "crisis_only", "reach_methods": "text"},
    )
    assert response.status_code == HTTPStatus.FOUND
    tie.refresh_from_db()
    assert (tie.name, tie.role, tie.ease, tie.reach_methods) == (
        "Joanna",
        "peer",
        "crisis_only",
        ["text"],
    )


def test_a_rat_park_users_name_cannot_be_edited_by_the_member(client, member, make_user):
    maria = make_user(display_name="Maria")
    tie = Tie.objects.create(member=member, supporter=maria, role=Role.FRIEND)
    client.force_login(member)
    page = client.get(reverse("network:tie_edit", args=[tie.pk])).content.decode()
    assert 'name="offline_name"' not in page
    client.post(
        reverse("network:tie_edit", args=[tie.pk]),
        {"offline_name": "Hacked", "role": "friend", "ease": "easy"},
    )
    tie.refresh_from_db()
    assert tie.offline_name == ""
    assert tie.name == "Maria"
    with pytest.raises(NetworkError):
        tie_update(tie=tie, offline_name="Hacked")


def test_becoming_a_therapist_tie_stops_sharing_until_a_formal_consent(member, make_user):
    user = make_user()
    tie = Tie.objects.create(member=member, supporter=user, role=Role.FRIEND, share_notes=True)
    tie_update(tie=tie, role=Role.THERAPIST)
    tie.refresh_from_db()
    assert tie.scopes == frozenset()
    assert not tie.may_nudge


def test_an_ended_tie_cannot_be_edited(client, member):
    tie = tie_add_offline(member=member, offline_name="Jo", role=Role.FRIEND)
    client.force_login(member)
    client.post(reverse("network:tie_status", args=[tie.pk, "end"]))
    response = client.post(
        reverse("network:tie_edit", args=[tie.pk]),
        {"offline_name": "New", "role": "friend", "ease": "easy"},
    )
    assert "has ended" in _text(response)
    tie.refresh_from_db()
    assert tie.offline_name == "Jo"
    assert tie.status == "ended"
    home = client.get(reverse("network:home"))
    assert "Past ties (1)" in _text(home)


def test_unknown_status_action_is_404(client, member):
    tie = tie_add_offline(member=member, offline_name="Jo", role=Role.FRIEND)
    client.force_login(member)
    response = client.post(reverse("network:tie_status", args=[tie.pk, "delete"]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Tie.objects.filter(pk=tie.pk, status="active").exists()


def test_admin_pages_load(client, make_user, member):
    tie = tie_add_offline(member=member, offline_name="Jo", role=Role.FRIEND)
    invitation_create(member=member, email="x@example.org", name="X", role="peer")
    Contact.objects.create(member=member, tie=tie, method="call", local_date="2026-11-01")
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    for model in ["tie", "invitation", "consent", "disclosureevent", "contact"]:
        response = client.get(reverse(f"admin:network_{model}_changelist"))
        assert response.status_code == HTTPStatus.OK, model
    consent = Consent.objects.first()
    change = reverse("admin:network_consent_change", args=[consent.pk])
    assert client.post(change, {"scopes": "[]"}).status_code == HTTPStatus.FORBIDDEN


def test_export_covers_the_users_network_data(member, make_user):
    maria = make_user(display_name="Maria")
    tie = Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR, share_notes=True)
    Contact.objects.create(member=member, tie=tie, method="call", local_date="2026-11-01")
    invitation_create(member=member, email="x@example.org", name="X", role="peer")
    disclosures_append(viewer=maria, member=member, scopes=[Scope.NOTES])
    data = export_user_data(member)
    json.dumps(data)  # JSON-ready
    assert {t["name"] for t in data["ties"]} == {"Maria", "X"}
    assert len(data["contacts"]) == 1
    assert data["contacts"][0]["method"] == "call"
    assert len(data["invitations_sent"]) == 1
    assert "token" not in str(data["invitations_sent"])
    assert data["access_log"][0]["viewer"] == "Maria"
    assert data["consents"]  # the invited tie's default consent
    theirs = export_user_data(maria)
    assert theirs["supporting"] == [
        {
            "member": "Sam",
            "role": "sponsor",
            "status": "active",
            "created_at": theirs["supporting"][0]["created_at"],
        }
    ]
    assert theirs["access_log"] == []
    assert theirs["contacts"] == []


def test_the_network_page_lists_each_person_with_their_actions_escaped(client, member, make_user):
    """The cards are built in Python (network.markup): every value escaped, every action there."""
    offline = Tie.objects.create(
        member=member,
        offline_name="<script>x</script>",
        relationship_label='"aunt" & <b>more</b>',
        role=Role.FAMILY,
    )
    friend = Tie.objects.create(member=member, supporter=make_user(), role=Role.FRIEND)
    paused = Tie.objects.create(
        member=member, offline_name="Dad", role=Role.FAMILY, status="paused"
    )
    client.force_login(member)
    page = client.get(reverse("network:home")).content.decode()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "&quot;aunt&quot; &amp; &lt;b&gt;more&lt;/b&gt;" in page
    for tie in (offline, friend, paused):
        assert f'id="tie-{tie.pk}"' in page
        assert reverse("network:tie_edit", args=[tie.pk]) in page
        assert reverse("network:tie_status", args=[tie.pk, "end"]) in page
    assert reverse("network:tie_sharing", args=[friend.pk]) in page
    assert reverse("network:tie_sharing", args=[offline.pk]) not in page
    assert reverse("network:tie_status", args=[friend.pk, "pause"]) in page
    assert reverse("network:tie_status", args=[paused.pk, "resume"]) in page
    assert "No contact logged yet." in page
    assert "0 contacts in 30 days." in page
