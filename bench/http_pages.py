"""Throughput of the member pages against the same server's ceiling, over HTTP.

gunicorn runs compose's web command (docker-compose.yml: sync workers, ``--workers`` 3 by
default) with the production settings (DEBUG off, the database pool, hashed static files,
HTTPS behind a proxy, whose headers every request carries) on loopback, plus one URLconf of
the bench's (``bench.http_settings``) that mounts ``/bench/hello/``: a signed-in "hello"
through the full middleware stack, the ceiling. wrk (Debian's ``wrk``) drives a bounded load
(``--connections``, ``--duration``), one scenario at a time, rounds interleaving every
scenario at 1× and 10× history:

  hello, check-in POST (many members, each with their own session and CSRF token, as the form
  sends it: the first POST of the day creates the check-in, later ones edit it), dashboard,
  history (365 days), network page, a supporter's view of the member, inbox.

Members at 1× have 120 days of check-ins, a contact a day and 30 notifications; at 10×,
1,200 days and 300. Prints requests/s and p50/p95/p99 per scenario (median over rounds), each
as a ratio of the ceiling (median of per-round ratios), queries per request at 1× and 10×
(in process, the Django test client), and ends with ``RATIO name=… value=…`` and
``GROWTH name=… value=…`` (time per request at 10× / at 1×, median of per-round ratios).

    .venv/bin/python bench/http_pages.py [--rounds 3] [--duration 3] [--connections 4]

DATABASE_URL (default: a scratch ``ratpark_bench_http`` database, created if missing and
migrated; the population is made once and reused), REDIS_URL (default DB 15).
"""

from __future__ import annotations

import sys

# The repository root first, for ``recovery`` and ``bench.http_settings``. (Not named
# bench/http.py: bench/ is first on every bench script's path, and that name would hide the
# standard library's ``http`` package from all of them.)
sys.path[:1] = [str(__import__("pathlib").Path(__file__).resolve().parent.parent)]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "ratpark.example.org"
PROXY = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ratpark_bench_http"
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.http_settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-http-only-secret-key-that-is-long-enough-0123456789abcdef",
    "ALLOWED_HOSTS": HOST,
    "SITE_URL": f"https://{HOST}",
    "BEHIND_TLS_PROXY": "true",
    "TRUSTED_PROXY_COUNT": "1",
    "LOG_LEVEL": "WARNING",
    "RATPARK_VAR_DIR": str(ROOT / "var" / "bench_http"),
    "STATIC_ROOT": str(ROOT / "var" / "bench_http" / "static"),
}
for key, value in ENV.items():
    os.environ.setdefault(key, value)
os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from checkins.models import CheckIn  # noqa: E402
from checkins.stats import checkin_stats_rebuild  # noqa: E402
from network.consents import consent_record_sharing  # noqa: E402
from network.models import Contact, Role, Scope, Tie  # noqa: E402
from network.stats import contact_stats_rebuild  # noqa: E402
from notifications.models import Kind, Notification  # noqa: E402

DAYS = 120
MEMBERS = 30  # per scale
CALM = "mood=4&craving=2&used=no&connectedness=4"
SCALES = (1, 10)
SCENARIOS = ("checkin_post", "dashboard", "history_365", "network", "supporter_view", "inbox")


