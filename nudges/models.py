"""Notifications: every prompt, nudge, alert and celebration Rat Park sends."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
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


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person.

    ``title`` and ``body`` may appear on a lock screen or in a shared inbox, so they never
    carry health details. The idempotency key (rule, recipient, subject, local date or window)
    is unique, so a sweep that runs twice cannot create a second row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications_about",
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=140)
    body = models.TextField(max_length=1000)
    action_url = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}"
