"""The scheduling sweep: one beat task a minute runs every rule for the whole population.

A few SQL statements per run, whatever the population: each rule is one
``INSERT … SELECT … ON CONFLICT (idempotency_key) DO NOTHING`` that also creates the
deliveries. A PostgreSQL advisory lock keeps two sweeps (a second beat by mistake) from
overlapping; the unique idempotency key keeps even a forced overlap from duplicating.
Due times live here in PostgreSQL, never as ETAs in the broker.

After the rules, ``dispatch`` publishes delivery tasks for pending deliveries that are due and
not yet queued, and re-drives those queued a few minutes ago that are still pending (lost
between commit and publish, or created while Redis was down).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import DAILY_PROMPT_LIMIT, PROMPT_KINDS, Delivery, DeliveryStatus
from .rules import CLOCK_CTE, RULES, Rule, prepare

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 7_264_317_001  # arbitrary, unique to the nudges sweep
# A late sweep looks back at most this far (a day and a bit covers every zone's "today").
MAX_LOOKBACK = datetime.timedelta(hours=26)
DISPATCH_LIMIT = 20_000
TASK_BATCH = 100

_PROMPT_KINDS_SQL = ", ".join(f"'{k}'" for k in PROMPT_KINDS)


def _insert_sql(rule: Rule) -> str:
    if rule.kind in PROMPT_KINDS:
        # The day's prompt limit: prompts already made today plus this one's rank today.
        cap = f"""f.rn + (SELECT count(*) FROM nudges_notification n
                   WHERE n.recipient_id = f.recipient_id AND n.local_date = f.local_date
                     AND n.kind IN ({_PROMPT_KINDS_SQL})) <= {DAILY_PROMPT_LIMIT}"""
    else:
        cap = "true"
    return f"""
WITH {CLOCK_CTE},
cand AS ({rule.select}),
fresh AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.recipient_id ORDER BY c.due_at) AS rn
    FROM cand c
    WHERE NOT EXISTS (SELECT 1 FROM nudges_notification n
                      WHERE n.idempotency_key = c.idempotency_key)
),
ins AS (
    INSERT INTO nudges_notification (id, recipient_id, subject_member_id, kind, idempotency_key,
        title, body, action_url, data, due_at, created_at, local_date, status, response)
    SELECT gen_random_uuid(), f.recipient_id, f.subject_member_id, '{rule.kind}',
        f.idempotency_key, f.title, f.body, f.action_url, f.data, f.due_at, %(now)s,
        f.local_date, 'pending', ''
    FROM fresh f
    WHERE {cap}
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, recipient_id, idempotency_key
),
dl AS (
    -- Email and push wait for the end of quiet hours where a rule says so (quiet_until);
    -- the inbox has it at once.
    INSERT INTO nudges_delivery (notification_id, channel, status, attempts, not_before,
        queued_at, lease_until, last_error, created_at, sent_at)
    SELECT ins.id, ch.channel, 'pending', 0,
        CASE WHEN ch.channel = 'inapp' THEN %(now)s
             ELSE GREATEST(COALESCE(f.quiet_until, %(now)s), %(now)s) END,
        NULL, NULL, '', %(now)s, NULL
    FROM ins
    JOIN fresh f ON f.idempotency_key = ins.idempotency_key
    LEFT JOIN checkins_reminderpreference rp ON rp.member_id = ins.recipient_id
    CROSS JOIN LATERAL (VALUES
        ('inapp', true),
        ('email', COALESCE(rp.channel_email, true)),
        ('push', COALESCE(rp.channel_push, true) AND EXISTS (
            SELECT 1 FROM nudges_pushsubscription ps WHERE ps.user_id = ins.recipient_id))
    ) AS ch(channel, enabled)
    WHERE ch.enabled AND (ch.channel = 'inapp' OR NOT EXISTS (
        SELECT 1 FROM nudges_mute mu WHERE mu.user_id = ins.recipient_id
          AND mu.kind = '{rule.kind}' AND mu.channel = ch.channel))
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM dl)
"""


@dataclass
class SweepResult:
    ran: bool
    since: datetime.datetime | None = None
    notifications: dict[str, int] = field(default_factory=dict)
    deliveries: int = 0
    published: int = 0


def run_sweep(*, now: datetime.datetime | None = None, dispatch: bool = True) -> SweepResult:
    """Create every notification due now, then publish due deliveries.

    Returns ``ran=False`` when another sweep holds the lock. Safe to run twice, late, or
    concurrently: the idempotency keys and the lock make that a no-op.
    """
    now = now or timezone.now()
    # The rules are PostgreSQL SQL; the embedded SQLite demo only delivers.
    result = _run_rules(now) if connection.vendor == "postgresql" else SweepResult(ran=False)
    if dispatch:
        result.published = dispatch_deliveries(now=now)
    return result


@transaction.atomic
def _run_rules(now: datetime.datetime) -> SweepResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        if not cursor.fetchone()[0]:
            logger.info("sweep skipped: another sweep holds the lock")
            return SweepResult(ran=False)
        cursor.execute(
            "INSERT INTO nudges_sweepstate (id, last_run_at) VALUES (1, NULL) "
            "ON CONFLICT (id) DO UPDATE SET id = 1 RETURNING last_run_at"
        )
        last = cursor.fetchone()[0]
        # The window is (previous sweep, now]; a first sweep, or one after long downtime,
        # looks back a day (rules still require "today" locally), and a clock that went
        # backwards gives an empty window.
        since = max(min(last if last is not None else now - MAX_LOOKBACK, now), now - MAX_LOOKBACK)
        result = SweepResult(ran=True, since=since)
        for rule in RULES:
            # The access predicate is compiled into the rule at this sweep's clock.
            cursor.execute(*prepare(_insert_sql(rule), now=now, since=since))
            made, deliveries = cursor.fetchone()
            result.notifications[rule.name] = made
            result.deliveries += deliveries
        cursor.execute(
            "UPDATE nudges_sweepstate SET last_run_at = %s WHERE id = 1 "
            "AND (last_run_at IS NULL OR last_run_at < %s)",
            [now, now],
        )
    logger.info("sweep done", extra={"made": result.notifications})
    return result


def dispatch_deliveries(
    *, now: datetime.datetime | None = None, limit: int = DISPATCH_LIMIT
) -> int:
    """Publish tasks for due, unqueued deliveries and re-drive stale ones; return how many.

    A delivery is claimed for publishing by setting ``queued_at`` (SKIP LOCKED, so two
    dispatchers never take the same rows). If the broker is down, the rest go back to
    ``queued_at = NULL`` and the next sweep tries again.
    """
    from .services import publish_deliveries

    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NUDGES_REDRIVE_SECONDS)
    due = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, not_before__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )
    with transaction.atomic():
        # SKIP LOCKED on PostgreSQL; SQLite (the embedded demo) has one writer anyway.
        ids = sorted(
            due.order_by("not_before")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(queued_at=now)
    published = 0
    for start in range(0, len(ids), TASK_BATCH):
        chunk = ids[start : start + TASK_BATCH]
        if not publish_deliveries(chunk):
            Delivery.objects.filter(pk__in=ids[start:], status="pending").update(queued_at=None)
            break
        published += len(chunk)
    return published
