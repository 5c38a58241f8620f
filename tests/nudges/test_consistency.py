"""What the reminders and notifications pages promise, checked against what is sent: stopping
a kind, push without saved choices, who counts as a member, crisis numbers per deployment,
the redisclosure notice, and the therapist digest's window and quiet hours."""

from __future__ import annotations

import datetime
import json
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import ContactPreferences
from checkins.models import CheckIn, ReminderPreference
from network.consents import REDISCLOSURE_PLAIN, consent_sign_part2
from network.models import Role, Tie
from notifications.delivery import deliver_one
from notifications.models import Delivery, Kind, Mute, Notification
from notifications.services import notification_respond
from nudges.models import NudgePreference, SweepState
from nudges.services import caseload_summary, notify
from nudges.sweep import run_sweep
from tests.factories import TherapistFactory

UTC = datetime.UTC
DAY = {"mood": 3, "craving": 2, "connectedness": 3}
# Wednesday 19:00:30 UTC: the default check-in reminder time for UTC members.
EVENING = datetime.datetime(2026, 3, 4, 19, 0, 30, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("no_default_quiet_hours")


@pytest.fixture(autouse=True)
def _push_configured(settings):
    # The push choice is offered only when this server has web push keys.
    settings.VAPID_PUBLIC_KEY = "test-public-key"


def sweep(now: datetime.datetime) -> dict[str, int]:
    SweepState.objects.update_or_create(
        id=1, defaults={"last_run_at": now - datetime.timedelta(minutes=1)}
    )
    return run_sweep(now=now, dispatch=False).notifications


def _notify(user, kind, key):
    return notify(recipient=user, kind=kind, title="Hello", body="Body", idempotency_key=key)


def channels(notification) -> list[str]:
    return sorted(notification.deliveries.values_list("channel", flat=True))


def _consent(member, therapist, scopes):
    consent_sign_part2(
        tie=Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST),
        scopes=scopes,
        purpose="Treatment",
        signature_name=member.display_name,
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )


# --- Stopping a kind stops it everywhere, the inbox included -----------------------------------


def test_a_stopped_kind_makes_no_notification_through_notify(member):
    first, created = _notify(member, Kind.CELEBRATION, "c1")
    assert created
    assert notification_respond(notification=first, action="stop")
    notification, created = _notify(member, Kind.CELEBRATION, "c2")
    assert (notification, created) == (None, False)
    assert list(Notification.objects.values_list("idempotency_key", flat=True)) == ["c1"]
    # Other kinds still arrive.
    assert _notify(member, Kind.ENCOURAGEMENT, "e1")[1]


@pytest.mark.parametrize("kind", [Kind.SOS, Kind.NETWORK, Kind.CONSENT])
def test_sos_network_and_consent_notices_cannot_be_stopped(member, kind):
    first, _ = _notify(member, kind, "a")
    assert notification_respond(notification=first, action="stop") is False
    assert not Mute.objects.exists()
    # Even an "all channels" mute left from before changes nothing for these kinds.
    Mute.objects.create(user=member, kind=kind)
    notification, created = _notify(member, kind, "b")
    assert created
    assert channels(notification) == ["email", "inapp"]


def test_a_stopped_kind_makes_no_notification_through_the_sweep(make_user):
    sam = make_user()
    ReminderPreference.objects.create(member=sam)
    yesterday = EVENING - datetime.timedelta(days=1)
    sweep(yesterday)
    reminder = Notification.objects.get(recipient=sam, kind=Kind.CHECKIN_REMINDER)
    notification_respond(notification=reminder, action="stop")
    assert sweep(EVENING)["checkin_reminder"] == 0
    assert Notification.objects.filter(recipient=sam).count() == 1


# --- Push: on for anyone with a device, unless they turned it off ------------------------------


