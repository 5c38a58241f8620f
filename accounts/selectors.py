"""Reads of a person's contact preferences: the channels they accept and their quiet hours.

Every app that tells people anything reads them here (``notifications.services.notify``,
network's departure notices, the nudges sweep's bulk query reads the same table through the
``contact_preferences`` relation).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from recovery import quiet_hours

from .models import ContactPreferences, User


def contact_preferences_of(user: User) -> ContactPreferences | None:
    """The person's saved contact preferences, or None where they never saved any (the
    defaults apply: every channel on, ``quiet_hours.DEFAULT``). One query."""
    return ContactPreferences.objects.filter(user=user).first()


def quiet_hours_of(user: User) -> tuple[datetime.time, datetime.time]:
    """The person's quiet hours (start, end), the defaults if they never saved any."""
    pref = contact_preferences_of(user)
    return (pref.quiet_start, pref.quiet_end) if pref else quiet_hours.DEFAULT


def quiet_hours_for(user_ids: Iterable[int]) -> dict[int, tuple[datetime.time, datetime.time]]:
    """The quiet hours these people saved, by id; people who never did are left out (callers
    apply ``quiet_hours.DEFAULT``). One query."""
    return {
        row["user_id"]: (row["quiet_start"], row["quiet_end"])
        for row in ContactPreferences.objects.filter(user_id__in=list(user_ids)).values(
            "user_id", "quiet_start", "quiet_end"
        )
    }
