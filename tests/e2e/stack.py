"""The production-shaped stack the browser journeys run against.

gunicorn, a Celery worker and Celery beat, started with docker-compose.yml's own commands, on
the test PostgreSQL database, a private redis-server (so parallel test processes never take
each other's tasks) and an SMTP server on loopback that keeps every message.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.recovery.test_stack import _compose_command, _test_database_url

from ..nudges_support import RedisServer, wait_for
from ..processes import free_port, running, wait_for_http, wait_for_log
from ..settings_probe import base_env, run

LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it is given, for every recipient."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names the hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    def wait_for(
        self, address: str, subject: str = "", timeout: float = 30, text: str = ""
    ) -> EmailMessage:
        """The newest message to ``address`` whose subject and body contain these texts."""

        def find():
            found = [
                m
                for m in self.to(address)
                if subject.lower() in m["Subject"].lower() and text in text_of(m)
            ]
            return found[-1] if found else None

        return wait_for(find, timeout=timeout, interval=0.25, message=f"mail to {address}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def links_in(message: EmailMessage, containing: str = "") -> list[str]:
    """Every link in the plain-text body (in order), optionally only those containing a text."""
    return [link.rstrip(".,)") for link in LINK.findall(text_of(message)) if containing in link]


@dataclass
class Stack:
    base: str
    mailbox: Mailbox
    redis: RedisServer
    logs: dict[str, Path]
    processes: dict

    def links(self, message: EmailMessage, containing: str = "") -> list[str]:
        """The message's links to this site. allauth writes https:// whenever DEBUG is off (as
        behind a TLS proxy); this stack serves plain HTTP on loopback, so the scheme is swapped."""
        secure = self.base.replace("http://", "https://", 1)
        return [
            self.base + link[len(secure) :] if link.startswith(secure) else link
            for link in links_in(message, containing)
        ]

    def assert_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} died:\n{self.logs[name].read_text()[-3000:]}"

    def tail(self, name: str, chars: int = 3000) -> str:
        return self.logs[name].read_text(errors="replace")[-chars:]


@contextlib.contextmanager
def start_stack(workdir: Path) -> Iterator[Stack]:
    """Start the stack; the caller must already have created the test database."""
    workdir.mkdir(parents=True, exist_ok=True)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    redis = RedisServer(workdir)
    redis.start()
    port = free_port()
    # http://localhost is a secure context for the browser (WebAuthn and Secure cookies work
    # there) and the one plain-HTTP origin the WebAuthn library accepts; no TLS proxy in front.
    base = f"http://localhost:{port}"
    env = base_env(
        workdir / "var",
        DEBUG="false",
        SECRET_KEY="e2e-test-secret-key-" + "k" * 40,
        ALLOWED_HOSTS="localhost",
        SITE_URL=base,
        DATABASE_URL=_test_database_url(),
        REDIS_URL=redis.url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(workdir / "static"),
    )
    collect = run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
    assert collect.returncode == 0, collect.stderr
    try:
        with contextlib.ExitStack() as stack:
            logs = {n: workdir / f"{n}.log" for n in ("web", "worker", "beat")}
            web_command = _compose_command("web", **{"--bind": f"127.0.0.1:{port}"})
            web_command = [
                w if not w.startswith("--workers=") else "--workers=2" for w in web_command
            ]
            processes = {
                "web": stack.enter_context(running(web_command, env, logs["web"])),
                "worker": stack.enter_context(
                    running(_compose_command("worker"), env, logs["worker"])
                ),
                "beat": stack.enter_context(running(_compose_command("beat"), env, logs["beat"])),
            }
            wait_for_http(f"http://127.0.0.1:{port}/healthz", processes["web"], logs["web"])
            wait_for_log(processes["worker"], logs["worker"], "ready.")
            wait_for_log(processes["beat"], logs["beat"], "beat: Starting")
            yield Stack(base, mailbox, redis, logs, processes)
    finally:
        redis.stop()
        smtp.stop()
