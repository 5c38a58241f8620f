"""Recording a check-in: one per local date, the edit window, time zones, contacts, risk."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from checkins import selectors, services
from checkins.models import CheckIn, RiskEvent
from network.models import Contact, ContactMethod, Role, Tie
from notifications.models import Notification

UTC = datetime.UTC
CALM = {"mood": 4, "craving": 2, "used": False, "connectedness": 4}


def at(zone: str, *args: int) -> datetime.datetime:
    """An aware datetime given as local wall-clock time in ``zone``."""
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


def record(member, day, now, values=None, connected_with=()):
    return services.checkin_record(
        member=member,
        local_date=day,
        values=values or CALM,
        connected_with=connected_with,
        now=now,
    )


@pytest.fixture
def tie(member, make_user):
    friend = make_user(display_name="Maria")
    return Tie.objects.create(member=member, supporter=friend, role=Role.SPONSOR, phone="555-0101")


def test_it_creates_then_edits_instead_of_duplicating(member):
    now = at("UTC", 2026, 3, 10, 9, 0)
    first = record(member, datetime.date(2026, 3, 10), now)
    second = record(member, datetime.date(2026, 3, 10), now, {**CALM, "mood": 2})
    assert first.created
    assert not second.created
    assert CheckIn.objects.filter(member=member).count() == 1
    assert CheckIn.objects.get(member=member).mood == 2


def test_a_save_that_expected_no_checkin_edits_the_one_made_meanwhile(member):
    """The POST inserts without reading first when its page saw no check-in; when another
    submission made one in between, the insert fails and the record runs again as an edit."""
    now = at("UTC", 2026, 3, 10, 9, 0)
    day = datetime.date(2026, 3, 10)
    CheckIn.objects.create(member=member, local_date=day, **CALM)
    result = services.checkin_record(
        member=member, local_date=day, values={**CALM, "mood": 1}, now=now, known_new=True
    )
    assert not result.created
    assert CheckIn.objects.get(member=member).mood == 1
    assert selectors.counters(member, day) == selectors.counters_from_history(member, day)


def test_the_database_refuses_a_second_checkin_for_the_same_date(member):
    CheckIn.objects.create(member=member, local_date=datetime.date(2026, 3, 10), **CALM)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(member=member, local_date=datetime.date(2026, 3, 10), **CALM)


@pytest.mark.parametrize(
    ("field", "value"),
    [("mood", 0), ("mood", 6), ("craving", 11), ("connectedness", 0), ("sleep_quality", 6)],
)
def test_it_refuses_out_of_range_values(member, field, value):
    with pytest.raises(ValidationError):
        record(
            member, datetime.date(2026, 3, 10), at("UTC", 2026, 3, 10, 9), {**CALM, field: value}
        )
    assert not CheckIn.objects.exists()


def test_it_refuses_future_dates(member):
    with pytest.raises(ValidationError, match="future"):
        record(member, datetime.date(2026, 3, 11), at("UTC", 2026, 3, 10, 23, 59))


def test_late_checkin_for_yesterday_is_allowed_until_noon(member):
    member.time_zone = "America/Chicago"
    record(member, datetime.date(2026, 3, 9), at("America/Chicago", 2026, 3, 10, 11, 59))
    assert CheckIn.objects.filter(local_date=datetime.date(2026, 3, 9)).exists()
    with pytest.raises(ValidationError, match="until noon"):
        record(member, datetime.date(2026, 3, 8), at("America/Chicago", 2026, 3, 9, 12, 0))


def test_yesterdays_checkin_stays_editable_all_day_but_older_ones_are_read_only(member):
    record(member, datetime.date(2026, 3, 9), at("UTC", 2026, 3, 9, 20))
    result = record(
        member, datetime.date(2026, 3, 9), at("UTC", 2026, 3, 10, 22), {**CALM, "craving": 5}
    )
    assert not result.created
    with pytest.raises(ValidationError, match="can't be changed"):
        record(member, datetime.date(2026, 3, 9), at("UTC", 2026, 3, 11, 8))
    assert CheckIn.objects.get(member=member).craving == 5


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/New_York", datetime.date(2026, 3, 8)),  # spring forward: a 23-hour day
        ("America/New_York", datetime.date(2026, 11, 1)),  # fall back: a 25-hour day
        ("Europe/Berlin", datetime.date(2026, 3, 29)),
        ("Europe/Berlin", datetime.date(2026, 10, 25)),
    ],
)
def test_dst_transitions_neither_lose_nor_duplicate_a_day(member, zone, day):
    member.time_zone = zone
    member.save()
    before, after = day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
    # Check in late each evening and just after midnight the day after: three distinct dates.
    record(member, before, at(zone, before.year, before.month, before.day, 23, 30))
    record(member, day, at(zone, day.year, day.month, day.day, 0, 30))
    record(member, day, at(zone, day.year, day.month, day.day, 23, 30))  # edits, same date
    record(member, after, at(zone, after.year, after.month, after.day, 0, 30))
    dates = sorted(CheckIn.objects.filter(member=member).values_list("local_date", flat=True))
    assert dates == [before, day, after]
    # The fall-back hour repeats 01:00-02:00; both readings are still the same calendar date.
    first = datetime.datetime(day.year, day.month, day.day, 1, 30, tzinfo=zoneinfo.ZoneInfo(zone))
    second = first.replace(fold=1)
    assert selectors.local_today(member, first) == selectors.local_today(member, second) == day
    assert selectors.streaks(dates, after) == (3, 3)


def test_travelling_east_past_a_whole_date_can_still_fill_it_in(member):
    # Check in at 20:00 in Los Angeles on May 4, fly 12 hours to Tokyo: it's already May 6 there.
    member.time_zone = "America/Los_Angeles"
    record(member, datetime.date(2026, 5, 4), at("America/Los_Angeles", 2026, 5, 4, 20))
    member.time_zone = "Asia/Tokyo"
    landed = at("America/Los_Angeles", 2026, 5, 5, 8)  # = May 6, 00:00 in Tokyo
    assert selectors.local_today(member, landed) == datetime.date(2026, 5, 6)
    # May 5 was never "today" for them, but the late window lets them fill it in until noon.
    record(member, datetime.date(2026, 5, 5), landed)
    record(member, datetime.date(2026, 5, 6), landed + datetime.timedelta(hours=9))
    dates = sorted(CheckIn.objects.filter(member=member).values_list("local_date", flat=True))
    assert dates == [
        datetime.date(2026, 5, 4),
        datetime.date(2026, 5, 5),
        datetime.date(2026, 5, 6),
    ]
    assert CheckIn.objects.get(local_date=datetime.date(2026, 5, 6)).time_zone == "Asia/Tokyo"


def test_travelling_west_repeating_a_date_edits_instead_of_duplicating(member):
    # Check in in Tokyo on May 6 at 09:00 (May 5, 17:00 in LA), then fly to Los Angeles.
    member.time_zone = "Asia/Tokyo"
    record(member, datetime.date(2026, 5, 6), at("Asia/Tokyo", 2026, 5, 6, 9))
    member.time_zone = "America/Los_Angeles"
    # In LA it is May 5 again: that date is free, so it is a new check-in, not a duplicate.
    record(member, datetime.date(2026, 5, 5), at("America/Los_Angeles", 2026, 5, 5, 20))
    # Next morning in LA it is May 6 again: the Tokyo check-in is edited, not doubled.
    result = record(member, datetime.date(2026, 5, 6), at("America/Los_Angeles", 2026, 5, 6, 9))
    assert not result.created
    assert CheckIn.objects.filter(member=member).count() == 2


def test_connections_create_contacts_deduplicated_with_ones_already_logged(member, tie):
    now = at("UTC", 2026, 3, 10, 18)
    day = datetime.date(2026, 3, 10)
    Contact.objects.create(
        member=member, tie=tie, method=ContactMethod.CALL, occurred_at=now, local_date=day
    )
    record(member, day, now, connected_with=[str(tie.pk), services.MEETING])
    record(member, day, now, connected_with=[str(tie.pk), services.MEETING])  # re-submitted
    contacts = Contact.objects.filter(member=member, local_date=day)
    assert contacts.count() == 2
    assert contacts.filter(tie=tie, source=Contact.Source.MANUAL).count() == 1
    meeting = contacts.get(tie__isnull=True)
    assert meeting.method == ContactMethod.MEETING
    assert meeting.source == Contact.Source.CHECKIN


def test_unticking_a_person_removes_only_the_contact_the_checkin_made(member, tie, make_user):
    other = Tie.objects.create(member=member, offline_name="Dad", role=Role.FAMILY)
    now = at("UTC", 2026, 3, 10, 18)
    day = datetime.date(2026, 3, 10)
    Contact.objects.create(
        member=member, tie=tie, method=ContactMethod.CALL, occurred_at=now, local_date=day
    )
    record(member, day, now, connected_with=[str(tie.pk), str(other.pk)])
    record(member, day, now, connected_with=[])
    remaining = Contact.objects.filter(member=member)
    assert list(remaining.values_list("tie", "source")) == [(tie.pk, Contact.Source.MANUAL)]


def test_it_ignores_ties_of_other_members(member, make_user):
    stranger = make_user()
    their_tie = Tie.objects.create(member=stranger, offline_name="Kim", role=Role.FRIEND)
    record(
        member,
        datetime.date(2026, 3, 10),
        at("UTC", 2026, 3, 10, 9),
        connected_with=[str(their_tie.pk)],
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("values", "reasons"),
    [
        ({**CALM, "used": True}, ["used"]),
        ({**CALM, "craving": 8}, ["high_craving"]),
        ({**CALM, "mood": 1}, ["low_mood"]),
        (
            {"mood": 1, "craving": 10, "used": True, "connectedness": 1},
            ["used", "high_craving", "low_mood"],
        ),
    ],
)
def test_a_risk_signal_is_recorded_once_per_checkin(member, values, reasons):
    now = at("UTC", 2026, 3, 10, 9)
    record(member, datetime.date(2026, 3, 10), now, values)
    result = record(member, datetime.date(2026, 3, 10), now, values)
    assert RiskEvent.objects.count() == 1
    assert result.risk_event.reasons == reasons


def test_no_risk_event_for_a_calm_checkin_and_a_correction_withdraws_it(member):
    now = at("UTC", 2026, 3, 10, 9)
    record(member, datetime.date(2026, 3, 10), now, {**CALM, "craving": 7})
    assert not RiskEvent.objects.exists()
    record(member, datetime.date(2026, 3, 10), now, {**CALM, "craving": 9})
    assert RiskEvent.objects.count() == 1
    record(member, datetime.date(2026, 3, 10), now, {**CALM, "craving": 3})
    assert not RiskEvent.objects.exists()


def test_sobriety_milestone_celebrates_once(member):
    services.sobriety_set(
        member=member, started_on=datetime.date(2026, 3, 3), today=datetime.date(2026, 3, 10)
    )
    now = at("UTC", 2026, 3, 10, 9)
    first = record(member, datetime.date(2026, 3, 10), now)
    record(member, datetime.date(2026, 3, 10), now)
    assert [m.key for m in first.milestones] == ["sober7"]
    celebrations = Notification.objects.filter(recipient=member, kind="celebration")
    assert list(celebrations.values_list("idempotency_key", flat=True)) == [
        f"celebration:{member.pk}:sober7:2026-03-10"
    ]


def test_an_old_sobriety_date_does_not_celebrate_every_past_milestone(member):
    services.sobriety_set(
        member=member, started_on=datetime.date(2024, 1, 1), today=datetime.date(2026, 3, 10)
    )
    result = record(member, datetime.date(2026, 3, 10), at("UTC", 2026, 3, 10, 9))
    assert result.milestones == []


def test_seven_days_of_connection_is_celebrated(member, tie):
    for offset in range(7):
        day = datetime.date(2026, 3, 4) + datetime.timedelta(days=offset)
        result = record(
            member, day, at("UTC", day.year, day.month, day.day, 20), connected_with=[str(tie.pk)]
        )
    assert [m.key for m in result.milestones] == ["connection7"]
    assert Notification.objects.filter(idempotency_key__contains="connection7").count() == 1


def test_relapse_restart_keeps_history_and_other_streaks(member, tie):
    for offset in range(5):
        day = datetime.date(2026, 3, 6) + datetime.timedelta(days=offset)
        record(
            member, day, at("UTC", day.year, day.month, day.day, 20), connected_with=[str(tie.pk)]
        )
    services.sobriety_set(
        member=member, started_on=datetime.date(2026, 1, 1), today=datetime.date(2026, 3, 10)
    )
    services.sobriety_restart(member=member, today=datetime.date(2026, 3, 10))
    c = selectors.counters(member, datetime.date(2026, 3, 10))
    assert c.sobriety_days == 0
    assert c.sobriety_started_on == datetime.date(2026, 3, 10)
    assert c.connection_streak == 5
    assert c.checkin_streak == 5
    assert member.sobriety_periods.count() == 2
    assert CheckIn.objects.filter(member=member).count() == 5


def test_sobriety_date_cannot_be_in_the_future(member):
    with pytest.raises(ValidationError):
        services.sobriety_set(
            member=member, started_on=datetime.date(2026, 3, 11), today=datetime.date(2026, 3, 10)
        )


def test_streaks_count_calendar_days():
    d = datetime.date
    dates = [d(2026, 3, 1), d(2026, 3, 2), d(2026, 3, 3), d(2026, 3, 6), d(2026, 3, 7)]
    assert selectors.streaks(dates, d(2026, 3, 7)) == (2, 3)
    assert selectors.streaks(dates, d(2026, 3, 8)) == (2, 3)  # not broken before today ends
    assert selectors.streaks(dates, d(2026, 3, 9)) == (0, 3)


def test_counters_count_contacts_of_the_last_7_days(member, tie):
    monday = datetime.date(2026, 3, 9)
    # Wednesday's last 7 days run from the Thursday before: the Sunday a week earlier is out.
    days = [monday - datetime.timedelta(days=8), monday - datetime.timedelta(days=1), monday]
    for day in [*days, monday + datetime.timedelta(days=2)]:
        Contact.objects.create(
            member=member,
            tie=tie,
            method=ContactMethod.CALL,
            occurred_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=UTC),
            local_date=day,
        )
    c = selectors.counters(member, monday + datetime.timedelta(days=2))
    assert c.contacts_this_week == 3
    assert c.connection_streak == 1
    assert c.longest_connection_streak == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_end_as_one_checkin(make_user):
    """Two requests for the same date race; the unique constraint makes the loser edit."""
    import threading

    from django.db import connections

    member = make_user()
    now = at("UTC", 2026, 3, 10, 9)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit(mood):
        try:
            barrier.wait(timeout=5)
            results.append(record(member, datetime.date(2026, 3, 10), now, {**CALM, "mood": mood}))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(m,)) for m in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert CheckIn.objects.filter(member=member).count() == 1


def test_the_database_bounds_notes_length(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            member=member, local_date=datetime.date(2026, 3, 10), notes="x" * 2001, **CALM
        )


def test_celebration_text_is_safe_on_a_lock_screen(member):
    services.sobriety_set(
        member=member, started_on=datetime.date(2026, 3, 9), today=datetime.date(2026, 3, 10)
    )
    record(member, datetime.date(2026, 3, 10), at("UTC", 2026, 3, 10, 9))
    note = Notification.objects.get(recipient=member, kind="celebration")
    assert "sober" not in (note.title + note.body).lower()
    assert "day" not in (note.title + note.body).lower()
    assert note.data["milestone"] == "sober1"


def test_the_sos_claims_a_risk_event_once(member):
    result = record(
        member, datetime.date(2026, 3, 10), at("UTC", 2026, 3, 10, 9), {**CALM, "used": True}
    )
    event = result.risk_event
    assert services.risk_event_claim(checkin=result.checkin) is True
    assert services.risk_event_claim(checkin=result.checkin) is False
    event.refresh_from_db()
    assert event.handled_at is not None
    # A handled event survives a later correction of the check-in: it is history now.
    record(member, datetime.date(2026, 3, 10), at("UTC", 2026, 3, 10, 10), CALM)
    assert RiskEvent.objects.filter(pk=event.pk).exists()
    calm = record(member, datetime.date(2026, 3, 9), at("UTC", 2026, 3, 10, 10), CALM).checkin
    assert services.risk_event_claim(checkin=calm) is False


def test_risk_summaries_count_the_same_signals_as_risk_events(member, make_user):
    other = make_user()
    now = at("UTC", 2026, 3, 10, 9)
    days = [
        {**CALM, "craving": 8},
        {**CALM, "mood": 1},
        {**CALM, "used": True},
        {**CALM, "used": True, "craving": 10},
        CALM,
    ]
    for offset, values in enumerate(days):
        CheckIn.objects.create(
            member=member, local_date=datetime.date(2026, 3, 10 - offset), **values
        )
    record(other, datetime.date(2026, 3, 10), now, {**CALM, "mood": 1})
    summaries = selectors.risk_summaries(
        [member.pk, other.pk, make_user().pk], since=datetime.date(2026, 3, 5)
    )
    assert summaries == {
        member.pk: selectors.RiskSummary(checkins=5, hard_days=3, use_reports=2),
        other.pk: selectors.RiskSummary(checkins=1, hard_days=1, use_reports=0),
    }
    # The check-in's own flags (copied into its RiskEvent) say the same day by day.
    flags = [c.risk_signals for c in CheckIn.objects.filter(member=member)]
    assert sum(f["high_craving"] or f["low_mood"] for f in flags) == 3
    assert sum(f["used"] for f in flags) == 2
    assert selectors.risk_summaries([member.pk], since=datetime.date(2026, 3, 10)) == {}
