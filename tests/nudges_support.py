"""Real services for the nudges tests: an SMTP server, a push endpoint, Celery workers, Redis.

Imported by the tests of nudges and notifications (fixtures are re-exported there).
"""

from __future__ import annotations

import base64
import contextlib
import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PYTHON_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message or predicate}")


# --- SMTP -------------------------------------------------------------------------------------
@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that records messages and answers as each test script says.

    ``script[address]`` is a list of replies for that recipient, used in turn (the last one
    repeats); the default is 250. ``delay`` slows every message down (worker-kill test).
    """

    script: dict[str, list[str]] = field(default_factory=dict)
    delay: float = 0.0
    messages: list[Message] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names the hook
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        rcpt = envelope.rcpt_tos[0]
        with self.lock:
            n = self.attempts.get(rcpt, 0)
            self.attempts[rcpt] = n + 1
            replies = self.script.get(rcpt, ["250 OK"])
            reply = replies[min(n, len(replies) - 1)]
            if reply.startswith("250"):
                self.messages.append(email.message_from_bytes(envelope.content))
        return reply

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server():
    handler = SmtpRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.url = f"smtp://127.0.0.1:{controller.port}"
    yield handler
    controller.stop()


# --- Web push endpoint ------------------------------------------------------------------------
@dataclass
class PushEndpoint:
    """A loopback HTTP push service that keeps every request it receives."""

    url: str = ""
    received: list[tuple[dict, bytes]] = field(default_factory=list)
    status: int = 201


@pytest.fixture
def push_endpoint():
    endpoint = PushEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server names the handler
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            endpoint.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(endpoint.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/push/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_browser_keys():
    """A browser's push subscription keys: an ECDH P-256 key pair and an auth secret."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    return private, b64url(public), auth, b64url(auth)


def decrypt_push(body: bytes, private_key, auth: bytes) -> dict:
    import http_ece

    return json.loads(
        http_ece.decrypt(body, private_key=private_key, auth_secret=auth, version="aes128gcm")
    )


def make_vapid_keys() -> tuple[str, str]:
    """(private, public) VAPID keys as raw base64url strings."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(private), b64url(public)


# --- Redis and Celery workers -----------------------------------------------------------------
def worker_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@contextlib.contextmanager
def broker(url: str):
    """Point this process's Celery app (the publisher) at another broker for a while."""
    from recovery.celery import app

    def reset():
        from kombu import pools

        pools.reset()  # closes and forgets every pooled connection, so new ones use the URL
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    previous = app.conf.broker_url
    if url == previous:
        yield
        return
    app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        reset()


class RedisServer:
    """A throwaway redis-server on its own port (the shared one on 6379 is never stopped)."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, message="redis to start")

    def ping(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Worker:
    """A real ``celery worker`` process on the test database and a given broker."""

    def __init__(self, broker_url: str, log_path: Path, **env: str):
        self.broker_url = broker_url
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> Worker:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=worker_database_url(),
            REDIS_URL=self.broker_url,
            CELERY_BROKER_URL=self.broker_url,
            # Results (only the readiness ping has one) stay on the shared test Redis DB.
            CELERY_RESULT_BACKEND=os.environ.get("REDIS_URL", self.broker_url),
            DATABASE_POOL="false",
            SITE_URL=settings.SITE_URL,
            **self.env,
        )
        log = open(self.log_path, "a")  # noqa: SIM115 (kept open for the process's life)
        self.process = subprocess.Popen(
            [
                str(PYTHON_BIN / "celery"),
                "-A",
                "recovery",
                "worker",
                "-Q",
                "default,delivery",
                "-P",
                "prefork",
                "-c",
                "2",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill takes the children too
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        from recovery.celery import ping

        with broker(self.broker_url):
            result = ping.apply_async()
            assert result.get(timeout=timeout) == "pong", self.log()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool children), as a crash would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


@pytest.fixture
def clean_broker():
    """The helper's own Redis DB, emptied so no earlier test's messages linger."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def start_worker(transactional_db, clean_broker, tmp_path):
    workers: list[Worker] = []

    def start(*, broker_url: str | None = None, wait: bool = True, **env: str) -> Worker:
        worker = Worker(broker_url or clean_broker, tmp_path / f"worker{len(workers)}.log", **env)
        workers.append(worker)
        return worker.start(wait=wait)

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def no_default_quiet_hours(monkeypatch):
    """People without reminder preferences have quiet hours 22:00–08:00 UTC by default, which
    would defer email and push in tests that run at night; these tests are about delivery.
    Every quiet-hours check reads the one default, so this patch reaches all of them."""
    import datetime

    monkeypatch.setattr("recovery.quiet_hours.DEFAULT", (datetime.time(0), datetime.time(0)))
