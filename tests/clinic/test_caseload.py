"""The caseload's figures come from the kept aggregates, so they are right however long ago."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

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