def _subscribe(client, user, n=1):
    client.force_login(user)
    body = {"endpoint": f"https://push.example/{user.pk}/{n}", "keys": {"p256dh": "k", "auth": "a"}}
    response = client.post(
        reverse("notifications:push_subscribe"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == HTTPStatus.CREATED


REMINDERS = {
    "action": "save",
    "checkin_reminder_enabled": "on",
    "reminder_time": "19:00",
    "reminder_days": [str(d) for d in range(7)],
    "quiet_start": "22:00",
    "quiet_end": "08:00",
    "channel_email": "on",
}


def test_push_follows_one_rule_in_notify(client, member):
    _subscribe(client, member)
    # A device, no saved choices: push.
    assert "push" in channels(_notify(member, Kind.NETWORK, "a")[0])
    # Opening the reminders page saves the defaults: still push.
    assert client.get(reverse("nudges:preferences")).status_code == HTTPStatus.OK
    assert "push" in channels(_notify(member, Kind.NETWORK, "b")[0])
    # Saved with push on: push.
    client.post(reverse("nudges:preferences"), {**REMINDERS, "channel_push": "on"})
    assert "push" in channels(_notify(member, Kind.NETWORK, "c")[0])
    # Turned off: no push.
    client.post(reverse("nudges:preferences"), REMINDERS)
    assert channels(_notify(member, Kind.NETWORK, "d")[0]) == ["email", "inapp"]
    # Subscribing another device is asking for push again.
    _subscribe(client, member, 2)
    assert "push" in channels(_notify(member, Kind.NETWORK, "e")[0])


def test_push_follows_one_rule_in_the_sweep(client, make_user):
    never_saved = make_user()
    CheckIn.objects.create(member=never_saved, local_date=datetime.date(2026, 3, 1), **DAY)
    opened_page = make_user()
    turned_off = make_user()
    for user in (never_saved, opened_page, turned_off):
        _subscribe(client, user)
    client.force_login(opened_page)
    client.get(reverse("nudges:preferences"))
    client.force_login(turned_off)
    client.post(reverse("nudges:preferences"), REMINDERS)
    assert sweep(EVENING)["checkin_reminder"] == 3
    got = {
        n.recipient_id: channels(n) for n in Notification.objects.filter(kind="checkin_reminder")
    }
    assert got == {
        never_saved.pk: ["email", "inapp", "push"],
        opened_page.pk: ["email", "inapp", "push"],
        turned_off.pk: ["email", "inapp"],
    }


# --- Who is a member (gets check-in reminders) ---------------------------------------------------


def test_someone_who_checked_in_gets_reminders_with_the_defaults(make_user):
    checked_in = make_user()  # never opened the reminders page
    CheckIn.objects.create(member=checked_in, local_date=datetime.date(2026, 3, 2), **DAY)
    has_supporter = make_user()
    Tie.objects.create(member=has_supporter, supporter=make_user(), role=Role.FRIEND)
    supports_only = make_user()
    Tie.objects.create(member=make_user(), supporter=supports_only, role=Role.FRIEND)
    sweep(EVENING)
    reminded = set(
        Notification.objects.filter(kind=Kind.CHECKIN_REMINDER).values_list(
            "recipient_id", flat=True
        )
    )
    assert checked_in.pk in reminded
    assert has_supporter.pk in reminded
    assert supports_only.pk not in reminded
    assert not ReminderPreference.objects.filter(member=checked_in).exists()


# --- Crisis numbers come from the deployment's settings -----------------------------------------

LOCAL_LINES = [{"name": "Samaritans", "phone": "116 123", "text": "", "url": ""}]


@pytest.fixture
def uk(settings):
    settings.CRISIS_RESOURCES = LOCAL_LINES
    settings.EMERGENCY_NUMBER = "999"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _hard_checkin(user):
    return CheckIn.objects.create(
        member=user, local_date=user.local_now().date(), mood=1, craving=9, connectedness=1
    )


def test_sos_pages_use_the_deployments_crisis_lines_and_emergency_number(client, make_user, uk):
    member = make_user(display_name="Sam")
    contact = make_user(display_name="Maria")
    Tie.objects.create(member=member, supporter=contact, role=Role.SPONSOR, is_sos_contact=True)
    checkin = _hard_checkin(member)
    client.force_login(member)
    page = client.post(reverse("nudges:sos"), {"checkin": checkin.pk}, follow=True)
    html = page.content.decode()
    assert "call 999" in html
    assert "Samaritans" in html
    assert "911" not in html
    assert "988" not in html
    client.force_login(contact)
    alert = Notification.objects.get(recipient=contact, kind=Kind.SOS)
    html = client.get(reverse("notifications:detail", args=[alert.pk])).content.decode()
    assert "call 999" in html
    assert "116 123" in html
    assert "911" not in html
    assert "988" not in html


def test_emails_use_the_deployments_crisis_lines(member, uk):
    notification, _ = _notify(member, Kind.NETWORK, "k")
    delivery = notification.deliveries.get(channel="email")
    assert deliver_one(delivery.pk).status == "sent"
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "Samaritans" in body
        assert "116 123" in body
        assert "999" in body
        assert "988" not in body
        assert "1-800-662-4357" not in body


# --- The redisclosure notice on every page that shows shared data ------------------------------

NOTICE = escape(REDISCLOSURE_PLAIN)


def test_supporter_nudge_and_digest_details_carry_the_redisclosure_notice(client, make_user):
    member = make_user(display_name="Sam")
    supporter = make_user(display_name="Maria")
    Tie.objects.create(member=member, supporter=supporter, role=Role.SPONSOR)
    nudge = Notification.objects.create(
        recipient=supporter,
        kind=Kind.SUPPORTER_NUDGE,
        subject_member=member,
        idempotency_key="n",
        title="t",
        body="b",
    )
    client.force_login(supporter)
    html = client.get(reverse("notifications:detail", args=[nudge.pk])).content.decode()
    assert "Checked in today" in html
    assert NOTICE in html
    assert 'aria-label="Redisclosure notice"' in html

    therapist = TherapistFactory(display_name="Dr K")
    digest = Notification.objects.create(
        recipient=therapist, kind=Kind.THERAPIST_DIGEST, idempotency_key="d", title="t", body="b"
    )
    client.force_login(therapist)
    html = client.get(reverse("notifications:detail", args=[digest.pk])).content.decode()
    assert "No one in your caseload" in html
    assert NOTICE not in html  # nothing shared
    _consent(member, therapist, ["checkin_status"])
    html = client.get(reverse("notifications:detail", args=[digest.pk])).content.decode()
    assert "Sam" in html
    assert NOTICE in html


# --- The therapist digest: members' own dates, therapist's quiet hours ---------------------------


def test_the_digest_counts_each_members_own_last_seven_local_days(make_user):
    therapist = TherapistFactory()
    # 12:00 UTC on 4 March is 02:00 on 5 March in Kiritimati (UTC+14) and 01:00 on 4 March
    # in Pago Pago (UTC-11).
    now = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    east = make_user(display_name="East", time_zone="Pacific/Kiritimati")
    west = make_user(display_name="West", time_zone="Pacific/Pago_Pago")
    for person in (east, west):
        _consent(person, therapist, ["checkin_status"])
    for person, days in ((east, [5, 1, 27, 26]), (west, [4, 28, 26, 25])):
        for day in days:
            month = 3 if day < 20 else 2
            CheckIn.objects.create(member=person, local_date=datetime.date(2026, month, day), **DAY)
    rows = {row["name"]: row["checkins"] for row in caseload_summary(therapist, now=now)}
    # East's week is 27 Feb to 5 Mar (26 Feb is eight days back for them); West's is
    # 26 Feb to 4 Mar.
    assert rows == {"East": 3, "West": 3}


def test_digest_email_and_push_wait_for_the_therapists_quiet_hours(make_user):
    therapist = TherapistFactory(profile__verified_at=EVENING)
    tie = Tie.objects.create(member=make_user(), supporter=therapist, role=Role.THERAPIST)
    NudgePreference.objects.create(member=therapist, digest_weekday=0, digest_hour=9)
    ContactPreferences.objects.create(
        user=therapist, quiet_start=datetime.time(21), quiet_end=datetime.time(10, 30)
    )
    monday = datetime.datetime(2026, 3, 9, 9, 0, 30, tzinfo=UTC)
    # A digest needs a client the therapist may see then: a formal consent in force.
    consent_sign_part2(
        tie=tie,
        scopes=["checkin_status"],
        purpose="Treatment",
        signature_name="A Member",
        expires_at=monday + datetime.timedelta(days=365),
        now=monday - datetime.timedelta(days=1),
    )
    assert sweep(monday)["therapist_digest"] == 1
    digest = Notification.objects.get(kind=Kind.THERAPIST_DIGEST)
    not_before = dict(digest.deliveries.values_list("channel", "not_before"))
    assert not_before == {
        "inapp": monday,  # the inbox at once
        "email": datetime.datetime(2026, 3, 9, 10, 30, tzinfo=UTC),
    }
    # Outside quiet hours every channel goes at once.
    # (Saved as the reminders page does, which reschedules the therapist's digest.)
    pref = ContactPreferences.objects.get(user=therapist)
    pref.quiet_start, pref.quiet_end = datetime.time(22), datetime.time(8)
    pref.save()
    Notification.objects.all().delete()
    sweep(monday)
    assert set(Delivery.objects.values_list("not_before", flat=True)) == {monday}


# --- A prompt time inside quiet hours would never fire --------------------------------------------


def test_a_prompt_time_inside_quiet_hours_is_refused(client, member):
    ContactPreferences.objects.create(
        user=member, quiet_start=datetime.time(11), quiet_end=datetime.time(13)
    )
    client.force_login(member)
    data = {
        "isolation_enabled": "on",
        "isolation_days": "2",
        "prompt_time": "12:00",
        "supporter_nudges_enabled": "on",
        "missed_checkin_days": "3",
        "no_contact_days": "4",
        "sos_message": "Call me",
        "digest_weekday": "0",
        "digest_hour": "9",
    }
    response = client.post(reverse("nudges:preferences"), data)
    assert response.status_code == HTTPStatus.OK
    assert "12:00 is inside your quiet hours (11:00 to 13:00)" in response.content.decode()
    assert not NudgePreference.objects.exists()
    data["prompt_time"] = "13:00"
    assert client.post(reverse("nudges:preferences"), data).status_code == HTTPStatus.FOUND
    assert NudgePreference.objects.get(member=member).prompt_time == datetime.time(13)
