"""The check-in part of a member's data export (see accounts.services.export_user_data)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import (
    CheckIn,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ReminderPreference,
    RiskEvent,
    SobrietyPeriod,
)


def export_user_data(user: User) -> dict[str, Any]:
    """Every check-in (oldest first), reminder preferences, sobriety periods, questionnaires."""
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
                "gratitude": checkin.gratitude,
                "time_zone": checkin.time_zone,
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
            "paused_until": preference.paused_until.isoformat()
            if preference.paused_until
            else None,
        },
        "sobriety_periods": [
            {
                "started_on": p.started_on.isoformat(),
                "ended_on": p.ended_on.isoformat() if p.ended_on else None,
            }
            for p in SobrietyPeriod.objects.filter(member=user).order_by("started_on")
        ],
        "questionnaire_responses": [
            {
                "id": str(r.id),
                "instrument": r.instrument,
                "version": r.version,
                "answers": r.answers,
                "scores": r.scores,
                "local_date": r.local_date.isoformat(),
                "completed_at": r.completed_at.isoformat(),
            }
            for r in QuestionnaireResponse.objects.filter(member=user).order_by("completed_at")
        ],
        "questionnaire_schedules": [
            {
                "instrument": s.instrument,
                "every_days": s.every_days,
                "next_due_on": s.next_due_on.isoformat(),
            }
            for s in QuestionnaireSchedule.objects.filter(member=user)
        ],
        "risk_events": [
            {
                "local_date": e.local_date.isoformat(),
                "reasons": e.reasons,
                "created_at": e.created_at.isoformat(),
            }
            for e in RiskEvent.objects.filter(member=user).order_by("local_date")
        ],
    }
