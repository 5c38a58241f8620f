"""When a time-based rule can fire for one person, computed in Python with zoneinfo.

The sweep no longer asks the database for everyone's local time every minute: each person's
``Schedule`` row keeps the next moment each rule can fire, and this module computes those
moments from the person's time zone, chosen time, chosen days and the rule's cadence.

DST: a local time that a change skips (02:30 on a spring-forward night) fires at the first
moment after it (03:30 new time), because ``fold=0`` reads it with the offset before the
change; a time that happens twice (01:30 on a fall-back night) fires at its first
occurrence, once (the idempotency key holds the local date).

Defaults: a person who never saved a time gets the default moved by a stable per-person
jitter (up to ``NUDGES_DEFAULT_JITTER_MINUTES``, 30 by default), so a default does not put a
whole time zone into one minute. The reminders page shows that jittered time as theirs, and
a time someone saves is kept to the minute.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from recovery import quiet_hours
from recovery.jitter import default_time

from .bulk import tune_batch, write_schedules
from .models import RULE_COLUMNS, RULE_NAMES, Schedule
from .selectors import schedule_inputs

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
EVERY_DAY = 0b1111111

DEFAULT_REMINDER_TIME = datetime.time(19, 0)
DEFAULT_PROMPT_TIME = datetime.time(12, 0)
DEFAULT_DIGEST = (0, 9)  # Monday, 09:00


@functools.lru_cache(maxsize=2048)
def zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``, or None for a name this system does not know (skipped)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def moment(day: datetime.date, at: datetime.time, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC moment of local ``day`` at local ``at`` in ``tz`` (see DST above)."""
    return datetime.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


# Moments are cached: a batch asks with one clock, and many people share a zone, a time and
# days (a minute's people share their local time), so most answers are already known. The
# bounds keep a worker's caches to a few megabytes.
@functools.lru_cache(maxsize=1 << 15)
def next_occurrence(
    after: datetime.datetime, tz: zoneinfo.ZoneInfo, at: datetime.time, days: int = EVERY_DAY
) -> datetime.datetime | None:
    """The first moment strictly after ``after`` at local ``at`` on one of ``days``
    (a Monday-first bit mask); None if no day is chosen."""
    if not days & EVERY_DAY:
        return None
    day = after.astimezone(tz).date() - DAY
    for _ in range(10):
        if days & (1 << day.weekday()):
            candidate = moment(day, at, tz)
            if candidate > after:
                return candidate
        day += DAY
    return None


@functools.lru_cache(maxsize=1 << 12)
def latest_occurrence(
    upto: datetime.datetime, tz: zoneinfo.ZoneInfo, at: datetime.time, days: int = EVERY_DAY
) -> datetime.datetime | None:
    """The last moment at or before ``upto`` at local ``at`` on one of ``days``."""
    if not days & EVERY_DAY:
        return None
    day = upto.astimezone(tz).date() + DAY
    for _ in range(10):
        if days & (1 << day.weekday()):
            candidate = moment(day, at, tz)
            if candidate <= upto:
                return candidate
        day -= DAY
    return None


@functools.lru_cache(maxsize=1 << 12)
def occurrence_today(
    now: datetime.datetime, tz: zoneinfo.ZoneInfo, at: datetime.time, days: int = EVERY_DAY
) -> datetime.datetime | None:
    """The latest moment at or before ``now`` at local ``at`` on one of ``days``, if it falls
    on today's local date in ``tz`` (a rule fires for today's moment only)."""
    occurrence = latest_occurrence(now, tz, at, days)
    if occurrence is None or occurrence.astimezone(tz).date() != local_now(now, tz).date():
        return None
    return occurrence


