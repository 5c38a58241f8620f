"""The clinic pages cost a fixed number of queries, however many clients and however long."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.sample import build_caseload
from clinic.selectors import CASELOAD_PAGE_SIZE, CASELOAD_SCOPES
from network.models import DisclosureEvent
from tests.clinic_support import enrol_mfa, reauthenticate
from tests.factories import TherapistFactory


def _therapist(make_user):
    return enrol_mfa(TherapistFactory(display_name="Dr Bench"))


@pytest.mark.slow
def test_caseload_of_200_with_a_year_each_is_constant_queries(
    client, make_user, django_assert_max_num_queries
):
    therapist = _therapist(make_user)
    build_caseload(therapist, 5, 365, prefix="small")
    client.force_login(therapist)
    with django_assert_max_num_queries(20) as small:
        assert client.get(reverse("clinic:caseload")).status_code == HTTPStatus.OK
    baseline = len(small)
    build_caseload(therapist, 195, 365)
    with django_assert_max_num_queries(baseline) as big:
        response = client.get(reverse("clinic:caseload"))
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count('class="client-card') == CASELOAD_PAGE_SIZE
    assert len(big) == baseline


def test_the_caseload_logs_exactly_the_clients_of_the_page_it_shows(client, make_user):
    therapist = _therapist(make_user)
    build_caseload(therapist, CASELOAD_PAGE_SIZE + 3, 10)
    client.force_login(therapist)
    seen = []
    for page in (1, 2):
        before = set(DisclosureEvent.objects.values_list("pk", flat=True))
        html = client.get(reverse("clinic:caseload"), {"sort": "name", "page": page})
        html = html.content.decode()
        names = re.findall(r'<h2><a href="[^"]+">(Client \d+)</a></h2>', html)
        logged = set(
            DisclosureEvent.objects.exclude(pk__in=before).values_list("member_name", flat=True)
        )
        assert logged == set(names)
        seen += names
    assert len(seen) == CASELOAD_PAGE_SIZE + 3
    assert seen == sorted(seen)  # the second page carries on where the first ended
    # Every scope the caseload reads, one entry each, under the consent that allowed it.
    entry = DisclosureEvent.objects.filter(member_name=seen[0])
    assert set(entry.values_list("scope", flat=True)) == CASELOAD_SCOPES
    assert not entry.filter(consent__isnull=True).exists()
    # A page past the end shows the last one; a page that isn't a number, the first.
    last = client.get(reverse("clinic:caseload"), {"sort": "name", "page": 99}).content
    assert seen[-1] in last.decode()
    first = client.get(reverse("clinic:caseload"), {"sort": "name", "page": "x"}).content
    assert seen[0] in first.decode()


def test_three_year_history_and_exports_are_constant_queries(
    client, make_user, django_assert_max_num_queries
):
    therapist = _therapist(make_user)
    (tie,) = build_caseload(therapist, 1, 3 * 365)
    client.force_login(therapist)
    url = reverse("clinic:client", args=[tie.pk])
    with django_assert_max_num_queries(24) as short:
        assert client.get(url, {"days": 30}).status_code == HTTPStatus.OK
    # Read now: the test client's next request resets the connection's query log.
    baseline = len(short)
    today = timezone.now().date()
    three_years = {"start": (today - timedelta(days=3 * 365)).isoformat(), "end": today}
    with django_assert_max_num_queries(baseline):
        response = client.get(url, three_years)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert page.count("<li><strong>") == 90  # the timeline's cap
    # Charts over 3 years plot weekly means: a table row per week, not per day.
    assert "(weekly averages)" in page
    assert 150 <= page.count("<td>Week of ") // 3 <= 160
    reauthenticate(client)
    for name in ("clinic:export_csv", "clinic:export_fhir"):
        with django_assert_max_num_queries(baseline + 6):
            response = client.get(reverse(name, args=[tie.pk]), three_years)
        assert response.status_code == HTTPStatus.OK


def test_the_caseloads_access_log_entries_keep_the_chain_intact(client, make_user):
    from network.accesslog import verify_chain

    therapist = _therapist(make_user)
    ties = build_caseload(therapist, 3, 10)
    client.force_login(therapist)
    client.get(reverse("clinic:caseload"))
    client.get(reverse("clinic:client", args=[ties[0].pk]))
    client.get(reverse("clinic:caseload"))
    report = verify_chain()
    assert report.ok, report
    assert report.checked == DisclosureEvent.objects.count() > 14
    consent_refs = set(DisclosureEvent.objects.values_list("consent_ref", flat=True))
    assert consent_refs == {str(t.consents.get().pk) for t in ties}
