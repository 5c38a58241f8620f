"""Notifications: every prompt, nudge, alert and celebration Rat Park sends.

The tables keep the names they were created with in the nudges app (``nudges_*``): the models
moved here with their data, so each sets ``db_table``.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    CHECKIN_REMINDER = "checkin_reminder", "Check-in reminder"
    ISOLATION_PROMPT = "isolation_prompt", "Reach-out prompt"
    SOS = "sos", "SOS alert"
    SUPPORTER_NUDGE = "supporter_nudge", "Supporter nudge"
    THERAPIST_DIGEST = "therapist_digest", "Therapist weekly digest"
    CELEBRATION = "celebration", "Celebration"
    ENCOURAGEMENT = "encouragement", "Encouragement"
    NETWORK = "network", "Network update"
    CONSENT = "consent", "Consent reminder"


# Kinds that count towards the "at most 3 prompts a day" limit (SOS and digests never do).
PROMPT_KINDS = (Kind.CHECKIN_REMINDER, Kind.ISOLATION_PROMPT, Kind.SUPPORTER_NUDGE)
DAILY_PROMPT_LIMIT = 3
# Kinds that tell their recipient about another member (``subject_member``). Such a message
# is shown (inbox, its page, a delivery still waiting) only while the recipient may receive
# anything about that member: the network app's access predicate, checked again at reading
# and at sending time, so an expired consent or a withdrawn verification also hides what was
# already sent.
ABOUT_A_MEMBER = (Kind.SOS, Kind.SUPPORTER_NUDGE)


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def for_recipient(self, user):
        return self.filter(recipient=user)


class Notification(models.Model):
    """One message to one person.

    ``title`` and ``body`` may appear on a lock screen or in a shared inbox, so they never
    carry health details. The idempotency key (rule, recipient, subject, local date or window)
    is unique, so a sweep that runs twice cannot create a second row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes on the two people: the composite indexes below start with
    # them and serve every lookup (a third copy only slows the sweep's inserts).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    subject_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications_about",
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Unique by a constraint rather than ``unique=True``, which would add a second,
    # pattern-matching index on PostgreSQL that no query uses.
    idempotency_key = models.CharField(max_length=200)
    title = models.CharField(max_length=140)
    body = models.TextField(max_length=1000)
    action_url = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The recipient's local date when the row was made: the daily prompt limit counts by it.
    local_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The member's one-tap answer ("reached_out", "snooze", "stop"), recorded once.
    response = models.CharField(max_length=16, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        db_table = "nudges_notification"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="nudges_notification_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient", "local_date"], name="nudges_notif_recipient_day"),
            models.Index(
                fields=["subject_member", "kind", "recipient", "-created_at"],
                name="nudges_notif_subject_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}"

    @property
    def dwell(self) -> datetime.timedelta | None:
        if self.delivered_at is None:
            return None
        return self.delivered_at - self.due_at


class Channel(models.TextChoices):
    INAPP = "inapp", "In-app inbox"
    EMAIL = "email", "Email"
    PUSH = "push", "Web push"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Delivery(models.Model):
    """One notification on one channel: the ledger that makes delivery idempotent.

    A task claims a pending row with a short lease (a conditional UPDATE), sends, then marks it
    sent. A redelivered task that finds it sent, or leased by another worker, does nothing.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not sent before this time: quiet hours of the recipient, or a retry's back-off.
    not_before = models.DateTimeField(default=timezone.now)
    # When a task was last published for it; NULL means "publish at the next sweep".
    queued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "nudges_delivery"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="nudges_one_delivery_per_channel"
            )
        ]
        indexes = [
            # The sweep's dispatch and re-drive step reads only pending rows.
            models.Index(
                fields=["not_before"],
                condition=Q(status="pending"),
                name="nudges_delivery_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} for {self.notification_id}"


class Mute(models.Model):
    """A person stopped one kind of notification, on one channel or on all of them."""

    ALL = "all"
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudge_mutes"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.CharField(
        max_length=8, choices=[(ALL, "Every channel"), *Channel.choices], default=ALL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "nudges_mute"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="nudges_one_mute")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} muted {self.kind} ({self.channel})"


class PushSubscription(models.Model):
    """One browser or phone that accepted web push for a user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "nudges_pushsubscription"

    def __str__(self) -> str:
        return f"Push subscription of {self.user_id}"

    def as_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
