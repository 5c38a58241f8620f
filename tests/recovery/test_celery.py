"""Celery configuration invariants: the settings that keep tasks safe to redeliver."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from celery.schedules import crontab
from django.conf import settings

from recovery.celery import app
from tests.settings_probe import production_env, settings_for

OUR_APPS = ("recovery", "accounts", "network", "checkins", "nudges")


@pytest.fixture(scope="module")
def registered() -> dict:
    # What a worker does on start-up: import every app's tasks module.
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith(OUR_APPS)}


def test_autodiscovery_registers_the_tasks_of_every_app(registered):
    assert "recovery.ping" in registered
    assert "accounts.tasks.clear_expired_sessions" in registered


def test_a_task_is_acknowledged_only_after_it_ran():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    # One message at a time per process, so a dying worker holds back no one else's work.
    assert conf.worker_prefetch_multiplier == 1
    # Redelivered after a broker outage anyway, so the running copy is stopped, not doubled.
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is True


def test_tasks_have_time_limits_with_a_soft_warning_first():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_messages_are_json_and_times_utc():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.timezone == "UTC"
    assert conf.enable_utc is True


def test_workers_recycle_their_processes():
    assert app.conf.worker_max_memory_per_child > 0
    assert app.conf.worker_max_tasks_per_child > 0


def test_worker_memory_limit_comes_from_the_environment(tmp_path):
    values = settings_for(
        production_env(tmp_path, CELERY_WORKER_MAX_MEMORY_KB="123456"),
        "CELERY_WORKER_MAX_MEMORY_PER_CHILD",
    )
    assert values["CELERY_WORKER_MAX_MEMORY_PER_CHILD"] == 123456


def test_redis_does_not_redeliver_a_task_that_is_still_running(tmp_path, registered):
    values = settings_for(
        production_env(tmp_path), "CELERY_BROKER_TRANSPORT_OPTIONS", "CELERY_BROKER_URL"
    )
    assert values["CELERY_BROKER_URL"].startswith("redis://")
    visibility_timeout = values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert visibility_timeout > app.conf.task_time_limit
    for name, task in registered.items():
        assert (task.time_limit or app.conf.task_time_limit) < visibility_timeout, name


def test_every_beat_entry_names_a_registered_task(registered):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule, "beat has nothing to do"
    # A few static sweeps; per-person timing lives in the database, never in this dict.
    assert len(schedule) <= 10
    for name, entry in schedule.items():
        assert entry["task"] in registered, name
        assert isinstance(entry["schedule"], crontab | timedelta), name
        # A run that queued up behind a stopped worker is dropped instead of piling up.
        assert entry.get("options", {}).get("expires"), name


def test_every_routed_queue_is_consumed_by_the_dev_worker():
    procfile = (Path(settings.BASE_DIR) / "Procfile.dev").read_text()
    worker_line = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    queues = set(worker_line.split(" -Q ", 1)[1].split()[0].split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues
