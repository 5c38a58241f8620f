"""Reads of a person's own notifications: the inbox's pages and what other apps show (no
access check needed: the reader is the recipient; whether a message about a member may
still be shown is ``notifications.views.WITH_ACCESS``)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from .models import Kind, Notification

if TYPE_CHECKING:
    from typing import TypeAlias, TypedDict

    from django_stubs_ext import WithAnnotations

    class MayShow(TypedDict):
        may_show: bool

    # A notification read through ``views.WITH_ACCESS``: it knows whether it may be shown.
    ShownNotification: TypeAlias = WithAnnotations[Notification, MayShow]

# What the inbox, a message's page and an export show instead of a withheld message.
WITHHELD_TITLE = "A message about someone you support"
WITHHELD_BODY = (
    "This message is no longer shown: what they share with you, or your role, has changed."
)


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


def inbox_cursor_for(notification: Notification) -> str:
    """Where the inbox's next page starts: after this message (``older_than``)."""
    return f"{notification.created_at.isoformat()}_{notification.pk}"


def inbox_cursor(value: str) -> tuple[datetime.datetime, uuid.UUID] | None:
    """The ``?older=`` cursor read back; anything malformed is ignored (the first page)."""
    at, _, pk = value.partition("_")
    try:
        when = datetime.datetime.fromisoformat(at)
        return (when, uuid.UUID(pk)) if when.tzinfo is not None else None
    except ValueError:
        return None


def older_than(
    notifications: QuerySet[Notification], created_at: datetime.datetime, pk: uuid.UUID
) -> QuerySet[Notification]:
    """The messages after (created_at, pk) in the inbox's order (newest first, then by id)."""
    return notifications.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
