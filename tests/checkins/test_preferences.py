"""Reminder preferences and the sobriety date pages."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ContactPreferences
from checkins import selectors
from checkins.models import ReminderPreference, SobrietyPeriod
from tests.factories import TherapistFactory

VALID = {
    "action": "save",
    "checkin_reminder_enabled": "on",
    "reminder_time": "08:30",
    "reminder_days": ["0", "2", "4"],
    "quiet_start": "22:00",
    "quiet_end": "07:00",
    "channel_push": "on",
}


@pytest.fixture(autouse=True)
def _push_configured(settings):
    # The push choice is offered only when this server has web push keys.
    settings.VAPID_PUBLIC_KEY = "test-public-key"


def test_reminder_settings_are_saved_as_a_weekday_mask(client, member):
    client.force_login(member)
    response = client.post(reverse("nudges:preferences"), VALID)
    assert response.status_code == HTTPStatus.FOUND
    preference = ReminderPreference.objects.get(member=member)
    assert preference.reminder_time == datetime.time(8, 30)
    assert preference.reminder_days == 0b10101
    assert preference.reminds_on(datetime.date(2026, 3, 9))  # a Monday
    assert not preference.reminds_on(datetime.date(2026, 3, 10))
    contact = ContactPreferences.objects.get(user=member)
    assert contact.channel_push
    assert not contact.channel_email
    page = client.get(reverse("nudges:preferences")).content.decode()
    assert 'value="2" id="id_reminder_days_2" checked' in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reminder_days": []}, "Choose at least one day"),
        ({"reminder_time": "23:30"}, "23:30 is inside your quiet hours (22:00 to 07:00)"),
        ({"reminder_time": "06:59"}, "06:59 is inside your quiet hours"),
        (
            {"reminder_time": "13:00", "quiet_start": "12:00", "quiet_end": "14:00"},
            "13:00 is inside your quiet hours (12:00 to 14:00)",
        ),
        ({"reminder_time": "25:00"}, "Enter a valid time"),
    ],
)
def test_bad_reminder_settings_are_explained_and_change_nothing(client, member, change, message):
    client.force_login(member)
    data = {k: v for k, v in {**VALID, **change}.items() if v != ""}
    response = client.post(reverse("nudges:preferences"), data)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert ReminderPreference.objects.get(member=member).reminder_time == datetime.time(19, 0)


def test_pausing_and_resuming_all_reminders(client, member):
    client.force_login(member)
    client.post(reverse("nudges:preferences"), {"action": "pause", "days": "5"})
    preference = ReminderPreference.objects.get(member=member)
    assert preference.is_paused()
    assert not preference.is_paused(timezone.now() + datetime.timedelta(days=5, minutes=1))
    response = client.post(reverse("nudges:preferences"), {"action": "pause", "days": "365"})
    assert response.status_code == HTTPStatus.OK
    client.post(reverse("nudges:preferences"), {"action": "pause", "days": "0"})
    assert not ReminderPreference.objects.get(member=member).is_paused()


def test_setting_and_stopping_the_sobriety_date(client, member):
    client.force_login(member)
    client.post(reverse("checkins:sobriety"), {"action": "set", "started_on": "2026-01-01"})
    assert SobrietyPeriod.objects.current().get(member=member).started_on == datetime.date(
        2026, 1, 1
    )
    client.post(reverse("checkins:sobriety"), {"action": "set", "started_on": "2026-01-05"})
    assert SobrietyPeriod.objects.filter(member=member).count() == 1  # a correction
    client.post(reverse("checkins:sobriety"), {"action": "stop"})
    assert not SobrietyPeriod.objects.current().filter(member=member).exists()
    assert SobrietyPeriod.objects.filter(member=member).count() == 1  # history kept
    assert selectors.counters(member).sobriety_days is None


def test_a_future_sobriety_date_is_refused_with_a_message(client, member):
    client.force_login(member)
    future = selectors.local_today(member) + datetime.timedelta(days=1)
    response = client.post(
        reverse("checkins:sobriety"), {"action": "set", "started_on": future.isoformat()}
    )
    assert response.status_code == HTTPStatus.OK
    assert "can&#x27;t be in the future" in response.content.decode()
    assert not SobrietyPeriod.objects.exists()


def test_restart_needs_post(client, member):
    client.force_login(member)
    response = client.get(reverse("checkins:sobriety_restart"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_inbox_is_always_on_so_the_page_offers_no_inbox_switch(client, member):
    client.force_login(member)
    page = client.get(reverse("nudges:preferences")).content.decode()
    assert "Everything also appears in your inbox" in page
    assert 'name="channel_in_app"' not in page
    # Email and push off: reminders still reach the inbox, so that is a valid choice.
    data = {k: v for k, v in VALID.items() if k != "channel_push"}
    assert client.post(reverse("nudges:preferences"), data).status_code == HTTPStatus.FOUND
    contact = ContactPreferences.objects.get(user=member)
    assert not contact.channel_email
    assert not contact.channel_push


def test_a_reminder_time_outside_quiet_hours_is_accepted(client, member):
    client.force_login(member)
    data = {**VALID, "reminder_time": "07:00", "quiet_start": "22:00", "quiet_end": "07:00"}
    assert client.post(reverse("nudges:preferences"), data).status_code == HTTPStatus.FOUND
    assert ReminderPreference.objects.get(member=member).reminder_time == datetime.time(7)
    # With reminders off, the time does not matter.
    data = {**VALID, "reminder_time": "23:00"}
    del data["checkin_reminder_enabled"]
    assert client.post(reverse("nudges:preferences"), data).status_code == HTTPStatus.FOUND


def test_a_pause_shows_its_end_in_the_members_own_time(client, make_user):
    tokyo = make_user(time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    ReminderPreference.objects.create(
        member=tokyo, paused_until=datetime.datetime(2030, 1, 2, 15, 30, tzinfo=datetime.UTC)
    )
    page = client.get(reverse("nudges:preferences")).content.decode()
    # 15:30 UTC is 00:30 the next day in Tokyo.
    assert "paused until Jan 3, 2030 00:30 (your time, Asia/Tokyo)" in page
    assert "(UTC)" not in page


def test_push_is_offered_only_when_the_server_has_web_push(client, member, settings):
    client.force_login(member)
    assert 'name="channel_push"' in client.get(reverse("nudges:preferences")).content.decode()
    settings.VAPID_PUBLIC_KEY = ""
    page = client.get(reverse("nudges:preferences")).content.decode()
    assert 'name="channel_push"' not in page
    assert 'value="22:00"' in page  # times without seconds


def test_digest_settings_are_for_verified_therapists_only(client, member, make_user):

    client.force_login(member)
    assert 'name="digest_hour"' not in client.get(reverse("nudges:preferences")).content.decode()
    therapist = TherapistFactory(display_name="Dr K")
    client.force_login(therapist)
    assert 'name="digest_hour"' in client.get(reverse("nudges:preferences")).content.decode()
