"""Kept contact aggregates: the connection streak, the last contact overall and per tie.

Every contact saved or deleted updates them in its own transaction (model signals; the bulk
writes in ``network.services`` call these functions): ``contact_stats_added`` for a new
confirmed contact (O(1) unless it is dated
before the member's last contact day), ``contact_stats_rebuild`` for anything else (one
query over the member's contact days). Pages read the kept values (``contact_stats_for``),
so their cost does not grow with history. ``rebuild_kept_aggregates`` recomputes everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_delete, post_save

from recovery.streaks import RunState, appended, run_state

from .models import Contact, ContactStats, Tie

if TYPE_CHECKING:
    from accounts.models import User


def _state(stats: ContactStats) -> RunState:
    return RunState(stats.last_contact_on, stats.run_started_on, stats.longest_streak)


def _store(stats: ContactStats, state: RunState) -> None:
    stats.last_contact_on, stats.run_started_on, stats.longest_streak = state


def contact_stats_rebuild(member_id: int, *, create: bool = True) -> ContactStats:
    """Recompute the member's kept contact figures, and their ties' last contact, from history.

    ``create=False`` only updates an existing row (see ``checkins.stats``).
    """
    confirmed = Contact.objects.confirmed().filter(member_id=member_id)
    stats = ContactStats(member_id=member_id)
    _store(stats, run_state(confirmed.values_list("local_date", flat=True).distinct()))
    stats.last_contact_at = confirmed.aggregate(m=Max("occurred_at"))["m"]
    if create:
        stats.save()
    else:
        ContactStats.objects.filter(member_id=member_id).update(
            last_contact_at=stats.last_contact_at,
            last_contact_on=stats.last_contact_on,
            run_started_on=stats.run_started_on,
            longest_streak=stats.longest_streak,
        )
    last_on_tie = (
        Contact.objects.confirmed()
        .filter(tie=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    Tie.objects.filter(member_id=member_id).update(last_contact_at=Subquery(last_on_tie))
    return stats


def contact_stats_added(contact: Contact) -> None:
    """Fold one new confirmed contact into the kept figures (same transaction)."""
    contact_stats_added_many([contact])


def contact_stats_added_many(contacts: list[Contact]) -> None:
    """Fold new contacts into their members' kept figures: per member one locked read, one
    write, and one update per distinct time over their ties (one for a check-in's contacts,
    which share a time), whatever the number of contacts. Same transaction as the writes."""
    by_member: dict[int, list[Contact]] = {}
    for contact in contacts:
        if contact.confirmed:
            by_member.setdefault(contact.member_id, []).append(contact)
    for member_id, mine in by_member.items():
        _fold(member_id, mine)


def _fold(member_id: int, contacts: list[Contact]) -> None:
    stats = ContactStats.objects.select_for_update().filter(member_id=member_id).first()
    state = _state(stats) if stats is not None else None
    for day in sorted({c.local_date for c in contacts}):
        state = appended(state, day) if state is not None else None
    if stats is None or state is None:
        contact_stats_rebuild(member_id)
        return
    _store(stats, state)
    latest = max(c.occurred_at for c in contacts)
    if stats.last_contact_at is None or latest > stats.last_contact_at:
        stats.last_contact_at = latest
    stats.save()
    tie_latest: dict = {}
    for c in contacts:
        if c.tie_id is not None and (
            c.tie_id not in tie_latest or c.occurred_at > tie_latest[c.tie_id]
        ):
            tie_latest[c.tie_id] = c.occurred_at
    by_time: dict = {}
    for tie_id, at in tie_latest.items():
        by_time.setdefault(at, []).append(tie_id)
    for at, tie_ids in by_time.items():
        # Coalesce first: GREATEST ignores NULL on PostgreSQL but not on SQLite.
        Tie.objects.filter(pk__in=tie_ids).update(
            last_contact_at=Greatest(Coalesce("last_contact_at", Value(at)), Value(at))
        )


def _saved(sender, instance: Contact, created: bool, **kwargs) -> None:
    # savepoint=False: inside the caller's transaction this adds no statements of its own.
    with transaction.atomic(savepoint=False):
        if created:
            contact_stats_added(instance)
        else:
            contact_stats_rebuild(instance.member_id)


def _deleted(sender, instance: Contact, **kwargs) -> None:
    contact_stats_rebuild(instance.member_id, create=False)


def connect() -> None:
    """Keep the figures with every contact saved or deleted (``NetworkConfig.ready``).

    Signals rather than calls in each service, so no write path can leave them stale; the
    services that write in bulk (``update``, ``bulk_create``) call these functions themselves.
    """
    post_save.connect(_saved, sender=Contact, dispatch_uid="network_stats_saved")
    post_delete.connect(_deleted, sender=Contact, dispatch_uid="network_stats_deleted")


def contact_stats_for(member: User) -> ContactStats:
    """The member's kept contact figures (built from history the first time). One query."""
    stats = ContactStats.objects.filter(member=member).first()
    return stats if stats is not None else contact_stats_rebuild(member.pk)
