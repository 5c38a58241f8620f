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

from recovery.streaks import RunState, appended, run_state

from .models import CheckIn, CheckinStats

if TYPE_CHECKING:
    from accounts.models import User


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


def checkin_stats_added(member_id: int, day: datetime.date) -> None:
    """Fold a new check-in on ``day`` into the kept figures (call inside its transaction)."""
    stats = CheckinStats.objects.select_for_update().filter(member_id=member_id).first()
    state = appended(checkin_stats_state(stats), day) if stats is not None else None
    if stats is None or state is None:
        checkin_stats_rebuild(member_id)
        return
    stats.last_checkin_on, stats.run_started_on, stats.longest_streak = state
    stats.save()


def _saved(sender, instance: CheckIn, created: bool, update_fields=None, **kwargs) -> None:
    # savepoint=False: inside the caller's transaction this adds no statements of its own.
    with transaction.atomic(savepoint=False):
        if created:
            checkin_stats_added(instance.member_id, instance.local_date)
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
