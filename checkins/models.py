"""The daily check-in and the member's reminder preferences."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

HIGH_CRAVING = 8
NOTES_MAX_LENGTH = 2000


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


# The three signals of a hard day, as filters: what ``CheckIn.risk_signals`` evaluates on one
# row (and copies into a ``RiskEvent``'s flags), for queries over many check-ins.
RISK_SIGNALS = {
    "used": Q(used=True),
    "high_craving": Q(craving__gte=HIGH_CRAVING),
    "low_mood": Q(mood=Mood.VERY_LOW),
}


class CheckIn(models.Model):
    """One check-in per member per local calendar date (in the member's time zone)."""

    # No index of its own: the one-per-day constraint's (member, local_date) index serves every
    # lookup by member, and a second index on member alone led PostgreSQL to read a member's
    # whole history to find their last 7 days.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="checkins",
        db_index=False,
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
    notes = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH)
    gratitude = models.CharField("grateful for", max_length=500, blank=True)
    # The zone the member was in when they checked in: after travel, the date stays explainable.
    time_zone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

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
            # TextField's max_length is only a form check; bound it in the database too.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("notes"), NOTES_MAX_LENGTH),
                name="checkin_notes_bounded",
                violation_error_message="Notes can be at most 2000 characters.",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.local_date}"

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """Validate the constraints without a statement per check constraint.

        The check constraints restate what the fields' choices and validators already check
        in Python (``clean_fields``), except the notes bound, checked here. Asking the
        database again cost a statement and a savepoint each on every check-in form. The
        other constraints (one check-in a day) are still validated by Django as usual.
        """
        errors: dict = {}
        if (exclude is None or "notes" not in exclude) and len(self.notes) > NOTES_MAX_LENGTH:
            errors["notes"] = [f"Notes can be at most {NOTES_MAX_LENGTH} characters."]
        for constraint in self._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                continue
            try:
                # Django's BaseConstraint declares validate() (each kind implements it); the
                # stubs declare it only on the concrete classes.
                constraint.validate(type(self), self, exclude=exclude)  # type: ignore[attr-defined]
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    @property
    def risk_signals(self) -> dict[str, bool]:
        """``RISK_SIGNALS`` evaluated on this row (same keys)."""
        return {
            "used": bool(self.used),
            "high_craving": self.craving >= HIGH_CRAVING,
            "low_mood": self.mood == Mood.VERY_LOW,
        }

    @property
    def is_high_risk(self) -> bool:
        return any(self.risk_signals.values())


ALL_DAYS = 0b1111111  # bit 0 is Monday, as in date.weekday()


class ReminderPreference(models.Model):
    """When a member wants to be reminded to check in, and a pause. The nudges sweep reads
    these in bulk. Quiet hours and channels are the person's, not the reminder's:
    ``accounts.ContactPreferences``."""

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

    def is_paused(self, now: datetime.datetime | None = None) -> bool:
        return self.paused_until is not None and self.paused_until > (now or timezone.now())


class CheckinStats(models.Model):
    """Kept aggregates of a member's check-ins: the check-in streak without the history.

    Updated in the transaction of the check-in that changes them (``checkins.services``);
    ``rebuild_kept_aggregates`` recomputes them from history.
    """

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="checkin_stats",
    )
    last_checkin_on = models.DateField(null=True, blank=True)
    run_started_on = models.DateField(null=True, blank=True)
    longest_streak = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Check-in figures of {self.member_id}"


class SobrietyPeriodQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_on__isnull=True)


class SobrietyPeriod(models.Model):
    """A run of days a member counts as sober. Optional: some members do not count days.

    Restarting after a relapse closes the open period and opens a new one; nothing is deleted,
    so the member's history (and every other streak) survives a restart.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sobriety_periods"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SobrietyPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True),
                name="one_open_sobriety_period",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="sobriety_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Sobriety period from {self.started_on}"

    def days_on(self, day: datetime.date) -> int:
        return max((day - self.started_on).days, 0)


class RiskEvent(models.Model):
    """A check-in that reported use, high craving or the lowest mood (``RISK_SIGNALS``).

    The member saw crisis resources at once on the check-in page. One row per check-in: editing
    the check-in updates the reasons, and a correction to a calm check-in withdraws the event
    unless it was handled. Counts over time come from the check-ins themselves
    (``selectors.risk_summaries``); this row records the signal and whether it was acted on.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_events"
    )
    checkin = models.OneToOneField(CheckIn, on_delete=models.CASCADE, related_name="risk_event")
    local_date = models.DateField()
    used = models.BooleanField(default=False)
    high_craving = models.BooleanField(default=False)
    low_mood = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the member's SOS contacts were told (services.risk_event_claim, from the SOS).
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-local_date"]

    def __str__(self) -> str:
        return f"Risk signal on {self.local_date}"

    @property
    def reasons(self) -> list[str]:
        return [
            name
            for name, flag in (
                ("used", self.used),
                ("high_craving", self.high_craving),
                ("low_mood", self.low_mood),
            )
            if flag
        ]


# How often a scheduled questionnaire comes due (days, label).
SCHEDULE_INTERVALS = (
    (7, "Every week"),
    (14, "Every 2 weeks"),
    (30, "Every month"),
    (90, "Every 3 months"),
)


class Instrument(models.TextChoices):
    UCLA3 = "ucla3", "UCLA 3-item Loneliness Scale"
    BARC10 = "barc10", "Brief Assessment of Recovery Capital (BARC-10)"
    MSPSS = "mspss", "Multidimensional Scale of Perceived Social Support (MSPSS)"


class QuestionnaireResponse(models.Model):
    """One completed questionnaire: item-level answers, the instrument version, and the scores.

    Scores are computed once, by ``checkins.instruments``, and stored beside the answers so a
    later change of scoring code cannot silently rewrite a member's history.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questionnaire_responses"
    )
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    version = models.CharField(max_length=40)
    answers = models.JSONField()
    scores = models.JSONField()
    local_date = models.DateField()
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at"]
        indexes = [models.Index(fields=["member", "instrument", "-completed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__in=Instrument.values), name="response_known_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} on {self.local_date}"

    def clean(self) -> None:
        from .instruments import INSTRUMENTS, InvalidAnswers

        super().clean()
        definition = INSTRUMENTS.get(self.instrument)
        if definition is None:
            raise ValidationError({"instrument": "Unknown questionnaire."})
        try:
            definition.validate(self.answers)
        except InvalidAnswers as exc:
            raise ValidationError({"answers": str(exc)}) from exc


class QuestionnaireSchedule(models.Model):
    """A member's (or their therapist's) plan to repeat a questionnaire every N days."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questionnaire_schedules"
    )
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    every_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(7), MaxValueValidator(365)]
    )
    next_due_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["next_due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "instrument"], name="one_schedule_per_instrument"
            ),
            models.CheckConstraint(
                condition=Q(every_days__gte=7, every_days__lte=365),
                name="schedule_every_7_to_365_days",
            ),
            models.CheckConstraint(
                condition=Q(instrument__in=Instrument.values), name="schedule_known_instrument"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} every {self.every_days} days"

    def is_due(self, today: datetime.date) -> bool:
        return self.next_due_on <= today
