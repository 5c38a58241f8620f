"""Benchmark the clinic: the caseload for 25, 200 and 1,000 clients, a 1- and 3-year history.

Creates a throwaway test database (from DATABASE_URL), fills it with ``clinic.sample`` (a year
of daily check-ins per client on the caseload; three years for the history), then prints the
median and p95 page time (Django test client, templates included) and the queries per page.
The caseload page is its first page (50 clients drawn and logged; flags for all). Pages are
timed round-robin, so each sees the same machine load. Ends with a RESULT line.

The tables are analysed after they are filled, as autovacuum does in any deployment (it is off
on some development servers, and PostgreSQL plans a freshly filled table without statistics
by guesswork: full scans of the check-ins). ``--no-analyze`` times the pages without
statistics, as this bench did before.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench \
      .venv/bin/python bench/clinic.py [--repeat 10] [--sizes 25,200,1000] [--no-analyze]
"""

from __future__ import annotations

import argparse
import datetime
import logging
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-that-is-long-enough-0123456789abcdef")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> _QueryCounter:
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


def main(repeat: int, sizes: list[int], history_clients: int, analyze: bool = True) -> None:
    logging.disable(logging.INFO)
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.models import TherapistProfile, User
    from clinic.sample import build_caseload

    def therapist(n: int) -> User:
        user = User.objects.create_user(f"dr{n}@example.org", "bench-pass-123", display_name="Dr")
        TherapistProfile.objects.create(user=user, credential="LCSW", verified_at=timezone.now())
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        return user

    # Build everything first, then time the pages round-robin: on a shared machine the load
    # changes from minute to minute, and interleaving puts every page under the same load, so
    # the ratios between them mean something even when the absolute times don't.
    pages: list[tuple[str, str, Client, str, dict]] = []
    for size in sizes:
        dr = therapist(size)
        started = time.perf_counter()
        build_caseload(dr, size, 365, prefix=f"s{size}-")
        built = time.perf_counter() - started
        print(f"caseload {size:>5} clients x 365 days built in {built:.0f} s")
        client = Client()
        client.force_login(dr)
        pages.append((f"caseload_{size}_ms", f"caseload {size:>5} clients", client, "/clinic/", {}))
    for years in (1, 3):
        dr = therapist(10_000 + years)
        (tie,) = build_caseload(dr, history_clients, 365 * years, prefix=f"h{years}-")
        client = Client()
        client.force_login(dr)
        today = timezone.localdate()
        start = (today - datetime.timedelta(days=365 * years - 1)).isoformat()
        params = {"start": start, "end": today.isoformat()}
        pages.append(
            (
                f"history_{years}y_ms",
                f"history {years} year(s)",
                client,
                f"/clinic/clients/{tie.pk}/",
                params,
            )
        )
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"statistics: {'analysed' if analyze else 'none (--no-analyze)'}")
    counts = {}
    samples: dict[str, list[float]] = {key: [] for key, *_ in pages}
    for key, _label, client, url, params in pages:
        with _QueryCounter() as ctx:
            assert client.get(url, params).status_code == 200, url
        counts[key] = ctx.count
    for _ in range(repeat):
        for key, _label, client, url, params in pages:
            started = time.perf_counter()
            client.get(url, params)
            samples[key].append((time.perf_counter() - started) * 1000)
    results: dict[str, float] = {}
    for key, label, *_ in pages:
        times = sorted(samples[key])
        results[key] = statistics.median(times)
        p95 = times[math.ceil(len(times) * 0.95) - 1]
        print(f"{label}: {counts[key]} queries, median {results[key]:7.1f} ms, p95 {p95:7.1f} ms")
    queries = set(counts.values())
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        ratio = results[f"caseload_{big}_ms"] / results[f"caseload_{small}_ms"]
        print(
            f"caseload time ratio {big}/{small} clients: {ratio:.1f} (size ratio {big / small:.0f})"
        )
    print(
        "RESULT "
        + " ".join(
            f"{key}={results[key]:.1f}"
            for key in ("caseload_200_ms", "caseload_1000_ms", "history_3y_ms")
            if key in results
        )
        + f" queries={'/'.join(str(q) for q in sorted(queries))}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--sizes", default="25,200,1000")
    parser.add_argument(
        "--no-analyze", action="store_true", help="time the pages on tables without statistics"
    )
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(args.repeat, [int(s) for s in args.sizes.split(",")], 1, analyze=not args.no_analyze)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
