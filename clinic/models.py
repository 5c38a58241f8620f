"""The therapist's own records: encrypted session notes and organisations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

NOTE_MAX_LENGTH = 10_000


class SessionNote(models.Model):
    """A therapist's own note about a session: a counselling note in the 2024 Part 2 rule's
    sense. Encrypted at rest (``clinic.crypto``), shown only to its author, in no export and
    not covered by the member's consent. Deleted with the author's or the member's account.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_notes_written"
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_on = models.DateField()
    ciphertext = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    # Not a column: the decrypted note, set by ``notes.own_notes`` for its author's page.
    text: str

    class Meta:
        ordering = ["-session_on", "-created_at"]
        indexes = [models.Index(fields=["author", "member", "-session_on"])]

    def __str__(self) -> str:
        return f"Session note of {self.session_on}"


class DiscussedMark(models.Model):
    """The author's private mark that a day of the member's timeline was discussed in session."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "member", "day"], name="one_mark_per_day")
        ]

    def __str__(self) -> str:
        return f"Discussed: {self.day}"


class Organisation(models.Model):
    """A clinic or practice. Its admins see its therapists and their client counts only."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships"
    )
    is_admin = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation}"
