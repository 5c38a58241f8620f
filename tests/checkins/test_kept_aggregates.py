"""The kept aggregates (streaks, last contact overall and per tie) always equal the ones
recomputed from history, whatever sequence of check-ins, contacts, edits and deletions."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkins import services as checkins_services
from checkins.models import CheckIn, CheckinStats
from checkins.selectors import counters, counters_from_history
from network.models import Contact, ContactStats, Role, Tie
from network.services import contacts as network_contacts

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
days_back = st.integers(min_value=0, max_value=20)
operation = st.one_of(
    st.tuples(st.just("checkin"), days_back),
    st.tuples(st.just("delete_checkin"), st.integers(0, 30)),
    st.tuples(st.just("contact"), days_back, st.integers(0, 2)),
    st.tuples(st.just("supporter_contact"), days_back),
    st.tuples(st.just("confirm"), st.integers(0, 30)),
    st.tuples(st.just("edit_contact"), st.integers(0, 30), days_back),
    st.tuples(st.just("delete_contact"), st.integers(0, 30)),
    st.tuples(st.just("sync"), days_back, st.booleans(), st.booleans()),
    # The check-in service (the POST's path: counters read before the write, the fold in one
    # conditional UPDATE, the insert without reading first when the page saw no check-in).
    st.tuples(st.just("record"), st.integers(0, 1), st.booleans(), st.booleans()),
)


def _apply(op: tuple, member, ties: list[Tie], today: datetime.date, now) -> None:
    kind = op[0]
    confirmed = Contact.objects.filter(member=member, confirmed=True).order_by("pk")
    if kind == "checkin":
        CheckIn.objects.get_or_create(
            member=member,
            local_date=today - DAY * op[1],
            defaults={"mood": 3, "craving": 1, "connectedness": 3},
        )
    elif kind == "delete_checkin":
        rows = list(CheckIn.objects.filter(member=member).order_by("local_date"))
        if rows:
            rows[op[1] % len(rows)].delete()
    elif kind == "contact":
        tie = ties[op[2]] if op[2] < len(ties) else None
        network_contacts.contact_log(
            member=member,
            tie=tie,
            method="meeting" if tie is None else "call",
            occurred_at=now - DAY * op[1],
            helped=3,
        )
    elif kind == "supporter_contact":
        Contact.objects.create(
            member=member,
            tie=ties[0],
            method="call",
            occurred_at=now - DAY * op[1],
            local_date=(now - DAY * op[1]).astimezone(member.zone).date(),
            confirmed=False,
            source=Contact.Source.SUPPORTER,
        )
    elif kind == "confirm":
        waiting = list(Contact.objects.filter(member=member, confirmed=False).order_by("pk"))
        if waiting:
            contact = waiting[op[1] % len(waiting)]
            network_contacts.contact_confirm(member=member, contact_id=contact.pk)
    elif kind == "edit_contact":
        rows = list(confirmed)
        if rows:
            contact = rows[op[1] % len(rows)]
            network_contacts.contact_update(
                contact=contact, method=contact.method, occurred_at=now - DAY * op[2]
            )
    elif kind == "delete_contact":
        rows = list(confirmed)
        if rows:
            network_contacts.contact_delete(contact=rows[op[1] % len(rows)])
    elif kind == "record":
        with contextlib.suppress(ValidationError):  # yesterday, after noon: refused
            checkins_services.checkin_record(
                member=member,
                local_date=today - DAY * op[1],
                values={"mood": 4, "craving": 2, "used": False, "connectedness": 4},
                connected_with=[str(ties[0].pk)] if op[2] else [],
                now=now,
                known_new=op[3],
            )
    elif kind == "sync":
        network_contacts.contacts_sync_from_checkin(
            member=member,
            local_date=today - DAY * op[1],
            tie_ids=[ties[1].pk] if op[2] else [],
            meeting=op[3],
            now=now,
        )


def _assert_kept_equals_recomputed(member, today: datetime.date) -> None:
    assert counters(member, today) == counters_from_history(member, today)
    confirmed = Contact.objects.filter(member=member, confirmed=True)
    kept = ContactStats.objects.get(member=member)
    assert kept.last_contact_at == confirmed.aggregate(m=Max("occurred_at"))["m"]
    for tie in Tie.objects.filter(member=member):
        assert tie.last_contact_at == confirmed.filter(tie=tie).aggregate(m=Max("occurred_at"))["m"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(ops=st.lists(operation, max_size=25))
def test_kept_figures_equal_the_recomputed_ones(make_user, ops):
    member = make_user()
    ties = [
        Tie.objects.create(member=member, supporter=make_user(), role=Role.FRIEND),
        Tie.objects.create(member=member, offline_name="Dad", role=Role.FAMILY),
    ]
    now = timezone.now()
    today = now.astimezone(member.zone).date()
    counters(member, today)  # the figures exist before the first change (the usual case)
    for op in ops:
        _apply(op, member, ties, today, now)
        _assert_kept_equals_recomputed(member, today)


def test_the_rebuild_command_recomputes_figures_written_behind_their_back(member):
    today = timezone.now().astimezone(member.zone).date()
    for n in (1, 2, 3):
        CheckIn.objects.create(
            member=member, local_date=today - DAY * n, mood=3, craving=1, connectedness=3
        )
    # A bulk write sends no signals: the kept figures are now wrong...
    CheckIn.objects.bulk_create(
        [CheckIn(member=member, local_date=today, mood=3, craving=1, connectedness=3)]
    )
    assert CheckinStats.objects.get(member=member).longest_streak == 3
    assert counters(member, today).checkin_streak == 3
    call_command("rebuild_kept_aggregates")
    # ...until rebuilt from history.
    assert counters(member, today) == counters_from_history(member, today)
    assert counters(member, today).checkin_streak == 4


def test_deleting_an_account_does_not_recreate_its_figures(member):
    CheckIn.objects.create(
        member=member, local_date=datetime.date(2026, 3, 1), mood=3, craving=1, connectedness=3
    )
    counters(member)
    member.delete()
    assert not CheckinStats.objects.exists()
    assert not ContactStats.objects.exists()
