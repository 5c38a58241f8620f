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
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from notifications.models import (
    DAILY_PROMPT_LIMIT,
    PROMPT_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Mute,
    Notification,
)
from notifications.services import publish_deliveries

from .bulk import advance_schedules, insert_made, tune_batch
from .models import RULE_NAMES, Schedule, SweepState
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
    # For each rule, whether it came due: the claim reads flags, not the moments themselves.
    fired = {
        f"fired_{i}": ExpressionWrapper(Q(**{f"{column}__lte": now}), output_field=BooleanField())
        for i, column in enumerate(COLUMNS)
    }
    while True:
        with transaction.atomic():
            claimed = list(
                Schedule.objects.filter(next_due_at__lte=now)
                .order_by("next_due_at")
                .select_for_update(skip_locked=True)
                .annotate(**fired)
                .values_list("user_id", *fired)[:limit]
            )
            if claimed:
                tune_batch(last=len(claimed) < limit)
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


def _evaluate(now: datetime.datetime, claimed: list[tuple], result: SweepResult) -> None:
    """Evaluate the rules for one claimed batch, insert what they make, advance the rows.

    ``claimed`` holds (user id, came due?) for each rule in ``COLUMNS`` order.
    """
    ids = [row[0] for row in claimed]
    people = schedule_inputs(ids)
    times = {uid: Times.from_row(p) for uid, p in people.items()}
    mutes = set(Mute.objects.filter(user_id__any=ids).values_list("user_id", "kind", "channel"))
    batch = Batch(now=now, people=people, times=times, mutes=mutes)
    made: list[tuple[Rule, list[Candidate]]] = []
    for rule in RULES:
        i = 1 + COLUMNS.index(rule.column)
        uids = [row[0] for row in claimed if row[i] and row[0] in people]
        if uids:
            candidates = rule.evaluate(batch, uids)
            for c in candidates:
                c.kind = rule.kind
            made.append((rule, sorted(candidates, key=lambda c: c.due_at)))
    _insert(batch, made, result)
    # Each rule that came due moves to its next moment after now (None: it cannot fire).
    advanced: dict[int, dict[int, datetime.datetime | None]] = {}
    for uid, *came_due in claimed:
        t = times.get(uid)
        advanced[uid] = {
            i: t.next_moment(RULE_NAMES[i], now) if t is not None else None
            for i, due in enumerate(came_due)
            if due
        }
    advance_schedules(now, advanced)


def _insert(batch: Batch, made: list[tuple[Rule, list[Candidate]]], result: SweepResult) -> None:
    """Insert the candidates that are new and within the daily limit, with deliveries."""
    for rule, _ in made:
        result.notifications.setdefault(rule.name, 0)
    everyone = [c for _, candidates in made for c in candidates]
    if not everyone:
        return
    # What these people already got on these local days (one query on the recipient and
    # day index): the keys already made, and the prompts that count towards the limit. A
    # key holds its recipient and local date, so no made key is missed.
    existing: set[str] = set()
    used: Counter[tuple[int, datetime.date]] = Counter()
    for recipient, day, kind, key in Notification.objects.filter(
        recipient_id__any=list({c.recipient_id for c in everyone}),
        local_date__in={c.local_date for c in everyone},
    ).values_list("recipient_id", "local_date", "kind", "idempotency_key"):
        existing.add(key)
        if kind in PROMPT_KINDS:
            used[(recipient, day)] += 1
    chosen = []
    for c in everyone:
        if c.idempotency_key in existing:
            continue
        if c.kind in PROMPT_KINDS:
            # The day's prompt limit: prompts already made that local day, then rule order.
            slot = (c.recipient_id, c.local_date)
            if used[slot] >= DAILY_PROMPT_LIMIT:
                continue
            used[slot] += 1
        person = batch.people[c.recipient_id]
        saved = person["cp_user"] is not None
        c.email = (not saved or person["cp_channel_email"]) and (
            c.recipient_id,
            c.kind,
            Channel.EMAIL,
        ) not in batch.mutes
        c.push = (
            (not saved or person["cp_channel_push"])
            and person["has_push"]
            and (c.recipient_id, c.kind, Channel.PUSH) not in batch.mutes
        )
        chosen.append(c)
    inserted, deliveries = insert_made(batch.now, chosen)
    for kind, n in inserted.items():
        result.notifications[_rule_name(kind)] += n
    result.deliveries += deliveries


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
