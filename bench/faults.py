"""Faults under load: is any SOS lost or repeated, and does anyone see a server error?

Starts the production stack on loopback only: a private redis-server on a free port, an SMTP
sink (in this process), gunicorn, two Celery workers and beat with docker-compose.yml's
commands, on the scratch PostgreSQL database in DATABASE_URL. Client threads send hard
check-ins and SOS requests for signed-in members (and one thread signs in again and again)
while faults are injected on a schedule: SIGKILL of a worker's pool child, SIGKILL of a
worker's whole process group (restarted 2 s later, as compose's restart policy would), Redis
stopped and started again, gunicorn reloaded (SIGHUP), the SMTP server answering 451. Then
it drains and prints a table (fault, count, lost, duplicated per channel, 5xx seen by the
client, dwell p50/p95/max) and a final line:

    RESULT lost=0 duplicated_inapp=0 duplicated_email=N server_errors=0 max_dwell_s=…

A duplicated email is "explained" when a worker kill or a Redis outage began within seconds
after the first copy arrived (the worker died inside or just after the SMTP exchange, before
recording it). The default run takes about 7 minutes:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_faults .venv/bin/python bench/faults.py
    … bench/faults.py --duration 90 --members 60 --redis-outages 20 --pool-kills 2 --main-kills 1

The database named in DATABASE_URL is migrated and FLUSHED: never point it at real data.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=240, help="seconds of load (default 240)")
    p.add_argument("--members", type=int, default=150, help="members sending an SOS")
    p.add_argument("--contacts", type=int, default=2, help="SOS contacts per member")
    p.add_argument("--threads", type=int, default=4, help="client threads")
    p.add_argument("--repeat-sos", type=int, default=2, help="SOS presses per member")
    p.add_argument("--login-interval", type=float, default=2.0, help="seconds between sign-ins")
    p.add_argument(
        "--redis-outages",
        type=float,
        nargs="*",
        default=[45, 20],
        help="seconds Redis is down, one number per outage (default 45 20)",
    )
    p.add_argument("--pool-kills", type=int, default=4, help="SIGKILLs of a worker pool child")
    p.add_argument("--main-kills", type=int, default=3, help="SIGKILLs of a whole worker")
    p.add_argument("--web-reloads", type=int, default=1, help="gunicorn SIGHUP reloads")
    p.add_argument("--smtp-451-seconds", type=float, default=30, help="0 for none")
    p.add_argument("--smtp-delay", type=float, default=0.05, help="seconds per SMTP message")
    p.add_argument("--drain-timeout", type=float, default=180)
    p.add_argument("--redrive-seconds", type=int, default=60, help="NUDGES_REDRIVE_SECONDS")
    p.add_argument("--lease-seconds", type=int, default=30, help="NUDGES_LEASE_SECONDS")
    return p.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
REDIS_PORT, WEB_PORT, SMTP_PORT = free_port(), free_port(), free_port()
VAR = Path(tempfile.mkdtemp(prefix="ratpark-faults-"))
if "DATABASE_URL" not in os.environ:
    sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (it is flushed).")
ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", str(Path.home())),
    "LANG": "C.UTF-8",
    "DJANGO_SETTINGS_MODULE": "recovery.settings",
    "RATPARK_VAR_DIR": str(VAR),
    "DATABASE_URL": os.environ["DATABASE_URL"],
    "REDIS_URL": f"redis://{LOOPBACK}:{REDIS_PORT}/0",
    "EMAIL_URL": f"smtp://{LOOPBACK}:{SMTP_PORT}",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": LOOPBACK,
    "SITE_URL": f"http://{LOOPBACK}:{WEB_PORT}",
    "SECURE_SSL_REDIRECT": "false",
    "STATIC_MANIFEST": "false",
    "LOG_LEVEL": "INFO",  # the workers log "ready." at INFO
    "NUDGES_RETRY_BASE_SECONDS": "5",
}
if ARGS is not None:
    ENV["NUDGES_REDRIVE_SECONDS"] = str(ARGS.redrive_seconds)
    ENV["NUDGES_LEASE_SECONDS"] = str(ARGS.lease_seconds)
os.environ.update(ENV, DATABASE_POOL="false", LOG_LEVEL="WARNING")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from scratch import access_log_guard_off  # noqa: E402

from accounts.models import User  # noqa: E402
from checkins.models import CheckIn  # noqa: E402
from network.models import Role, Tie  # noqa: E402
from notifications.models import Delivery, Kind, Notification  # noqa: E402
from nudges.models import NudgePreference  # noqa: E402

PASSWORD = secrets.token_urlsafe(16)  # only the bench signs in with it
EVENTS: list[tuple[float, float, str]] = []  # (start, end, fault) in time.time()
EVENTS_LOCK = threading.Lock()


def note(fault: str, start: float, end: float | None = None) -> None:
    with EVENTS_LOCK:
        EVENTS.append((start, end if end is not None else start, fault))


# --- The SMTP sink ----------------------------------------------------------------------------
class Sink:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []  # (time, Message-ID)
        self.refuse_until = 0.0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names the hook
        import asyncio

        if self.delay:
            await asyncio.sleep(self.delay)
        if time.time() < self.refuse_until:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.arrivals.append((time.time(), message["Message-ID"]))
        return "250 OK"


# --- Processes --------------------------------------------------------------------------------
def compose_command(service: str, **replace: str) -> list[str]:
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


class Proc:
    """One supervised process in its own process group, logging to VAR/<name>.log."""

    def __init__(self, name: str, args: list[str]) -> None:
        self.name, self.args = name, args
        self.process: subprocess.Popen | None = None
        self.planned_exit = False
        self.unplanned_exits: list[int] = []

    def start(self) -> None:
        log = open(VAR / f"{self.name}.log", "a")  # noqa: SIM115 (kept for the process's life)
        self.process = subprocess.Popen(
            self.args, env=ENV, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.planned_exit = False

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.planned_exit = True
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process:
            self.signal_group(signal.SIGKILL)

    def children(self) -> list[int]:
        try:
            path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in path.read_text().split()]
        except (OSError, ValueError):
            return []


def start_redis() -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", LOOPBACK, "--save", ""]
        + ["--appendonly", "no", "--dir", str(VAR)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(REDIS_PORT)
    return process


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection((LOOPBACK, port), 0.2).close()
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def wait_log(proc: Proc, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (VAR / f"{proc.name}.log").read_text(errors="replace"):
            return
        if proc.process.poll() is not None:
            raise SystemExit(f"{proc.name} exited; see {VAR / (proc.name + '.log')}")
        time.sleep(0.2)
    raise SystemExit(f"{proc.name}: no {text!r} after {timeout}s")


# --- HTTP clients -----------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.responses: list[tuple[float, str, int]] = []  # (time, path, status; 0 = no answer)

    def add(self, path: str, status: int) -> None:
        with self.lock:
            self.responses.append((time.time(), path, status))


STATS = Stats()


class Browser:
    def __init__(self, cookies: dict[str, str] | None = None) -> None:
        self.base = f"http://{LOOPBACK}:{WEB_PORT}"
        self.cookies = dict(cookies or {})
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        headers = {"Host": LOOPBACK}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        label = re.sub(r"\d+", "N", path)
        try:
            response = self.opener.open(req, timeout=20)
        except urllib.error.HTTPError as error:
            response = error
        except OSError:
            STATS.add(label, 0)
            return 0, ""
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        text = response.read().decode(errors="replace")
        STATS.add(label, response.status)
        return response.status, text

    def token(self, path: str) -> str | None:
        status, body = self.request(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        return match[1] if status == 200 and match else None

    def post(self, path: str, data: dict, form: str | None = None) -> int:
        for _ in range(3):  # a page that did not load (web reload) is simply tried again
            token = self.token(form or path)
            if token:
                return self.request(path, {"csrfmiddlewaretoken": token, **data})[0]
            time.sleep(0.5)
        return 0


def member_client(member_id: int, cookie: str, due: float, outcome: dict) -> None:
    time.sleep(max(0.0, due - time.time()))
    browser = Browser({"sessionid": cookie})
    hard = {"mood": "1", "craving": "9", "used": "yes", "connectedness": "1"}
    outcome["checkin_status"] = browser.post("/checkins/", hard)
    checkin = CheckIn.objects.filter(member_id=member_id).values_list("pk", flat=True).first()
    outcome["checkin_stored"] = checkin is not None
    outcome["sos_ok"] = False
    if checkin is None:
        return
    for _ in range(ARGS.repeat_sos):
        status = browser.post("/nudges/sos/", {"checkin": checkin}, "/checkins/")
        outcome.setdefault("sos_statuses", []).append(status)
        outcome["sos_ok"] |= status == 302
        outcome["sos_at"] = outcome.get("sos_at") or time.time()


def sign_in_loop(emails: list[str], stop: threading.Event, results: list[int]) -> None:
    i = 0
    while not stop.is_set():
        browser = Browser()
        results.append(browser.post("/accounts/login/", {"login": emails[i], "password": PASSWORD}))
        i = (i + 1) % len(emails)
        stop.wait(ARGS.login_interval)


# --- Faults -----------------------------------------------------------------------------------
def schedule(duration: float) -> list[tuple[float, str, float]]:
    """(offset, fault, length) for every fault, spread over the load."""
    plan: list[tuple[float, str, float]] = []
    for i, length in enumerate(ARGS.redis_outages):
        plan.append((duration * (0.15 + 0.45 * i), "redis outage", length))
    if ARGS.smtp_451_seconds:
        plan.append((duration * 0.35, "SMTP 451", ARGS.smtp_451_seconds))
    for i in range(ARGS.pool_kills):
        plan.append((duration * (0.1 + 0.8 * i / max(ARGS.pool_kills, 1)), "pool child SIGKILL", 0))
    for i in range(ARGS.main_kills):
        plan.append((duration * (0.2 + 0.7 * i / max(ARGS.main_kills, 1)), "worker SIGKILL", 0))
    for i in range(ARGS.web_reloads):
        plan.append((duration * (0.5 + 0.4 * i / max(ARGS.web_reloads, 1)), "gunicorn reload", 0))
    return sorted(plan)


class Stack:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.redis = start_redis()
        web = compose_command("web", **{"--bind": f"{LOOPBACK}:{WEB_PORT}", "--workers": "2"})
        self.web = Proc("web", web)
        self.workers = [
            Proc(f"worker{i}", [*compose_command("worker"), f"--hostname=w{i}@bench"])
            for i in (1, 2)
        ]
        self.beat = Proc("beat", compose_command("beat"))
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self) -> None:
        for proc in (self.web, *self.workers, self.beat):
            proc.start()
        wait_port(WEB_PORT, 60)
        for worker in self.workers:
            wait_log(worker, "ready.")
        threading.Thread(target=self.supervise, daemon=True).start()

    def supervise(self) -> None:
        """compose's ``restart: unless-stopped``: a dead worker or beat is started again."""
        while not self.stopping.is_set():
            with self.lock:
                for proc in (*self.workers, self.beat, self.web):
                    code = proc.process.poll()
                    if code is not None and not self.stopping.is_set():
                        if not proc.planned_exit:
                            proc.unplanned_exits.append(code)
                        time.sleep(2)
                        proc.start()
            time.sleep(0.5)

    def inject(self, fault: str, length: float, worker_index: int) -> None:
        now = time.time()
        worker = self.workers[worker_index % 2]
        if fault == "redis outage":
            self.redis.terminate()
            self.redis.wait(timeout=10)
            time.sleep(length)
            self.redis = start_redis()
            note(fault, now, time.time())
        elif fault == "SMTP 451":
            self.sink.refuse_until = now + length
            note(fault, now, now + length)
        elif fault == "pool child SIGKILL":
            children = worker.children()
            if children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(children[-1], signal.SIGKILL)
                note(fault, now)
        elif fault == "worker SIGKILL":
            with self.lock:
                worker.planned_exit = True
                worker.signal_group(signal.SIGKILL)
                worker.process.wait(timeout=10)
            note(fault, now)
        elif fault == "gunicorn reload":
            os.kill(self.web.process.pid, signal.SIGHUP)
            note(fault, now)

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            for proc in (self.beat, *self.workers, self.web):
                proc.stop()
        self.redis.terminate()
        self.redis.wait(timeout=10)


