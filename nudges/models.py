"""The nudge rules' own state: members' nudge choices, the sweep's clock and schedule, SOS.

The notifications themselves live in the notifications app.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

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


class SweepState(models.Model):
    """The clock of the last completed sweep (one row): the next sweep's window starts there."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="nudges_one_sweep_state")]

    def __str__(self) -> str:
        return f"Sweep state ({self.last_run_at})"


# The time-based rules, in the order they are evaluated, and their columns on ``Schedule``.
RULE_NAMES = ("checkin_reminder", "isolation_prompt", "supporter_nudge", "therapist_digest")
RULE_COLUMNS = tuple(f"{name}_at" for name in RULE_NAMES)


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
