"""The set-based sweep: who each rule picks, idempotency, the daily limit, quiet hours, pauses."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from accounts.models import ContactPreferences
from checkins.models import ReminderPreference
from notifications.models import Delivery, Kind, Mute, Notification
from nudges import rules
from nudges.bulk import insert_made
from nudges.models import NudgePreference, Schedule
from nudges.sweep import run_sweep
from tests.factories import CheckinFactory

UTC = datetime.UTC


def at(zone: str, *args: int) -> datetime.datetime:
    """A moment given in local wall-clock time in ``zone``."""
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def sweep(now: datetime.datetime, *, window: datetime.timedelta | None = None):
    """Run the rules with the previous sweep ``window`` ago (a steady minute by default)."""
    from nudges.models import SweepState

    SweepState.objects.update_or_create(
        id=1, defaults={"last_run_at": now - (window or datetime.timedelta(minutes=1))}
    )
    return run_sweep(now=now, dispatch=False)


# Quiet hours and channels are the person's contact preferences, not the reminder's.
CONTACT_FIELDS = {"quiet_start", "quiet_end", "channel_email", "channel_push"}


@pytest.fixture
def member_in(make_user):
    def make(zone: str = "UTC", *, joined_days_ago: int = 30, **prefs):
        user = make_user(time_zone=zone)
        user.date_joined = user.date_joined - datetime.timedelta(days=joined_days_ago)
        user.save(update_fields=["date_joined"])
        contact = {key: prefs.pop(key) for key in CONTACT_FIELDS & prefs.keys()}
        ReminderPreference.objects.create(member=user, **prefs)
        if contact:
            ContactPreferences.objects.create(user=user, **contact)
        return user

    return make


def test_it_reminds_a_member_who_has_not_checked_in_once(member_in):
    sam = member_in()
    now = datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)
    result = sweep(now)
    assert result.notifications["checkin_reminder"] == 1
    notification = Notification.objects.get(recipient=sam, kind=Kind.CHECKIN_REMINDER)
    assert notification.idempotency_key == f"checkin_reminder:{sam.pk}:2026-03-04"
    assert notification.due_at == datetime.datetime(2026, 3, 4, 19, tzinfo=UTC)
    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["email", "inapp"]
    # The same minute again, and a later overlapping window: nothing new.
    assert sweep(now).notifications["checkin_reminder"] == 0
    assert sweep(now + datetime.timedelta(hours=1), window=datetime.timedelta(hours=3))
    assert Notification.objects.filter(kind=Kind.CHECKIN_REMINDER).count() == 1
    assert Delivery.objects.count() == 2


def test_it_does_not_remind_someone_who_checked_in_or_only_supports(member_in, make_user):
    sam = member_in()
    CheckinFactory(member=sam, local_date=datetime.date(2026, 3, 4))
    make_user()  # a supporter-only account: no reminder preferences, no ties of their own
    assert sweep(datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)).notifications == {
        "checkin_reminder": 0,
        "isolation_prompt": 0,
        "supporter_nudge": 0,
        "therapist_digest": 0,
    }


def test_it_honours_chosen_days_pauses_mutes_and_quiet_hours(member_in):
    wednesday = datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)
    not_wednesday = member_in(reminder_days=0b1111011)
    paused = member_in(paused_until=wednesday + datetime.timedelta(hours=1))
    muted = member_in()
    Mute.objects.create(user=muted, kind=Kind.CHECKIN_REMINDER)
    quiet = member_in(quiet_start=datetime.time(18), quiet_end=datetime.time(7))
    disabled = member_in(checkin_reminder_enabled=False)
    snoozed = member_in()
    NudgePreference.objects.create(member=snoozed, snoozed_until=wednesday + datetime.timedelta(1))
    due = member_in()
    rows = rules.due(
        rules.CHECKIN_REMINDER, now=wednesday, since=wednesday - datetime.timedelta(minutes=1)
    )
    assert [r["recipient_id"] for r in rows] == [due.pk]
    assert {not_wednesday.pk, paused.pk, muted.pk, quiet.pk, disabled.pk, snoozed.pk}.isdisjoint(
        r["recipient_id"] for r in rows
    )


def test_a_reminder_missed_by_downtime_is_sent_late_the_same_day_only(member_in):
    sam = member_in(reminder_time=datetime.time(19))
    # The sweep was down from 18:00 to 21:30: the 19:00 reminder goes out at 21:30.
    late = datetime.datetime(2026, 3, 4, 21, 30, tzinfo=UTC)
    sweep(late, window=datetime.timedelta(hours=3, minutes=30))
    assert Notification.objects.filter(recipient=sam).count() == 1
    # Down from 18:00 until 00:30 the next day: yesterday's reminder is no longer relevant.
    Notification.objects.all().delete()
    next_day = datetime.datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
    sweep(next_day, window=datetime.timedelta(hours=6, minutes=30))
    assert not Notification.objects.filter(recipient=sam).exists()


def test_a_late_reminder_waits_out_quiet_hours(member_in):
    sam = member_in(reminder_time=datetime.time(21), quiet_start=datetime.time(22))
    sweep(datetime.datetime(2026, 3, 4, 22, 30, tzinfo=UTC), window=datetime.timedelta(hours=3))
    assert not Notification.objects.filter(recipient=sam).exists()


@pytest.mark.parametrize(
    "zone", ["Pacific/Honolulu", "Asia/Kathmandu", "Pacific/Kiritimati", "America/New_York"]
)
def test_each_zone_gets_its_reminder_at_local_time_exactly_once(member_in, zone):
    sam = member_in(zone, reminder_time=datetime.time(9), quiet_start=datetime.time(23))
    # Sweep every hour for three local days.
    start = at(zone, 2026, 3, 3, 0, 0)
    now = start
    made = []
    from nudges.models import SweepState

    SweepState.objects.create(id=1, last_run_at=start - datetime.timedelta(hours=1))
    while now < start + datetime.timedelta(days=3):
        if run_sweep(now=now, dispatch=False).notifications["checkin_reminder"]:
            made.append(now)
        now += datetime.timedelta(hours=1)
    local = [m.astimezone(zoneinfo.ZoneInfo(zone)) for m in made]
    assert [(m.date().day, m.hour, m.minute) for m in local] == [
        (3, 9, 0),
        (4, 9, 0),
        (5, 9, 0),
    ]
    assert Notification.objects.filter(recipient=sam).count() == 3


@pytest.mark.parametrize(
    ("day", "reminder", "expected_local"),
    [
        # Spring forward: 02:30 does not exist on 8 March 2026; it fires at 03:30 EDT.
        (8, datetime.time(2, 30), (3, 30)),
        # Fall back: 01:30 happens twice on 1 November 2026; it fires once.
        (None, datetime.time(1, 30), (1, 30)),
    ],
)
def test_dst_changes_give_exactly_one_reminder(member_in, day, reminder, expected_local):
    zone = "America/New_York"
    sam = member_in(
        zone, reminder_time=reminder, quiet_start=datetime.time(0), quiet_end=datetime.time(0)
    )
    start = at(zone, 2026, 11, 1, 0, 0) if day is None else at(zone, 2026, 3, day, 0, 0)
    from nudges.models import SweepState

    SweepState.objects.create(id=1, last_run_at=start)
    now, made = start, []
    # Every 5 minutes through the night of the change (in real time: 5 hours).
    while now < start + datetime.timedelta(hours=5):
        now += datetime.timedelta(minutes=5)
        if run_sweep(now=now, dispatch=False).notifications["checkin_reminder"]:
            made.append(now.astimezone(zoneinfo.ZoneInfo(zone)))
    assert len(made) == 1
    assert (made[0].hour, made[0].minute) == expected_local
    assert Notification.objects.filter(recipient=sam).count() == 1


def test_a_channel_muted_for_a_kind_gets_no_delivery_from_the_sweep(member_in):
    sam = member_in()
    Mute.objects.create(user=sam, kind=Kind.CHECKIN_REMINDER, channel="email")
    assert sweep(datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)).deliveries == 1
    notification = Notification.objects.get(recipient=sam)
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["inapp"]


def test_a_key_twice_in_one_batch_makes_one_notification_with_one_delivery_each(member_in):
    sam = member_in()
    now = datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)
    twice = [
        rules.Candidate(
            recipient_id=sam.pk,
            subject_member_id=sam.pk,
            idempotency_key=f"checkin_reminder:{sam.pk}:2026-03-04",
            local_date=now.date(),
            due_at=now,
            title="t",
            body="b",
            kind=Kind.CHECKIN_REMINDER,
            email=True,
        )
        for _ in range(2)
    ]
    made, deliveries = insert_made(now, twice)
    assert made == {Kind.CHECKIN_REMINDER: 1}
    assert deliveries == 2
    # Made once: the same key again (another sweep, a redelivered task) adds nothing.
    assert insert_made(now, twice[:1]) == ({}, 0)
    assert Delivery.objects.filter(notification__recipient=sam).count() == 2


def test_a_rule_that_fires_moves_on_and_the_others_keep_their_moments(member_in):
    sam = member_in(reminder_time=datetime.time(19))
    sweep(datetime.datetime(2026, 3, 4, 12, 30, tzinfo=UTC))  # the 12:00 prompt: not isolated
    before = Schedule.objects.get(user=sam)
    assert before.checkin_reminder_at == datetime.datetime(2026, 3, 4, 19, tzinfo=UTC)
    assert before.isolation_prompt_at == datetime.datetime(2026, 3, 5, 12, tzinfo=UTC)
    assert sweep(datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)).notifications == {
        "checkin_reminder": 1,
        "isolation_prompt": 0,
        "supporter_nudge": 0,
        "therapist_digest": 0,
    }
    after = Schedule.objects.get(user=sam)
    assert after.checkin_reminder_at == datetime.datetime(2026, 3, 5, 19, tzinfo=UTC)
    assert after.isolation_prompt_at == before.isolation_prompt_at
    assert after.next_due_at == after.isolation_prompt_at