# --- Population -------------------------------------------------------------------------------
def populate(members: int, contacts: int) -> tuple[list[User], list[str]]:
    call_command("migrate", "--no-input", verbosity=0)
    with access_log_guard_off():
        call_command("flush", "--no-input", verbosity=0)
    from allauth.account.models import EmailAddress

    hashed = make_password(PASSWORD)
    people = [
        User(email=f"m{i}@bench.invalid", display_name=f"Member {i}", password=hashed)
        for i in range(members)
    ] + [
        User(email=f"s{i}@bench.invalid", display_name=f"Supporter {i}", password=hashed)
        for i in range(members * contacts)
    ]
    User.objects.bulk_create(people)
    people = list(User.objects.order_by("pk"))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in people
    )
    member_rows, supporter_rows = people[:members], people[members:]
    Tie.objects.bulk_create(
        Tie(
            member=m,
            supporter=supporter_rows[i * contacts + j],
            role=Role.FRIEND,
            is_sos_contact=True,
        )
        for i, m in enumerate(member_rows)
        for j in range(contacts)
    )
    # SOS alerts go out at once even in the contacts' quiet hours (the run may be at night).
    NudgePreference.objects.bulk_create(
        NudgePreference(member=s, urgent_alerts=True) for s in supporter_rows
    )
    cookies = []
    for m in member_rows:
        client = Client()
        client.force_login(m, backend="django.contrib.auth.backends.ModelBackend")
        cookies.append(client.cookies["sessionid"].value)
    return member_rows, cookies


