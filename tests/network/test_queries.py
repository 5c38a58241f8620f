"""Pages stay constant-query as the network and its history grow."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from network.accesslog import disclosures_append
from network.consents import consent_record_sharing
from network.invitations import invitation_create
from network.models import Contact, ContactMethod, Role, Scope, Tie
from tests.factories import TherapistFactory

ROLES = [r.value for r in Role if r != Role.THERAPIST]
MAX_QUERIES = 15


def build_network(member, make_user, *, ties: int, contacts: int, seed: int = 7):
    """``ties`` ties (half Rat Park users), ``contacts`` contacts, some history of everything."""
    rng = random.Random(seed)
    now = timezone.now()
    all_ties = []
    for i in range(ties):
        supporter = make_user() if i % 2 == 0 else None
        tie = Tie.objects.create(
            member=member,
            supporter=supporter,
            offline_name="" if supporter else f"Offline {i}",
            role=ROLES[i % len(ROLES)],
            status="paused" if i % 10 == 9 else "active",
        )
        consent_record_sharing(
            tie=tie,
            scopes=[Scope.CHECKIN_STATUS, Scope.CONTACTS],
            may_nudge=True,
            is_sos_contact=False,
        )
        all_ties.append(tie)
    rows = []
    for _ in range(contacts):
        when = now - timedelta(minutes=rng.randrange(60 * 24 * 400))
        rows.append(
            Contact(
                member=member,
                tie=rng.choice([*all_ties, None]),
                method=rng.choice(ContactMethod.values),
                occurred_at=when,
                local_date=when.date(),
                helped=rng.choice([None, 1, 2, 3, 4, 5]),
                confirmed=rng.random() > 0.02,
            )
        )
    Contact.objects.bulk_create(rows, batch_size=1000)
    today = timezone.localdate()
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            local_date=today - timedelta(days=d),
            mood=3,
            craving=2,
            connectedness=3,
            notes="ok",
        )
        for d in range(30)
    )
    viewers = [t.supporter for t in all_ties if t.supporter][:5]
    for viewer in viewers:
        for _ in range(max(1, ties // 5)):
            disclosures_append(viewer=viewer, member=member, scopes=["checkin_status", "contacts"])
    for i in range(max(1, ties // 10)):
        invitation_create(member=member, email=f"inv{i}@example.org", name=f"I{i}", role="peer")
    return all_ties


def supported_by(supporter, make_user, members: int):
    ties = []
    for _ in range(members):
        tie = Tie.objects.create(member=make_user(), supporter=supporter, role=Role.PEER)
        consent_record_sharing(tie=tie, scopes=[Scope.NOTES], may_nudge=True, is_sos_contact=False)
        ties.append(tie)
    return ties


MEMBER_PAGES = [
    "network:home",
    "network:contacts",
    "network:invitations",
    "network:consent_history",
    "network:access_log",
]


def _count(client, url, bound=None) -> int:
    """Queries for one page view; with ``bound`` (django_assert_max_num_queries) also capped."""
    with CaptureQueriesContext(connection) as ctx:
        if bound is None:
            response = client.get(url)
        else:
            with bound(MAX_QUERIES):
                response = client.get(url)
        assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _page_counts(client, member, make_user, ties, contacts, bound=None):
    build_network(member, make_user, ties=ties, contacts=contacts)
    client.force_login(member)
    counts = {name: _count(client, reverse(name), bound) for name in MEMBER_PAGES}
    supporter = TherapistFactory()
    their = supported_by(supporter, make_user, members=max(2, ties // 5))
    client.force_login(supporter)
    counts["network:supporting"] = _count(client, reverse("network:supporting"), bound)
    counts["network:supporting_member"] = _count(
        client, reverse("network:supporting_member", args=[their[0].pk]), bound
    )
    return counts


def test_member_and_supporter_pages_are_constant_query(
    client, make_user, django_assert_max_num_queries
):
    small = _page_counts(client, make_user("small@example.org"), make_user, ties=3, contacts=20)
    large = _page_counts(
        client,
        make_user("large@example.org"),
        make_user,
        ties=50,
        contacts=5000,
        bound=django_assert_max_num_queries,
    )
    # Same number of queries for 3 ties and 20 contacts as for 50 ties and 5,000 contacts.
    assert large == small
    # And no more than today (with this data set: figures not kept yet are built once): the
    # network page, and a therapist's view of a member with its access log append.
    assert small["network:home"] <= 10
    assert small["network:supporting_member"] <= 15
