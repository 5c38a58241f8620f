"""The production stack without Docker: compose's own web, worker and beat commands as real
processes on the test PostgreSQL database and Redis, driven over HTTP and through the broker.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http import HTTPStatus

import pytest
import yaml
from celery import Celery
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.tasks import clear_expired_sessions
from recovery.celery import app, ping
from tests.factories import PASSWORD
from tests.processes import BIN, free_port, running, wait_for_http, wait_for_log
from tests.settings_probe import ROOT, base_env, run

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HOST = "ratpark.example.org"
# What the TLS-terminating proxy in front of gunicorn adds to every request.
PROXY_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def _compose_command(service: str, **replace: str) -> list[str]:
    """The service's command from docker-compose.yml, with ${VAR:-default} resolved."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    words = [
        re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", w) for w in compose["services"][service]["command"]
    ]
    words[0] = str(BIN / words[0])
    for i, word in enumerate(words):
        for option, value in replace.items():
            if word.startswith(f"{option}="):
                words[i] = f"{option}={value}"
    return words


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _purge_queues() -> None:
    # Messages another test left in the shared test Redis must not run against this database.
    with app.connection_for_write() as conn:
        for queue in ("default", "delivery"):
            conn.default_channel.queue_purge(queue)


class _Browser:
    """Just enough of a browser: proxy headers, cookies (Secure ones too), no redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, data: dict | None = None, **headers: str):
        headers = {**PROXY_HEADERS, **headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            response = self.opener.open(request, timeout=15)
        except urllib.error.HTTPError as error:
            response = error
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response.status, response.headers, response.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def stack(tmp_path):
    env = base_env(
        tmp_path / "var",
        DEBUG="false",
        SECRET_KEY="stack-test-secret-key-" + "k" * 40,
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        BEHIND_TLS_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    # As the Docker build does: hashed, compressed files that whitenoise serves.
    collect = run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
    assert collect.returncode == 0, collect.stderr
    _purge_queues()
    port = free_port()
    with contextlib.ExitStack() as stack:
        web_log, worker_log, beat_log = (tmp_path / f"{n}.log" for n in ("web", "worker", "beat"))
        web = stack.enter_context(
            running(
                _compose_command("web", **{"--bind": f"127.0.0.1:{port}", "--workers": "2"}),
                env,
                web_log,
            )
        )
        worker = stack.enter_context(running(_compose_command("worker"), env, worker_log))
        beat = stack.enter_context(running(_compose_command("beat"), env, beat_log))
        wait_for_http(f"http://127.0.0.1:{port}/healthz", web, web_log)
        wait_for_log(worker, worker_log, "ready.")
        wait_for_log(beat, beat_log, "beat: Starting")
        yield {
            "base": f"http://127.0.0.1:{port}",
            "processes": {"web": web, "worker": worker, "beat": beat},
            "logs": {"web": web_log, "worker": worker_log, "beat": beat_log},
        }


def test_the_stack_serves_pages_and_runs_tasks(stack, make_user):
    browser = _Browser(stack["base"])

    # First request on purpose: a fresh process has not opened its database pool yet.
    status, _, body = browser.request("/healthz", Host="10.0.0.5:8000")
    assert status == HTTPStatus.OK, body
    assert '"status": "ok"' in body

    status, headers, body = browser.request("/")
    assert status == HTTPStatus.OK
    assert "tel:988" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "max-age=" in headers["Strict-Transport-Security"]
    status, _, _ = browser.request("/site.css")  # a 404 page must render, not fail
    assert status == HTTPStatus.NOT_FOUND
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)[1]
    assert browser.request(css)[0] == HTTPStatus.OK

    # Without the proxy's header the request is plain HTTP and gets sent to HTTPS.
    status, headers, _ = browser.request("/", **{"X-Forwarded-Proto": "http"})
    assert status == HTTPStatus.MOVED_PERMANENTLY
    assert headers["Location"] == f"https://{HOST}/"

    # Sign in through gunicorn: sessions and accounts are read and written in PostgreSQL.
    user = make_user("stack@example.org")
    # Tests hash with MD5 for speed; gunicorn runs the production hashers.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    status, _, body = browser.request("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]
    status, headers, _ = browser.request(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "login": user.email, "password": PASSWORD},
        Referer=f"https://{HOST}/accounts/login/",
    )
    assert status == HTTPStatus.FOUND, _
    status, _, body = browser.request(headers["Location"])
    assert status == HTTPStatus.OK
    assert Session.objects.filter(expire_date__gt=timezone.now()).exists()

    # A task through Redis to the worker process and its result back.
    assert ping.delay().get(timeout=30) == "pong"

    # A task that changes the test database, done by the worker process.
    Session.objects.create(
        session_key="expired" + "x" * 25,
        session_data="",
        expire_date=timezone.now() - timedelta(days=1),
    )
    clear_expired_sessions.delay()
    deadline = time.monotonic() + 30
    while Session.objects.filter(session_key__startswith="expired").exists():
        assert time.monotonic() < deadline, stack["logs"]["worker"].read_text()[-3000:]
        time.sleep(0.2)

    for name, process in stack["processes"].items():
        assert process.poll() is None, f"{name} died:\n{stack['logs'][name].read_text()[-3000:]}"


def _client_for(broker_url: str) -> Celery:
    """A sender configured like the web server, but on the given broker."""
    config = {
        name.removeprefix("CELERY_").lower(): getattr(settings, name)
        for name in dir(settings)
        if name.startswith("CELERY_")
    }
    config["broker_url"] = config["result_backend"] = broker_url
    client = Celery("client", set_as_current=False)
    client.config_from_object(config)
    return client


def _start_redis(port: int, directory) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return process
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.fixture
def private_redis_worker(tmp_path):
    """A worker (compose's command) on a redis-server of its own, which the test may kill."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    env = base_env(
        tmp_path / "var",
        DEBUG="false",
        SECRET_KEY="stack-test-secret-key-" + "k" * 40,
        DATABASE_URL=_test_database_url(),
        REDIS_URL=broker,
    )
    servers = [_start_redis(port, tmp_path)]
    log = tmp_path / "worker.log"
    try:
        with running(_compose_command("worker"), env, log) as worker:
            wait_for_log(worker, log, "ready.")
            yield {
                "client": _client_for(broker),
                "worker": worker,
                "log": log,
                "kill_redis": lambda: _kill(servers[-1]),
                "start_redis": lambda: servers.append(_start_redis(port, tmp_path)),
            }
    finally:
        for server in servers:
            _kill(server)


