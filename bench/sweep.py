"""Benchmark the nudges sweep: a quiet, a typical and the peak minute, a catch-up hour, and a
naive per-member ORM loop, at 100,000 (default) or 1,000,000 members.

Builds a synthetic population in a scratch PostgreSQL database (bulk INSERT … SELECT from
generate_series, server side; the database is created if missing) shaped like real people:
time zones weighted (most members in a few zones, a long tail), 60% on the default times
(spread per person by the stable jitter) and the rest on times they chose (half on a popular
round hour, half anywhere in the day), two ties each (a supporter who uses Rat Park and an
offline one), 30 days of check-ins (~60% of days) and contacts (~30% of days). It computes
every schedule once (as the first sweep after the migration does), counts the rule moments in
each minute of the day, and then, over ``--rounds`` interleaved rounds, times:

- the typical minute (the median minute's due count), and the same minute swept again at
  once (the quiet minute: nobody due);
- the peak minute (the most due in any one minute);
- a 1-hour catch-up after downtime (the busiest hour);

and the naive loop on a sample, projected to the population, for one minute. It ends with
one ``RESULT`` line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench .venv/bin/python bench/sweep.py
    … bench/sweep.py --members 1000000      # the 1M run
    … bench/sweep.py --reuse                # keep the population from the previous run

The database named in DATABASE_URL is migrated and its tables are emptied: never point it
at real data.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
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

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from scratch import access_log_guard_off  # noqa: E402

from accounts.models import ContactPreferences, User  # noqa: E402
from checkins.models import CheckIn, ReminderPreference  # noqa: E402
from network.models import Contact, Tie  # noqa: E402
from notifications.models import PROMPT_KINDS, Kind, Notification  # noqa: E402
from nudges.models import NudgePreference  # noqa: E402
from nudges.schedule import refresh_stale  # noqa: E402
from nudges.services import notify  # noqa: E402
from nudges.sweep import run_sweep  # noqa: E402

# Where members live: most in a few zones, then a long tail (weights are shares of 1,000).
ZONE_WEIGHTS = [
    ("America/New_York", 220),
    ("America/Chicago", 120),
    ("America/Los_Angeles", 120),
    ("Europe/London", 80),
    ("Europe/Berlin", 80),
    ("Asia/Kolkata", 70),
    ("America/Denver", 50),
    ("Asia/Tokyo", 40),
    ("Australia/Sydney", 30),
    ("UTC", 10),
] + [
    (z, 6)
    for z in [
        "Pacific/Honolulu",
        "America/Anchorage",
        "America/Phoenix",
        "America/Toronto",
        "America/Mexico_City",
        "America/Bogota",
        "America/Sao_Paulo",
        "America/Argentina/Buenos_Aires",
        "Atlantic/Reykjavik",
        "Europe/Dublin",
        "Europe/Paris",
        "Europe/Madrid",
        "Europe/Rome",
        "Europe/Warsaw",
        "Europe/Athens",
        "Europe/Istanbul",
        "Africa/Lagos",
        "Africa/Johannesburg",
        "Africa/Nairobi",
        "Asia/Dubai",
        "Asia/Karachi",
        "Asia/Kathmandu",
        "Asia/Dhaka",
        "Asia/Bangkok",
        "Asia/Singapore",
        "Asia/Manila",
        "Asia/Seoul",
        "Australia/Adelaide",
        "Pacific/Auckland",
        "Pacific/Kiritimati",
    ]
]
ZONES = [z for z, _ in ZONE_WEIGHTS]
# Chosen times: about half on a round hour people like, the rest anywhere in the day.
POPULAR = ["08:00", "09:00", "12:00", "18:00", "19:00", "20:00", "21:00"]
DEFAULT_SHARE = 0.6  # members who never chose a time (the spread defaults apply)
TABLES = [
    "nudges_delivery",
    "nudges_notification",
    "nudges_schedule",
    "nudges_nudgepreference",
    "nudges_mute",
    "nudges_pushsubscription",
    "nudges_sweepstate",
    "network_contact",
    "network_tie",
    "checkins_checkin",
    "checkins_reminderpreference",
    "accounts_contactpreferences",
    "accounts_user",
]


def ensure_database() -> None:
    """Create the scratch database named in DATABASE_URL if it does not exist."""
    import urllib.parse

    import psycopg

    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", ""))
    name = url.path.lstrip("/")
    if url.scheme not in ("postgres", "postgresql") or not name:
        return
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created scratch database {name}")


class Counter:
    """Counts SQL statements through Django's execute wrapper (no 9,000-query cap)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def build(n: int) -> None:
    buckets = [z for z, w in ZONE_WEIGHTS for _ in range(w)]
    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in buckets) + "]"
    popular = "ARRAY[" + ", ".join(f"TIME '{t}'" for t in POPULAR) + "]"
    chosen = f"(i * 7 + 3) %% 10 >= {round(DEFAULT_SHARE * 10)}"
    # A chosen time: a popular hour for half, any minute from 08:00 to 21:59 for the rest.
    chosen_time = (
        f"CASE WHEN (i / 7) %% 2 = 0 THEN ({popular})[1 + (i / 3) %% {len(POPULAR)}] "
        "ELSE TIME '08:00' + ((i * 37) %% 840) * interval '1 minute' END"
    )
    steps = [
        (
            "users",
            f"""INSERT INTO accounts_user (id, password, is_superuser, email, display_name,
                time_zone, language, is_staff, is_active, date_joined, phone)
            SELECT i, '!', false, 'bench' || i || '@example.org', 'Person ' || i,
                   ({zones})[1 + (i * 7919) %% {len(buckets)}], 'en', false, true,
                   now() - interval '90 days', ''
            FROM generate_series(1::bigint, %(n)s::bigint) i""",
        ),
        (
            "reminder preferences (members who chose a time)",
            f"""INSERT INTO checkins_reminderpreference (member_id, checkin_reminder_enabled,
                reminder_time, reminder_days)
            SELECT i, true, {chosen_time}, 127
            FROM generate_series(1::bigint, %(n)s::bigint) i WHERE {chosen}""",
        ),
        (
            "contact preferences (the same members)",
            f"""INSERT INTO accounts_contactpreferences (user_id, quiet_start, quiet_end,
                channel_in_app, channel_email, channel_push)
            SELECT i, TIME '22:00', TIME '08:00', true, true, false
            FROM generate_series(1::bigint, %(n)s::bigint) i WHERE {chosen}""",
        ),
        (
            "nudge preferences (members who chose a time)",
            f"""INSERT INTO nudges_nudgepreference (member_id, isolation_enabled, isolation_days,
                prompt_time, supporter_nudges_enabled, missed_checkin_days, no_contact_days,
                digest_weekday, digest_hour, urgent_alerts, sos_message)
            SELECT i, true, 2, {chosen_time.replace("i /", "(i + 1) /")}, true, 3, 4, 0, 9,
                   false, ''
            FROM generate_series(1::bigint, %(n)s::bigint) i WHERE {chosen}""",
        ),
        (
            "ties",
            """INSERT INTO network_tie (id, offline_name, phone, contact_email, role,
                relationship_label, ease, reach_methods, status, share_checkin_status,
                share_mood_craving, share_use, share_contacts, share_notes, may_nudge,
                is_sos_contact, created_at, status_changed_at, member_id, supporter_id, share_reach)
            SELECT gen_random_uuid(), CASE WHEN k = 0 THEN '' ELSE 'Offline ' || i END, '', '',
                   CASE WHEN k = 0 THEN 'friend' ELSE 'family' END, '', 'easy', '[]', 'active',
                   true, false, false, false, false, true, k = 0, now(), now(), i,
                   CASE WHEN k = 0 THEN 1 + (i * 7919) %% %(n)s END, false
            FROM generate_series(1::bigint, %(n)s::bigint) i, generate_series(0, 1) k
            WHERE k = 1 OR 1 + (i * 7919) %% %(n)s <> i""",
        ),
        (
            "check-ins (30 days)",
            """INSERT INTO checkins_checkin (member_id, local_date, mood, craving, used,
                connectedness, notes, gratitude, time_zone, created_at, updated_at)
            SELECT i, current_date - d, 1 + (i + d) %% 5, (i * d) %% 11, false,
                   1 + (i + 2 * d) %% 5, '', '', '', now(), now()
            FROM generate_series(1::bigint, %(n)s::bigint) i, generate_series(1, 30) d
            WHERE (i * 31 + d * 17) %% 10 < 6""",
        ),
        (
            "contacts (30 days)",
            """INSERT INTO network_contact (id, method, occurred_at, local_date, initiated_by,
                source, confirmed, created_at, member_id, tie_id, meeting_way)
            SELECT gen_random_uuid(), 'call', (current_date - d) + TIME '12:00',
                   current_date - d, 'member', 'manual', true, now(), i, NULL, ''
            FROM generate_series(1::bigint, %(n)s::bigint) i, generate_series(1, 30) d
            WHERE (i * 13 + d * 7) %% 10 < 3""",
        ),
    ]
    with access_log_guard_off(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        # A million members make tens of millions of rows: fill the tables without their
        # secondary indexes (built once at the end, far faster than row by row) and, with
        # triggers off (the guard), without a foreign-key check per row (the data is
        # consistent by construction).
        cursor.execute("SET maintenance_work_mem = '512MB'")
        indexes = _secondary_indexes(cursor, TABLES)
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        for label, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql, {"n": n})
            elapsed = time.perf_counter() - started
            print(f"  built {label}: {cursor.rowcount:,} rows in {elapsed:.1f} s")
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [n])
        cursor.execute(
            "INSERT INTO nudges_schedule (user_id, stale) SELECT id, true FROM accounts_user"
        )
        started = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        print(f"  {len(indexes)} indexes built in {time.perf_counter() - started:.1f} s")
        cursor.execute("RESET maintenance_work_mem")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s")