# --- Figures ----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def in_window(t: float, fault: str, start: float, end: float) -> bool:
    # Point faults (kills, reloads) affect what is in flight for a few seconds afterwards.
    return start - 1 <= t <= max(end, start + 10)


def report(outcomes: dict[int, dict], sink: Sink, stack: Stack, logins: list[int]) -> int:
    sos = list(
        Notification.objects.filter(kind=Kind.SOS).values(
            "pk", "recipient_id", "subject_member_id", "idempotency_key", "created_at"
        )
    )
    deliveries = list(
        Delivery.objects.filter(notification__kind=Kind.SOS).values(
            "pk", "notification_id", "channel", "status", "created_at", "sent_at"
        )
    )
    ties = {}
    for member_id, supporter_id in Tie.objects.values_list("member_id", "supporter_id"):
        ties.setdefault(member_id, []).append(supporter_id)
    by_pair = {}
    for n in sos:
        by_pair.setdefault((n["subject_member_id"], n["recipient_id"]), []).append(n)
    arrivals: dict[str, list[float]] = {}
    for t, message_id in sink.arrivals:
        arrivals.setdefault(message_id, []).append(t)

    lost: list[tuple[float, str]] = []  # (when the request was answered, what)
    for member_id, outcome in outcomes.items():
        at = outcome.get("sos_at") or time.time()
        if outcome.get("checkin_status") == 302 and not outcome.get("checkin_stored"):
            lost.append((at, "check-in"))
        if not outcome.get("sos_ok"):
            continue
        for supporter_id in ties[member_id]:
            if not by_pair.get((member_id, supporter_id)):
                lost.append((at, "sos notification"))
    for d in deliveries:
        created = d["created_at"].timestamp()
        if d["status"] != "sent":
            lost.append((created, f"{d['channel']} {d['status']}"))
        elif d["channel"] == "email" and not any(
            mid and mid.startswith(f"<{d['notification_id']}.{d['pk']}@") for mid in arrivals
        ):
            lost.append((created, "email never arrived"))
    dup_inapp = [
        (ns[0]["created_at"].timestamp(), len(ns) - 1) for ns in by_pair.values() if len(ns) > 1
    ]
    dup_email = [(ts[0], len(ts) - 1) for ts in arrivals.values() if len(ts) > 1]
    kills = [(s, f) for s, _, f in EVENTS if f in ("pool child SIGKILL", "worker SIGKILL")]
    outages = [(s, f) for s, _, f in EVENTS if f == "redis outage"]

    def explained(first: float) -> bool:
        return any(-0.5 <= s - first <= 5 for s, _ in kills + outages)

    unexplained = sum(n for t, n in dup_email if not explained(t))
    dwell = [
        (d["created_at"].timestamp(), (d["sent_at"] - d["created_at"]).total_seconds())
        for d in deliveries
        if d["status"] == "sent" and d["channel"] == "email"
    ]
    errors = [(t, p, s) for t, p, s in STATS.responses if s >= 500]
    windows = sorted(EVENTS)

    def during(t: float) -> list[str]:
        return [f for s, e, f in windows if in_window(t, f, s, e)]

    rows = []
    faults = sorted({f for _, _, f in windows})
    for fault in [*faults, "(outside faults)", "total"]:
        if fault == "total":
            pick = lambda t: True  # noqa: E731
            count = len(windows)
        elif fault == "(outside faults)":
            pick = lambda t: not during(t)  # noqa: E731
            count = 0
        else:
            pick = lambda t, f=fault: f in during(t)  # noqa: E731
            count = sum(1 for _, _, f in windows if f == fault)
        dw = [v for t, v in dwell if pick(t)]
        rows.append(
            (
                fault,
                count,
                sum(1 for t, _ in lost if pick(t)),
                sum(n for t, n in dup_inapp if pick(t)),
                sum(n for t, n in dup_email if pick(t)),
                sum(1 for t, _, _ in errors if pick(t)),
                len(dw),
                pct(dw, 0.5),
                pct(dw, 0.95),
                max(dw) if dw else float("nan"),
            )
        )
    head = ("fault", "count", "lost", "dup inapp", "dup email", "5xx", "emails", "p50 s", "p95 s")
    print()
    print("| " + " | ".join((*head, "max s")) + " |")
    print("|" + "---|" * (len(head) + 1))
    for row in rows:
        *text, p50, p95, top = row
        print("| " + " | ".join(str(x) for x in text) + f" | {p50:.1f} | {p95:.1f} | {top:.1f} |")
    requests_total = len(STATS.responses)
    no_answer = sum(1 for _, _, s in STATS.responses if s == 0)
    sos_requests = sum(len(o.get("sos_statuses", [])) for o in outcomes.values())
    print()
    print(
        f"requests {requests_total} (no answer: {no_answer}), SOS presses {sos_requests}, "
        f"SOS notifications {len(sos)}, sign-ins {len(logins)} "
        f"(302: {logins.count(302)}, other: {sorted(set(logins) - {302})})"
    )
    print(f"SMTP 451 answers {sink.refused}; unexplained email duplicates {unexplained}")
    for proc in (*stack.workers, stack.beat, stack.web):
        if proc.unplanned_exits:
            print(f"{proc.name} exited unplanned with codes {proc.unplanned_exits}")
    for t, path, status in errors[:10]:
        print(f"  {status} {path} at +{t - START:.0f}s")
    for t, what in lost[:10]:
        print(f"  lost: {what} (+{t - START:.0f}s)")
    unplanned = sum(len(p.unplanned_exits) for p in (*stack.workers, stack.beat, stack.web))
    max_dwell = max((v for _, v in dwell), default=0.0)
    print(
        f"RESULT lost={len(lost)} duplicated_inapp={sum(n for _, n in dup_inapp)} "
        f"duplicated_email={sum(n for _, n in dup_email)} server_errors={len(errors)} "
        f"max_dwell_s={max_dwell:.1f} unexplained_email_duplicates={unexplained} "
        f"unplanned_exits={unplanned}"
    )
    return 1 if lost or dup_inapp or errors or unexplained or unplanned else 0