def _kill(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=10)


def test_a_worker_reconnects_after_a_redis_restart_and_publishing_fails_fast_meanwhile(
    private_redis_worker,
):
    client, worker, log = (private_redis_worker[k] for k in ("client", "worker", "log"))
    assert client.send_task("recovery.ping").get(timeout=30) == "pong"
    # Let the acknowledgement reach Redis: nothing is in flight when it goes away.
    time.sleep(1)

    private_redis_worker["kill_redis"]()
    # A web request that enqueues during the outage gets an error within seconds, which it
    # can turn into a message, instead of hanging the request.
    started = time.monotonic()
    with pytest.raises(OperationalError):
        client.send_task("recovery.ping")
    assert time.monotonic() - started < 5

    private_redis_worker["start_redis"]()
    # The worker reconnects by itself, without a restart.
    assert client.send_task("recovery.ping").get(timeout=60) == "pong"
    assert worker.poll() is None
    assert "Connection to broker lost" in log.read_text()


def test_a_worker_holding_a_task_survives_a_redis_restart(private_redis_worker):
    client, worker, log = (private_redis_worker[k] for k in ("client", "worker", "log"))
    # The worker holds a task with an ETA unacknowledged until it is due.
    held = client.send_task("recovery.ping", countdown=5)
    wait_for_log(worker, log, f"{held.id}] received")

    private_redis_worker["kill_redis"]()
    time.sleep(1)
    private_redis_worker["start_redis"]()

    # kombu 5.7.0 alone ends the worker here (see recovery.broker.RedisTransport).
    deadline = time.monotonic() + 30
    while "Connected to" not in log.read_text().split("Connection to broker lost")[-1]:
        assert worker.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)
    # The held task returns only after the visibility timeout, so a new one proves the worker.
    assert client.send_task("recovery.ping").get(timeout=30) == "pong"
    assert worker.poll() is None
    assert "Unrecoverable error" not in log.read_text()
