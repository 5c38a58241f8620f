"""Render the network pages for a member with 50 ties and 5,000 contacts; print times and queries.

Run against any configured database (everything is rolled back at the end):
    DEBUG=true .venv/bin/python bench/network_pages.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench \
        .venv/bin/python bench/network_pages.py
(the PostgreSQL database must exist and be migrated: `manage.py migrate`).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from network.accesslog import disclosures_append, verify_chain  # noqa: E402
from network.services.suggestion import suggest_reach_out  # noqa: E402
from tests.network.test_queries import build_network, supported_by  # noqa: E402

TIES, CONTACTS, RUNS = 50, 5000, 20
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
settings.ALLOWED_HOSTS = ["*"]
settings.SECURE_SSL_REDIRECT = False


class _Users:
    n = 0

    def __call__(self, email: str | None = None, **extra) -> User:
        self.n += 1
        return User.objects.create_user(
            email=email or f"bench{self.n}@bench.invalid",
            password="bench-password-0000",  # noqa: S106
            display_name=f"Bench {self.n}",
            **extra,
        )


def _measure(client: Client, url: str) -> tuple[float, float, int]:
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), max(times), len(ctx.captured_queries)


def main() -> None:
    print(f"database: {connection.vendor}; {TIES} ties, {CONTACTS} contacts, {RUNS} runs/page")
    with transaction.atomic():
        make_user = _Users()
        member = make_user("bench-member@bench.invalid")
        start = time.perf_counter()
        build_network(member, make_user, ties=TIES, contacts=CONTACTS)
        print(f"built the network in {time.perf_counter() - start:.1f} s")
        supporter = make_user()
        their = supported_by(supporter, make_user, members=20)

        client = Client()
        client.force_login(member)
        pages = [
            ("network:home", []),
            ("network:contacts", []),
            ("network:invitations", []),
            ("network:consent_history", []),
            ("network:access_log", []),
            ("network:access_log_csv", []),
        ]
        print(f"{'page':34} {'median ms':>10} {'max ms':>8} {'queries':>8}")
        for name, args in pages:
            median, worst, queries = _measure(client, reverse(name, args=args))
            print(f"{name:34} {median:10.1f} {worst:8.1f} {queries:8d}")
        client.force_login(supporter)
        for name, args in [
            ("network:supporting", []),
            ("network:supporting_member", [their[0].pk]),
        ]:
            median, worst, queries = _measure(client, reverse(name, args=args))
            print(f"{name:34} {median:10.1f} {worst:8.1f} {queries:8d}  (supporter of 20)")

        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            suggest_reach_out(member, limit=3)
            times.append((time.perf_counter() - start) * 1000)
        print(f"suggest_reach_out: median {statistics.median(times):.1f} ms")

        viewer = their[0].supporter
        start = time.perf_counter()
        for _ in range(1000):
            disclosures_append(viewer=viewer, member=their[0].member, scopes=["notes"])
        per = (time.perf_counter() - start) * 1000 / 1000
        print(f"access log append: {per:.2f} ms per entry (1,000 sequential appends)")
        start = time.perf_counter()
        report = verify_chain()
        print(
            f"verify_chain: {report.checked} entries in {time.perf_counter() - start:.2f} s "
            f"({'intact' if report.ok else 'BROKEN'})"
        )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