def _secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes on ``tables`` that back no constraint."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    )
    return cursor.fetchall()


COLUMNS = [
    "checkin_reminder_at",
    "isolation_prompt_at",
    "supporter_nudge_at",
    "therapist_digest_at",
]


def snapshot(since: datetime.datetime) -> float:
    """Compute every schedule (as the first sweep after the migration does), keep a copy."""
    started = time.perf_counter()
    refresh_stale(since=since)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_schedule")
        cursor.execute("CREATE TABLE bench_schedule AS SELECT * FROM nudges_schedule")
    return elapsed


def restore(start: datetime.datetime) -> None:
    """Back to the computed schedules, as if everything due before ``start`` had been sent."""
    shifted = {
        c: f"CASE WHEN {c} < %(s)s THEN {c} + interval '1 day' ELSE {c} END" for c in COLUMNS
    }
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE nudges_delivery, nudges_notification, nudges_schedule")
        cursor.execute(
            f"INSERT INTO nudges_schedule (user_id, stale, next_due_at, {', '.join(COLUMNS)}) "
            f"SELECT user_id, stale, LEAST({', '.join(shifted.values())}), "
            f"{', '.join(shifted.values())} FROM bench_schedule",
            {"s": start},
        )
        cursor.execute("ANALYZE nudges_schedule")
        cursor.execute(
            "INSERT INTO nudges_sweepstate (id, last_run_at) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET last_run_at = EXCLUDED.last_run_at",
            [start],
        )