START = time.time()


def main() -> int:
    global START
    if shutil.which("redis-server") is None:
        sys.exit("needs redis-server on PATH")
    print(f"logs in {VAR}; redis :{REDIS_PORT}, web :{WEB_PORT}, smtp :{SMTP_PORT}")
    members, cookies = populate(ARGS.members, ARGS.contacts)
    sink = Sink(ARGS.smtp_delay)
    smtp = Controller(sink, hostname=LOOPBACK, port=SMTP_PORT)
    smtp.start()
    stack = Stack(sink)
    outcomes: dict[int, dict] = {m.pk: {} for m in members}
    logins: list[int] = []
    stop = threading.Event()
    try:
        stack.start()
        START = time.time()
        plan = ", ".join(
            f"+{offset:.0f}s {fault}" + (f" {length:.0f}s" if length else "")
            for offset, fault, length in schedule(ARGS.duration)
        )
        print(f"stack up; {ARGS.duration:.0f}s of load; faults: {plan}")
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(ARGS.threads)
        step = ARGS.duration / max(len(members), 1)
        for i, (m, cookie) in enumerate(zip(members, cookies, strict=True)):
            pool.submit(member_client, m.pk, cookie, START + i * step, outcomes[m.pk])
        signer = threading.Thread(
            target=sign_in_loop, args=([m.email for m in members[:20]], stop, logins)
        )
        signer.start()
        injectors = []
        for k, (offset, fault, length) in enumerate(schedule(ARGS.duration)):

            def fire(offset=offset, fault=fault, length=length, k=k) -> None:
                time.sleep(max(0.0, START + offset - time.time()))
                stack.inject(fault, length, k)

            thread = threading.Thread(target=fire)
            thread.start()
            injectors.append(thread)
        for thread in injectors:
            thread.join()
        pool.shutdown(wait=True)
        stop.set()
        signer.join()
        print(f"load done at +{time.time() - START:.0f}s; draining")
        deadline = time.time() + ARGS.drain_timeout
        while time.time() < deadline:
            pending = Delivery.objects.filter(notification__kind=Kind.SOS, status="pending").count()
            if not pending:
                break
            time.sleep(2)
        time.sleep(3)  # the last emails' SMTP exchange
        print(f"drained at +{time.time() - START:.0f}s")
        return report(outcomes, sink, stack, logins)
    finally:
        stop.set()
        stack.stop()
        smtp.stop()
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
