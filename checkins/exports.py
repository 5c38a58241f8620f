"""The member's check-in data for their own data export (GDPR art. 15/20)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import QuestionnaireResponse, QuestionnaireSchedule, RiskEvent, SobrietyPeriod


def export_user_data(user: User) -> dict[str, Any]:
    """Return the user's sobriety periods, questionnaires, schedules and risk events as JSON data.

    The base export of CheckIn and ReminderPreference is written separately; the lead merges.
    """
    return {
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
