"""The caseload's figures come from the kept aggregates, so they are right however long ago."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from checkins.services import checkin_record
from network.models import Contact, ContactMethod, Role, Scope, Tie
from tests.clinic_support import enrol_mfa
from tests.factories import TherapistFactory
from tests.network_cast import _therapist_tie


def test_the_connection_streak_and_last_contact_reach_past_the_contact_window(client, make_user):
    member = make_user(display_name="Long Streak")
    therapist = enrol_mfa(TherapistFactory(display_name="Dr Streak"))
    _therapist_tie(member, therapist, [Scope.CONTACTS, Scope.CHECKIN_STATUS])
    friend = Tie.objects.create(member=member, offline_name="Pat", role=Role.FRIEND)
    now = timezone.now()
    today = now.astimezone(member.zone).date()
    for days_ago in range(1, 61):  # 60 days in a row up to yesterday: past the 35-day window
        Contact.objects.create(
            member=member,
            tie=friend,
            method=ContactMethod.CALL,
            occurred_at=now - timedelta(days=days_ago),
            local_date=today - timedelta(days=days_ago),
        )
    checkin_record(
        member=member,
        local_date=today - timedelta(days=50),
        values={"mood": 3, "craving": 2, "used": False, "connectedness": 3, "notes": ""},
        now=now - timedelta(days=50),
    )
    client.force_login(therapist)
    page = client.get(reverse("clinic:caseload")).content.decode()
    assert "<dt>Connection streak</dt><dd>60 days</dd>" in page
    assert "<dt>Last contact</dt><dd>1 day ago</dd>" in page
    # The last check-in, 50 days back, is outside every window the caseload reads.
    last = today - timedelta(days=50)
    assert f"<dt>Last check-in</dt><dd>{last:%a} {last.day} {last:%b}</dd>" in page


def test_a_card_escapes_what_members_and_consents_wrote(client, make_user):
    """The cards are built in Python (clinic/markup.py): every value is still escaped."""
    name = '<b onclick="x()">Bo & Co</b>'
    member = make_user(display_name=name)
    therapist = enrol_mfa(TherapistFactory(display_name="Dr Escape"))
    tie = _therapist_tie(member, therapist, [Scope.MOOD_CRAVING, Scope.CONTACTS])
    tie.consents.update(expires_at=None, expiry_event="<script>alert(1)</script> discharge")
    today = timezone.now().astimezone(member.zone).date()
    checkin_record(
        member=member,
        local_date=today,
        values={"mood": 1, "craving": 9, "used": False, "connectedness": 3, "notes": ""},
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            local_date=today - timedelta(days=n),
            mood=3,
            craving=8 + n % 2,
            used=False,
            connectedness=3,
        )
        for n in (2, 3, 4)
    )
    client.force_login(therapist)
    page = client.get(reverse("clinic:caseload")).content.decode()
    assert name not in page
    assert "<script>alert" not in page
    assert "&lt;b onclick=&quot;x()&quot;&gt;Bo &amp; Co&lt;/b&gt;" in page
    assert "<dt>Consent ends</dt><dd>&lt;script&gt;alert(1)&lt;/script&gt; discharge</dd>" in page
    # The flag names the latest three hard days, newest first.
    days = [today - timedelta(days=n) for n in (0, 2, 3)]
    cravings = [9, 8, 9]
    reason = "; ".join(
        f"craving {c}/10 on {d:%b} {d.day}" for c, d in zip(cravings, days, strict=True)
    )
    assert f"<li>Hard check-in in the last 7 days: {reason}</li>" in page
    # Mood and craving are shared, connectedness is not: two sparklines, each with its text.
    assert page.count('<figure class="spark">') == 2
    assert "<figcaption>Connectedness</figcaption>" not in page
    assert 'aria-label="Mood, last 30 days: 4 days recorded, average 2.5, latest 1 (' in page


def test_a_sparkline_breaks_at_a_missing_day_and_shows_a_lone_day(make_user):
    from clinic.charts import SPARK_H, row_sparklines, sparkline
    from clinic.selectors import WINDOW_DAYS

    today = timezone.now().date()
    days = {today - timedelta(days=n): 5 for n in (0, 1, 2, 10)}  # a run of 3, a lone day
    days[today - timedelta(days=40)] = 1  # outside the window: not drawn
    spark = sparkline("Mood", days, today, 1, 5)
    assert len(spark.points) == 2
    lone, run = spark.points
    assert len(run.split()) == 3
    assert run.endswith("118.0,2.0")
    assert len(lone.split()) == 2  # drawn twice, a hair apart, so it shows as a dot
    assert lone.split()[0].endswith(",2.0")
    assert float(lone.split()[1].split(",")[0]) == (float(lone.split()[0].split(",")[0]) + 1)
    # The lowest value sits on the bottom edge, less the padding.
    low = sparkline("Mood", {today: 1}, today, 1, 5)
    assert low.points[0].startswith(f"118.0,{SPARK_H - 2:.1f}")
    svg = spark.svg()
    assert svg.count("<polyline") == 2
    assert 'role="img"' in svg
    empty = sparkline("Craving", {}, today, 0, 10)
    assert empty.points == []
    assert empty.text == "Craving: nothing recorded in the last 30 days."
    assert WINDOW_DAYS == 30  # the text says "30 days"

    row = SimpleNamespace(
        scopes=frozenset({Scope.CONNECTEDNESS}),
        mood={},
        craving={},
        connectedness={today: 4},
        today=today,
    )
    (only,) = row_sparklines(row)
    assert only.title == "Connectedness"
