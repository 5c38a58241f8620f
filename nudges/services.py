"""Creating notifications. Other apps call ``notify``; delivery is this app's business."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User

from .models import Kind, Notification


def notify(
    *,
    recipient: User,
    kind: Kind | str,
    title: str,
    body: str,
    idempotency_key: str,
    subject_member: User | None = None,
    action_url: str = "",
    data: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> tuple[Notification, bool]:
    """Create a notification once per idempotency key; return it and whether it is new.

    ``title`` and ``body`` must be safe on a lock screen: no health details.
    """
    fields = {
        "recipient": recipient,
        "kind": kind,
        "title": title,
        "body": body,
        "subject_member": subject_member,
        "action_url": action_url,
        "data": data or {},
    }
    if due_at is not None:
        fields["due_at"] = due_at
    try:
        with transaction.atomic():
            notification = Notification.objects.create(idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        return Notification.objects.get(idempotency_key=idempotency_key), False
    return notification, True
