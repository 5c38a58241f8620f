"""Sending one delivery: claim with a lease, personalise, send, record. Safe to repeat.

Two names of higher apps reach it as dotted paths (the registry mechanism of
docs/architecture.md), resolved when used:

- ``MAY_RECEIVE``: the network app's access predicate for one member and recipient, asked
  again at sending time for the kinds about a member (``ABOUT_A_MEMBER``).
- ``PERSONALISERS``: by kind, what fills in a notification's content when it is first sent
  (the nudges app's reach-out prompt names a person then).
"""

from __future__ import annotations

import datetime
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.module_loading import import_string

from .channels import PermanentFailure, TemporaryFailure, get_channel
from .models import ABOUT_A_MEMBER, Delivery, DeliveryStatus, Kind, Notification, Status

# Whether a user may still be told about a member: (member, recipient) -> bool.
MAY_RECEIVE = "network.selectors.may_receive"
# By kind: a function taking a notification marked ``personalise`` and returning the content
# to send, {"title", "body", "data"} (the mark is dropped when it is saved).
PERSONALISERS: dict[str, str] = {Kind.ISOLATION_PROMPT: "nudges.personalise.isolation_prompt"}

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Retries shorter than this go back to the broker with a countdown; longer ones wait in the
# database for the sweep (long ETAs in Redis get redelivered after the visibility timeout).
MAX_COUNTDOWN = 120


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "failed", "retry", "skipped"
    countdown: float | None = None


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off with full jitter: base * 2^(attempts-1), capped, times [0.5, 1]."""
    base = settings.NUDGES_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.NUDGES_RETRY_MAX_SECONDS)
    # Jitter spreads retries out; nothing about it needs to be unpredictable.
    return delay * random.uniform(0.5, 1.0)  # nosec B311


def _claim(delivery_id: int) -> bool:
    # The conditional UPDATE is the claim: only one worker gets rowcount 1. An expired lease
    # (a worker that died mid-send) can be claimed again.
    return bool(
        Delivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            not_before__lte=timezone.now() + datetime.timedelta(seconds=2),
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=Now()))
        .update(
            lease_until=timezone.now() + datetime.timedelta(seconds=settings.NUDGES_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    )


def personalise(notification: Notification) -> Notification:
    """Fill in what the set-based sweep could not: the person to reach out to.

    Done once per notification (a conditional UPDATE), by whichever delivery comes first.
    """
    if not notification.data.get("personalise"):
        return notification
    path = PERSONALISERS.get(notification.kind)
    if path is not None:
        content = import_string(path)(notification)
        data = {k: v for k, v in content["data"].items() if k != "personalise"}
        Notification.objects.filter(pk=notification.pk, data__personalise=True).update(
            title=content["title"][:140], body=content["body"], data=data
        )
        notification.refresh_from_db()
    return notification


def finalize(notification_id) -> None:
    """Mark the notification delivered (or failed) once no delivery is pending.

    Called inside the transaction that settled a delivery. Locking the notification row first
    serialises two deliveries of one notification finishing at once: the second waits for the
    first to commit, then sees both rows settled.
    """
    Notification.objects.select_for_update().filter(pk=notification_id).values_list("pk").first()
    pending = Delivery.objects.filter(notification=OuterRef("pk"), status=DeliveryStatus.PENDING)
    failed = Delivery.objects.filter(notification=OuterRef("pk"), status=DeliveryStatus.FAILED)
    for status, condition in ((Status.FAILED, Exists(failed)), (Status.DELIVERED, ~Exists(failed))):
        Notification.objects.filter(pk=notification_id, status=Status.PENDING).filter(
            ~Exists(pending), condition
        ).update(status=status, delivered_at=Now())


def deliver_one(delivery_id: int) -> Outcome:
    """Send one delivery if it is still pending and nobody else holds it.

    Idempotent: a delivery already sent (or held by a live worker) is left alone.
    """
    if not _claim(delivery_id):
        return Outcome("skipped")
    delivery = (
        Delivery.objects.select_related("notification__recipient", "notification__subject_member")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return Outcome("skipped")  # deleted since (the recipient closed their account)
    if not _may_still_tell(delivery.notification):
        return _skip(delivery, "the recipient may no longer be told about this member")
    notification = personalise(delivery.notification)
    now = timezone.now()
    try:
        get_channel(delivery.channel).send(delivery, notification)
    except TemporaryFailure as exc:
        if delivery.attempts >= MAX_ATTEMPTS:
            return _fail(delivery, f"gave up after {delivery.attempts} attempts: {exc}")
        delay = backoff_seconds(delivery.attempts)
        short = delay <= MAX_COUNTDOWN
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            lease_until=None,
            not_before=now + datetime.timedelta(seconds=delay),
            queued_at=now if short else None,
            last_error=str(exc)[:300],
        )
        logger.info("delivery retry", extra={"delivery_id": delivery.pk, "delay": delay})
        return Outcome("retry", delay if short else None)
    except PermanentFailure as exc:
        return _fail(delivery, str(exc))
    # Settle the delivery and its notification together: a worker killed between the two
    # statements would otherwise leave the notification pending for ever.
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENT, sent_at=now, lease_until=None, last_error=""
        )
        finalize(delivery.notification_id)
    return Outcome("sent")


def _may_still_tell(notification: Notification) -> bool:
    """Whether a message about a member may still go out to its recipient now.

    An email or push can wait hours for quiet hours to end; by then a consent may have
    expired or a verification been withdrawn. The access predicate decides at sending time.
    """
    if notification.kind not in ABOUT_A_MEMBER or notification.subject_member_id is None:
        return True
    return import_string(MAY_RECEIVE)(notification.subject_member, notification.recipient)


def _skip(delivery: Delivery, reason: str) -> Outcome:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, lease_until=None, last_error=reason[:300]
        )
        finalize(delivery.notification_id)
    logger.info("delivery skipped", extra={"delivery_id": delivery.pk})
    return Outcome("skipped")


def _fail(delivery: Delivery, error: str) -> Outcome:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, lease_until=None, last_error=error[:300]
        )
        finalize(delivery.notification_id)
    logger.warning("delivery failed", extra={"delivery_id": delivery.pk})
    return Outcome("failed")
