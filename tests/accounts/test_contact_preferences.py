"""A person's contact preferences (quiet hours, channels) live in accounts: the reminders page
saves them there, the sweep's schedule follows them, the export lists them, and the migration
that moved them from the reminder choices carries every saved value both ways."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import ContactPreferences
from accounts.services import export_user_data
from checkins.models import ReminderPreference
from notifications.models import Kind, Notification
from nudges.models import Schedule, SweepState
from nudges.sweep import run_sweep

UTC = datetime.UTC
EVENING = datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)

SAVE = {
    "action": "save",
    "checkin_reminder_enabled": "on",
    "reminder_time": "19:00",
    "reminder_days": [str(d) for d in range(7)],
    "quiet_start": "23:00",
    "quiet_end": "06:30",
}


def _sweep(now: datetime.datetime) -> dict:
    SweepState.objects.update_or_create(id=1, defaults={"last_run_at": now - MINUTE})
    return run_sweep(now=now, dispatch=False).notifications


def test_the_reminders_page_saves_quiet_hours_and_channels_in_accounts(client, member):
    client.force_login(member)
    # Opening the page makes no contact row: the defaults apply until something is saved.
    assert client.get(reverse("nudges:preferences")).status_code == HTTPStatus.OK
    assert not ContactPreferences.objects.filter(user=member).exists()
    assert client.post(reverse("nudges:preferences"), SAVE).status_code == HTTPStatus.FOUND
    contact = ContactPreferences.objects.get(user=member)
    assert (contact.quiet_start, contact.quiet_end) == (datetime.time(23), datetime.time(6, 30))
    assert not contact.channel_email  # unticked
    assert ReminderPreference.objects.get(member=member).reminder_time == datetime.time(19)
    page = client.get(reverse("nudges:preferences")).content.decode()
    assert 'value="23:00"' in page
    assert 'value="06:30"' in page


def test_a_refused_reminder_time_saves_no_quiet_hours_either(client, member):
    client.force_login(member)
    response = client.post(reverse("nudges:preferences"), {**SAVE, "reminder_time": "23:30"})
    assert response.status_code == HTTPStatus.OK
    assert "23:30 is inside your quiet hours (23:00 to 06:30)" in response.content.decode()
    assert not ContactPreferences.objects.filter(user=member).exists()


def test_new_quiet_hours_reschedule_the_reminder(member):
    ReminderPreference.objects.create(member=member)
    _sweep(EVENING - datetime.timedelta(hours=3))
    assert not Schedule.objects.get(user=member).stale
    ContactPreferences.objects.create(
        user=member, quiet_start=datetime.time(18), quiet_end=datetime.time(20)
    )
    assert Schedule.objects.get(user=member).stale
    assert _sweep(EVENING)["checkin_reminder"] == 0  # 19:00 is inside them now
    ContactPreferences.objects.filter(user=member).delete()
    assert Schedule.objects.get(user=member).stale
    assert _sweep(EVENING + datetime.timedelta(days=1))["checkin_reminder"] == 1


def test_email_off_in_accounts_keeps_the_sweeps_reminder_in_the_inbox(member):
    ReminderPreference.objects.create(member=member)
    ContactPreferences.objects.create(user=member, channel_email=False)
    assert _sweep(EVENING)["checkin_reminder"] == 1
    reminder = Notification.objects.get(kind=Kind.CHECKIN_REMINDER)
    assert list(reminder.deliveries.values_list("channel", flat=True)) == ["inapp"]


def test_the_export_lists_contact_preferences_with_the_account(member):
    assert export_user_data(member)["account"]["contact_preferences"] is None
    ReminderPreference.objects.create(member=member)
    ContactPreferences.objects.create(user=member, quiet_start=datetime.time(21))
    exported = export_user_data(member)
    assert exported["account"]["contact_preferences"] == {
        "quiet_start": "21:00:00",
        "quiet_end": "08:00:00",
        "channel_in_app": True,
        "channel_email": True,
        "channel_push": True,
    }
    assert "quiet_start" not in exported["checkins"]["reminder_preference"]


BEFORE = [("checkins", "0005_kept_aggregates")]
AFTER = [("checkins", "0006_contact_preferences_to_accounts")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_saved_values_to_accounts_and_back(make_user):
    sam, ana = make_user(), make_user()
    try:
        old = _migrate(BEFORE)
        Reminder = old.get_model("checkins", "ReminderPreference")
        Reminder.objects.create(
            member_id=sam.pk,
            quiet_start=datetime.time(21, 15),
            quiet_end=datetime.time(7),
            channel_email=False,
            channel_push=True,
        )
        Reminder.objects.create(member_id=ana.pk)  # never changed: the defaults
        new = _migrate(AFTER)
        Contact = new.get_model("accounts", "ContactPreferences")
        rows = {
            row["user_id"]: row
            for row in Contact.objects.values(
                "user_id", "quiet_start", "quiet_end", "channel_email", "channel_push"
            )
        }
        assert rows[sam.pk] == {
            "user_id": sam.pk,
            "quiet_start": datetime.time(21, 15),
            "quiet_end": datetime.time(7),
            "channel_email": False,
            "channel_push": True,
        }
        assert (rows[ana.pk]["quiet_start"], rows[ana.pk]["channel_email"]) == (
            datetime.time(22),
            True,
        )
        Contact.objects.filter(user_id=ana.pk).update(
            quiet_end=datetime.time(9), channel_push=False
        )
        old = _migrate(BEFORE)
        Reminder = old.get_model("checkins", "ReminderPreference")
        back = Reminder.objects.get(member_id=ana.pk)
        assert (back.quiet_end, back.channel_push) == (datetime.time(9), False)
        assert not Reminder.objects.get(member_id=sam.pk).channel_email
    finally:
        _migrate(AFTER)
