"""`make run`'s embedded mode: a real worker on the file broker and SQLite, no Redis at all."""

from __future__ import annotations

import sys

import pytest

from .processes import procfile_command, running, wait_for_log
from .settings_probe import ROOT, base_env, run

pytestmark = pytest.mark.slow

# Runs in a separate process with the same environment as the worker, like the web server
# of `make run` does: it enqueues through the app's own settings and waits for the outcome.
_CLIENT = """
import time
from datetime import timedelta
import django
django.setup()
from django.contrib.sessions.models import Session
from django.utils import timezone
from accounts.tasks import clear_expired_sessions
from recovery.celery import app, ping

assert app.conf.broker_url == "filesystem://localhost/", app.conf.broker_url
print("ping:", ping.delay().get(timeout=60))

yesterday = timezone.now() - timedelta(days=1)
Session.objects.create(session_key="expired" + "x" * 25, session_data="", expire_date=yesterday)
clear_expired_sessions.delay()
deadline = time.monotonic() + 60
while Session.objects.exists() and time.monotonic() < deadline:
    time.sleep(0.2)
print("sessions left:", Session.objects.count())
"""


def test_a_worker_on_the_file_broker_runs_tasks_without_redis(tmp_path):
    var_dir = tmp_path / "var"
    # Only what `make run` sets: no REDIS_URL, no DATABASE_URL from the test process.
    env = base_env(var_dir, DEBUG="true")
    migrate = run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env, 180)
    assert migrate.returncode == 0, migrate.stderr

    log = tmp_path / "worker.log"
    with running(procfile_command("worker"), env, log) as worker:
        wait_for_log(worker, log, "ready.")
        client = run([sys.executable, "-c", _CLIENT], env, timeout=150)
        assert client.returncode == 0, client.stderr + log.read_text()[-4000:]

    assert "ping: pong" in client.stdout
    # The worker, a separate process, deleted the row in the shared SQLite file.
    assert "sessions left: 0" in client.stdout
    assert "recovery.ping" in log.read_text()
    assert (var_dir / "results").is_dir() and any((var_dir / "results").iterdir())
    assert (var_dir / "ratpark.sqlite3").is_file()
    # Every file the broker writes stays under RATPARK_VAR_DIR, none in the checkout.
    assert any((var_dir / "broker" / "control").iterdir())
    assert not (ROOT / "control").exists()
