"""The client's network over a range: the circle picture at both ends, named by role only."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from network.models import Role, Scope, Tie, TieStatus
from tests.factories import TherapistFactory
from tests.network_cast import _therapist_tie


def _tie(member, role, label, *, added_days_ago, status=TieStatus.ACTIVE, changed_days_ago=None):
    tie = Tie.objects.create(
        member=member, offline_name=f"Secret {label}", role=role, relationship_label=label
    )
    now = timezone.now()
    changed = now - timedelta(days=changed_days_ago if changed_days_ago else added_days_ago)
    Tie.objects.filter(pk=tie.pk).update(
        created_at=now - timedelta(days=added_days_ago), status=status, status_changed_at=changed
    )
    return tie


def _circle(page: str, which: str) -> str:
    return re.search(rf"<svg [^>]*circle-{which}-title.*?</svg>", page, re.S).group(0)


def test_the_circle_at_the_start_and_end_of_the_range(client, make_user):
    member = make_user(display_name="Sam")
    therapist = TherapistFactory(display_name="Dr Circle")
    tie = _therapist_tie(member, therapist, [Scope.NETWORK])
    Tie.objects.filter(pk=tie.pk).update(created_at=timezone.now() - timedelta(days=100))
    _tie(member, Role.FRIEND, "college", added_days_ago=200)
    _tie(member, Role.SPONSOR, "AA", added_days_ago=10)  # added within the range
    _tie(
        member,
        Role.FAMILY,
        "brother",
        added_days_ago=300,
        status=TieStatus.ENDED,
        changed_days_ago=20,
    )  # ended within the range
    _tie(
        member, Role.PEER, "group", added_days_ago=300, status=TieStatus.PAUSED, changed_days_ago=60
    )  # paused before it
    client.force_login(therapist)
    page = client.get(reverse("clinic:client", args=[tie.pk]), {"days": 30}).content.decode()

    start, end = _circle(page, "start"), _circle(page, "end")
    assert "Friend (college)" in start
    assert "Friend (college)" in end
    assert "Family (brother)" in start
    assert "Family (brother)" not in end
    assert "Sponsor (AA)" not in start
    assert "Sponsor (AA)" in end
    assert "Peer in recovery (group) (paused)" in start
    assert 'class="ego-line role-peer paused"' in start  # dashed by the stylesheet
    assert start.count("<circle ") == 1 + 4  # the client and four people (the therapist too)
    # The text alternative lists the same people; no one's name reaches the therapist.
    assert re.search(r'<desc id="circle-end-desc">The client in the centre with 4 people', end)
    assert "Secret" not in page


def test_no_circle_without_the_network_scope(client, make_user):
    member = make_user(display_name="Sam")
    therapist = TherapistFactory(display_name="Dr Narrow")
    tie = _therapist_tie(member, therapist, [Scope.CHECKIN_STATUS])
    _tie(member, Role.FRIEND, "college", added_days_ago=200)
    client.force_login(therapist)
    page = client.get(reverse("clinic:client", args=[tie.pk])).content.decode()
    assert "circle-start-title" not in page
    assert "college" not in page
