"""Signed links in emails and pushes: each performs one action without a login."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

ACTION_SALT = "nudges.action"
UNSUBSCRIBE_SALT = "nudges.unsubscribe"
ACTION_MAX_AGE = 7 * 24 * 3600  # a week: long enough for a late reader, short enough to expire
ACTIONS = ("reached_out", "snooze", "stop")


def action_token(notification_id: uuid.UUID | str, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(action)
    return signing.TimestampSigner(salt=ACTION_SALT).sign(f"{notification_id}:{action}")


def read_action_token(token: str, *, max_age: int = ACTION_MAX_AGE) -> tuple[uuid.UUID, str]:
    """Return (notification id, action); raise signing.BadSignature (or SignatureExpired)."""
    value = signing.TimestampSigner(salt=ACTION_SALT).unsign(token, max_age=max_age)
    raw_id, _, action = value.partition(":")
    if action not in ACTIONS:
        raise signing.BadSignature("unknown action")
    try:
        return uuid.UUID(raw_id), action
    except ValueError as exc:
        raise signing.BadSignature("bad id") from exc


def unsubscribe_token(user_id: int, kind: str) -> str:
    # No expiry: an unsubscribe link in an old email must keep working.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(f"{user_id}:{kind}")


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    raw_id, _, kind = value.partition(":")
    try:
        return int(raw_id), kind
    except ValueError as exc:
        raise signing.BadSignature("bad id") from exc


def action_url(notification_id: uuid.UUID | str, action: str) -> str:
    path = reverse("notifications:act", args=[action_token(notification_id, action)])
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(user_id: int, kind: str) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id, kind)])
    return f"{settings.SITE_URL}{path}"
