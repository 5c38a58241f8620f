"""Who may open each clinic page and export: the full authorization matrix."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from network.models import DisclosureEvent, Scope
from tests.clinic_support import build_clinic_cast, reauthenticate
from tests.network_cast import SECRET_NOTE, actors

EXPORTS = ("clinic:export_csv", "clinic:export_pdf", "clinic:export_fhir")


@pytest.fixture
def world(make_user):
    cast, extra = build_clinic_cast(make_user)
    people = actors(cast) | extra
    return cast, people


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _reauth(client):
    reauthenticate(client)


def _client_urls(tie):
    return [reverse("clinic:client", args=[tie.pk])] + [
        reverse(name, args=[tie.pk]) for name in EXPORTS
    ]


NOT_A_THERAPIST = [
    "member",
    "other_member",
    "staff",
    "supporter_none",
    "ended",
    "therapist_unverified",
    "therapist_withdrawn",
    *[f"scope:{s}" for s in ("checkin_status", "mood_craving", "use", "contacts", "notes")],
]


def test_anonymous_is_sent_to_log_in_everywhere(client, world):
    cast, _ = world
    for url in [reverse("clinic:caseload"), *_client_urls(cast.ties["therapist_active"])]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response.url.startswith(reverse("account_login")), url


def test_people_who_are_not_verified_therapists_get_nothing(client, world):
    cast, people = world
    urls = [reverse("clinic:caseload"), *_client_urls(cast.ties["therapist_active"])]
    for who in NOT_A_THERAPIST:
        c = _as(client, people[who])
        for url in urls:
            response = c.get(url)
            assert response.status_code == HTTPStatus.FORBIDDEN, (who, url)
            assert SECRET_NOTE not in response.content.decode(), (who, url)
    assert not DisclosureEvent.objects.exists()


def test_a_therapist_without_a_second_factor_is_sent_to_enrol(client, world):
    cast, people = world
    c = _as(client, people["therapist_no_mfa"])
    for url in [reverse("clinic:caseload"), *_client_urls(cast.ties["therapist_no_mfa"])]:
        response = c.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response.url == reverse("clinic:mfa_required")
    assert c.get(reverse("clinic:mfa_required")).status_code == HTTPStatus.OK
    assert not DisclosureEvent.objects.exists()


@pytest.mark.parametrize("who", ["therapist_expired", "therapist_revoked"])
def test_an_ended_consent_leaves_only_a_line_with_no_data(client, world, who):
    cast, people = world
    c = _as(client, people[who])
    page = c.get(reverse("clinic:caseload")).content.decode()
    assert "consent ended on" in page
    assert SECRET_NOTE not in page
    assert reverse("clinic:client", args=[cast.ties[who].pk]) not in page
    _reauth(c)
    for url in _client_urls(cast.ties[who]):
        response = c.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        assert SECRET_NOTE not in response.content.decode()
    assert not DisclosureEvent.objects.exists()


def test_a_therapist_sees_only_their_own_clients(client, world):
    cast, people = world
    for who in ("therapist_stranger", "therapist_narrow"):
        c = _as(client, people[who])
        _reauth(c)
        for url in _client_urls(cast.ties["therapist_active"]):
            assert c.get(url).status_code == HTTPStatus.NOT_FOUND, (who, url)
    # Not a tie id at all, and a tie of another member's: the same answer.
    c = _as(client, people["therapist_active"])
    for bad in ("not-a-uuid", cast.other_tie.pk, cast.ties["supporter_none"].pk):
        assert c.get(reverse("clinic:client", args=[bad])).status_code == HTTPStatus.NOT_FOUND


def test_the_active_therapist_sees_their_client_and_it_is_logged(client, world):
    cast, people = world
    tie = cast.ties["therapist_active"]
    consent = tie.consents.get()
    c = _as(client, people["therapist_active"])
    page = c.get(reverse("clinic:caseload")).content.decode()
    assert reverse("clinic:client", args=[tie.pk]) in page
    assert "42 CFR part 2 prohibits" in page
    logged = set(DisclosureEvent.objects.values_list("scope", "consent_ref", "action"))
    # The caseload shows mood and craving, never check-in notes: only what it showed is logged.
    assert logged == {(Scope.MOOD_CRAVING, str(consent.pk), "view")}
    page = c.get(reverse("clinic:client", args=[tie.pk])).content.decode()
    assert SECRET_NOTE in page  # the notes scope
    assert "Grandma" not in page  # contacts aren't in this consent, nor other people's names
    assert DisclosureEvent.objects.count() == 3


def test_a_narrow_consent_shows_only_its_scope(client, world):
    cast, people = world
    c = _as(client, people["therapist_narrow"])
    page = c.get(reverse("clinic:client", args=[cast.ties["therapist_narrow"].pk])).content
    page = page.decode()
    assert "Checked in" in page
    assert SECRET_NOTE not in page
    assert "craving 7/10" not in page
    assert "Mood" not in page
    assert set(DisclosureEvent.objects.values_list("scope", flat=True)) == {Scope.CHECKIN_STATUS}


def test_exports_need_a_fresh_sign_in_and_are_logged(client, world):
    cast, people = world
    tie = cast.ties["therapist_active"]
    c = _as(client, people["therapist_active"])
    for name in EXPORTS:
        response = c.get(reverse(name, args=[tie.pk]))
        assert response.status_code == HTTPStatus.FOUND, name
        assert response.url.startswith(reverse("mfa_reauthenticate")), name
    assert not DisclosureEvent.objects.exists()
    _reauth(c)
    for name in EXPORTS:
        response = c.get(reverse(name, args=[tie.pk]))
        assert response.status_code == HTTPStatus.OK, name
    exported = DisclosureEvent.objects.filter(action="export")
    assert exported.count() == 3 * 2  # two scopes, three files


def test_bad_ranges_get_a_clear_message(client, world):
    cast, people = world
    tie = cast.ties["therapist_active"]
    c = _as(client, people["therapist_active"])
    url = reverse("clinic:client", args=[tie.pk])
    for query in (
        {"start": "2026-05-01", "end": "2026-04-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "yesterday", "end": "2026-01-01"},
        {"days": "12"},
        {"days": "x"},
    ):
        response = c.get(url, query)
        assert response.status_code == HTTPStatus.BAD_REQUEST, query
        assert SECRET_NOTE not in response.content.decode()
    assert not DisclosureEvent.objects.exists()


def test_an_organisation_sees_counts_never_clients(client, world, make_user):
    cast, people = world
    from clinic.models import Membership, Organisation

    org = Organisation.objects.create(name="Harbour Clinic")
    Membership.objects.create(organisation=org, user=people["therapist_active"])
    colleague = people["therapist_stranger"]
    Membership.objects.create(organisation=org, user=colleague)
    org_admin = make_user(display_name="Office manager")
    Membership.objects.create(organisation=org, user=org_admin, is_admin=True)
    tie = cast.ties["therapist_active"]

    # A colleague in the same organisation and its admin: no client pages, no exports.
    for user in (colleague, org_admin):
        c = _as(client, user)
        for url in _client_urls(tie):
            assert c.get(url).status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN), url
    c = _as(client, org_admin)
    page = c.get(reverse("clinic:organisation", args=[org.pk]))
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Dr Active" in text
    assert cast.member.display_name not in text
    assert SECRET_NOTE not in text
    # Its therapists aren't its admins: the page is not theirs.
    for user in (colleague, people["therapist_active"], people["member"]):
        c = _as(client, user)
        assert c.get(reverse("clinic:organisation", args=[org.pk])).status_code == 404
    assert _as(client, org_admin).get(reverse("clinic:organisation", args=["x"])).status_code == 404
    assert not DisclosureEvent.objects.exists()
