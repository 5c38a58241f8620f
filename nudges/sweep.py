"""The scheduling sweep: one beat task a minute reads only the people who are due.

Each person has a ``Schedule`` row with the next moment each time-based rule can fire
(computed in Python, ``nudges.schedule``) and ``next_due_at``, the earliest, indexed. A sweep:

1. recomputes the rows marked ``stale`` (a time zone, time, day, quiet-hours or network
   change; see ``nudges.signals``), in batches;
2. claims batches of rows with ``next_due_at <= now`` (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so several workers can share a large minute: ``sweep_share``), evaluates the
   rules set-based for just those people (``nudges.rules``: a few queries per batch, never
   one per person), inserts the notifications idempotently with their deliveries, applies
   the daily limit, and advances each fired rule to its next moment, in one transaction per
   batch;
3. then **dispatches**: publishes tasks for pending deliveries that are due.

So a quiet minute costs one index probe, and a busy one costs in proportion to who is due.
The coordinating sweep holds a PostgreSQL advisory lock (a second beat by mistake skips at
once); the unique idempotency key keeps even a forced overlap from duplicating. Everything runs
on SQLite too (no lock there: SQLite has one writer), so the embedded demo sends reminders.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from notifications.models import (
    DAILY_PROMPT_LIMIT,
    PROMPT_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Mute,
    Notification,
    PushSubscription,
)
from notifications.services import publish_deliveries

from .bulk import insert_deliveries, insert_notifications, save_schedules
from .models import Schedule, SweepState
from .rules import RULES, Batch, Candidate, Rule
from .schedule import COLUMNS, Times, batch_size, refresh_stale
from .selectors import schedule_inputs

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 7_264_317_001  # arbitrary, unique to the nudges sweep
# A late sweep looks back at most this far (a day and a bit covers every zone's "today").
MAX_LOOKBACK = datetime.timedelta(hours=26)
DISPATCH_LIMIT = 20_000
TASK_BATCH = 100
INSERT_CHUNK = 500
# A batch's joins and sorts are small; this is what the largest needs (PostgreSQL only).
WORK_MEM = "32MB"
_COLUMNS = COLUMNS


@dataclass
class SweepResult:
    ran: bool
    since: datetime.datetime | None = None
    notifications: dict[str, int] = field(default_factory=dict)
    deliveries: int = 0
    published: int = 0
    claimed: int = 0
    refreshed: int = 0
    batches: int = 0


def run_sweep(*, now: datetime.datetime | None = None, dispatch: bool = True) -> SweepResult:
    """Create every notification due now, then publish due deliveries.

    Returns ``ran=False`` when another sweep holds the lock. Safe to run twice, late, or
    concurrently: the idempotency keys, the row claims and the lock make that a no-op.
    """
    now = now or timezone.now()
    with _sweep_lock() as held:
        if not held:
            logger.info("sweep skipped: another sweep holds the lock")
            result = SweepResult(ran=False)
        else:
            since = _window_start(now)
            result = SweepResult(ran=True, since=since, notifications=_zero())
            result.refreshed = refresh_stale(since=since)
            sweep_due(now=now, result=result, share=True)
            SweepState.objects.filter(id=1).filter(
                Q(last_run_at__isnull=True) | Q(last_run_at__lt=now)
            ).update(last_run_at=now)
            logger.info("sweep done", extra={"made": result.notifications})
    if dispatch:
        result.published = dispatch_deliveries(now=now)
    return result


@contextlib.contextmanager
def _sweep_lock() -> Iterator[bool]:
    """Hold the sweep's advisory lock (session level: batches commit one by one)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def _window_start(now: datetime.datetime) -> datetime.datetime:
    """The previous completed sweep's clock, at most a day and a bit back.

    A first sweep, or one after long downtime, looks back a day (rules still require
    "today" locally), and a clock that went backwards gives an empty window.
    """
    state, _ = SweepState.objects.get_or_create(id=1)
    last = state.last_run_at
    return max(min(last if last is not None else now - MAX_LOOKBACK, now), now - MAX_LOOKBACK)


def sweep_due(
    *, now: datetime.datetime, result: SweepResult | None = None, share: bool = False
) -> SweepResult:
    """Claim and evaluate every batch of people due at ``now``; return the tally.

    Safe to run in several workers at once (``sweep_share``): each batch is claimed with
    SKIP LOCKED, and a person's row, so all their rules, belongs to one worker at a time.
    With ``share``, a full first batch asks ``NUDGES_SWEEP_HELPERS`` workers to join in.
    """
    result = result or SweepResult(ran=True, notifications=_zero())
    limit = batch_size()
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            claimed = list(
                Schedule.objects.filter(next_due_at__lte=now)
                .order_by("next_due_at")
                .select_for_update(skip_locked=True)
                .values("user_id", *_COLUMNS)[:limit]
            )
            if claimed:
                _evaluate(now, claimed, result)
        result.claimed += len(claimed)
        result.batches += 1
        if len(claimed) < limit:
            return result
        if share and result.batches == 1:
            _call_helpers(now)


def _zero() -> dict[str, int]:
    return {rule.name: 0 for rule in RULES}


