"""Benchmark the supporter-nudge rule with the access predicate against the stored flags.

The rule now embeds ``Tie.objects.nudgeable(now)`` compiled as a subquery (it checks the
consent in force and the therapist's verification); before, it read ``t.status = 'active'
AND t.may_nudge``. Both selections run alternately on the same population, several times
each, and the medians and their ratio are printed, with the rows each picked.

Needs a population: run ``bench/sweep.py`` first against the same scratch database, then

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench .venv/bin/python \
        bench/access_predicate_rules.py
"""

from __future__ import annotations

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

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from network.models import Tie  # noqa: E402
from nudges import rules  # noqa: E402

REPEATS = 7
PREDICATE = "t.id IN (@@nudgeable_ties@@)"
FLAGS = "t.status = 'active' AND t.may_nudge"


def _time(sql: str, now: datetime.datetime) -> tuple[float, int]:
    statement, params = rules.prepare(f"WITH {rules.CLOCK_CTE} {sql}", now=now, since=now)
    # A one-hour window, as a sweep after downtime sees it, so the rule does real work.
    params["since"] = now - datetime.timedelta(hours=1)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(statement, params)
        rows = len(cursor.fetchall())
    return time.perf_counter() - started, rows


def main() -> None:
    assert PREDICATE in rules.SUPPORTER_NUDGE.select, "the rule no longer reads the predicate"
    with_predicate = rules.SUPPORTER_NUDGE.select
    with_flags = with_predicate.replace(PREDICATE, FLAGS)
    ties = Tie.objects.count()
    now = timezone.now().replace(hour=12, minute=30, second=0, microsecond=0)
    print(f"database: {connection.settings_dict['NAME']}, ties: {ties:,}")
    timings: dict[str, list[float]] = {"predicate": [], "flags": []}
    picked = {}
    for _ in range(REPEATS):  # alternate, so drift on a shared machine hits both alike
        for name, sql in (("predicate", with_predicate), ("flags", with_flags)):
            seconds, rows = _time(sql, now)
            timings[name].append(seconds)
            picked[name] = rows
    for name, values in timings.items():
        print(
            f"supporter nudge with {name:9}: median {statistics.median(values) * 1000:7.1f} ms "
            f"over {REPEATS} runs, {picked[name]:,} rows"
        )
    ratio = statistics.median(timings["predicate"]) / statistics.median(timings["flags"])
    print(f"predicate / flags: {ratio:.2f}x")


if __name__ == "__main__":
    main()
