"""The check-in part of a member's data export (see accounts.services.export_user_data)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import CheckIn, ReminderPreference


def export_user_data(user: User) -> dict[str, Any]:
    """Return every check-in of the user, oldest first, and their reminder preferences."""
    checkins = CheckIn.objects.filter(member=user).order_by("local_date")
    preference = ReminderPreference.objects.filter(member=user).first()
    return {
        "checkins": [
            {
                "local_date": checkin.local_date.isoformat(),
                "mood": checkin.mood,
                "craving": checkin.craving,
                "used": checkin.used,
                "connectedness": checkin.connectedness,
                "sleep_quality": checkin.sleep_quality,
                "notes": checkin.notes,
                "created_at": checkin.created_at.isoformat(),
                "updated_at": checkin.updated_at.isoformat(),
            }
            for checkin in checkins
        ],
        "reminder_preference": None
        if preference is None
        else {
            "checkin_reminder_enabled": preference.checkin_reminder_enabled,
            "reminder_time": preference.reminder_time.isoformat(),
            "reminder_days": [
                day
                for bit, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
                if preference.reminder_days & (1 << bit)
            ],
            "quiet_start": preference.quiet_start.isoformat(),
            "quiet_end": preference.quiet_end.isoformat(),
            "channel_email": preference.channel_email,
            "channel_push": preference.channel_push,
            "paused_until": preference.paused_until.isoformat()
            if preference.paused_until
            else None,
        },
    }
