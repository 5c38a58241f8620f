"""The bench/ scripts still run against the current schema (tiny sizes; figures not checked).

Benchmarks write raw SQL for speed, so a new NOT NULL column can silently break them; this
runs each one end to end on a scratch PostgreSQL database of its own.
"""

from __future__ import annotations

import os
import sys
import urllib.parse

import psycopg
import pytest

from tests.settings_probe import ROOT, base_env, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scratch_database_url():
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") + "_bench_smoke"
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    scratch = url._replace(path=f"/{name}").geturl()
    try:
        yield scratch
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def bench_env(scratch_database_url, tmp_path_factory):
    env = base_env(
        tmp_path_factory.mktemp("bench-var"),
        DEBUG="true",
        DATABASE_URL=scratch_database_url,
        DATABASE_POOL="false",
        LOG_LEVEL="WARNING",
    )
    migrated = run([sys.executable, "manage.py", "migrate", "--no-input"], env, timeout=180)
    assert migrated.returncode == 0, migrated.stderr
    return env


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("sweep.py", ["--members", "300", "--sample", "50"], "SQL statements"),
        ("network_pages.py", [], "queries"),
        ("checkins_history.py", ["--repeat", "1"], "queries"),
        ("accounts_export.py", [], "queries"),
        ("accesslog_chains.py", ["--writers", "2", "--appends", "2", "--hold-ms", "1"], "ratio"),
        ("clinic.py", ["--repeat", "1", "--sizes", "2,3"], "RESULT "),
        # Last: it flushes the database. One short Redis outage and a pool kill under a light
        # load; its exit status says nothing was lost or failed.
        (
            "faults.py",
            ["--duration", "15", "--members", "6", "--contacts", "1", "--redis-outages", "4"]
            + ["--pool-kills", "1", "--main-kills", "0", "--web-reloads", "0"]
            + ["--smtp-451-seconds", "0", "--drain-timeout", "120"],
            "RESULT lost=0 duplicated_inapp=0",
        ),
    ],
)
def test_bench_script_runs(bench_env, script, args, expected):
    result = run([sys.executable, str(ROOT / "bench" / script), *args], bench_env, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert expected in result.stdout
