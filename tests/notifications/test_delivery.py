"""notify(), the delivery ledger, channels, retries, and the Celery configuration."""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from accounts.models import ContactPreferences
from network.models import Role, Tie
from notifications import delivery, tasks
from notifications.channels import TemporaryFailure
from notifications.models import (
    Delivery,
    DeliveryStatus,
    Kind,
    Mute,
    Notification,
    PushSubscription,
    Status,
)
from nudges.models import NudgePreference
from nudges.services import notify, quiet_hours_end, sos_send
from recovery.celery import app

pytestmark = pytest.mark.usefixtures("no_default_quiet_hours")


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _quiet_now() -> dict:
    """Quiet hours from an hour ago to an hour from now (UTC users)."""
    now = datetime.datetime.now(datetime.UTC)
    return {
        "quiet_start": (now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        "quiet_end": (now + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
    }


def _notify(user, key="k", kind=Kind.NETWORK, **extra):
    return notify(
        recipient=user, kind=kind, title="Hello", body="A kind word", idempotency_key=key, **extra
    )


def test_notify_creates_deliveries_and_publishes_only_after_commit(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification, created = _notify(member)
    assert created
    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["email", "inapp"]
    assert len(callbacks) == 1  # one publish, after commit, for both deliveries
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again, created = _notify(member)
    assert (again.pk, created, len(callbacks)) == (notification.pk, False, 0)
    assert Delivery.objects.count() == 2


def test_channels_follow_preferences_mutes_and_devices(member, make_user):
    ContactPreferences.objects.create(user=member, channel_email=False, channel_push=True)
    notification, _ = _notify(member, key="a")
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["inapp"]
    PushSubscription.objects.create(
        user=member, endpoint="https://push.example/1", p256dh="x", auth="y"
    )
    ContactPreferences.objects.filter(user=member).update(channel_email=True)
    Mute.objects.create(user=member, kind=Kind.NETWORK, channel="email")
    notification, _ = _notify(member, key="b")
    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["inapp", "push"]


def test_a_delivery_is_sent_once_however_often_its_task_runs(member):
    notification, _ = _notify(member)
    email = notification.deliveries.get(channel="email")
    assert delivery.deliver_one(email.pk).status == "sent"
    assert delivery.deliver_one(email.pk).status == "skipped"
    tasks.deliver([email.pk, email.pk])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.alternatives[0].mimetype == "text/html"
    assert "988" in message.body
    notification.refresh_from_db()
    assert notification.status == Status.PENDING  # the inbox delivery is still to run
    assert delivery.deliver_one(notification.deliveries.get(channel="inapp").pk).status == "sent"
    notification.refresh_from_db()
    assert notification.status == Status.DELIVERED
    assert notification.dwell is not None
    assert notification.dwell >= datetime.timedelta(0)


def test_a_leased_delivery_is_left_to_its_worker(member):
    notification, _ = _notify(member)
    email = notification.deliveries.get(channel="email")
    Delivery.objects.filter(pk=email.pk).update(
        lease_until=datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    )
    assert delivery.deliver_one(email.pk).status == "skipped"
    assert mail.outbox == []


def test_temporary_failures_back_off_then_fail(member, settings):
    settings.NUDGES_RETRY_BASE_SECONDS = 10
    notification, _ = _notify(member)
    email = notification.deliveries.get(channel="email")
    with mock.patch(
        "notifications.channels.email.EmailChannel.send", side_effect=TemporaryFailure("SMTP 451")
    ):
        outcomes = []
        for _ in range(delivery.MAX_ATTEMPTS):
            Delivery.objects.filter(pk=email.pk).update(
                not_before=datetime.datetime.now(datetime.UTC)
            )
            outcomes.append(delivery.deliver_one(email.pk))
    assert [o.status for o in outcomes] == ["retry"] * (delivery.MAX_ATTEMPTS - 1) + ["failed"]
    delays = [o.countdown for o in outcomes[:-1]]
    assert 5 <= delays[0] <= 10
    assert 40 <= delays[3] <= 80
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.FAILED, delivery.MAX_ATTEMPTS)
    notification.refresh_from_db()
    # The inbox delivery is still pending, so the notification waits; then it shows failed.
    delivery.deliver_one(notification.deliveries.get(channel="inapp").pk)
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NUDGES_RETRY_BASE_SECONDS = 30
    settings.NUDGES_RETRY_MAX_SECONDS = 600
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (6, 600), (12, 600)]:
        samples = [delivery.backoff_seconds(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(set(samples)) > 1


def test_a_long_backoff_waits_in_the_database_not_the_broker(member, settings):
    settings.NUDGES_RETRY_BASE_SECONDS = 1000
    notification, _ = _notify(member)
    email = notification.deliveries.get(channel="email")
    failing = mock.patch(
        "notifications.channels.email.EmailChannel.send", side_effect=TemporaryFailure("x")
    )
    with failing, mock.patch.object(tasks.deliver, "apply_async") as publish:
        tasks.deliver([email.pk])
    publish.assert_not_called()
    email.refresh_from_db()
    assert email.queued_at is None
    assert email.status == DeliveryStatus.PENDING


def test_isolation_prompt_names_the_suggested_person(member):
    maria = Tie.objects.create(
        member=member, offline_name="Maria", role=Role.SPONSOR, phone="+15551234"
    )
    notification, _ = _notify(
        member, kind=Kind.ISOLATION_PROMPT, data={"personalise": True}, key="iso"
    )
    delivery.deliver_one(notification.deliveries.get(channel="inapp").pk)
    notification.refresh_from_db()
    assert notification.title == "Maria might enjoy hearing from you"
    assert notification.data["tie_id"] == str(maria.pk)
    from notifications.links import actions_for

    labels = [a["label"] for a in actions_for(notification, absolute=True)]
    assert labels[:4] == ["Call Maria", "Text Maria", "I reached out", "Not now"]


def test_sos_waits_for_a_supporters_quiet_hours_unless_they_opted_in(member, make_user):
    from checkins.models import CheckIn

    night = make_user(time_zone="UTC")
    urgent = make_user(time_zone="UTC")
    ContactPreferences.objects.create(user=night, **_quiet_now())
    ContactPreferences.objects.create(user=urgent, **_quiet_now())
    NudgePreference.objects.create(member=urgent, urgent_alerts=True)
    NudgePreference.objects.create(member=member, sos_message="Please call me tonight.")
    for s in (night, urgent):
        Tie.objects.create(member=member, supporter=s, role=Role.FRIEND, is_sos_contact=True)
    Tie.objects.create(member=member, supporter=make_user(), role=Role.FRIEND)  # not SOS
    checkin = CheckIn.objects.create(
        member=member, local_date=member.local_now().date(), mood=1, craving=9, connectedness=1
    )
    sent = sos_send(member=member, checkin=checkin)
    assert {n.recipient for n in sent} == {night, urgent}
    assert all(n.data["words"] == "Please call me tonight." for n in sent)
    assert all("craving" not in (n.title + n.body).lower() for n in sent)
    night_email = Delivery.objects.get(notification__recipient=night, channel="email")
    urgent_email = Delivery.objects.get(notification__recipient=urgent, channel="email")
    assert night_email.not_before > urgent_email.not_before + datetime.timedelta(minutes=1)
    assert night_email.queued_at is None  # the sweep publishes it when quiet hours end
    # Asking again for the same check-in alerts nobody twice.
    assert len(sos_send(member=member, checkin=checkin)) == 2
    assert Notification.objects.filter(kind=Kind.SOS).count() == 2


def test_quiet_hours_end_across_midnight(member):
    ContactPreferences.objects.create(user=member)  # 22:00–08:00
    at = datetime.datetime(2026, 3, 4, 23, 0, tzinfo=datetime.UTC)
    assert quiet_hours_end(member, at) == datetime.datetime(2026, 3, 5, 8, 0, tzinfo=datetime.UTC)
    assert quiet_hours_end(member, at.replace(hour=12)) is None


def test_celery_configuration_invariants():
    conf = app.conf
    longest = max(
        [conf.task_time_limit]
        + [t.time_limit for t in app.tasks.values() if getattr(t, "time_limit", None)]
    )
    if not conf.broker_url.startswith("filesystem"):
        # Redis redelivers unacked tasks after the visibility timeout: it must outlast any task.
        assert conf.broker_transport_options["visibility_timeout"] > longest
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_max_memory_per_child
    assert conf.task_acks_late
    assert tasks.deliver.acks_late
    assert app.amqp.router.route({}, "nudges.tasks.deliver")["queue"].name == "delivery"
    # Moved to the notifications app under its old name: tasks queued before still run.
    assert app.tasks["nudges.tasks.deliver"].run.__module__ == "notifications.tasks"
    beat = {e["task"]: e for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["nudges.tasks.sweep"]["schedule"] == datetime.timedelta(seconds=60)
    # Short countdowns only: long due times belong in PostgreSQL.
    assert delivery.MAX_COUNTDOWN <= 300 < conf.broker_transport_options["visibility_timeout"]


@pytest.mark.parametrize(
    ("status", "outcome", "kept"),
    [(201, "sent", True), (410, "failed", False), (503, "retry", True)],
)
def test_push_outcomes(member, push_endpoint, settings, status, outcome, kept):
    from tests.nudges_support import decrypt_push, make_browser_keys, make_vapid_keys

    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = make_vapid_keys()
    push_endpoint.status = status
    key, p256dh, auth, auth_b64 = make_browser_keys()
    PushSubscription.objects.create(
        user=member, endpoint=push_endpoint.url, p256dh=p256dh, auth=auth_b64
    )
    notification, _ = _notify(member, kind=Kind.SUPPORTER_NUDGE, key="p")
    push = notification.deliveries.get(channel="push")
    assert delivery.deliver_one(push.pk).status == outcome
    assert PushSubscription.objects.filter(user=member).exists() is kept
    headers, body = push_endpoint.received[0]
    payload = decrypt_push(body, key, auth)
    # Lock-screen text only: the same discreet title and body as everywhere else.
    assert (payload["title"], payload["body"]) == ("Hello", "A kind word")
    # RFC 8030 Topic: stable per notification, so a resend replaces an undelivered copy.
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", headers["topic"])
    assert payload["tag"] == str(notification.pk)


def test_a_resent_push_carries_the_same_topic_and_another_message_another(
    member, push_endpoint, settings
):
    from tests.nudges_support import make_browser_keys, make_vapid_keys

    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = make_vapid_keys()
    _, p256dh, _, auth_b64 = make_browser_keys()
    PushSubscription.objects.create(
        user=member, endpoint=push_endpoint.url, p256dh=p256dh, auth=auth_b64
    )
    notification, _ = _notify(member, kind=Kind.SUPPORTER_NUDGE, key="first")
    push = notification.deliveries.get(channel="push")
    assert delivery.deliver_one(push.pk).status == "sent"
    # A worker that died after the push service accepted it but before recording it: the
    # lease ran out and the delivery is still pending, so it is sent again.
    Delivery.objects.filter(pk=push.pk).update(status=DeliveryStatus.PENDING, lease_until=None)
    assert delivery.deliver_one(push.pk).status == "sent"
    other, _ = _notify(member, kind=Kind.SUPPORTER_NUDGE, key="second")
    assert delivery.deliver_one(other.deliveries.get(channel="push").pk).status == "sent"
    topics = [headers["topic"] for headers, _ in push_endpoint.received]
    assert len(topics) == 3
    assert topics[0] == topics[1] != topics[2]


def test_email_and_push_wait_for_the_end_of_quiet_hours(member, django_capture_on_commit_callbacks):
    ContactPreferences.objects.create(user=member, **_quiet_now())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification, _ = _notify(member)
    inapp = notification.deliveries.get(channel="inapp")
    email = notification.deliveries.get(channel="email")
    assert email.not_before > inapp.not_before
    assert email.queued_at is None
    assert len(callbacks) == 1  # only the inbox delivery is published now


def test_the_inbox_gets_a_message_exactly_once_however_often_it_is_delivered(member, client):
    # A resend (a worker killed after sending, a re-drive, a redelivered task) may repeat an
    # email; the inbox entry is the notification row itself, so it can never be repeated.
    notification, _ = notify(
        recipient=member,
        kind=Kind.NETWORK,
        title="Robin accepted your invitation",
        body="Say hello",
        idempotency_key="once",
    )
    inapp = notification.deliveries.get(channel="inapp")
    ids = list(notification.deliveries.values_list("pk", flat=True))
    tasks.deliver.apply(args=(ids,))
    Delivery.objects.filter(pk=inapp.pk).update(status=DeliveryStatus.PENDING, lease_until=None)
    tasks.deliver.apply(args=(ids,))
    tasks.deliver.apply(args=(ids,))
    again, created = notify(
        recipient=member, kind=Kind.NETWORK, title="x", body="y", idempotency_key="once"
    )
    assert not created
    assert again.pk == notification.pk
    assert Notification.objects.filter(recipient=member).count() == 1
    client.force_login(member)
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert inbox.count("Robin accepted your invitation") == 1
