"""Benchmark the check-in history page with three years of daily check-ins.

Creates a throwaway test database (from DATABASE_URL, default SQLite under var/), fills one
member with 3 years of check-ins and contacts, then prints:
  - queries per history page (30/90/365 days) and per check-in page,
  - median and p95 wall time of the full page (Django test client, templates included),
  - the share of that time spent building the data and chart geometry,
  - the time to record a check-in (contacts, risk event, counters, milestones).

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_checkins \
      .venv/bin/python bench/checkins_history.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime
import logging
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

DAYS = 3 * 365


class _QueryCounter:
    """Count queries with an execute wrapper (works whatever DEBUG and pooling say)."""

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

    def __len__(self) -> int:
        return self.count


def _timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def main(repeat: int) -> None:
    logging.disable(logging.INFO)
    from accounts.models import User
    from checkins import charts, selectors, services
    from checkins.models import CheckIn
    from network.models import Contact, ContactMethod, Role, Tie

    member = User.objects.create_user(
        "bench@example.org", "bench-password-123", display_name="Bench", time_zone="Europe/Berlin"
    )
    ties = [
        Tie.objects.create(member=member, offline_name=f"Person {i}", role=role)
        for i, role in enumerate(Role.values)
    ]
    today = selectors.local_today(member)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            local_date=today - datetime.timedelta(days=i),
            mood=1 + i % 5,
            craving=i % 11,
            connectedness=1 + (i * 3) % 5,
            notes="bench",
        )
        for i in range(1, DAYS)
    )
    Contact.objects.bulk_create(
        Contact(
            member=member,
            tie=ties[i % len(ties)],
            method=ContactMethod.CALL,
            local_date=today - datetime.timedelta(days=i),
        )
        for i in range(1, DAYS)
        if i % 3
    )
    print(f"data: {DAYS - 1} check-ins, {Contact.objects.count()} contacts, 1 member")

    client = Client()
    client.force_login(member)
    for days in selectors.RANGES:
        url = f"/checkins/history/?range={days}"
        with _QueryCounter() as ctx:
            assert client.get(url).status_code == 200
        median, p95 = _timed(lambda url=url: client.get(url), repeat)

        def build(days: int = days) -> None:
            h = selectors.history(member, today, days)
            selectors.weekly_summary(h)
            charts.history_charts(h)
            charts.calendar_weeks(h)

        build_median, _ = _timed(build, repeat)
        print(
            f"history {days:>3} days: {len(ctx):>2} queries, page median {median:6.1f} ms, "
            f"p95 {p95:6.1f} ms (data + chart geometry median {build_median:5.1f} ms)"
        )

    values = {"mood": 4, "craving": 3, "used": False, "connectedness": 4}
    chosen = [str(ties[0].pk), services.MEETING]
    median, p95 = _timed(
        lambda: services.checkin_record(
            member=member, local_date=today, values=values, connected_with=chosen
        ),
        repeat,
    )
    print(f"record a check-in (edit, with contacts): median {median:.1f} ms, p95 {p95:.1f} ms")
    with _QueryCounter() as ctx:
        assert client.get("/checkins/").status_code == 200
    median, p95 = _timed(lambda: client.get("/checkins/"), repeat)
    print(f"check-in page: {len(ctx)} queries, median {median:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
