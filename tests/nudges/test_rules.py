"""Each rule's selection, the daily limit, and the sweep's lock under concurrency."""

from __future__ import annotations

import datetime
import threading

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection, connections

from accounts.models import ContactPreferences, TherapistProfile
from checkins.models import CheckIn, ReminderPreference
from network.consents import consent_sign_part2
from network.models import Contact, Role, Tie
from notifications.models import Kind, Notification
from notifications.services import notification_respond
from nudges import rules
from nudges.models import NudgePreference, SweepState
from nudges.sweep import ADVISORY_LOCK_KEY, run_sweep
from tests.factories import THERAPIST_TOTP_SECRET, CheckinFactory, ContactFactory

UTC = datetime.UTC
NOON = datetime.datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC)  # a Wednesday
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def person(make_user):
    def make(*, joined_days_ago: int = 30, reminders: bool = True, **fields):
        user = make_user(**fields)
        user.date_joined = NOON - datetime.timedelta(days=joined_days_ago)
        user.save(update_fields=["date_joined"])
        if reminders:
            ReminderPreference.objects.create(member=user)
        return user

    return make


def picked(rule, now=NOON, since=None) -> list[tuple[int, int | None]]:
    rows = rules.due(rule, now=now, since=since or now - MINUTE)
    return sorted((r["recipient_id"], r["subject_member_id"]) for r in rows)


def contact(user, day: datetime.date, tie=None, **fields) -> Contact:
    """A call at 09:00 UTC on ``day``."""
    at = datetime.datetime.combine(day, datetime.time(9), tzinfo=UTC)
    return ContactFactory(member=user, tie=tie, local_date=day, occurred_at=at, **fields)


def checkin(user, day: datetime.date, **fields) -> CheckIn:
    """A calm check-in with little craving on ``day``."""
    return CheckinFactory(member=user, local_date=day, **({"craving": 1} | fields))


def test_isolation_prompt_after_n_days_without_contact(person):
    today = NOON.date()
    isolated = person()
    contact(isolated, today - datetime.timedelta(days=2))
    recent = person()
    contact(recent, today - datetime.timedelta(days=1))
    unconfirmed_only = person()
    contact(unconfirmed_only, today, confirmed=False)
    longer_window = person()
    NudgePreference.objects.create(member=longer_window, isolation_days=5)
    contact(longer_window, today - datetime.timedelta(days=3))
    newcomer = person(joined_days_ago=1)
    assert picked(rules.ISOLATION_PROMPT) == sorted(
        [(isolated.pk, isolated.pk), (unconfirmed_only.pk, unconfirmed_only.pk)]
    )
    assert newcomer.pk not in dict(picked(rules.ISOLATION_PROMPT))


def test_no_isolation_prompt_the_day_after_i_reached_out(person):
    sam = person()
    yesterday = NOON - datetime.timedelta(days=1)
    SweepState.objects.create(id=1, last_run_at=yesterday - MINUTE)
    run_sweep(now=yesterday, dispatch=False)
    prompt = Notification.objects.get(recipient=sam, kind=Kind.ISOLATION_PROMPT)
    notification_respond(notification=prompt, action="reached_out")
    assert Contact.objects.filter(member=sam, source=Contact.Source.NUDGE).count() == 1
    # Answering twice (a second tap, a redelivered link) logs nothing more.
    notification_respond(notification=prompt, action="reached_out")
    assert Contact.objects.filter(member=sam).count() == 1
    assert picked(rules.ISOLATION_PROMPT) == []


def test_supporter_nudge_when_checkins_or_contacts_stop(person):
    today = NOON.date()
    sam = person(display_name="Sam")
    maria = person(reminders=False)
    offline = Tie.objects.create(member=sam, offline_name="Dad", role=Role.FAMILY)
    Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR)
    no_nudges = person(reminders=False)
    Tie.objects.create(member=sam, supporter=no_nudges, role=Role.FRIEND, may_nudge=False)
    paused = person(reminders=False)
    Tie.objects.create(member=sam, supporter=paused, role=Role.FRIEND, status="paused")
    # Checked in 3 days ago (K=3), contact yesterday: missed check-ins alone are enough.
    checkin(sam, today - datetime.timedelta(days=3))
    contact(sam, today - datetime.timedelta(days=1), tie=offline)
    assert picked(rules.SUPPORTER_NUDGE) == [(maria.pk, sam.pk)]
    rows = rules.due(rules.SUPPORTER_NUDGE, now=NOON, since=NOON - MINUTE)
    # Lock-screen safe: a name and kindness, nothing about check-ins or health.
    assert rows[0]["title"] == "Sam might appreciate hearing from you"
    assert "check" not in rows[0]["body"].lower()
    # A check-in today and a recent contact: nobody is nudged.
    checkin(sam, today)
    assert picked(rules.SUPPORTER_NUDGE) == []


def test_supporter_nudge_at_most_once_per_three_days(person):
    sam = person()
    maria = person(reminders=False)
    Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR)
    made = []
    for day in range(7):
        now = NOON + datetime.timedelta(days=day)
        SweepState.objects.update_or_create(id=1, defaults={"last_run_at": now - MINUTE})
        made.append(run_sweep(now=now, dispatch=False).notifications["supporter_nudge"])
    assert made == [1, 0, 0, 1, 0, 0, 1]


