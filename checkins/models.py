"""The daily check-in and the member's reminder preferences."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

HIGH_CRAVING = 8


class Mood(models.IntegerChoices):
    VERY_LOW = 1, "Really struggling"
    LOW = 2, "Low"
    OKAY = 3, "Okay"
    GOOD = 4, "Good"
    GREAT = 5, "Great"


class Connectedness(models.IntegerChoices):
    ALONE = 1, "Very alone"
    DISTANT = 2, "A bit distant"
    SOMEWHAT = 3, "Somewhat connected"
    CONNECTED = 4, "Connected"
    VERY = 5, "Very connected"


class CheckInQuerySet(models.QuerySet):
    def high_risk(self):
        return self.filter(Q(used=True) | Q(craving__gte=HIGH_CRAVING) | Q(mood=Mood.VERY_LOW))


class CheckIn(models.Model):
    """One check-in per member per local calendar date (in the member's time zone)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    local_date = models.DateField()
    mood = models.PositiveSmallIntegerField(choices=Mood.choices)
    craving = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    used = models.BooleanField("used or acted out since last check-in", default=False)
    connectedness = models.PositiveSmallIntegerField(choices=Connectedness.choices)
    sleep_quality = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(fields=["member", "local_date"], name="one_checkin_per_day"),
            models.CheckConstraint(condition=Q(mood__gte=1, mood__lte=5), name="mood_1_to_5"),
            models.CheckConstraint(
                condition=Q(craving__gte=0, craving__lte=10), name="craving_0_to_10"
            ),
            models.CheckConstraint(
                condition=Q(connectedness__gte=1, connectedness__lte=5),
                name="connectedness_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(sleep_quality__isnull=True)
                | Q(sleep_quality__gte=1, sleep_quality__lte=5),
                name="sleep_quality_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.local_date}"

    @property
    def is_high_risk(self) -> bool:
        return self.used or self.craving >= HIGH_CRAVING or self.mood == Mood.VERY_LOW


ALL_DAYS = 0b1111111  # bit 0 is Monday, as in date.weekday()


class ReminderPreference(models.Model):
    """When and how a member wants to be reminded. The nudges sweep reads these in bulk."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_preference",
    )
    checkin_reminder_enabled = models.BooleanField(default=True)
    reminder_time = models.TimeField(default=datetime.time(19, 0))
    # Days of the week as a bit mask (bit 0 = Monday), so the sweep can filter in SQL.
    reminder_days = models.PositiveSmallIntegerField(default=ALL_DAYS)
    quiet_start = models.TimeField(default=datetime.time(22, 0))
    quiet_end = models.TimeField(default=datetime.time(8, 0))
    channel_email = models.BooleanField(default=True)
    channel_push = models.BooleanField(default=False)
    paused_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_days__gte=0, reminder_days__lte=ALL_DAYS),
                name="reminder_days_is_a_week_mask",
            )
        ]

    def __str__(self) -> str:
        return f"Reminder preferences of {self.member}"

    def reminds_on(self, day: datetime.date) -> bool:
        return bool(self.reminder_days & (1 << day.weekday()))

    def in_quiet_hours(self, local_time: datetime.time) -> bool:
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local_time < self.quiet_end
        return local_time >= self.quiet_start or local_time < self.quiet_end

    def is_paused(self, now: datetime.datetime | None = None) -> bool:
        return self.paused_until is not None and self.paused_until > (now or timezone.now())
