"""Reads of a person's own notifications that other apps show (no access check needed: the
reader is the recipient)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .models import Kind, Notification


@dataclass(frozen=True)
class Encouragement:
    message: str
    sender: str
    sent_at: datetime.datetime


def received_encouragements(member, *, limit: int = 50) -> list[Encouragement]:
    """The kind words supporters sent ``member``, newest first (for the network app's page).

    The words live only in the notification's data: its title and body are for lock screens.
    One query.
    """
    rows = (
        Notification.objects.filter(recipient=member, kind=Kind.ENCOURAGEMENT)
        .order_by("-created_at")
        .values_list("data", "created_at")[:limit]
    )
    return [
        Encouragement(data.get("message", ""), data.get("from", ""), created_at)
        for data, created_at in rows
    ]
