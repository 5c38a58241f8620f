"""The stored schedule: the sweep reads only who is due, recomputes what changed, spreads
default times per person, shares a minute between workers, and runs on SQLite."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import threading
import zoneinfo
from http import HTTPStatus
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins.models import ReminderPreference
from notifications.models import Kind, Notification
from nudges.models import Schedule, SweepState
from nudges.schedule import next_occurrence
from nudges.sweep import run_sweep, sweep_due
from recovery.jitter import default_time, jitter_minutes

UTC = datetime.UTC
EVENING = datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]


def sweep(now: datetime.datetime, window: datetime.timedelta = MINUTE):
    SweepState.objects.update_or_create(id=1, defaults={"last_run_at": now - window})
    return run_sweep(now=now, dispatch=False)


@pytest.fixture
def members(make_user):
    def make(n: int, **prefs) -> list:
        people = [make_user() for _ in range(n)]
        for person in people:
            ReminderPreference.objects.create(member=person, **prefs)
        return people

    return make


def test_a_quiet_minute_reads_nobody_whatever_the_population(members):
    counts = []
    for size in (3, 60):
        members(size)
        sweep(EVENING - datetime.timedelta(hours=3))  # recomputes the new schedules
        now = EVENING - datetime.timedelta(hours=2)
        SweepState.objects.update_or_create(id=1, defaults={"last_run_at": now - MINUTE})
        with CaptureQueriesContext(connection) as queries:
            result = run_sweep(now=now, dispatch=False)
        assert result.claimed == 0
        assert result.refreshed == 0
        counts.append(len(queries))
    # Lock, state, an empty stale claim, an empty due claim, state update (and savepoints).
    assert counts[0] == counts[1] <= 12, [q["sql"][:60] for q in queries.captured_queries]
    # Nobody's preferences were read: only the schedule's index and the sweep's own state.
    assert not any("checkins_reminderpreference" in q["sql"] for q in queries.captured_queries)


def test_after_firing_a_rule_moves_to_its_next_moment(members):
    (sam,) = members(1, reminder_days=0b0010101)  # Monday, Wednesday, Friday
    assert sweep(EVENING).notifications["checkin_reminder"] == 1
    row = Schedule.objects.get(user=sam)
    assert row.checkin_reminder_at == datetime.datetime(2026, 3, 6, 19, tzinfo=UTC)  # Friday
    assert row.next_due_at == min(row.checkin_reminder_at, row.isolation_prompt_at)


def test_a_changed_reminder_time_takes_effect_the_same_day(client, members):
    (sam,) = members(1)
    sweep(EVENING - datetime.timedelta(hours=6))
    assert Schedule.objects.get(user=sam).checkin_reminder_at.hour == 19
    pref = ReminderPreference.objects.get(member=sam)
    pref.reminder_time = datetime.time(17, 30)
    pref.save()
    assert Schedule.objects.get(user=sam).stale
    later = datetime.datetime(2026, 3, 4, 17, 30, 30, tzinfo=UTC)
    assert sweep(later, window=datetime.timedelta(hours=4)).notifications["checkin_reminder"] == 1
    assert not Schedule.objects.get(user=sam).stale


def test_default_times_are_spread_per_person_and_kept_once_shown(settings, client, make_user):
    settings.NUDGES_DEFAULT_JITTER_MINUTES = 30
    offsets = {jitter_minutes(uid) for uid in range(1, 400)}
    assert min(offsets) >= -15
    assert max(offsets) <= 14
    assert len(offsets) == 30
    assert jitter_minutes(42) == jitter_minutes(42)  # stable
    sam = make_user()
    own = default_time(datetime.time(19), sam.pk)
    # The reminders page shows the spread default as Sam's time and saves it as theirs.
    client.force_login(sam)
    page = client.get(reverse("nudges:preferences"))
    assert page.status_code == HTTPStatus.OK
    assert own.strftime("%H:%M") in page.content.decode()
    assert ReminderPreference.objects.get(member=sam).reminder_time == own


def test_a_default_time_fires_at_the_persons_spread_minute(settings, make_user):
    settings.NUDGES_DEFAULT_JITTER_MINUTES = 30
    from checkins.models import CheckIn

    people = [make_user() for _ in range(6)]
    for p in people:  # members by a check-in, never opened the reminders page
        CheckIn.objects.create(
            member=p, local_date=datetime.date(2026, 3, 1), mood=3, craving=1, connectedness=3
        )
    sweep(datetime.datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    for p in people:
        expected = datetime.datetime.combine(
            datetime.date(2026, 3, 4), default_time(datetime.time(19), p.pk), tzinfo=UTC
        )
        assert Schedule.objects.get(user=p).checkin_reminder_at == expected
    moments = {Schedule.objects.get(user=p).checkin_reminder_at for p in people}
    assert len(moments) > 1  # not all in one minute


def test_next_occurrence_skips_to_a_chosen_day_and_through_dst():
    ny = zoneinfo.ZoneInfo("America/New_York")
    sat = datetime.datetime(2026, 3, 7, 12, tzinfo=UTC)
    # Only Mondays: Saturday -> Monday 9 March (EDT since Sunday).
    monday = next_occurrence(sat, ny, datetime.time(9), 0b0000001)
    assert monday == datetime.datetime(2026, 3, 9, 13, tzinfo=UTC)
    # 02:30 on 8 March does not exist: the first moment after it, 03:30 EDT.
    gap = next_occurrence(sat, ny, datetime.time(2, 30))
    assert gap == datetime.datetime(2026, 3, 8, 3, 30, tzinfo=ny)
    assert next_occurrence(sat, ny, datetime.time(9), 0) is None


@pytest.mark.django_db(transaction=True)
def test_workers_sharing_a_minute_claim_disjoint_people(settings, members):
    settings.NUDGES_SWEEP_BATCH = 5
    people = members(40)
    sweep(EVENING - datetime.timedelta(hours=3))
    results = []

    def work():
        try:
            results.append(sweep_due(now=EVENING))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.claimed for r in results) == len(people)
    assert sum(r.notifications["checkin_reminder"] for r in results) == len(people)
    assert Notification.objects.filter(kind=Kind.CHECKIN_REMINDER).count() == len(people)


@pytest.mark.slow
def test_the_embedded_sqlite_database_sends_reminders(tmp_path):
    script = """
import datetime, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from checkins.models import ReminderPreference
from notifications.models import Notification
from nudges.models import SweepState
from nudges.sweep import run_sweep
sam = User.objects.create_user(email="sam@example.org", password="x", time_zone="Europe/Berlin")
ReminderPreference.objects.create(member=sam, reminder_time=datetime.time(19))
now = datetime.datetime(2026, 3, 4, 18, 0, 30, tzinfo=datetime.UTC)  # 19:00:30 in Berlin
SweepState.objects.create(id=1, last_run_at=now - datetime.timedelta(minutes=1))
print(run_sweep(now=now, dispatch=False).notifications["checkin_reminder"])
print(Notification.objects.get().deliveries.count())
"""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="recovery.settings",
        NUDGES_DEFAULT_JITTER_MINUTES="0",
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-2:] == ["1", "2"]
