"""Mark a person's schedule stale when something it is computed from changes.

The one mechanism by which lower apps' changes reach the sweep's schedule: Django's own model
signals for the rows the schedule reads (a user's time zone and contact preferences, reminder
and nudge choices, a therapist profile, a tie) and ``checkins.stats.first_checkin`` for a first
check-in. The handlers only flag rows; the next sweep recomputes them
(``nudges.schedule.refresh_stale``), so a burst of saves costs one recomputation. Bulk
``update()`` calls bypass signals: code that bulk-changes these fields calls
``schedule_mark_stale`` itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save

from accounts.models import ContactPreferences, TherapistProfile, User
from checkins.models import ReminderPreference
from checkins.stats import first_checkin
from network.models import Tie

from .models import Schedule

# The user fields the schedule reads; a save touching none of them (a login) changes nothing.
USER_FIELDS = frozenset({"time_zone", "is_active"})


def schedule_mark_stale(user_ids: Iterable[int | None]) -> None:
    """Flag these people's schedules for recomputation.

    Only existing rows: every user gets one when created (or by the migration), and a
    handler running during an account deletion must not re-create the row being deleted.
    """
    ids = {uid for uid in user_ids if uid is not None}
    if not ids:
        return
    Schedule.objects.filter(user_id__in=ids, stale=False).update(stale=True)


def _user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created:
        Schedule.objects.bulk_create([Schedule(user_id=instance.pk)], ignore_conflicts=True)
    elif update_fields is None or USER_FIELDS & set(update_fields):
        schedule_mark_stale([instance.pk])


def _member_pref_changed(sender, instance, **kwargs) -> None:
    schedule_mark_stale([instance.member_id])


def _contact_pref_changed(sender, instance, **kwargs) -> None:
    schedule_mark_stale([instance.user_id])


def _profile_changed(sender, instance, **kwargs) -> None:
    schedule_mark_stale([instance.user_id])


def _tie_changed(sender, instance, **kwargs) -> None:
    schedule_mark_stale([instance.member_id, instance.supporter_id])


def _first_checkin(sender, member_id: int, **kwargs) -> None:
    # Only a first check-in changes anything (it makes someone a member); ``checkins.stats``
    # tells, so a member's later check-ins cost no statement here.
    Schedule.objects.filter(
        user_id=member_id, checkin_reminder_at__isnull=True, stale=False
    ).update(stale=True)


def connect() -> None:
    """Connect the handlers (from ``NudgesConfig.ready``)."""
    from .models import NudgePreference

    post_save.connect(_user_saved, sender=User, dispatch_uid="nudges_schedule_user")
    for model in (ReminderPreference, NudgePreference):
        for signal in (post_save, post_delete):
            signal.connect(_member_pref_changed, sender=model, dispatch_uid=f"nudges_{model}")
    for signal in (post_save, post_delete):
        signal.connect(_contact_pref_changed, sender=ContactPreferences, dispatch_uid="nudges_cp")
        signal.connect(_profile_changed, sender=TherapistProfile, dispatch_uid="nudges_tp")
        signal.connect(_tie_changed, sender=Tie, dispatch_uid="nudges_tie")
    first_checkin.connect(_first_checkin, dispatch_uid="nudges_first_checkin")