def due_per_minute(day: datetime.datetime) -> dict[datetime.datetime, int]:
    """How many rule moments fall in each minute of the UTC day starting at ``day``."""
    union = " UNION ALL ".join(f"SELECT {c} AS m FROM bench_schedule" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('minute', m), count(*) FROM ({union}) x "
            "WHERE m >= %(d)s AND m < %(d)s + interval '1 day' GROUP BY 1",
            {"d": day},
        )
        return dict(cursor.fetchall())


def timed_sweep(now: datetime.datetime) -> tuple[float, int, object]:
    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = run_sweep(now=now, dispatch=False)
        elapsed = time.perf_counter() - started
    return elapsed, counter.n, result


def bare_insert() -> float:
    """Time a minimal hand-written INSERT … SELECT that copies the notifications and
    deliveries just made (new ids and keys) into the same tables, committed (foreign-key
    checks and all): what writing those rows costs with no rule, schedule or Python."""
    notification = ", ".join(
        [
            "recipient_id, subject_member_id, kind",
            "'bare:' || idempotency_key",
            "title, body, action_url, data, due_at, created_at, local_date, status, response",
        ]
    )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "WITH src AS (SELECT n.*, gen_random_uuid() AS copy FROM nudges_notification n), "
            "made AS (INSERT INTO nudges_notification (id, recipient_id, subject_member_id, "
            "kind, idempotency_key, title, body, action_url, data, due_at, created_at, "
            f"local_date, status, response) SELECT copy, {notification} FROM src) "
            "INSERT INTO nudges_delivery (notification_id, channel, not_before, status, "
            "attempts, last_error, created_at) SELECT src.copy, d.channel, d.not_before, "
            "d.status, d.attempts, d.last_error, d.created_at "
            "FROM nudges_delivery d JOIN src ON src.id = d.notification_id"
        )
    return time.perf_counter() - started