def _call_helpers(now: datetime.datetime) -> None:
    helpers = int(getattr(settings, "NUDGES_SWEEP_HELPERS", 0))
    if helpers <= 0:
        return
    from .tasks import sweep_share

    for _ in range(helpers):
        try:
            sweep_share.apply_async((now.isoformat(),), expires=55)
        except Exception:  # broker down: this worker carries on alone
            logger.warning("could not ask for sweep helpers", exc_info=True)
            return


def _evaluate(now: datetime.datetime, claimed: list[dict], result: SweepResult) -> None:
    ids = [row["user_id"] for row in claimed]
    people = schedule_inputs(ids)
    times = {uid: Times.from_row(p) for uid, p in people.items()}
    mutes = set(Mute.objects.filter(user_id__any=ids).values_list("user_id", "kind", "channel"))
    batch = Batch(now=now, people=people, times=times, mutes=mutes)
    made: list[tuple[Rule, list[Candidate]]] = []
    for rule in RULES:
        uids = [
            row["user_id"]
            for row in claimed
            if row["user_id"] in people and row[rule.column] is not None and row[rule.column] <= now
        ]
        if uids:
            candidates = rule.evaluate(batch, uids)
            for c in candidates:
                c.kind = rule.kind
            made.append((rule, sorted(candidates, key=lambda c: c.due_at)))
    _insert(batch, made, result)
    # Advance each rule that came due to its next moment after now.
    rows = []
    for row in claimed:
        uid = row["user_id"]
        schedule = Schedule(user_id=uid, stale=False)
        for rule in RULES:
            moment = row[rule.column]
            if moment is not None and moment <= now:
                moment = times[uid].next_moment(rule.name, now) if uid in times else None
            setattr(schedule, rule.column, moment)
        moments = [getattr(schedule, c) for c in _COLUMNS if getattr(schedule, c) is not None]
        schedule.next_due_at = min(moments) if moments else None
        rows.append(schedule)
    save_schedules(rows, [*_COLUMNS, "next_due_at"])


def _insert(batch: Batch, made: list[tuple[Rule, list[Candidate]]], result: SweepResult) -> None:
    """Insert the candidates that are new and within the daily limit, with deliveries."""
    for rule, _ in made:
        result.notifications.setdefault(rule.name, 0)
    everyone = [c for _, candidates in made for c in candidates]
    if not everyone:
        return
    existing = set(
        Notification.objects.filter(
            idempotency_key__any=[c.idempotency_key for c in everyone]
        ).values_list("idempotency_key", flat=True)
    )
    fresh = [c for c in everyone if c.idempotency_key not in existing]
    prompts = [c for c in fresh if c.kind in PROMPT_KINDS]
    used: Counter[tuple[int, datetime.date]] = Counter()
    if prompts:
        # The day's prompt limit: prompts already made that local day, then rule order.
        used.update(
            {
                (r, d): n
                for r, d, n in Notification.objects.filter(
                    recipient_id__any=list({c.recipient_id for c in prompts}),
                    local_date__in={c.local_date for c in prompts},
                    kind__in=PROMPT_KINDS,
                )
                .values_list("recipient_id", "local_date")
                .annotate(n=Count("pk"))
            }
        )
    chosen = []
    for c in fresh:
        if c.kind in PROMPT_KINDS:
            slot = (c.recipient_id, c.local_date)
            if used[slot] >= DAILY_PROMPT_LIMIT:
                continue
            used[slot] += 1
        chosen.append(c)
    if not chosen:
        return
    ids = {uuid.uuid4(): c for c in chosen}
    inserted = insert_notifications(batch.now, ids)
    with_push = set(
        PushSubscription.objects.filter(user_id__any=list({c.recipient_id for c in chosen}))
        .values_list("user_id", flat=True)
        .distinct()
    )
    deliveries = []
    for pk in inserted:
        c = ids[pk]
        result.notifications[_rule_name(c.kind)] += 1
        person = batch.people[c.recipient_id]
        saved = person["cp_user"] is not None
        wanted = {
            Channel.INAPP: True,
            Channel.EMAIL: not saved or person["cp_channel_email"],
            Channel.PUSH: (not saved or person["cp_channel_push"]) and c.recipient_id in with_push,
        }
        for channel, on in wanted.items():
            if not on or (
                channel != Channel.INAPP and (c.recipient_id, c.kind, channel) in batch.mutes
            ):
                continue
            later = max(c.quiet_until or batch.now, batch.now)
            deliveries.append((pk, channel, batch.now if channel == Channel.INAPP else later))
    insert_deliveries(batch.now, deliveries)
    result.deliveries += len(deliveries)


def _rule_name(kind: str) -> str:
    return next(rule.name for rule in RULES if rule.kind == kind)


def dispatch_deliveries(
    *, now: datetime.datetime | None = None, limit: int = DISPATCH_LIMIT
) -> int:
    """Publish tasks for due, unqueued deliveries and re-drive stale ones; return how many.

    A delivery is claimed for publishing by setting ``queued_at`` (SKIP LOCKED, so two
    dispatchers never take the same rows). If the broker is down, the rest go back to
    ``queued_at = NULL`` and the next sweep tries again.
    """
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NUDGES_REDRIVE_SECONDS)
    due_rows = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, not_before__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )
    with transaction.atomic():
        # SKIP LOCKED on PostgreSQL; SQLite (the embedded demo) has one writer anyway.
        ids = sorted(
            due_rows.order_by("not_before")
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
