"""Sign-up's time zone: a text box with a searchable list of IANA zones that works without
JavaScript, checked on the server; the browser's zone is proposed by a script when it can."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.forms import find_time_zone
from accounts.models import User
from tests.factories import PASSWORD


def _signup(client, time_zone: str):
    return client.post(
        reverse("account_signup"),
        {
            "email": "zone@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Robin",
            "time_zone": time_zone,
        },
    )


def test_the_form_offers_a_searchable_list_of_every_zone(client, db):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'list="time-zone-list"' in page
    assert '<datalist id="time-zone-list">' in page
    assert '<option value="America/Chicago"></option>' in page
    assert '<option value="Asia/Kolkata"></option>' in page
    assert 'name="time_zone" value="UTC"' in page  # the script proposes the browser's zone
    assert "<select" not in page.split('name="time_zone"')[0].rsplit("<label", 1)[-1]


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("America/Chicago", "America/Chicago"),
        ("america/new york", "America/New_York"),  # spaces and case, as a person types it
        ("  Europe/Lisbon ", "Europe/Lisbon"),
        ("Lisbon", "Europe/Lisbon"),  # a city alone, when only one zone has it
    ],
)
def test_a_typed_zone_is_saved_as_its_iana_name(client, db, typed, saved):
    assert _signup(client, typed).status_code == HTTPStatus.FOUND
    assert User.objects.get(email="zone@example.org").time_zone == saved


@pytest.mark.parametrize("typed", ["Mars/Olympus_Mons", "", "   ", "x" * 500, "Europe/"])
def test_an_unknown_zone_is_explained_and_nothing_is_lost(client, db, typed):
    response = _signup(client, typed)
    assert response.status_code == HTTPStatus.OK
    assert "time_zone" in response.context["form"].errors
    assert not User.objects.filter(email="zone@example.org").exists()
    assert 'value="zone@example.org"' in response.content.decode()


def test_find_time_zone_refuses_an_ambiguous_city():
    # No zone name is shared by two regions today; a made-up one finds nothing.
    assert find_time_zone("Atlantis") is None
    assert find_time_zone("utc") == "UTC"
