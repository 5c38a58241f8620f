"""Notifications: every prompt, nudge, alert and celebration Rat Park sends."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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


DAYS = [MinValueValidator(1), MaxValueValidator(60)]


class NudgePreference(models.Model):
    """A person's choices for the nudge rules. A missing row means every default below."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="nudge_preference",
    )
    isolation_enabled = models.BooleanField("prompt me to reach out", default=True)
    isolation_days = models.PositiveSmallIntegerField(
        "after this many days without a contact", default=2, validators=DAYS
    )
    prompt_time = models.TimeField("earliest time of day for prompts", default=datetime.time(12, 0))
    supporter_nudges_enabled = models.BooleanField(
        "let my supporters know when I might need a hello", default=True
    )
    missed_checkin_days = models.PositiveSmallIntegerField(
        "after this many days without a check-in", default=3, validators=DAYS
    )
    no_contact_days = models.PositiveSmallIntegerField(
        "or this many days without a contact", default=4, validators=DAYS
    )
    digest_weekday = models.PositiveSmallIntegerField(
        "weekly digest day (therapists)",
        default=0,
        choices=[
            (i, d)
            for i, d in enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        ],
    )
    digest_hour = models.PositiveSmallIntegerField(
        "weekly digest hour (therapists)", default=9, validators=[MaxValueValidator(23)]
    )
    urgent_alerts = models.BooleanField(
        "send me SOS alerts even during my quiet hours", default=False
    )
    sos_message = models.CharField(
        "what my SOS contacts are told",
        max_length=200,
        default="I'm having a hard time right now. Could you reach out to me?",
        help_text="Only these words are shared with your SOS contacts, nothing from your check-in.",
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(isolation_days__gte=1, isolation_days__lte=60),
                name="nudges_isolation_days_range",
            ),
            models.CheckConstraint(
                condition=Q(missed_checkin_days__gte=1, missed_checkin_days__lte=60)
                & Q(no_contact_days__gte=1, no_contact_days__lte=60),
                name="nudges_supporter_days_range",
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__lte=6, digest_hour__lte=23),
                name="nudges_digest_when_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Nudge preferences of {self.member_id}"


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

    def __str__(self) -> str:
        return f"Push subscription of {self.user_id}"

    def as_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class SweepState(models.Model):
    """The clock of the last completed sweep (one row): the next sweep's window starts there."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="nudges_one_sweep_state")]

    def __str__(self) -> str:
        return f"Sweep state ({self.last_run_at})"


class Schedule(models.Model):
    """When each time-based rule can next fire for one person: what the sweep asks for.

    One row per person, one column per rule (NULL: that rule cannot fire for them, e.g. the
    digest for someone who is not a therapist), and ``next_due_at``, the earliest of them,
    indexed, so a minute's sweep reads only the people due (healthchecks' ``alert_after``).
    The moments are computed in Python with zoneinfo (``nudges.schedule``) from the person's
    time zone, times, days and quiet hours; a change to any of those marks the row ``stale``
    and the next sweep recomputes it before claiming. A row is one person, so the worker that
    claims it (``FOR UPDATE SKIP LOCKED``) owns all of their rules, and the daily limit holds
    with several workers sharing a sweep.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="nudge_schedule",
    )
    next_due_at = models.DateTimeField(null=True, blank=True)
    checkin_reminder_at = models.DateTimeField(null=True, blank=True)
    isolation_prompt_at = models.DateTimeField(null=True, blank=True)
    supporter_nudge_at = models.DateTimeField(null=True, blank=True)
    therapist_digest_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_due_at"],
                condition=Q(next_due_at__isnull=False),
                name="nudges_schedule_due",
            ),
            models.Index(fields=["user"], condition=Q(stale=True), name="nudges_schedule_stale"),
        ]

    def __str__(self) -> str:
        return f"Schedule of {self.user_id} (next {self.next_due_at})"


class SosAlert(models.Model):
    """One time a member asked for support: from the standing "I need support" button, or
    from a hard check-in (then at most one per check-in).

    Each SOS contact gets a notification carrying this alert's id; their answer ("I'm reaching
    out now", kind words) is recorded on that notification, and the member's page reads the
    answers back from there.
    """

    ACTIVE_HOURS = 24

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sos_alerts"
    )
    # Only these words go to the SOS contacts: the member's own, never anything from a check-in.
    message = models.CharField(max_length=200)
    # A plain id, not a foreign key: the check-in app builds on this one.
    checkin_ref = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin_ref"],
                condition=Q(checkin_ref__isnull=False),
                name="nudges_one_sos_per_checkin",
            )
        ]
        indexes = [models.Index(fields=["member", "-created_at"], name="nudges_sos_member")]

    def __str__(self) -> str:
        return f"SOS of {self.member_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def is_active(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return now - self.created_at < datetime.timedelta(hours=self.ACTIVE_HOURS)