def _under_cap(user: User, today: datetime.date) -> bool:
    sent = Notification.objects.filter(
        recipient=user, local_date=today, kind__in=PROMPT_KINDS
    ).count()
    return sent < 3


def naive_sweep(ids: list[int], now: datetime.datetime, since: datetime.datetime) -> int:
    """The obvious per-member loop: the same rules, one member (and their ties) at a time."""
    made = 0
    for user in User.objects.filter(pk__in=ids).iterator(chunk_size=1000):
        pref = ReminderPreference.objects.filter(member=user).first()
        npref = NudgePreference.objects.filter(member=user).first()
        local = now.astimezone(user.zone)
        today = local.date()
        contact = ContactPreferences.objects.filter(user=user).first()
        quiet = contact.in_quiet_hours(local.time()) if contact else False
        if pref and pref.checkin_reminder_enabled and pref.reminds_on(today) and not quiet:
            due = datetime.datetime.combine(today, pref.reminder_time, tzinfo=user.zone)
            if (
                since < due <= now
                and not pref.is_paused(now)
                and not CheckIn.objects.filter(member=user, local_date=today).exists()
                and _under_cap(user, today)
            ):
                made += notify(
                    recipient=user,
                    kind=Kind.CHECKIN_REMINDER,
                    title="t",
                    body="b",
                    idempotency_key=f"checkin_reminder:{user.pk}:{today}",
                )[1]
        prompt_time = npref.prompt_time if npref else datetime.time(12)
        due = datetime.datetime.combine(today, prompt_time, tzinfo=user.zone)
        if since < due <= now and not quiet:
            days = npref.isolation_days if npref else 2
            cutoff = today - datetime.timedelta(days=days)
            if not Contact.objects.filter(
                member=user, confirmed=True, local_date__gt=cutoff
            ).exists() and _under_cap(user, today):
                made += notify(
                    recipient=user,
                    kind=Kind.ISOLATION_PROMPT,
                    title="t",
                    body="b",
                    idempotency_key=f"isolation_prompt:{user.pk}:{today}",
                )[1]
        for tie in Tie.objects.nudgeable().filter(member=user).select_related("supporter"):
            supporter = tie.supporter
            s_local = now.astimezone(supporter.zone)
            s_due = datetime.datetime.combine(
                s_local.date(), datetime.time(12), tzinfo=supporter.zone
            )
            if not since < s_due <= now:
                continue
            missed = not CheckIn.objects.filter(
                member=user, local_date__gt=today - datetime.timedelta(days=3)
            ).exists()
            lonely = not Contact.objects.filter(
                member=user, local_date__gt=today - datetime.timedelta(days=4)
            ).exists()
            if (missed or lonely) and _under_cap(supporter, s_local.date()):
                made += notify(
                    recipient=supporter,
                    kind=Kind.SUPPORTER_NUDGE,
                    title="t",
                    body="b",
                    idempotency_key=f"supporter_nudge:{supporter.pk}:{user.pk}:{s_local.date()}",
                )[1]
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the existing population")
    args = parser.parse_args()
    ensure_database()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a scratch PostgreSQL database.")
    print(f"database: {connection.settings_dict['NAME']}, members: {args.members:,}")
    call_command("migrate", verbosity=0)
    if not args.reuse:
        started = time.perf_counter()
        build(args.members)
        print(f"population built in {time.perf_counter() - started:.1f} s")

    today = datetime.datetime.now(datetime.UTC).date()
    day = datetime.datetime.combine(today, datetime.time(0), tzinfo=datetime.UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_schedule') IS NOT NULL")
        have_snapshot = cursor.fetchone()[0]
    if not args.reuse or not have_snapshot:
        took = snapshot(day - datetime.timedelta(minutes=1))
        print(
            f"schedules computed for {args.members:,} people in {took:.1f} s "
            "(once, after migrating)"
        )
    per_minute = due_per_minute(day)
    counts = sorted(per_minute.get(day + datetime.timedelta(minutes=i), 0) for i in range(1440))
    typical_due = counts[len(counts) // 2]
    typical = min(
        (m for m in per_minute if per_minute[m] >= typical_due), key=lambda m: per_minute[m]
    )
    peak = max(per_minute, key=per_minute.get)
    hours = {h: sum(n for m, n in per_minute.items() if m.hour == h) for h in range(24)}
    busiest = day + datetime.timedelta(hours=max(hours, key=hours.get))
    print(
        f"due per minute: median {typical_due:,}, peak {per_minute[peak]:,} at "
        f"{peak:%H:%M} UTC; busiest hour {busiest:%H}:00 UTC with {max(hours.values()):,}"
    )
    half = datetime.timedelta(seconds=30)
    scenarios = {
        "typical minute": (typical, typical + half),
        "peak minute": (peak, peak + half),
        "catch-up hour": (busiest, busiest + datetime.timedelta(hours=1) + half),
    }
    # Warm the process (URL resolver, query compilation), as a running worker would be.
    restore(typical)
    timed_sweep(typical + half)
    figures: dict[str, list] = {name: [] for name in [*scenarios, "quiet minute"]}
    bare: list[float] = []
    for _round in range(args.rounds):
        for name, (start, end) in scenarios.items():
            restore(start)
            elapsed, statements, result = timed_sweep(end)
            figures[name].append((elapsed, statements, result))
            if name == "typical minute":
                # Swept again at once: nobody is due (the quiet minute).
                figures["quiet minute"].append(timed_sweep(end))
            if name == "peak minute":
                bare.append(elapsed / bare_insert())
    median = {}
    for name, runs in figures.items():
        runs.sort(key=lambda r: r[0])
        elapsed, statements, result = runs[len(runs) // 2]
        made = sum(result.notifications.values())
        median[name] = (elapsed, statements, result)
        rate = (made + result.deliveries) / elapsed if elapsed else 0
        print(
            f"sweep {name}: {elapsed:.3f} s (median of {len(runs)}), {statements} SQL "
            f"statements, {result.claimed:,} people claimed in {result.batches} batches, made "
            f"{made:,} notifications and {result.deliveries:,} deliveries "
            f"({rate:,.0f} rows/s) {result.notifications}"
        )
    elapsed = median["typical minute"][0]
    sweep_per_member = elapsed / args.members

    # The naive loop visits every member each minute: time it on a random sample (a fixed
    # stride would line up with the data's patterns) for the typical minute, and project.
    now = typical + half
    sample = sorted(random.Random(5).sample(range(1, args.members + 1), args.sample))
    restore(typical)
    counter = Counter()
    with transaction.atomic(), connection.execute_wrapper(counter):
        started = time.perf_counter()
        made = naive_sweep(sample, now, now - datetime.timedelta(minutes=1))
        naive = time.perf_counter() - started
        transaction.set_rollback(True)
    naive_per_member = naive / len(sample)
    print(
        f"naive ORM loop on {len(sample):,} members (1-minute window): {naive:.2f} s, "
        f"{len(sample) / naive:,.0f} members/s, {counter.n:,} SQL statements, made {made:,}"
    )
    projected = naive_per_member * args.members
    ratio = projected / elapsed
    print(
        f"naive loop projected to {args.members:,} members: {projected:,.1f} s a minute; "
        f"the sweep's typical minute is {ratio:,.0f}x faster "
        f"({sweep_per_member * 1e6:.3f} µs vs {naive_per_member * 1e6:.0f} µs per member)"
    )
    peak_elapsed, _, peak_result = median["peak minute"]
    peak_made = sum(peak_result.notifications.values())
    per_s = peak_made / peak_elapsed if peak_elapsed else 0
    bare.sort()
    print(
        f"peak minute: {per_s:,.0f} notifications/s, each with its deliveries "
        f"({peak_result.deliveries:,} for {peak_made:,}); that is {bare[len(bare) // 2]:.1f}x "
        "the time of a bare INSERT … SELECT of the same rows into the same tables, committed "
        "(median of per-round ratios)"
    )
    print(
        f"population members={args.members} typical_due={typical_due} "
        f"peak_made={peak_made} peak_notifications_per_s={per_s:.0f}"
    )
    print(
        f"RESULT quiet_minute_s={median['quiet minute'][0]:.4f} "
        f"typical_minute_s={elapsed:.4f} peak_minute_s={peak_elapsed:.3f} "
        f"peak_due={per_minute[peak]} catchup_hour_s={median['catch-up hour'][0]:.3f} "
        f"naive_ratio={ratio:.0f} statements={median['typical minute'][1]}"
    )


if __name__ == "__main__":
    main()