def ensure_database() -> None:
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _member(scale: int, n: int) -> tuple[User, User, Tie]:
    """A member with 6 ties (3 supporters with accounts, 3 offline) and scale × history."""
    days = DAYS * scale
    member = User.objects.create_user(
        email=f"http{scale}x-{n}@example.org", password=None, display_name=f"Member {n}"
    )
    member.date_joined = timezone.now() - datetime.timedelta(days=days + 1)
    member.save(update_fields=["date_joined"])
    supporters = [
        User.objects.create_user(email=f"http{scale}x-{n}-s{i}@example.org", password=None)
        for i in range(3)
    ]
    ties = [Tie.objects.create(member=member, supporter=s, role=Role.FRIEND) for s in supporters]
    ties += [
        Tie.objects.create(member=member, offline_name=f"Offline {i}", role=Role.FAMILY)
        for i in range(3)
    ]
    consent_record_sharing(
        tie=ties[0],
        scopes=[Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING, Scope.USE, Scope.CONTACTS],
        may_nudge=True,
        is_sos_contact=True,
    )
    today = timezone.now().date()
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            local_date=today - datetime.timedelta(days=d),
            mood=1 + d % 5,
            craving=d % 10,
            connectedness=1 + d % 5,
        )
        for d in range(1, days + 1)
        if d % 7
    )
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(
            member=member,
            tie=ties[d % len(ties)],
            method="call",
            occurred_at=now - datetime.timedelta(days=d),
            local_date=(now - datetime.timedelta(days=d)).date(),
            helped=1 + d % 5,
        )
        for d in range(1, days + 1)
    )
    Notification.objects.bulk_create(
        Notification(
            recipient=member,
            kind=Kind.CHECKIN_REMINDER,
            idempotency_key=f"bench:{member.pk}:{i}",
            title="Time for your check-in",
            body="How is today going?",
            created_at=now - datetime.timedelta(days=i // 2 / 10),
        )
        for i in range(30 * scale)
    )
    checkin_stats_rebuild(member.pk)
    contact_stats_rebuild(member.pk)
    return member, supporters[0], ties[0]


def population() -> dict[int, list[tuple[User, User, Tie]]]:
    people: dict[int, list[tuple[User, User, Tie]]] = {}
    for scale in SCALES:
        people[scale] = []
        for n in range(MEMBERS):
            member = User.objects.filter(email=f"http{scale}x-{n}@example.org").first()
            if member is None:
                people[scale].append(_member(scale, n))
                continue
            tie = Tie.objects.filter(member=member, supporter__isnull=False).order_by("created_at")
            tie = tie.select_related("supporter").first()
            people[scale].append((member, tie.supporter, tie))
    # The check-ins the POSTs made on an earlier run: each run starts with creations.
    CheckIn.objects.filter(
        member__email__startswith="http", local_date__gte=timezone.now().date()
    ).delete()
    return people


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(base: str, path: str, cookie: str, data: str | None = None):
    headers = {**PROXY, "Cookie": cookie, "Referer": f"https://{HOST}/checkins/"}
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(base + path, data=data.encode() if data else None)  # noqa: S310
    for k, v in headers.items():
        request.add_header(k, v)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read().decode()


def csrf_for(base: str, cookie: str) -> tuple[str, str]:
    """The member's CSRF cookie and form token, from the check-in page as a browser gets them."""
    status, headers, body = fetch(base, reverse("checkins:today"), cookie)
    assert status == 200, (status, body[:300])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]
    for header in headers.get_all("Set-Cookie") or []:
        name, value = header.split(";", 1)[0].split("=", 1)
        if name == "csrftoken":
            return f"{cookie}; csrftoken={value}", token
    raise AssertionError("no CSRF cookie on the check-in page")


def scenario_lines(base: str, people: list[tuple[User, User, Tie]]) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {name: [] for name in ("hello", *SCENARIOS)}
    for member, supporter, tie in people:
        cookie = session_cookie(member)
        lines["hello"].append(f"GET\t/bench/hello/\t{cookie}")
        with_csrf, token = csrf_for(base, cookie)
        lines["checkin_post"].append(
            f"POST\t{reverse('checkins:today')}\t{with_csrf}\t{CALM}&csrfmiddlewaretoken={token}"
        )
        lines["dashboard"].append(f"GET\t{reverse('dashboard')}\t{cookie}")
        lines["history_365"].append(f"GET\t{reverse('checkins:history')}?range=365\t{cookie}")
        lines["network"].append(f"GET\t{reverse('network:home')}\t{cookie}")
        path = reverse("network:supporting_member", kwargs={"tie_id": tie.pk})
        lines["supporter_view"].append(f"GET\t{path}\t{session_cookie(supporter)}")
        lines["inbox"].append(f"GET\t{reverse('notifications:inbox')}\t{cookie}")
    return lines


def check_lines(base: str, lines: dict[str, list[str]]) -> None:
    """Every scenario answers as a signed-in person's page does (not a redirect to log in)."""
    for name, rows in lines.items():
        method, path, cookie, *body = rows[0].split("\t")
        status, headers, text = fetch(base, path, cookie, body[0] if method == "POST" else None)
        expected = 302 if method == "POST" else 200
        assert status == expected, (name, status, text[:300])
        if method == "POST":
            assert "/checkins/" in headers["Location"], headers["Location"]


