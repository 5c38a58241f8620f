"""Faults under real processes: Redis stopped under a live gunicorn, and restarted under a
worker that is in the middle of a delivery task.
"""

from __future__ import annotations

import json
import re
import time
from http import HTTPStatus

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn
from network.models import Role, Tie
from notifications.models import Delivery, DeliveryStatus, Kind, Notification, Status
from nudges.models import NudgePreference, SosAlert
from nudges.services import notify
from nudges.sweep import dispatch_deliveries
from tests.factories import PASSWORD
from tests.nudges_support import RedisServer, broker, wait_for
from tests.processes import free_port, running, wait_for_http
from tests.recovery.test_stack import HOST, _Browser, _compose_command, _test_database_url
from tests.settings_probe import base_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_default_quiet_hours"),
]

FAST = {"NUDGES_RETRY_BASE_SECONDS": "0.3", "NUDGES_LEASE_SECONDS": "3"}


# --- Redis down under a live web server -------------------------------------------------------
@pytest.fixture
def live_web_on_private_redis(tmp_path):
    """gunicorn (compose's command, one worker process) on a redis-server the test may stop."""
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    env = base_env(
        tmp_path / "var",
        DEBUG="false",
        SECRET_KEY="fault-test-secret-key-" + "k" * 40,
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=redis_server.url,
        BEHIND_TLS_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
        STATIC_MANIFEST="false",
    )
    port = free_port()
    log = tmp_path / "web.log"
    # One process, so /healthz and every request share one view of the cache.
    command = _compose_command("web", **{"--bind": f"127.0.0.1:{port}", "--workers": "1"})
    try:
        with running(command, env, log) as web:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", web, log)
            yield {"base": f"http://127.0.0.1:{port}", "redis": redis_server, "log": log}
    finally:
        redis_server.stop()


def _form_token(browser: _Browser, path: str) -> str:
    status, _, body = browser.request(path)
    assert status == HTTPStatus.OK, (path, status)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]


def _post(browser: _Browser, path: str, data: dict, form_path: str | None = None):
    token = _form_token(browser, form_path or path)
    return browser.request(
        path, {"csrfmiddlewaretoken": token, **data}, Referer=f"https://{HOST}{form_path or path}"
    )


def _sign_in(base: str, email: str) -> _Browser:
    browser = _Browser(base)
    status, _headers, body = _post(
        browser, "/accounts/login/", {"login": email, "password": PASSWORD}
    )
    assert status == HTTPStatus.FOUND, (status, body[-2000:])
    return browser


def _production_password(user: User) -> None:
    # Tests hash with MD5 for speed; gunicorn runs the production hashers.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])


def test_sign_in_sign_up_check_in_and_sos_work_while_redis_is_down(
    live_web_on_private_redis, make_user
):
    base, redis_server, log = (live_web_on_private_redis[k] for k in ("base", "redis", "log"))
    sam = make_user("sam@example.org", display_name="Sam")
    maria = make_user("maria@example.org", display_name="Maria")
    for person in (sam, maria):
        _production_password(person)
    Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    NudgePreference.objects.create(member=maria, urgent_alerts=True)
    _sign_in(base, maria.email)  # with Redis up: the rate limiter wrote to Redis
    assert redis.Redis.from_url(redis_server.url).dbsize() > 0

    redis_server.stop()
    started = time.monotonic()

    # Signing in: allauth's rate limiter finds no Redis and lets the attempt through.
    browser = _sign_in(base, sam.email)
    assert Session.objects.filter(expire_date__gt=timezone.now()).count() >= 2
    # A wrong password is still refused (a form error, not a server error).
    status, _, body = _post(
        _Browser(base), "/accounts/login/", {"login": sam.email, "password": "wrong-password-1"}
    )
    assert status == HTTPStatus.OK
    assert "not correct" in body

    # Signing up.
    status, headers, body = _post(
        _Browser(base),
        "/accounts/signup/",
        {
            "email": "robin@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Robin",
            "time_zone": "UTC",
        },
    )
    assert status == HTTPStatus.FOUND, body[-2000:]
    assert User.objects.filter(email="robin@example.org").exists()

    # A hard check-in is stored, and the SOS goes into Maria's inbox at once; its deliveries
    # wait in PostgreSQL for the sweep, since they could not be published.
    status, _, body = _post(
        browser, "/checkins/", {"mood": "1", "craving": "9", "used": "yes", "connectedness": "1"}
    )
    assert status == HTTPStatus.FOUND, body[-2000:]
    checkin = CheckIn.objects.get(member=sam)
    status, headers, body = _post(browser, "/nudges/sos/", {"checkin": checkin.pk}, "/checkins/")
    assert status == HTTPStatus.FOUND, body[-2000:]
    sos_page = f"/nudges/sos/{SosAlert.objects.get(member=sam).pk}/"
    assert headers["Location"] == sos_page  # who was told, and who answered
    alert = Notification.objects.get(recipient=maria, kind=Kind.SOS)  # in her inbox
    assert alert.deliveries.count() == 2
    assert not alert.deliveries.exclude(queued_at=None).exists()  # the next sweep publishes
    assert browser.request(sos_page)[0] == HTTPStatus.OK
    # Each of these requests costs milliseconds, not a Redis timeout each.
    assert time.monotonic() - started < 30

    # /healthz says the broker is down and shows the degraded cache; the log says it once.
    status, _, body = _Browser(base).request("/healthz")
    health = json.loads(body)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert health["cache"] == "degraded"
    assert health["cache_degraded_operations"] > 0
    assert log.read_text().count("cache unavailable") == 1
    assert "Internal Server Error" not in log.read_text()

    # Redis returns: the cache is used again (after its retry pause), and says so.
    redis_server.start()
    wait_for(
        lambda: _sign_in(base, maria.email) and "cache available again" in log.read_text(),
        timeout=20,
        interval=1,
        message="the cache to come back",
    )
    assert redis.Redis.from_url(redis_server.url).dbsize() > 0


