"""Writes for check-ins: recording a check-in and what follows from it, sobriety dates,
questionnaires and reminder preferences. Free of requests and HTML."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from network import selectors as network_selectors
from network.models import Contact
from network.services.contacts import ContactSync, contacts_sync_checkin_day
from notifications.models import Kind
from notifications.services import notify
from recovery.jitter import default_time

from . import selectors
from .instruments import INSTRUMENTS, InvalidAnswers
from .models import (
    CheckIn,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ReminderPreference,
    RiskEvent,
    SobrietyPeriod,
)
from .stats import KEPT_STATS_ATTR

logger = logging.getLogger(__name__)

MEETING = "meeting"  # the "a meeting" choice among the people a member connected with
CHECKIN_FIELDS = (
    "mood",
    "craving",
    "used",
    "connectedness",
    "sleep_quality",
    "notes",
    "gratitude",
)
MAX_PAUSE_DAYS = 90


@dataclass
class CheckinResult:
    checkin: CheckIn
    created: bool
    risk_event: RiskEvent | None
    milestones: list[selectors.Milestone] = field(default_factory=list)


def _date_error(window: selectors.CheckinWindow, day: datetime.date, exists: bool) -> str | None:
    if day > window.today:
        return "That date is in the future. You can check in for today."
    if exists and not window.can_edit(day):
        return "Check-ins older than yesterday are kept as they were and can't be changed."
    if not exists and not window.can_create(day):
        if day == window.yesterday:
            return (
                "A check-in for yesterday can be added until noon. You can still check in "
                "for today."
            )
        return "Check-ins can only be added for today (or for yesterday, until noon)."
    return None


def checkin_record(
    *,
    member: User,
    local_date: datetime.date,
    values: dict[str, Any],
    connected_with: Iterable[str] = (),
    now: datetime.datetime | None = None,
    known_new: bool = False,
) -> CheckinResult:
    """Create or edit the member's check-in for one local date, and what follows from it.

    ``values`` holds the CHECKIN_FIELDS; ``connected_with`` holds tie ids and/or MEETING.
    A second check-in for the same date edits the first (the database enforces one per day,
    so two simultaneous submissions still end as one row). Logs contacts, records a risk
    event, and celebrates milestones once each (idempotent notifications). Raises
    ValidationError with a member-facing message when the date is not allowed.

    ``known_new``: the caller saw no check-in for that date (the form's page), so the row is
    inserted without reading it first; if another submission made it meanwhile, the insert
    fails and the whole record runs again as an edit.
    """
    now = now or timezone.now()
    chosen = tuple(connected_with)
    if known_new:
        try:
            return _checkin_record(member, local_date, values, chosen, now, known_new=True)
        except IntegrityError:
            pass  # rolled back whole: nothing of the first attempt is left
    return _checkin_record(member, local_date, values, chosen, now, known_new=False)


@transaction.atomic
def _checkin_record(
    member: User,
    local_date: datetime.date,
    values: dict[str, Any],
    connected_with: Iterable[str],
    now: datetime.datetime,
    *,
    known_new: bool,
) -> CheckinResult:
    window = selectors.checkin_window(member, now)
    checkin: CheckIn | None = None
    if not known_new:
        mine = CheckIn.objects.select_for_update().filter(member=member, local_date=local_date)
        checkin = mine.first()
    error = _date_error(window, local_date, exists=checkin is not None)
    if error:
        raise ValidationError(error)

    fields = {name: values[name] for name in CHECKIN_FIELDS if name in values}
    created = False
    inputs = None
    if checkin is None:
        # Read before the write, without a lock: the counters the milestones need, and the
        # kept figures the new check-in is folded into (one conditional UPDATE, see
        # ``checkins.stats.checkin_stats_added``).
        inputs = selectors.counters_read(member, window.today)
        checkin = CheckIn(member=member, local_date=local_date, time_zone=member.time_zone)
        for name, value in fields.items():
            setattr(checkin, name, value)
        # The member is the signed-in user: no query to check that the foreign key exists.
        checkin.full_clean(exclude={"member"}, validate_constraints=False)
        setattr(checkin, KEPT_STATS_ATTR, inputs.checkin_stats)
        if known_new:
            # No savepoint: a duplicate fails the whole transaction, and the caller retries.
            checkin.save(force_insert=True)
            created = True
        else:
            try:
                with transaction.atomic():
                    checkin.save(force_insert=True)
                created = True
            except IntegrityError:
                # Another submission for the same day won the race: edit that one instead.
                checkin = CheckIn.objects.select_for_update().get(
                    member=member, local_date=local_date
                )
                inputs = None
    was_high_risk = False
    if not created:
        checkin.member = member  # the row is theirs (the filter above): no query to load it
        was_high_risk = checkin.is_high_risk
        for name, value in fields.items():
            setattr(checkin, name, value)
        checkin.full_clean(exclude={"member"}, validate_constraints=False)
        checkin.save(update_fields=[*fields, "updated_at"])

    sync = log_contacts_for_checkin(checkin=checkin, connected_with=connected_with, now=now)
    risk_event = _record_risk(checkin, created=created, was_high_risk=was_high_risk)
    if inputs is not None and created and not sync.changed:
        # Only the kept check-in figures moved since ``inputs`` were read: take them as the
        # fold left them, and the counters need no second read.
        inputs = replace(inputs, checkin_stats=getattr(checkin, KEPT_STATS_ATTR))
    else:
        inputs = None
    milestones = _celebrate(member, checkin.local_date, window.today, inputs=inputs)
    logger.info(
        "checkin recorded",
        extra={"member_id": member.pk, "checkin_created": created, "risk": bool(risk_event)},
    )
    return CheckinResult(checkin, created, risk_event, milestones)


def log_contacts_from_checkin(
    *, checkin: CheckIn, connected_with: Iterable[str], now: datetime.datetime | None = None
) -> list[Contact]:
    """Make the member's contact log for the check-in's date match who they said they saw.

    ``connected_with`` holds tie ids and/or MEETING. The contact log is the network app's:
    this only translates the form's choices for ``contacts_sync_checkin_day``.
    """
    return log_contacts_for_checkin(checkin=checkin, connected_with=connected_with, now=now).created


def log_contacts_for_checkin(
    *, checkin: CheckIn, connected_with: Iterable[str], now: datetime.datetime | None = None
) -> ContactSync:
    """``log_contacts_from_checkin``, also saying whether anything was removed."""
    chosen = set(connected_with)
    return contacts_sync_checkin_day(
        member=checkin.member,
        local_date=checkin.local_date,
        tie_ids=chosen - {MEETING},
        meeting=MEETING in chosen,
        now=now,
    )


def checkin_connected_with(checkin: CheckIn) -> list[str]:
    """Return the choices (tie ids, MEETING) matching the contacts logged on the check-in's date."""
    tie_ids, meeting = network_selectors.checkin_contacts_on(checkin.member, checkin.local_date)
    return [*tie_ids, MEETING] if meeting else tie_ids


def _record_risk(
    checkin: CheckIn, *, created: bool = False, was_high_risk: bool = True
) -> RiskEvent | None:
    if not checkin.is_high_risk:
        # The member corrected the check-in; an event nobody acted on yet goes away with it.
        # A check-in just created has no event yet, nor one that was calm before the edit
        # (events are made only from high-risk values): nothing to ask the database.
        if not created and was_high_risk:
            RiskEvent.objects.filter(checkin=checkin, handled_at__isnull=True).delete()
        return None
    event, _ = RiskEvent.objects.update_or_create(
        checkin=checkin,
        defaults={
            "member": checkin.member,
            "local_date": checkin.local_date,
            **checkin.risk_signals,
        },
    )
    return event


def risk_event_claim(*, checkin: CheckIn, now: datetime.datetime | None = None) -> bool:
    """Mark the check-in's risk event handled: the member's SOS contacts were told.

    For the nudges app's SOS. A handled event is history: a later correction of the check-in
    no longer withdraws it. Returns False when there is no unhandled event (a calm check-in,
    or one already claimed), so asking twice changes nothing the second time.
    """
    claimed = RiskEvent.objects.filter(checkin=checkin, handled_at__isnull=True).update(
        handled_at=now or timezone.now()
    )
    return claimed == 1


def _celebrate(
    member: User,
    on: datetime.date,
    today: datetime.date,
    *,
    inputs: selectors.CounterInputs | None = None,
) -> list[selectors.Milestone]:
    c = selectors.counters(member, today, inputs=inputs)
    reached = selectors.milestones_reached(c, on)
    for milestone in reached:
        # Keyed by the day it was reached: a re-submitted check-in cannot celebrate twice.
        notify(
            recipient=member,
            kind=Kind.CELEBRATION,
            # Lock-screen safe: the detail (days sober, streaks) stays inside the app.
            title="A milestone to celebrate",
            body="You reached a milestone. Open Rat Park to see it.",
            idempotency_key=f"celebration:{member.pk}:{milestone.key}:{milestone.reached_on}",
            action_url=reverse("checkins:history"),
            data={"milestone": milestone.key, "message": milestone.message},
        )
    return reached


# --- Sobriety date ---------------------------------------------------------------------------


@transaction.atomic
def sobriety_set(
    *, member: User, started_on: datetime.date, today: datetime.date
) -> SobrietyPeriod:
    """Set (or correct) the start date of the member's current sobriety period."""
    if started_on > today:
        raise ValidationError("The start date can't be in the future.")
    period = SobrietyPeriod.objects.select_for_update().current().filter(member=member).first()
    if period is None:
        period = SobrietyPeriod(member=member, started_on=started_on)
        period.full_clean(validate_constraints=False)
        period.save()
    else:
        period.started_on = started_on
        period.save(update_fields=["started_on"])
    return period


@transaction.atomic
def sobriety_restart(*, member: User, today: datetime.date) -> SobrietyPeriod:
    """Close the current sobriety period and start a new one today; all history stays."""
    period = SobrietyPeriod.objects.select_for_update().current().filter(member=member).first()
    if period is not None:
        if period.started_on == today:
            return period
        period.ended_on = today
        period.save(update_fields=["ended_on"])
    return SobrietyPeriod.objects.create(member=member, started_on=today)


@transaction.atomic
def sobriety_stop_counting(*, member: User, today: datetime.date) -> None:
    """Stop counting days (some members prefer not to); past periods stay in the history."""
    period = SobrietyPeriod.objects.select_for_update().current().filter(member=member).first()
    if period is not None:
        period.ended_on = max(today, period.started_on)
        period.save(update_fields=["ended_on"])


# --- Questionnaires --------------------------------------------------------------------------


@transaction.atomic
def questionnaire_submit(
    *, member: User, instrument: str, answers: list[int], now: datetime.datetime | None = None
) -> QuestionnaireResponse:
    """Store one completed questionnaire with item-level answers, version and scores.

    Advances the member's schedule for that instrument, if any.
    """
    now = now or timezone.now()
    definition = INSTRUMENTS.get(instrument)
    if definition is None:
        raise ValidationError("Unknown questionnaire.")
    try:
        scores = definition.score(answers)
    except InvalidAnswers as exc:
        raise ValidationError(str(exc)) from exc
    today = selectors.local_today(member, now)
    response = QuestionnaireResponse(
        member=member,
        instrument=instrument,
        version=definition.version,
        answers=list(answers),
        scores={s.key: s.value for s in scores},
        local_date=today,
        completed_at=now,
    )
    response.full_clean(validate_constraints=False)
    response.save()
    schedule = (
        QuestionnaireSchedule.objects.select_for_update()
        .filter(member=member, instrument=instrument)
        .first()
    )
    if schedule is not None:
        schedule.next_due_on = today + datetime.timedelta(days=schedule.every_days)
        schedule.save(update_fields=["next_due_on"])
    return response


def questionnaire_schedule_set(
    *,
    member: User,
    instrument: str,
    every_days: int,
    created_by: User,
    today: datetime.date,
) -> QuestionnaireSchedule:
    """Create or change the member's schedule for one questionnaire; first due today."""
    schedule, _ = QuestionnaireSchedule.objects.update_or_create(
        member=member,
        instrument=instrument,
        defaults={"every_days": every_days, "next_due_on": today, "created_by": created_by},
    )
    return schedule


# --- Reminder preferences --------------------------------------------------------------------


def reminder_preference_for(member: User) -> ReminderPreference:
    """Return the member's reminder preferences, creating the defaults on first use.

    The default reminder time is spread per person (``recovery.jitter``), and saved as
    theirs, so what the page shows is when the reminder comes.
    """
    default = ReminderPreference._meta.get_field("reminder_time").default
    preference, _ = ReminderPreference.objects.get_or_create(
        member=member, defaults={"reminder_time": default_time(default, member.pk)}
    )
    return preference


def reminders_pause(
    *, preference: ReminderPreference, days: int, now: datetime.datetime | None = None
) -> ReminderPreference:
    """Pause all reminders for ``days`` days (0 resumes them now)."""
    if not 0 <= days <= MAX_PAUSE_DAYS:
        raise ValidationError(f"Choose between 0 and {MAX_PAUSE_DAYS} days.")
    now = now or timezone.now()
    preference.paused_until = now + datetime.timedelta(days=days) if days else None
    preference.save(update_fields=["paused_until"])
    return preference


# --- Dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardSummary:
    counters: selectors.Counters
    due: list[QuestionnaireSchedule]

    @property
    def checked_in_today(self) -> bool:
        return self.counters.checked_in_today


def dashboard_summary(member: User, now: datetime.datetime | None = None) -> DashboardSummary:
    """Return what the dashboard shows about check-ins: counters (whether they checked in today
    among them: the kept figures say, no query for the check-in itself), what's due."""
    today = selectors.local_today(member, now)
    return DashboardSummary(
        counters=selectors.counters(member, today),
        due=selectors.due_questionnaires(member, today),
    )