@functools.lru_cache(maxsize=1 << 10)
def local_now(now: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """``now`` on the wall clock of ``tz``."""
    return now.astimezone(tz)


# The one quiet-hours test and end (recovery.quiet_hours), under the names the rules use.
in_quiet_hours = quiet_hours.inside
quiet_hours_end = quiet_hours.end_after


@dataclass(frozen=True)
class Times:
    """One person's inputs to the schedule (defaults filled in)."""

    user_id: int
    tz: zoneinfo.ZoneInfo | None
    reminder_time: datetime.time
    reminder_days: int
    prompt_time: datetime.time
    digest_weekday: int
    digest_hour: int
    quiet: tuple[datetime.time, datetime.time]
    reminds: bool  # a member: check-in reminders and reach-out prompts apply
    supports: bool  # supports someone: supporter nudges apply
    therapist: bool  # has a therapist profile: the digest applies

    @classmethod
    def from_row(cls, row: dict) -> Times:
        """Build from a ``nudges.selectors.schedule_inputs`` row (missing choices: defaults)."""
        uid = row["id"]
        rp = row["rp_member"] is not None
        np = row["np_member"] is not None
        return cls(
            user_id=uid,
            tz=zone(row["time_zone"]),
            reminder_time=row["rp_reminder_time"]
            if rp
            else default_time(DEFAULT_REMINDER_TIME, uid),
            reminder_days=row["rp_reminder_days"] if rp else EVERY_DAY,
            prompt_time=row["np_prompt_time"] if np else default_time(DEFAULT_PROMPT_TIME, uid),
            digest_weekday=row["np_digest_weekday"] if np else DEFAULT_DIGEST[0],
            digest_hour=row["np_digest_hour"] if np else DEFAULT_DIGEST[1],
            quiet=(row["cp_quiet_start"], row["cp_quiet_end"])
            if row["cp_user"] is not None
            else quiet_hours.DEFAULT,
            reminds=bool(rp or row["is_member"]),
            supports=bool(row["supports"]),
            therapist=bool(row["therapist"]),
        )

    def rule_time(self, rule: str) -> tuple[datetime.time, int] | None:
        """(local time, day mask) at which ``rule`` fires for this person, or None."""
        if self.tz is None:
            return None
        if rule == "checkin_reminder":
            return (self.reminder_time, self.reminder_days) if self.reminds else None
        if rule == "isolation_prompt":
            return (self.prompt_time, EVERY_DAY) if self.reminds else None
        if rule == "supporter_nudge":
            return (self.prompt_time, EVERY_DAY) if self.supports else None
        if rule == "therapist_digest":
            if not self.therapist:
                return None
            return (datetime.time(self.digest_hour), 1 << self.digest_weekday)
        raise ValueError(rule)

    def next_moment(self, rule: str, after: datetime.datetime) -> datetime.datetime | None:
        """The next moment after ``after`` at which ``rule`` can fire for this person.

        A check-in reminder or prompt whose time lies in the person's quiet hours would be
        skipped every day, so it gets no moment (recomputed when they change either).
        """
        when = self.rule_time(rule)
        if when is None:
            return None
        at, days = when
        if rule != "therapist_digest" and in_quiet_hours(at, *self.quiet):
            return None
        return next_occurrence(after, self.tz, at, days)


# --- The stored schedule ----------------------------------------------------------------------

COLUMNS = list(RULE_COLUMNS)


def batch_size() -> int:
    """How many people a sweep claims at once (``NUDGES_SWEEP_BATCH``)."""
    return int(getattr(settings, "NUDGES_SWEEP_BATCH", 2000))


def schedule_moments(
    person: dict | None, after: datetime.datetime
) -> list[datetime.datetime | None]:
    """A fresh schedule for one person: each rule's first moment after ``after``."""
    if person is None:
        return [None] * len(RULE_NAMES)
    times = Times.from_row(person)
    return [times.next_moment(name, after) for name in RULE_NAMES]


def refresh_stale(*, since: datetime.datetime, limit: int | None = None) -> int:
    """Recompute the schedule rows marked stale, in batches; return how many.

    A moment is the first after ``since`` (the previous sweep), so a change made during the
    day still catches a time that is yet to come today, and one in the window just passed.
    """
    limit = limit or batch_size()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Schedule.objects.filter(stale=True)
                .select_for_update(skip_locked=True)
                .values_list("user_id", flat=True)[:limit]
            )
            if not ids:
                break
            tune_batch(last=len(ids) < limit)
            people = schedule_inputs(ids)
            write_schedules({uid: schedule_moments(people.get(uid), since) for uid in ids})
        total += len(ids)
        if len(ids) < limit:
            break
    return total
