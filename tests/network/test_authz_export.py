"""The supporter's CSV export in the authorization matrix: each person in the cast downloads
exactly what their own tie shares, nothing for an expired, revoked or unverified therapist, and
no one downloads another person's tie. Every row they get is logged."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from django.urls import reverse

from network.models import DisclosureEvent, Scope
from tests.network.test_authz import EXPECTED_SCOPES, _as, _body, _is_login_redirect, cast  # noqa: F401
from tests.network_cast import SECRET_NOTE, actors

pytestmark = pytest.mark.django_db

# The export's "item" column, by the scope that allows it.
ITEMS = {
    Scope.CHECKIN_STATUS: {"checked_in_today"},
    Scope.MOOD_CRAVING: {"mood", "craving"},
    Scope.USE: {"used"},
    Scope.NOTES: {"notes", "gratitude"},
    Scope.CONTACTS: {"contact"},
    Scope.REACH: {"phone"},
}
PREFACE_LINES = 2  # the redisclosure notice, in full and in plain words


def _items(body: str) -> set[str]:
    rows = list(csv.reader(io.StringIO(body)))[PREFACE_LINES:]
    assert rows[0] == ["date", "item", "value"]
    return {row[1] for row in rows[1:]}


@pytest.mark.parametrize("who", sorted(EXPECTED_SCOPES))
def test_each_supporter_exports_exactly_their_scopes(client, cast, who):  # noqa: F811
    user, scopes = actors(cast)[who], EXPECTED_SCOPES[who]
    response = _as(client, user).get(reverse("network:supporting_export", args=[cast.ties[who].pk]))
    assert response.status_code == HTTPStatus.OK
    body = _body(response)
    items = _items(body)
    allowed = set().union(*(ITEMS[s] for s in scopes)) if scopes else set()
    assert items <= allowed, (who, items - allowed)
    for scope in scopes:  # the cast has a check-in and a contact today: each scope shows
        assert items & ITEMS[scope], (who, scope)
    assert (SECRET_NOTE in body) == (Scope.NOTES in scopes)
    assert "Grandma" not in body  # an offline supporter's name is the member's alone
    logged = DisclosureEvent.objects.filter(viewer_ref=user.pk, action="export")
    assert set(logged.values_list("scope", flat=True)) == {str(s) for s in scopes}


def test_nobody_exports_someone_elses_tie(client, cast):  # noqa: F811
    for owner in ("therapist_active", "scope:notes", "scope:mood_craving"):
        url = reverse("network:supporting_export", args=[cast.ties[owner].pk])
        for who, user in actors(cast).items():
            if who == owner:
                continue
            response = _as(client, user).get(url)
            if user is None:
                assert _is_login_redirect(response), (who, owner)
            else:
                assert response.status_code == HTTPStatus.NOT_FOUND, (who, owner)
    assert not DisclosureEvent.objects.filter(action="export").exists()
