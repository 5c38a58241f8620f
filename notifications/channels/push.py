from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import requests
from django.conf import settings
from pywebpush import WebPushException, webpush

from .. import links
from . import BaseChannel, PermanentFailure, TemporaryFailure

if TYPE_CHECKING:
    from ..models import Delivery, Notification

logger = logging.getLogger(__name__)
PUSH_TIMEOUT = 10
# Push services answer these for a subscription that no longer exists.
GONE = (404, 410)


def push_topic(notification: Notification) -> str:
    """The push ``Topic`` for this notification (RFC 8030 section 5.4: at most 32 URL-safe
    base64 characters). A push service still holding an undelivered message with the same
    topic replaces it, so a resend after a worker crash (delivery is at least once) replaces
    rather than repeats. The notification's UUID as 32 hex digits is stable and fits."""
    return notification.pk.hex


class PushChannel(BaseChannel):
    """Web push (VAPID) to every device the recipient subscribed."""

    name = "push"

    def send(self, delivery: Delivery, notification: Notification) -> None:
        private_key = settings.VAPID_PRIVATE_KEY
        if not private_key:
            raise PermanentFailure("VAPID keys are not configured")
        subscriptions = list(notification.recipient.push_subscriptions.all())
        if not subscriptions:
            raise PermanentFailure("no push subscription")
        # Lock-screen safe: title and body only, and a link that needs a login for details.
        payload = json.dumps(
            {
                "title": notification.title,
                "body": notification.body,
                "url": links.open_url(notification, absolute=False),
                "tag": str(notification.pk),
                "actions": links.actions_for(notification, absolute=False),
            }
        )
        delivered, temporary = 0, 0
        for subscription in subscriptions:
            try:
                webpush(
                    subscription.as_info(),
                    data=payload,
                    vapid_private_key=private_key,
                    vapid_claims={"sub": settings.VAPID_SUBJECT},
                    timeout=PUSH_TIMEOUT,
                    ttl=24 * 3600,
                    headers={"Topic": push_topic(notification)},
                )
            except WebPushException as exc:
                status = exc.status_code
                if status in GONE:
                    subscription.delete()
                elif status is None or status == 429 or status >= 500:
                    temporary += 1
                logger.info("push failed", extra={"status": status, "delivery_id": delivery.pk})
            except requests.RequestException:
                temporary += 1
            else:
                delivered += 1
        if delivered:
            return
        if temporary:
            raise TemporaryFailure("push service unavailable")
        raise PermanentFailure("push rejected")
