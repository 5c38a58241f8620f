"""Kept check-in aggregates: the current and longest check-in streak without the history.

Each new check-in is folded in, in its own transaction (O(1) unless it is
dated before the member's last check-in, which rebuilds from the member's dates: one query).
Pages read the kept values (``checkin_stats_for``). ``rebuild_kept_aggregates`` recomputes
everyone from history.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from recovery.streaks import RunState, appended, run_state

from .models import CheckIn, CheckinStats

if TYPE_CHECKING:
    from accounts.models import User

# Sent (with ``member_id``) in the transaction of a member's first check-in: it makes them a
# member the sweep reminds (``nudges.signals`` marks their schedule stale). Sent when the kept
# figures held no check-in, so a later check-in costs no statement for it.
first_checkin = Signal()


def checkin_stats_state(stats: CheckinStats) -> RunState:
    return RunState(stats.last_checkin_on, stats.run_started_on, stats.longest_streak)


def checkin_stats_rebuild(member_id: int, *, create: bool = True) -> CheckinStats:
    """Recompute the member's kept check-in figures from their check-ins.

    ``create=False`` only updates an existing row: a check-in deleted with its account must
    not re-create the figures being deleted.
    """
    dates = CheckIn.objects.filter(member_id=member_id).values_list("local_date", flat=True)
    stats = CheckinStats(member_id=member_id)
    stats.last_checkin_on, stats.run_started_on, stats.longest_streak = run_state(dates)
    if create:
        stats.save()
    else:
        CheckinStats.objects.filter(member_id=member_id).update(
            last_checkin_on=stats.last_checkin_on,
            run_started_on=stats.run_started_on,
            longest_streak=stats.longest_streak,
        )
    return stats


def checkin_stats_added(
    member_id: int, day: datetime.date, *, known: CheckinStats | None = None
) -> CheckinStats:
    """Fold a new check-in on ``day`` into the kept figures (call inside its transaction).

    ``known`` is the member's row as read earlier in the same transaction, without a lock (the
    check-in POST reads it with the counters): then the fold is one conditional UPDATE, which
    applies only if the row still holds what was read, else the locked read below runs.
    Sends ``first_checkin`` when the member had no check-in before (or may have had none).
    """
    if known is not None:
        state = appended(checkin_stats_state(known), day)
        if state is not None:
            updated = CheckinStats.objects.filter(
                member_id=member_id,
                last_checkin_on=known.last_checkin_on,
                run_started_on=known.run_started_on,
                longest_streak=known.longest_streak,
            ).update(last_checkin_on=state[0], run_started_on=state[1], longest_streak=state[2])
            if updated:
                if known.last_checkin_on is None:
                    first_checkin.send(sender=CheckIn, member_id=member_id)
                stats = CheckinStats(member_id=member_id)
                stats.last_checkin_on, stats.run_started_on, stats.longest_streak = state
                return stats
    locked = CheckinStats.objects.select_for_update().filter(member_id=member_id).first()
    state = appended(checkin_stats_state(locked), day) if locked is not None else None
    if locked is None or locked.last_checkin_on is None:
        first_checkin.send(sender=CheckIn, member_id=member_id)
    if locked is None or state is None:
        return checkin_stats_rebuild(member_id)
    locked.last_checkin_on, locked.run_started_on, locked.longest_streak = state
    locked.save()
    return locked


# On a check-in being created: before the save, the member's figures as the saver read them
# (``checkin_stats_added``'s ``known``; the check-in service sets it); after, the figures
# with this check-in folded in (the service's counters use them without reading again).
KEPT_STATS_ATTR = "_kept_stats"


def _saved(sender, instance: CheckIn, created: bool, update_fields=None, **kwargs) -> None:
    known = instance.__dict__.pop(KEPT_STATS_ATTR, None)
    # savepoint=False: inside the caller's transaction this adds no statements of its own.
    with transaction.atomic(savepoint=False):
        if created:
            instance.__dict__[KEPT_STATS_ATTR] = checkin_stats_added(
                instance.member_id, instance.local_date, known=known
            )
        elif update_fields is None or "local_date" in update_fields:
            checkin_stats_rebuild(instance.member_id)


def _deleted(sender, instance: CheckIn, **kwargs) -> None:
    checkin_stats_rebuild(instance.member_id, create=False)


def connect() -> None:
    """Keep the figures with every check-in saved or deleted (``CheckinsConfig.ready``).

    Signals rather than calls in each service, so no write path (the admin, the demo seed,
    a test) can leave them stale; bulk writes call ``checkin_stats_rebuild`` themselves.
    """
    post_save.connect(_saved, sender=CheckIn, dispatch_uid="checkins_stats_saved")
    post_delete.connect(_deleted, sender=CheckIn, dispatch_uid="checkins_stats_deleted")


def checkin_stats_for(member: User) -> CheckinStats:
    """The member's kept check-in figures (built from history the first time). One query."""
    stats = CheckinStats.objects.filter(member=member).first()
    return stats if stats is not None else checkin_stats_rebuild(member.pk)
