"""This app's part of a member's data export."""

from __future__ import annotations

from typing import Any

from .models import Mute, Notification, NudgePreference, PushSubscription


def export_user_data(user) -> dict[str, Any]:
    """Everything nudges holds about ``user``, as JSON-ready data (push keys left out)."""
    pref = NudgePreference.objects.filter(member=user).first()
    return {
        "notifications": [
            {
                "id": str(n.id),
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
                "response": n.response,
                "deliveries": [
                    {
                        "channel": d.channel,
                        "status": d.status,
                        "sent_at": d.sent_at and d.sent_at.isoformat(),
                    }
                    for d in n.deliveries.all()
                ],
            }
            for n in Notification.objects.filter(recipient=user).prefetch_related("deliveries")
        ],
        "nudge_preferences": (
            {
                "isolation_enabled": pref.isolation_enabled,
                "isolation_days": pref.isolation_days,
                "prompt_time": pref.prompt_time.isoformat(),
                "supporter_nudges_enabled": pref.supporter_nudges_enabled,
                "missed_checkin_days": pref.missed_checkin_days,
                "no_contact_days": pref.no_contact_days,
                "digest_weekday": pref.digest_weekday,
                "digest_hour": pref.digest_hour,
                "urgent_alerts": pref.urgent_alerts,
                "sos_message": pref.sos_message,
            }
            if pref
            else None
        ),
        "muted": [{"kind": m.kind, "channel": m.channel} for m in Mute.objects.filter(user=user)],
        "push_devices": PushSubscription.objects.filter(user=user).count(),
    }