# --- A worker mid-task when Redis restarts ----------------------------------------------------
def test_a_worker_mid_task_survives_a_redis_restart_and_every_delivery_completes(
    make_user, smtp_server, start_worker, tmp_path, settings
):
    settings.NUDGES_REDRIVE_SECONDS = 2
    smtp_server.delay = 0.25  # 40 emails: about 10 s of sending in one task
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        people = [make_user(f"p{i}@example.org") for i in range(40)]
        with broker(redis_server.url):
            for p in people:
                notify(
                    recipient=p,
                    kind=Kind.NETWORK,
                    title="Hi",
                    body="Hello",
                    idempotency_key=p.email,
                )
        # notify published one task per person; make it one task holding all 40 emails.
        redis.Redis.from_url(redis_server.url).flushdb()
        emails = list(
            Delivery.objects.filter(channel="email").order_by("pk").values_list("pk", flat=True)
        )
        assert len(emails) == len(people)
        worker = start_worker(broker_url=redis_server.url, EMAIL_URL=smtp_server.url, **FAST)
        with broker(redis_server.url):
            from notifications.tasks import deliver

            deliver.apply_async((emails,))
        time.sleep(3)
        assert 0 < len(smtp_server.messages) < len(people), "the task is not mid-way"
        redis_server.stop()  # SIGTERM
        time.sleep(1)
        redis_server.start()

        def all_settled() -> bool:
            assert worker.process.poll() is None, worker.log()[-4000:]
            with broker(redis_server.url):
                dispatch_deliveries()
            return not (
                Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()
                or Notification.objects.filter(status=Status.PENDING).exists()
            )

        wait_for(all_settled, timeout=90, interval=1, message="every delivery settled")
        # The worker outlives the moment Celery 5.7's own consumer exited (about 13 s after
        # Redis returned, when the running task's late acknowledgement met the old connection).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert worker.process.poll() is None, worker.log()[-4000:]
            time.sleep(0.5)
        assert "Unrecoverable error" not in worker.log()
        assert Notification.objects.filter(status=Status.DELIVERED).count() == len(people)
        for person in people:
            mails = smtp_server.to(person.email)
            assert mails, f"{person.email} got nothing"
            assert len({m["Message-ID"] for m in mails}) == 1
        # And it still works: a new message goes out through the same worker.
        with broker(redis_server.url):
            notify(
                recipient=people[0],
                kind=Kind.NETWORK,
                title="Hi",
                body="Again",
                idempotency_key="again",
            )
        wait_for(
            lambda: len(smtp_server.to(people[0].email)) >= 2, timeout=30, message="a new email"
        )
    finally:
        redis_server.stop()
