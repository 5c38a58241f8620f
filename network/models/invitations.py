"""Invitations to join a member's network by email."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .ties import Tie


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=InvitationStatus.PENDING)


class Invitation(models.Model):
    """An emailed, single-use, expiring link that turns an invited tie into an active one.

    Only a SHA-256 hash of the token is stored, so a database leak reveals no working link.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    email = models.EmailField()
    message = models.TextField(blank=True, max_length=500)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    send_count = models.PositiveSmallIntegerField(default=1)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )

    # Not a column: set once ``invitations`` tried to email the link (None: not emailed,
    # False: the mail server refused), for the page that follows.
    email_sent: bool | None

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tie"],
                condition=Q(status="pending"),
                name="one_pending_invitation_per_tie",
            ),
            # Addresses are stored lower-cased, so this also catches "Maria@" vs "maria@".
            models.UniqueConstraint(
                fields=["member", "email"],
                condition=Q(status="pending"),
                name="one_pending_invitation_per_address",
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation to {self.email} ({self.get_status_display()})"

    def is_usable(self, now=None) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at > (now or timezone.now())
