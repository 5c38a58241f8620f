"""The notifications part of a member's data export (see accounts.services.export_user_data)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import Notification


def export_user_data(user: User) -> dict[str, Any]:
    """Return the notifications the user received, oldest first.

    ``subject_member`` and ``data`` are left out: they can point at another member (a nudge
    about someone the user supports), and that person's data is theirs to export.
    """
    notifications = Notification.objects.filter(recipient=user).order_by("created_at")
    return {
        "notifications": [
            {
                "id": str(notification.id),
                "kind": notification.kind,
                "title": notification.title,
                "body": notification.body,
                "action_url": notification.action_url,
                "due_at": notification.due_at.isoformat(),
                "created_at": notification.created_at.isoformat(),
                "read_at": notification.read_at.isoformat() if notification.read_at else None,
            }
            for notification in notifications
        ]
    }