def test_supporters_quiet_hours_and_the_members_choice_are_honoured(person):
    sam = person()
    NudgePreference.objects.create(member=sam, supporter_nudges_enabled=False)
    maria = person(reminders=False)
    Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR)
    assert picked(rules.SUPPORTER_NUDGE) == []
    NudgePreference.objects.filter(member=sam).update(supporter_nudges_enabled=True)
    ContactPreferences.objects.create(
        user=maria, quiet_start=datetime.time(11), quiet_end=datetime.time(13)
    )
    assert picked(rules.SUPPORTER_NUDGE) == []


def test_at_most_three_prompts_a_day_across_rules(person):
    sam = person()  # isolated, no check-in: reminder and isolation prompt both due
    for _i in range(4):
        supporter_of = person(reminders=False)
        Tie.objects.create(member=supporter_of, supporter=sam, role=Role.FRIEND)
    # All rules at 12:00 (reminder time 12:00 too) so they compete for the same day.
    ReminderPreference.objects.filter(member=sam).update(reminder_time=datetime.time(12))
    SweepState.objects.create(id=1, last_run_at=NOON - MINUTE)
    run_sweep(now=NOON, dispatch=False)
    to_sam = Notification.objects.filter(recipient=sam)
    assert to_sam.count() == 3
    assert set(to_sam.values_list("kind", flat=True)) == {
        Kind.CHECKIN_REMINDER,
        Kind.ISOLATION_PROMPT,
        Kind.SUPPORTER_NUDGE,
    }


def test_sos_does_not_count_towards_the_daily_limit(person):
    from nudges.services import notify

    sam = person()
    for i in range(3):
        notify(
            recipient=sam,
            kind=Kind.SUPPORTER_NUDGE,
            title="t",
            body="b",
            idempotency_key=f"x{i}",
        )
    notify(recipient=sam, kind=Kind.SOS, title="t", body="b", idempotency_key="sos")
    ReminderPreference.objects.filter(member=sam).update(reminder_time=datetime.time(12))
    SweepState.objects.create(id=1, last_run_at=NOON - MINUTE)
    Notification.objects.update(local_date=NOON.date())
    assert run_sweep(now=NOON, dispatch=False).notifications["checkin_reminder"] == 0


def test_therapist_digest_on_the_chosen_weekday_and_hour(person):
    therapist = person(reminders=False, time_zone="America/Chicago")
    TherapistProfile.objects.create(user=therapist, credential="LCSW 1", verified_at=NOON)
    unverified = person(reminders=False)
    TherapistProfile.objects.create(user=unverified, credential="LCSW 2")
    # Verified, but no second factor yet: MFA comes before any client data, the digest too.
    no_mfa = person(reminders=False, time_zone="America/Chicago")
    TherapistProfile.objects.create(user=no_mfa, credential="LCSW 3", verified_at=NOON)
    for t in (therapist, unverified):
        TOTP.activate(t, THERAPIST_TOTP_SECRET)
    NudgePreference.objects.create(member=no_mfa, digest_weekday=2, digest_hour=6)
    for t in (therapist, unverified, no_mfa):
        # A digest needs a receivable tie: for a therapist, a formal consent in force.
        consent_sign_part2(
            tie=Tie.objects.create(member=person(), supporter=t, role=Role.THERAPIST),
            scopes=["checkin_status"],
            purpose="Treatment",
            signature_name="Member",
            expires_at=NOON + datetime.timedelta(days=30),
            now=NOON,
        )
    NudgePreference.objects.create(member=therapist, digest_weekday=2, digest_hour=6)
    # Wednesday 06:00 in Chicago is 12:00 UTC.
    assert picked(rules.THERAPIST_DIGEST) == [(therapist.pk, None)]
    assert picked(rules.THERAPIST_DIGEST, now=NOON + datetime.timedelta(days=1)) == []
    # The digest leads to the clinic's caseload.
    rows = rules.due(rules.THERAPIST_DIGEST, now=NOON, since=NOON - MINUTE)
    assert [r["action_url"] for r in rows] == ["/clinic/"]


@pytest.mark.django_db(transaction=True)
def test_a_sweep_skips_while_another_holds_the_lock(person):
    person()
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            assert run_sweep(now=NOON, dispatch=False).ran is False
            cursor.execute("COMMIT")
    finally:
        holder.close()
    assert run_sweep(now=NOON, dispatch=False).ran is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_create_no_duplicates(person):
    people = [person() for _ in range(20)]
    results = []

    def run():
        try:
            results.append(run_sweep(now=NOON + datetime.timedelta(hours=7), dispatch=False))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.notifications.get("checkin_reminder", 0) for r in results) == len(people)
    assert Notification.objects.filter(kind=Kind.CHECKIN_REMINDER).count() == len(people)


def test_the_sweep_runs_a_constant_number_of_statements(person):
    from django.test.utils import CaptureQueriesContext

    counts = []
    for day, size in enumerate((3, 40)):
        for _ in range(size):
            person()
        now = NOON + datetime.timedelta(days=day, hours=7)
        SweepState.objects.update_or_create(
            id=1, defaults={"last_run_at": now - datetime.timedelta(hours=12)}
        )
        with CaptureQueriesContext(connection) as queries:
            result = run_sweep(now=now, dispatch=False)
        assert result.notifications["checkin_reminder"] > 0
        counts.append(len(queries))
    # Lock, state, recomputing the stale schedules, one claimed batch (its few set-based
    # reads, the inserts, advancing the schedules), state update, savepoints: the same for
    # any population.
    assert counts[0] == counts[1] <= 25
