"""Reminders and messages in one place: check-in reminders, quiet hours, channels, pauses,
prompts and nudges on one page linked from Settings; the old address redirects there."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import ContactPreferences
from checkins.models import ReminderPreference
from notifications.models import Kind, Mute, PushSubscription
from nudges.models import NudgePreference
from tests.network_cast import actors, build_cast

PAGE = "nudges:preferences"
OLD = "/checkins/reminders/"
REMINDERS = {
    "action": "save",
    "checkin_reminder_enabled": "on",
    "reminder_time": "08:30",
    "reminder_days": ["0", "2", "4"],
    "quiet_start": "22:00",
    "quiet_end": "07:00",
    "channel_email": "on",
}
MEMBER_SOS_WORDS = "MEMBER-SOS-WORDS-5521"


def _page(client) -> str:
    response = client.get(reverse(PAGE))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_settings_links_one_page_that_holds_every_reminder_choice(client, member, settings):
    settings.VAPID_PUBLIC_KEY = "test-public-key"
    client.force_login(member)
    Mute.objects.create(user=member, kind=Kind.ISOLATION_PROMPT)
    account = client.get(reverse("account_settings")).content.decode()
    assert account.count(f'href="{reverse(PAGE)}"') == 1
    assert OLD not in account
    page = _page(client)
    for name in (
        "reminder_time",  # check-in reminders
        "quiet_start",  # quiet hours
        "channel_email",  # channels
        "channel_push",
        "days",  # the pause
        "isolation_enabled",  # prompts
        "supporter_nudges_enabled",  # nudges
        "sos_message",
    ):
        assert f'name="{name}"' in page, name
    assert "Turn reach-out prompt back on" in page
    assert 'id="push-enable"' in page


def test_times_show_without_seconds(client, member):
    client.force_login(member)
    ReminderPreference.objects.create(member=member, reminder_time=datetime.time(8, 30))
    ContactPreferences.objects.create(
        user=member, quiet_start=datetime.time(22, 0), quiet_end=datetime.time(7, 0)
    )
    NudgePreference.objects.create(member=member, prompt_time=datetime.time(17, 45))
    page = _page(client)
    for value in ("08:30", "22:00", "07:00", "17:45"):
        assert f'value="{value}"' in page
    assert ":00:00" not in page
    assert "08:30:00" not in page


def test_push_is_offered_only_when_the_server_can_send_it(client, member, settings):
    client.force_login(member)
    settings.VAPID_PUBLIC_KEY = ""
    page = _page(client)
    assert 'name="channel_push"' not in page
    assert 'id="push-enable"' not in page
    assert "has not set up device notifications" in page
    settings.VAPID_PUBLIC_KEY = "test-public-key"
    page = _page(client)
    # Present for the browser check: push.js hides it where push can't work.
    wrapper = page.index("data-needs-push")
    assert 'name="channel_push"' in page[wrapper : wrapper + 400]
    assert 'id="push-enable" hidden' in page


def test_the_old_address_redirects_keeping_a_posted_form(client, member):
    client.force_login(member)
    response = client.get(OLD + "?from=email")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse(PAGE) + "?from=email"
    response = client.post(OLD, REMINDERS)
    assert response.status_code == HTTPStatus.TEMPORARY_REDIRECT
    assert response["Location"] == reverse(PAGE)
    # Following it with the same body saves, as the browser does for a 307.
    assert client.post(response["Location"], REMINDERS).status_code == HTTPStatus.FOUND
    assert ReminderPreference.objects.get(member=member).reminder_time == datetime.time(8, 30)


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_saved(client, db):
    for method in (client.get, client.post):
        response = method(reverse(PAGE), REMINDERS)
        assert response.status_code == HTTPStatus.FOUND
        assert reverse("account_login") in response["Location"]
    assert not ReminderPreference.objects.exists()


def test_everyone_sees_and_changes_only_their_own_choices(client, make_user):
    cast = build_cast()
    client.force_login(cast.member)
    client.post(reverse(PAGE), {**REMINDERS, "reminder_time": "09:15"})
    NudgePreference.objects.update_or_create(
        member=cast.member,
        defaults={"sos_message": MEMBER_SOS_WORDS, "prompt_time": datetime.time(17, 0)},
    )
    for name, user in actors(cast).items():
        client.logout()
        if user is None:
            continue
        client.force_login(user)
        page = _page(client)
        if user == cast.member:
            assert MEMBER_SOS_WORDS in page
            assert 'value="09:15"' in page
            continue
        assert MEMBER_SOS_WORDS not in page, name
        assert 'value="09:15"' not in page, name
        # The therapist-only digest settings show only to a verified, unwithdrawn therapist.
        expected = name == "therapist_active" or (
            name.startswith("therapist_") and user.is_verified_therapist
        )
        assert ('name="digest_hour"' in page) == expected, name
        assert client.post(reverse(PAGE), REMINDERS).status_code == HTTPStatus.FOUND
    mine = ReminderPreference.objects.get(member=cast.member)
    assert mine.reminder_time == datetime.time(9, 15)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**REMINDERS, "reminder_time": "23:30"}, "23:30 is inside your quiet hours"),
        ({**REMINDERS, "reminder_time": "nonsense"}, "Enter a valid time"),
        ({**REMINDERS, "reminder_days": ["9"]}, "Select a valid choice"),
        ({"action": "pause", "days": "-1"}, "greater than or equal to 0"),
        ({"action": "pause", "days": "x"}, "Enter a whole number"),
        ({"action": "prompts", "prompt_time": "23:00"}, "This field is required"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(client, member, data, message):
    client.force_login(member)
    _page(client)  # the defaults, created on first use
    before = ReminderPreference.objects.filter(member=member).values().first()
    response = client.post(reverse(PAGE), data)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert message in page
    # The other sections still show: the page is whole even when one form is refused.
    assert 'name="sos_message"' in page
    assert 'name="quiet_start"' in page
    assert 'name="days"' in page
    assert ReminderPreference.objects.filter(member=member).values().first() == before
    assert not NudgePreference.objects.filter(member=member).exists()


def test_an_unknown_action_changes_nothing(client, member):
    client.force_login(member)
    response = client.post(reverse(PAGE), {**REMINDERS, "action": "drop-tables"}, follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert ReminderPreference.objects.get(member=member).reminder_time != datetime.time(8, 30)


def test_the_page_is_constant_query(client, member, django_assert_max_num_queries):
    client.force_login(member)
    _page(client)  # creates the defaults once

    def grow(start: int, n: int) -> None:
        for i in range(start, start + n):
            PushSubscription.objects.create(
                user=member, endpoint=f"https://push.example/{i}", p256dh="k", auth="a"
            )
        for kind in list(Kind.values)[: start + n]:
            Mute.objects.get_or_create(user=member, kind=kind)

    grow(0, 1)
    with django_assert_max_num_queries(12) as small:
        _page(client)
    grow(1, 6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        _page(client)
