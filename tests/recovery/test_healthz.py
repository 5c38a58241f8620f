"""/healthz against real brokers: a live one, one that died, one that never answers."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus

import pytest

from recovery.celery import app as celery_app
from tests.settings_probe import production_env, run

pytestmark = pytest.mark.django_db

# Below the broker socket timeout (5 s), so a probe that waited on it fails the test.
PROBE_BUDGET_SECONDS = 4.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, deadline_seconds: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture
def use_broker(monkeypatch: pytest.MonkeyPatch):
    def use(url: str) -> None:
        monkeypatch.setattr(celery_app.conf, "broker_url", url)

    return use


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A private redis-server this test may kill; the shared one is never touched."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.kill()
        process.wait(timeout=10)


def _probe(client, **extra):
    started = time.monotonic()
    response = client.get("/healthz", **extra)
    return response, time.monotonic() - started


def test_it_reports_ok_when_database_and_broker_answer(client):
    response, _ = _probe(client)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {k: body.pop(k) for k in ("database", "broker", "status")} == {
        "database": "ok",
        "broker": "ok",
        "status": "ok",
    }
    # This process's cache figures (recovery/cache.py), and nothing else.
    assert set(body) == {"cache", "cache_degraded_operations", "cache_outages"}
    assert body["cache"] in ("ok", "degraded")
    assert "no-cache" in response["Cache-Control"]


def test_it_turns_503_when_the_broker_dies(client, throwaway_redis, use_broker):
    url, redis_process = throwaway_redis
    use_broker(url)
    assert _probe(client)[0].status_code == HTTPStatus.OK

    redis_process.kill()
    redis_process.wait(timeout=10)

    response, elapsed = _probe(client)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] not in ("ok", "")
    assert elapsed < PROBE_BUDGET_SECONDS


def test_it_answers_503_quickly_when_nothing_listens(client, use_broker):
    use_broker("redis://127.0.0.1:1/0")
    response, elapsed = _probe(client)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["broker"] != "ok"
    assert elapsed < PROBE_BUDGET_SECONDS


def test_it_does_not_hang_on_a_broker_that_accepts_but_never_answers(client, use_broker):
    # The kernel completes the TCP handshake from the backlog; nobody ever reads or writes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        use_broker(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        response, elapsed = _probe(client)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert elapsed < PROBE_BUDGET_SECONDS


def test_it_answers_probes_by_ip_address_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["ratpark.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == HTTPStatus.OK
    # Everything else still gets host validation and the HTTPS redirect.
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == HTTPStatus.BAD_REQUEST
    assert client.get("/", HTTP_HOST="ratpark.example.org").status_code == (
        HTTPStatus.MOVED_PERMANENTLY
    )


def test_it_allows_head_but_not_post(client):
    assert client.head("/healthz").status_code == HTTPStatus.OK
    assert client.post("/healthz").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_it_answers_503_quickly_when_the_database_is_down(tmp_path):
    # Settings are read once per process: a server whose database URL points at nothing.
    script = """
import json, time
import django
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/healthz")
elapsed = time.monotonic() - started
print(json.dumps({"status": response.status_code, "body": response.json(), "elapsed": elapsed}))
"""
    env = production_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/ratpark")
    result = run([sys.executable, "-c", script], env)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == HTTPStatus.SERVICE_UNAVAILABLE
    assert outcome["body"]["database"] != "ok"
    assert outcome["body"]["broker"] == "ok"
    assert outcome["elapsed"] < PROBE_BUDGET_SECONDS
