"""Delivery through a real Celery worker on real Redis, PostgreSQL and an SMTP server."""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import connections
from django.urls import reverse

from accounts.models import ContactPreferences
from checkins.models import CheckIn, ReminderPreference
from network.models import Role, Tie
from notifications.models import (
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    PushSubscription,
    Status,
)
from nudges.models import SweepState
from nudges.services import notify
from nudges.sweep import dispatch_deliveries, run_sweep
from tests.nudges_support import (
    RedisServer,
    broker,
    decrypt_push,
    make_browser_keys,
    make_vapid_keys,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_default_quiet_hours")]

FAST = {"NUDGES_RETRY_BASE_SECONDS": "0.3", "NUDGES_LEASE_SECONDS": "3"}


def _delivered(notification: Notification) -> bool:
    notification.refresh_from_db()
    return notification.status != Status.PENDING


def test_a_due_member_gets_exactly_one_message_on_each_channel(
    make_user, smtp_server, push_endpoint, start_worker, settings
):
    private, public = make_vapid_keys()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = private, public
    sam = make_user("sam@example.org", display_name="Sam")
    sam.date_joined -= datetime.timedelta(days=30)
    sam.save()
    ReminderPreference.objects.create(member=sam)
    ContactPreferences.objects.create(user=sam, channel_push=True)
    browser_key, p256dh, auth, auth_b64 = make_browser_keys()
    PushSubscription.objects.create(
        user=sam, endpoint=push_endpoint.url, p256dh=p256dh, auth=auth_b64
    )
    start_worker(EMAIL_URL=smtp_server.url, VAPID_PRIVATE_KEY=private, **FAST)

    now = datetime.datetime.now(datetime.UTC).replace(hour=19, minute=0, second=30)
    if now > datetime.datetime.now(datetime.UTC):
        now -= datetime.timedelta(days=1)
    SweepState.objects.create(id=1, last_run_at=now - datetime.timedelta(minutes=1))
    # Two sweeps at the same time from two connections, then a third: one notification.
    results = []

    def run():
        results.append(run_sweep(now=now, dispatch=False))
        connections.close_all()

    import threading

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_sweep(now=now, dispatch=False)
    assert sum(r.notifications.get("checkin_reminder", 0) for r in results) == 1
    dispatch_deliveries()
    dispatch_deliveries()  # a second dispatch publishes nothing new

    notification = Notification.objects.get(recipient=sam, kind=Kind.CHECKIN_REMINDER)
    wait_for(lambda: _delivered(notification), message="delivery")
    assert notification.status == Status.DELIVERED
    assert notification.delivered_at is not None
    assert set(notification.deliveries.values_list("channel", "status")) == {
        ("inapp", "sent"),
        ("email", "sent"),
        ("push", "sent"),
    }
    time.sleep(1)  # anything duplicated would have arrived by now
    mails = smtp_server.to("sam@example.org")
    assert len(mails) == 1
    assert mails[0]["Subject"] == notification.title
    assert mails[0]["List-Unsubscribe"].strip().startswith("<http")
    assert mails[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(push_endpoint.received) == 1
    headers, body = push_endpoint.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    payload = decrypt_push(body, browser_key, auth)
    assert payload["title"] == notification.title
    assert payload["url"] == reverse("notifications:detail", args=[notification.pk])


def test_smtp_4xx_is_retried_and_5xx_marks_failed(make_user, smtp_server, start_worker):
    smtp_server.script = {
        "later@example.org": ["451 4.3.0 try again later", "451 4.3.0 try again later", "250 OK"],
        "never@example.org": ["550 5.1.1 no such mailbox"],
    }
    start_worker(EMAIL_URL=smtp_server.url, **FAST)
    later = make_user("later@example.org")
    never = make_user("never@example.org")
    made = [
        notify(
            recipient=u, kind=Kind.NETWORK, title="Hello", body="Hi", idempotency_key=f"t:{u.pk}"
        )[0]
        for u in (later, never)
    ]
    for n in made:
        wait_for(lambda n=n: _delivered(n), message="both settled")
    ok, failed = made
    assert ok.status == Status.DELIVERED
    assert smtp_server.attempts["later@example.org"] == 3
    assert len(smtp_server.to("later@example.org")) == 1
    assert failed.status == Status.FAILED
    email_delivery = failed.deliveries.get(channel="email")
    assert email_delivery.status == DeliveryStatus.FAILED
    assert email_delivery.attempts == 1
    assert "550" in email_delivery.last_error
    assert smtp_server.attempts["never@example.org"] == 1


def test_killing_the_worker_mid_batch_loses_and_duplicates_nothing(
    make_user, smtp_server, start_worker, settings
):
    settings.NUDGES_REDRIVE_SECONDS = 2
    smtp_server.delay = 0.15
    people = [make_user(f"p{i}@example.org") for i in range(24)]
    first = start_worker(EMAIL_URL=smtp_server.url, **FAST)
    notes = [
        notify(
            recipient=p, kind=Kind.NETWORK, title="Hi", body="Hello", idempotency_key=f"k:{p.pk}"
        )[0]
        for p in people
    ]
    wait_for(lambda: len(smtp_server.messages) >= 4, message="some mail")
    first.kill()
    sent_before = len(smtp_server.messages)
    assert sent_before < len(people), "the batch finished before the kill; slow SMTP down"
    start_worker(EMAIL_URL=smtp_server.url, **FAST)

    # The sweep's re-drive publishes what the dead worker held once its lease has expired.
    def all_settled():
        dispatch_deliveries()
        # A worker marks the delivery sent, then settles its notification: wait for both.
        return not (
            Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()
            or Notification.objects.filter(status=Status.PENDING).exists()
        )

    wait_for(all_settled, timeout=60, interval=1, message="every delivery settled")
    assert Notification.objects.filter(status=Status.DELIVERED).count() == len(people)
    assert Notification.objects.count() == len(people)  # one inbox entry each
    for person, note in zip(people, notes, strict=True):
        mails = smtp_server.to(person.email)
        assert mails, f"{person.email} got nothing"
        # A message caught mid-send may go twice, but as the same message (same Message-ID),
        # which mail clients show once.
        assert len({m["Message-ID"] for m in mails}) == 1
        assert str(note.pk) in mails[0]["Message-ID"]
    duplicates = sum(len(smtp_server.to(p.email)) - 1 for p in people)
    assert duplicates <= 2  # at most one in flight per pool process


def test_an_sos_submitted_while_redis_is_down_is_delivered_when_it_returns(
    make_user, client, smtp_server, start_worker, tmp_path
):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        sam = make_user("sam@example.org", display_name="Sam")
        maria = make_user("maria@example.org", display_name="Maria")
        Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
        from nudges.models import NudgePreference

        NudgePreference.objects.create(member=maria, urgent_alerts=True)
        checkin = CheckIn.objects.create(
            member=sam, local_date=sam.local_now().date(), mood=1, craving=9, connectedness=1
        )
        start_worker(broker_url=redis_server.url, EMAIL_URL=smtp_server.url, **FAST)
        client.force_login(sam)
        redis_server.stop()
        with broker(redis_server.url):
            started = time.monotonic()
            response = client.post(reverse("nudges:sos"), {"checkin": checkin.pk})
            elapsed = time.monotonic() - started
        assert response.status_code == 302
        assert elapsed < 5, f"the request hung for {elapsed:.1f}s with Redis down"
        assert CheckIn.objects.filter(pk=checkin.pk).exists()
        alert = Notification.objects.get(recipient=maria, kind=Kind.SOS)
        assert alert.status == Status.PENDING
        # The failed publish left it for the next sweep rather than waiting for a re-drive.
        assert not alert.deliveries.exclude(queued_at=None).exists()

        redis_server.start()  # same port: the worker reconnects by itself
        with broker(redis_server.url):
            assert dispatch_deliveries() == 2
        wait_for(lambda: _delivered(alert), timeout=40, message="SOS after Redis returned")
        assert alert.status == Status.DELIVERED
        mails = smtp_server.to("maria@example.org")
        assert len(mails) == 1
        assert "Sam" in mails[0]["Subject"]
        # Only the member's chosen words, never check-in details, and not on the lock screen.
        text = mails[0].get_payload()[0].get_payload(decode=True).decode()
        assert "craving" not in text.lower()
        assert "9" not in mails[0]["Subject"]
    finally:
        redis_server.stop()
