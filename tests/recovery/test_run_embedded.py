"""`make run`'s embedded mode: a real worker on the file broker and SQLite, no Redis at all."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.processes import (
    free_port,
    http_get,
    live_processes_in_group,
    procfile_command,
    running,
    wait_for_http,
    wait_for_log,
)
from tests.settings_probe import ROOT, base_env, run

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


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite database in a fresh RATPARK_VAR_DIR, as `make run` prepares it."""
    var_dir = tmp_path_factory.mktemp("embedded") / "var"
    # Only what `make run` sets: no REDIS_URL, no DATABASE_URL from the test process.
    env = base_env(var_dir, DEBUG="true")
    migrate = run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env, 180)
    assert migrate.returncode == 0, migrate.stderr
    return var_dir, env


def test_a_worker_on_the_file_broker_runs_tasks_without_redis(embedded, tmp_path):
    var_dir, env = embedded
    log = tmp_path / "worker.log"
    with running(procfile_command("worker"), env, log) as worker:
        wait_for_log(worker, log, "ready.")
        client = run([sys.executable, "-c", _CLIENT], env, timeout=150)
        assert client.returncode == 0, client.stderr + log.read_text()[-4000:]

    assert "ping: pong" in client.stdout
    # The worker, a separate process, deleted the row in the shared SQLite file.
    assert "sessions left: 0" in client.stdout
    assert "recovery.ping" in log.read_text()
    assert (var_dir / "results").is_dir()
    assert any((var_dir / "results").iterdir())
    assert (var_dir / "ratpark.sqlite3").is_file()
    # Every file the broker writes stays under RATPARK_VAR_DIR, none in the checkout.
    assert any((var_dir / "broker" / "control").iterdir())
    assert not (ROOT / "control").exists()


def test_ctrl_c_stops_web_worker_and_beat_cleanly(embedded, tmp_path):
    """What `make run` starts after migrating: scripts/run.py (honcho) with Procfile.dev."""
    if not (ROOT / ".venv" / "bin" / "celery").exists():
        pytest.skip("Procfile.dev runs from .venv/, which `make test` creates")
    _, env = embedded
    port = free_port()
    log = tmp_path / "run.log"
    with running([sys.executable, "scripts/run.py"], {**env, "PORT": str(port)}, log) as honcho:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", honcho, log)
        wait_for_log(honcho, log, "celery@")  # the worker's banner
        wait_for_log(honcho, log, "ready.")
        wait_for_log(honcho, log, "beat: Starting")
        status, _, body = http_get(f"http://127.0.0.1:{port}/")
        assert status == HTTPStatus.OK
        assert b"tel:988" in body

        started = {
            name: int(pid)
            for name, pid in re.findall(r"(\w+)\.1 started \(pid=(\d+)\)", log.read_text())
        }
        assert set(started) == {"web", "worker", "beat"}

        # Ctrl-C in a terminal signals the foreground group; honcho leads it here.
        os.kill(honcho.pid, signal.SIGINT)
        begun = time.monotonic()
        honcho.wait(timeout=30)
        stopped_after = time.monotonic() - begun

    output = log.read_text()
    assert "SIGKILL" not in output, output[-3000:]
    assert "exited with" not in output, output[-3000:]
    # Every process group honcho made (each command with its children) is gone. A zombie
    # may linger until init reaps it; it runs nothing.
    for name, pid in started.items():
        assert live_processes_in_group(pid) == [], name
    assert stopped_after < 15
