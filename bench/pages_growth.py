"""How the member pages' cost grows with history: dashboard, network page and check-in POST
for a member with 1× and with 10× the history, side by side, in process.

Two members with the same network (6 ties): one with 120 days of check-ins and contacts
(1×), one with 1,200 days (10×). Rounds interleave every page for both; each figure is the
median over rounds, and the growth is the median of the per-round ratios (10× / 1×). Query
counts are per request. Ends with one ``GROWTH name=… value=…`` line per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench_pages \\
        .venv/bin/python bench/pages_growth.py [--rounds 15]

The scratch database is created if missing and migrated; everything the bench makes is
rolled back at the end.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_POOL", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from checkins.models import CheckIn  # noqa: E402
from checkins.stats import checkin_stats_rebuild  # noqa: E402
from network.models import Contact, Role, Tie  # noqa: E402
from network.stats import contact_stats_rebuild  # noqa: E402

DAYS = 120
CALM = {"mood": "4", "craving": "2", "used": "no", "connectedness": "4"}


def ensure_database() -> None:
    import urllib.parse

    import psycopg

    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", ""))
    name = url.path.lstrip("/")
    if url.scheme not in ("postgres", "postgresql") or not name:
        return
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def member_with_history(n: int, days: int) -> User:
    member = User.objects.create_user(
        email=f"growth{n}@example.org", password=None, display_name=f"Member {n}"
    )
    member.date_joined = timezone.now() - datetime.timedelta(days=days + 1)
    member.save(update_fields=["date_joined"])
    ties = [
        Tie.objects.create(
            member=member,
            supporter=User.objects.create_user(email=f"s{n}-{i}@example.org", password=None),
            role=Role.FRIEND,
        )
        for i in range(3)
    ] + [
        Tie.objects.create(member=member, offline_name=f"Offline {i}", role=Role.FAMILY)
        for i in range(3)
    ]
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
            occurred_at=now - datetime.timedelta(days=d, hours=k),
            local_date=(now - datetime.timedelta(days=d, hours=k)).date(),
            helped=1 + (d + k) % 5,
        )
        for d in range(1, days + 1)
        for k in range(2)
    )
    checkin_stats_rebuild(member.pk)
    contact_stats_rebuild(member.pk)
    return member


def timed(client: Client, method: str, url: str, data: dict | None = None) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = getattr(client, method)(url, data or {})
        elapsed = time.perf_counter() - started
    assert response.status_code in (200, 302), (url, response.status_code)
    return elapsed, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    ensure_database()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    pages = {
        "dashboard": ("get", reverse("dashboard"), None),
        "network": ("get", reverse("network:home"), None),
        "checkin_post": ("post", reverse("checkins:today"), CALM),
    }
    with transaction.atomic():
        clients = {}
        for scale in (1, 10):
            client = Client()
            client.force_login(member_with_history(scale, DAYS * scale))
            clients[scale] = client
        for client in clients.values():  # warm both (templates, URL resolver, caches)
            for method, url, data in pages.values():
                timed(client, method, url, data)
        runs: dict[tuple[str, int], list[tuple[float, int]]] = {}
        for _round in range(args.rounds):
            for name, (method, url, data) in pages.items():
                for scale, client in clients.items():
                    runs.setdefault((name, scale), []).append(timed(client, method, url, data))
        print(f"{'page':14} {'1x ms':>8} {'10x ms':>8} {'queries 1x/10x':>15}")
        growth = {}
        for name in pages:
            one, ten = runs[(name, 1)], runs[(name, 10)]
            ratios = [b[0] / a[0] for a, b in zip(one, ten, strict=True)]
            growth[name] = statistics.median(ratios)
            print(
                f"{name:14} {statistics.median(t for t, _ in one) * 1000:8.1f} "
                f"{statistics.median(t for t, _ in ten) * 1000:8.1f} "
                f"{max(q for _, q in one):>7}/{max(q for _, q in ten)}"
            )
        for name, value in growth.items():
            print(f"GROWTH name={name} value={value:.2f}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