def query_counts(people: dict[int, list[tuple[User, User, Tie]]]) -> dict[tuple[str, int], int]:
    """Queries per request, in process (the test client through the same middleware)."""
    counts = {}
    for scale, rows in people.items():
        member, supporter, tie = rows[-1]
        requests = {
            "hello": (member, "get", "/bench/hello/"),
            "checkin_post": (member, "post", reverse("checkins:today")),
            "dashboard": (member, "get", reverse("dashboard")),
            "history_365": (member, "get", f"{reverse('checkins:history')}?range=365"),
            "network": (member, "get", reverse("network:home")),
            "supporter_view": (
                supporter,
                "get",
                reverse("network:supporting_member", kwargs={"tie_id": tie.pk}),
            ),
            "inbox": (member, "get", reverse("notifications:inbox")),
        }
        for name, (user, method, path) in requests.items():
            client = Client(headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
            client.force_login(user)
            client.get(path if method == "get" else reverse("checkins:today"), HTTP_HOST=HOST)
            data = dict(urllib.parse.parse_qsl(CALM)) if method == "post" else None
            with CaptureQueriesContext(connection) as ctx:
                response = getattr(client, method)(path, data, HTTP_HOST=HOST)
            assert response.status_code in (200, 302), (name, response.status_code)
            counts[(name, scale)] = len(ctx)
    return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    words = [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", w) for w in compose["services"]["web"]["command"]]
    words[0] = str(Path(sys.executable).parent / words[0])
    return [f"--bind=127.0.0.1:{port}" if w.startswith("--bind=") else w for w in words]


@contextlib.contextmanager
def server():
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        gunicorn_command(port), cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310
                break
            if process.poll() is not None:
                raise SystemExit(Path(log.name).read_text())
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        Path(log.name).unlink(missing_ok=True)


def wrk(base: str, rows: list[str], duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("\n".join(rows) + "\n")
    try:
        out = subprocess.run(
            [
                shutil.which("wrk") or "/usr/bin/wrk",
                "-t1",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout=10s",
                "-s",
                str(ROOT / "bench" / "http.lua"),
                base + "/",
                "--",
                f.name,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    figures = json.loads(out.split("JSON ", 1)[1].splitlines()[0])
    if figures["errors"]:
        raise SystemExit(f"wrk saw {figures['errors']} errors:\n{out}")
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if not (shutil.which("wrk") or Path("/usr/bin/wrk").exists()):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    ensure_database()
    call_command("migrate", verbosity=0)
    if not (Path(os.environ["STATIC_ROOT"]) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    people = population()
    counts = query_counts(people)
    connection.close()
    with server() as base:
        lines = {scale: scenario_lines(base, rows) for scale, rows in people.items()}
        population()  # the check-ins check_lines and the CSRF pages made are undone
        for scale_lines in lines.values():
            check_lines(base, scale_lines)
        population()
        connection.close()
        for scale_lines in lines.values():  # warm every worker on every page
            for name in ("hello", *SCENARIOS):
                wrk(base, scale_lines[name], 1, args.connections)
        population()
        connection.close()
        runs: dict[tuple[str, int], list[dict]] = {}
        for _round in range(args.rounds):
            runs.setdefault(("hello", 1), []).append(
                wrk(base, lines[1]["hello"], args.duration, args.connections)
            )
            for name in SCENARIOS:
                for scale in SCALES:
                    runs.setdefault((name, scale), []).append(
                        wrk(base, lines[scale][name], args.duration, args.connections)
                    )
    hello = runs[("hello", 1)]
    print(
        f"{'scenario':15} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'/hello':>7} {'q 1x':>5} {'q 10x':>5} {'10x req/s':>9} {'growth':>6}"
    )
    ratio, growth = {}, {}
    for name in ("hello", *SCENARIOS):
        one = runs[(name, 1)]
        ratio[name] = statistics.median(
            r["rps"] / h["rps"] for r, h in zip(one, hello, strict=True)
        )
        ten = runs.get((name, 10))
        line = (
            f"{name:15} {statistics.median(r['rps'] for r in one):7.1f} "
            f"{statistics.median(r['p50'] for r in one) / 1000:7.1f} "
            f"{statistics.median(r['p95'] for r in one) / 1000:7.1f} "
            f"{statistics.median(r['p99'] for r in one) / 1000:7.1f} {ratio[name]:7.2f} "
            f"{counts[(name, 1)]:5} {counts[(name, 10)]:5}"
        )
        if ten:
            growth[name] = statistics.median(
                a["rps"] / b["rps"] for a, b in zip(one, ten, strict=True)
            )
            line += f" {statistics.median(r['rps'] for r in ten):9.1f} {growth[name]:6.2f}"
        print(line)
    for name in SCENARIOS:
        print(f"RATIO name={name} value={ratio[name]:.2f}")
    for name in SCENARIOS:
        print(f"GROWTH name={name} value={growth[name]:.2f}")


if __name__ == "__main__":
    main()
