"""The daily consent job, run by a real Celery worker on the real broker and database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from network.consents import consent_sign_part2
from network.models import Consent, Role, Scope, Tie
from network.tasks import expire_consents
from recovery.celery import ping
from tests.factories import TherapistFactory


def _expiring_consent(make_user, member, days: float) -> Consent:
    therapist = TherapistFactory()
    tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent = consent_sign_part2(
        tie=tie,
        scopes=[Scope.NOTES],
        purpose="p",
        signature_name="Sam",
        expires_at=timezone.now() + timedelta(days=1),
    )
    Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() + timedelta(days=days))
    return consent


def test_the_task_is_a_thin_idempotent_wrapper(member, make_user):
    _expiring_consent(make_user, member, days=-1)
    _expiring_consent(make_user, member, days=5)
    assert expire_consents() == {"expired": 1, "reminded": 1, "invitations_expired": 0}
    assert expire_consents() == {"expired": 0, "reminded": 0, "invitations_expired": 0}


def test_the_beat_schedule_runs_it_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["network-expire-consents"]
    assert entry["task"] == expire_consents.name


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_consents(make_user):
    member = make_user("sam@example.org", display_name="Sam")
    consent = _expiring_consent(make_user, member, days=-1)
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"),
        "DATABASE_POOL": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "recovery",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The worker is up once it answers a ping; then the real task goes through the broker.
        assert ping.delay().get(timeout=30) == "pong"
        expire_consents.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            consent.refresh_from_db()
            if consent.ended_at is not None:
                break
            time.sleep(0.2)
        assert (consent.ended_at, consent.end_reason) != (None, ""), "the task never ran"
        assert consent.end_reason == "expired"
        assert member.notifications.filter(kind="consent").count() == 1
    finally:
        worker.terminate()
        worker.wait(timeout=20)
