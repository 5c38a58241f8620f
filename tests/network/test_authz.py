"""Authorization matrix over every network URL: who may see and do what."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from network.consents import REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN
from network.invitations import invitation_create
from network.models import Contact, ContactMethod, DisclosureEvent, Invitation, Role, Scope, Tie
from tests.network_cast import ALL_SCOPES, SECRET_NOTE, actors, build_cast

MARKERS = {
    Scope.CHECKIN_STATUS: "checked in today.",
    Scope.MOOD_CRAVING: "Craving (0–10)",
    Scope.USE: ">Used<",
    Scope.NOTES: SECRET_NOTE,
    Scope.CONTACTS: "in touch with</h2>",
    Scope.REACH: 'href="tel:+15035550100"',
}
SAM_ONLY = ["Grandma", SECRET_NOTE]  # strings only Sam's own pages may contain


@pytest.fixture
def cast(make_user):
    return build_cast()


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


# --- Pages that belong to the member alone ------------------------------------------------------

OWN_PAGES = [
    "network:home",
    "network:tie_add",
    "network:invitations",
    "network:invitation_create",
    "network:consent_history",
    "network:consent_history_csv",
    "network:access_log",
    "network:access_log_csv",
    "network:contacts",
    "network:supporting",
    "network:encouragements",
]


def _body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("name", OWN_PAGES)
def test_own_pages_show_only_the_viewers_own_data(client, cast, name):
    url = reverse(name)
    for who, user in actors(cast).items():
        response = _as(client, user).get(url)
        if user is None:
            assert _is_login_redirect(response), (who, name)
            continue
        assert response.status_code == HTTPStatus.OK, (who, name)
        if who != "member":
            body = _body(response)
            for secret in SAM_ONLY:
                assert secret not in body, (who, name, secret)


def _member_tie_urls(cast):
    friend = cast.ties["scope:notes"]
    therapist = cast.ties["therapist_active"]
    return [
        ("GET", reverse("network:tie_edit", args=[friend.pk])),
        ("GET", reverse("network:tie_sharing", args=[friend.pk])),
        ("GET", reverse("network:consent_part2", args=[therapist.pk])),
        ("POST", reverse("network:tie_sharing", args=[friend.pk])),
        ("POST", reverse("network:tie_status", args=[friend.pk, "pause"])),
        ("POST", reverse("network:tie_status", args=[cast.offline_tie.pk, "end"])),
        ("POST", reverse("network:consent_revoke", args=[therapist.consents.get().pk])),
    ]


def test_member_tie_urls_are_404_for_everyone_but_the_member(client, cast):
    before = list(Tie.objects.order_by("pk").values_list("pk", "status", "share_notes"))
    for method, url in _member_tie_urls(cast):
        for who, user in actors(cast).items():
            if who == "member":
                continue
            c = _as(client, user)
            response = c.get(url) if method == "GET" else c.post(url, {"scopes": ALL_SCOPES})
            if user is None:
                assert _is_login_redirect(response), (who, url)
            else:
                assert response.status_code == HTTPStatus.NOT_FOUND, (who, method, url)
    after = list(Tie.objects.order_by("pk").values_list("pk", "status", "share_notes"))
    assert after == before  # nobody but the member changed anything
    assert cast.ties["therapist_active"].consents.get().ended_at is None


def test_member_can_use_their_tie_urls(client, cast):
    client.force_login(cast.member)
    for method, url in _member_tie_urls(cast):
        if method == "GET":
            assert client.get(url).status_code == HTTPStatus.OK, url
    assert Tie.objects.get(pk=cast.ties["scope:notes"].pk).share_notes


def test_a_foreign_tie_id_is_404_even_for_a_member(client, cast):
    client.force_login(cast.member)
    foreign = cast.other_tie.pk
    for url in [
        reverse("network:tie_edit", args=[foreign]),
        reverse("network:tie_sharing", args=[foreign]),
        reverse("network:supporting_member", args=[foreign]),
    ]:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    response = client.post(reverse("network:tie_status", args=[foreign, "end"]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Tie.objects.get(pk=foreign).status == "active"


def test_malformed_and_unknown_ids_are_404(client, cast):
    client.force_login(cast.member)
    assert client.get("/network/ties/12/edit/").status_code == HTTPStatus.NOT_FOUND
    assert (
        client.get("/network/ties/00000000-0000-0000-0000-000000000000/edit/").status_code
        == HTTPStatus.NOT_FOUND
    )


def test_invitation_and_contact_actions_are_the_members_alone(client, cast, make_user):
    invitation, _ = invitation_create(
        member=cast.member, email="new@example.org", name="New", role=Role.FRIEND
    )
    supporter_contact = Contact.objects.create(
        member=cast.member,
        tie=cast.ties["supporter_none"],
        method=ContactMethod.TEXT,
        local_date="2026-01-01",
        confirmed=False,
        source=Contact.Source.SUPPORTER,
        initiated_by=Contact.Initiator.SUPPORTER,
    )
    urls = [
        reverse("network:invitation_resend", args=[invitation.pk]),
        reverse("network:invitation_cancel", args=[invitation.pk]),
        reverse("network:contact_answer", args=[supporter_contact.pk, "confirm"]),
        reverse("network:contact_answer", args=[supporter_contact.pk, "dismiss"]),
    ]
    for url in urls:
        for who, user in actors(cast).items():
            if who == "member":
                continue
            response = _as(client, user).post(url)
            if user is None:
                assert _is_login_redirect(response), (who, url)
            else:
                assert response.status_code == HTTPStatus.NOT_FOUND or (
                    # contact answers look the contact up by member: nothing found, nothing done
                    response.status_code == HTTPStatus.FOUND and "contacts" in url
                ), (who, url, response.status_code)
    invitation.refresh_from_db()
    supporter_contact.refresh_from_db()
    assert invitation.status == "pending"
    assert invitation.send_count == 1
    assert supporter_contact.confirmed is False


# --- The supporter's view of one member -----------------------------------------------------------

EXPECTED_SCOPES = {
    "supporter_none": set(),
    "therapist_active": {Scope.MOOD_CRAVING, Scope.NOTES},
    "therapist_expired": set(),
    "therapist_revoked": set(),
    "therapist_unverified": set(),
    **{f"scope:{s}": {s} for s in ALL_SCOPES},
}


def test_each_supporter_sees_exactly_their_scopes_and_it_is_logged(client, cast):
    for who, scopes in EXPECTED_SCOPES.items():
        user = actors(cast)[who]
        tie = cast.ties[who]
        before = DisclosureEvent.objects.filter(viewer_ref=user.pk).count()
        response = _as(client, user).get(reverse("network:supporting_member", args=[tie.pk]))
        assert response.status_code == HTTPStatus.OK, who
        body = response.content.decode()
        for scope, marker in MARKERS.items():
            assert (marker in body) == (scope in scopes), (who, scope)
        # The Part 2 statement where Part 2 applies; everyone gets the plain request.
        assert (REDISCLOSURE_NOTICE in body) == who.startswith("therapist"), who
        assert escape(REDISCLOSURE_PLAIN) in body, who
        logged = set(
            DisclosureEvent.objects.filter(viewer_ref=user.pk).values_list("scope", flat=True)
        )
        assert DisclosureEvent.objects.filter(viewer_ref=user.pk).count() == before + len(scopes)
        assert logged == {str(s) for s in scopes}, who


def test_the_export_carries_the_notice_and_only_shared_scopes(client, cast):
    user = cast.therapist_active
    response = _as(client, user).get(
        reverse("network:supporting_export", args=[cast.ties["therapist_active"].pk])
    )
    assert response.status_code == HTTPStatus.OK
    body = _body(response)
    assert body.startswith(REDISCLOSURE_NOTICE)
    assert SECRET_NOTE in body
    assert ",craving,7" in body
    assert ",used," not in body  # use reports were not shared
    event = DisclosureEvent.objects.filter(viewer_ref=user.pk, action="export").first()
    assert event is not None
    assert event.consent_ref  # names the consent it relied on


def test_supporter_urls_of_a_tie_are_404_for_everyone_else(client, cast):
    tie = cast.ties["scope:notes"]
    urls = [
        ("GET", reverse("network:supporting_member", args=[tie.pk])),
        ("GET", reverse("network:supporting_export", args=[tie.pk])),
        ("POST", reverse("network:encourage", args=[tie.pk])),
        ("POST", reverse("network:supporter_log_contact", args=[tie.pk])),
    ]
    events_before = DisclosureEvent.objects.count()
    contacts_before = Contact.objects.count()
    for method, url in urls:
        for who, user in actors(cast).items():
            if who == "scope:notes":
                continue
            c = _as(client, user)
            data = {"message": "hi", "method": "call"}
            response = c.get(url) if method == "GET" else c.post(url, data)
            if user is None:
                assert _is_login_redirect(response), (who, url)
            else:
                assert response.status_code == HTTPStatus.NOT_FOUND, (who, url)
    assert DisclosureEvent.objects.count() == events_before
    assert Contact.objects.count() == contacts_before
    assert not cast.member.notifications.filter(kind="encouragement").exists()


def test_an_ended_tie_sees_nothing(client, cast):
    tie = cast.ties["ended"]
    client.force_login(cast.ended)
    for name in ["network:supporting_member", "network:supporting_export"]:
        assert client.get(reverse(name, args=[tie.pk])).status_code == HTTPStatus.NOT_FOUND
    assert "Sam" not in client.get(reverse("network:supporting")).content.decode()


def test_staff_sees_no_member_data_outside_the_admin(client, cast):
    client.force_login(cast.staff)
    for tie in cast.ties.values():
        url = reverse("network:supporting_member", args=[tie.pk])
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_invitation_page_reveals_only_name_and_message(client, cast):
    _, token = invitation_create(
        member=cast.member,
        email="friend@example.org",
        name="Friend",
        role=Role.FRIEND,
        message="Would you walk with me?",
    )
    response = client.get(reverse("network:invitation_respond", args=[token]))
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Sam invited you" in body
    assert "Would you walk with me?" in body
    for secret in ["sam@example.org", "Grandma", SECRET_NOTE, "Friend</"]:
        assert secret not in body
    assert Invitation.objects.get().status == "pending"
