"""Benchmark the nudges sweep against a naive per-member ORM loop.

Builds a synthetic population in a scratch PostgreSQL database (bulk INSERT … SELECT from
generate_series, server side): members in a dozen time zones with reminder preferences, two
ties each (a supporter who uses Rat Park and an offline one), 30 days of check-ins (~60% of
days) and contacts (~30% of days). Then it runs the set-based sweep for a steady one-minute
window and a one-hour catch-up window (after downtime), and the naive loop on a sample, and
prints members per second, SQL statements and the speed ratio.

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

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from checkins.models import CheckIn, ReminderPreference  # noqa: E402
from network.models import Contact, Tie  # noqa: E402
from nudges.models import PROMPT_KINDS, Kind, Notification, NudgePreference  # noqa: E402
from nudges.services import notify  # noqa: E402
from nudges.sweep import run_sweep  # noqa: E402

ZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Kiritimati",
]
TABLES = [
    "nudges_delivery",
    "nudges_notification",
    "nudges_nudgepreference",
    "nudges_mute",
    "nudges_pushsubscription",
    "nudges_sweepstate",
    "network_contact",
    "network_tie",
    "checkins_checkin",
    "checkins_reminderpreference",
    "accounts_user",
]


class Counter:
    """Counts SQL statements through Django's execute wrapper (no 9,000-query cap)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def build(n: int) -> None:
    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    steps = [
        (
            "users",
            f"""INSERT INTO accounts_user (id, password, is_superuser, email, display_name,
                time_zone, language, is_staff, is_active, date_joined)
            SELECT i, '!', false, 'bench' || i || '@example.org', 'Person ' || i,
                   ({zones})[1 + i %% {len(ZONES)}], 'en', false, true,
                   now() - interval '90 days'
            FROM generate_series(1::bigint, %(n)s::bigint) i""",
        ),
        (
            "reminder preferences",
            """INSERT INTO checkins_reminderpreference (member_id, checkin_reminder_enabled,
                reminder_time, reminder_days, quiet_start, quiet_end, channel_in_app,
                channel_email, channel_push)
            SELECT i, true, TIME '00:00' + ((i * 37) %% 1440) * interval '1 minute', 127,
                   TIME '22:00', TIME '08:00', true, true, false
            FROM generate_series(1::bigint, %(n)s::bigint) i""",
        ),
        (
            "ties",
            """INSERT INTO network_tie (id, offline_name, phone, contact_email, role,
                relationship_label, ease, reach_methods, status, share_checkin_status,
                share_mood_craving, share_use, share_contacts, share_notes, may_nudge,
                is_sos_contact, created_at, status_changed_at, member_id, supporter_id)
            SELECT gen_random_uuid(), CASE WHEN k = 0 THEN '' ELSE 'Offline ' || i END, '', '',
                   CASE WHEN k = 0 THEN 'friend' ELSE 'family' END, '', 'easy', '[]', 'active',
                   true, false, false, false, false, true, k = 0, now(), now(), i,
                   CASE WHEN k = 0 THEN 1 + (i * 7919) %% %(n)s END
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
                source, confirmed, created_at, member_id, tie_id)
            SELECT gen_random_uuid(), 'call', (current_date - d) + TIME '12:00',
                   current_date - d, 'member', 'manual', true, now(), i, NULL
            FROM generate_series(1::bigint, %(n)s::bigint) i, generate_series(1, 30) d
            WHERE (i * 13 + d * 7) %% 10 < 3""",
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        for label, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql, {"n": n})
            elapsed = time.perf_counter() - started
            print(f"  built {label}: {cursor.rowcount:,} rows in {elapsed:.1f} s")
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [n])
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s")


def timed_sweep(now: datetime.datetime, window: datetime.timedelta) -> tuple[float, int, dict]:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM nudges_delivery")
        cursor.execute("DELETE FROM nudges_notification")
        cursor.execute(
            "INSERT INTO nudges_sweepstate (id, last_run_at) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET last_run_at = EXCLUDED.last_run_at",
            [now - window],
        )
    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = run_sweep(now=now, dispatch=False)
        elapsed = time.perf_counter() - started
    return elapsed, counter.n, result.notifications


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
        quiet = pref.in_quiet_hours(local.time()) if pref else False
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
    parser.add_argument("--reuse", action="store_true", help="keep the existing population")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a scratch PostgreSQL database.")
    print(f"database: {connection.settings_dict['NAME']}, members: {args.members:,}")
    call_command("migrate", verbosity=0)
    if not args.reuse:
        started = time.perf_counter()
        build(args.members)
        print(f"population built in {time.perf_counter() - started:.1f} s")

    today = datetime.datetime.now(datetime.UTC).date()
    now = datetime.datetime.combine(today, datetime.time(19, 0, 30), tzinfo=datetime.UTC)
    for label, window in [
        ("steady (1-minute window)", datetime.timedelta(minutes=1)),
        ("catch-up (1-hour window)", datetime.timedelta(hours=1)),
    ]:
        timed_sweep(now, window)  # warm the cache, as a running server would be
        elapsed, statements, made = timed_sweep(now, window)
        print(
            f"sweep {label}: {elapsed:.2f} s, {args.members / elapsed:,.0f} members/s, "
            f"{statements} SQL statements, made {sum(made.values()):,} notifications {made}"
        )
    sweep_per_member = elapsed / args.members

    # A random sample (a fixed stride would line up with the data's patterns).
    sample = sorted(random.Random(5).sample(range(1, args.members + 1), args.sample))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM nudges_notification WHERE subject_member_id = ANY(%s) "
            "AND kind IN ('checkin_reminder', 'isolation_prompt', 'supporter_nudge')",
            [sample],
        )
        sweep_made = cursor.fetchone()[0]
        cursor.execute("DELETE FROM nudges_delivery")
        cursor.execute("DELETE FROM nudges_notification")
    counter = Counter()
    with transaction.atomic(), connection.execute_wrapper(counter):
        started = time.perf_counter()
        made = naive_sweep(sample, now, now - datetime.timedelta(hours=1))
        naive = time.perf_counter() - started
        transaction.set_rollback(True)
    naive_per_member = naive / len(sample)
    print(
        f"naive ORM loop on {len(sample):,} members (1-hour window): {naive:.2f} s, "
        f"{len(sample) / naive:,.0f} members/s, {counter.n:,} SQL statements, made {made:,} "
        f"(the sweep made {sweep_made:,} for the same members)"
    )
    print(
        f"set-based sweep is {naive_per_member / sweep_per_member:,.0f}x faster per member "
        f"({sweep_per_member * 1e6:.2f} µs vs {naive_per_member * 1e6:.0f} µs)"
    )
    projected = naive_per_member * args.members
    print(f"naive loop projected to {args.members:,} members: {projected:,.0f} s")


if __name__ == "__main__":
    main()
