"""Reads for check-ins: local dates, counters and streaks, history and the weekly summary.

Every selector here runs a fixed number of queries whatever the size of the history, so pages
built on them stay constant-query (asserted in the tests).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from network import selectors as network_selectors
from network.models import ContactStats, Scope
from network.stats import contact_stats_for
from recovery.streaks import RunState, streaks
from recovery.streaks import current as current_run

from .models import (
    RISK_SIGNALS,
    SCHEDULE_INTERVALS,
    CheckIn,
    CheckinStats,
    Instrument,
    Mood,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    SobrietyPeriod,
)
from .stats import checkin_stats_for, checkin_stats_state

LATE_CHECKIN_UNTIL = datetime.time(12, 0)
SOBRIETY_MILESTONES = (1, 7, 30, 90, 180, 365)
CONNECTION_MILESTONES = (7, 30)
# The craving comparison is only shown with at least this many days on each side, over
# SUMMARY_LOOKBACK_DAYS: fewer days would be noise dressed up as a finding.
MIN_DAYS_PER_GROUP = 5
MIN_CRAVING_DIFFERENCE = 1.0
SUMMARY_LOOKBACK_DAYS = 28


def local_today(member: User, now: datetime.datetime | None = None) -> datetime.date:
    """Return the member's calendar date right now, in their own time zone."""
    return (now or timezone.now()).astimezone(member.zone).date()


@dataclass(frozen=True)
class CheckinWindow:
    today: datetime.date
    yesterday: datetime.date
    # A new check-in for yesterday is accepted until local noon (a late-night check-in).
    late_allowed: bool

    def can_create(self, day: datetime.date) -> bool:
        return day == self.today or (day == self.yesterday and self.late_allowed)

    def can_edit(self, day: datetime.date) -> bool:
        return day in (self.today, self.yesterday)


def checkin_window(member: User, now: datetime.datetime | None = None) -> CheckinWindow:
    """Return which local dates the member may check in for, or edit, right now."""
    local = (now or timezone.now()).astimezone(member.zone)
    today = local.date()
    return CheckinWindow(
        today=today,
        yesterday=today - datetime.timedelta(days=1),
        late_allowed=local.time() < LATE_CHECKIN_UNTIL,
    )


@dataclass(frozen=True)
class Counters:
    today: datetime.date
    checked_in_today: bool
    checkin_streak: int
    longest_checkin_streak: int
    connection_streak: int
    longest_connection_streak: int
    contacts_this_week: int
    connected_today: bool
    sobriety_started_on: datetime.date | None
    sobriety_days: int | None


def week_start_for(today: datetime.date) -> datetime.date:
    """The first day of "this week" ending ``today``.

    "This week" everywhere (Today, history, network health) is the last 7 days: today and the
    6 before, on the member's own calendar.
    """
    return today - datetime.timedelta(days=6)


@dataclass(frozen=True)
class CounterInputs:
    """What the counters are computed from, read in one statement (``counters_read``)."""

    checkin_stats: CheckinStats | None
    contact_stats: ContactStats | None
    sober_since: datetime.date | None
    week_contacts: int


def counters_read(member: User, today: datetime.date) -> CounterInputs:
    """The kept rows, the current sobriety period and the week's contact count: one query."""
    week_start = week_start_for(today)  # the last 7 days, as in ``counters_from_history``
    period = SobrietyPeriod.objects.current().filter(member=OuterRef("pk"))
    week = network_selectors.confirmed_contacts_between_query(OuterRef("pk"), week_start, today)
    row = (
        User.objects.filter(pk=member.pk)
        .select_related("checkin_stats", "contact_stats")
        .annotate(
            sober_since=Subquery(period.order_by("-started_on").values("started_on")[:1]),
            week_contacts=Coalesce(
                Subquery(week.order_by().values("member").annotate(n=Count("pk")).values("n")),
                0,
            ),
        )
        .first()
    )
    if row is None:
        return CounterInputs(None, None, None, 0)
    return CounterInputs(
        getattr(row, "checkin_stats", None),
        getattr(row, "contact_stats", None),
        row.sober_since,
        row.week_contacts,
    )


def counters(
    member: User, today: datetime.date | None = None, *, inputs: CounterInputs | None = None
) -> Counters:
    """Return the member's counters: streaks, contacts this week, sobriety days (one query).

    Streaks come from the kept figures (``checkins.stats``, ``network.stats``), so the cost
    does not grow with history; only the week's contacts are counted (a bounded range). The
    kept rows, the current sobriety period and that count come in one statement (a check-in
    POST, the dashboard and history all ask); ``inputs`` already read (the check-in POST reads
    them once, before it writes) save even that. For a ``today`` before the member's latest
    entries (a look back) they are recomputed from history instead.
    """
    today = today or local_today(member)
    if inputs is None:
        inputs = counters_read(member, today)
    checkins = inputs.checkin_stats or checkin_stats_for(member)
    contacts = inputs.contact_stats or contact_stats_for(member)
    if any(
        d is not None and d > today for d in (checkins.last_checkin_on, contacts.last_contact_on)
    ):
        return counters_from_history(member, today)
    checkin_state = checkin_stats_state(checkins)
    contact_state = RunState(
        contacts.last_contact_on, contacts.run_started_on, contacts.longest_streak
    )
    started = inputs.sober_since
    return Counters(
        today=today,
        checked_in_today=checkins.last_checkin_on == today,
        checkin_streak=current_run(checkin_state, today),
        longest_checkin_streak=checkins.longest_streak,
        connection_streak=current_run(contact_state, today),
        longest_connection_streak=contacts.longest_streak,
        contacts_this_week=inputs.week_contacts,
        connected_today=contacts.last_contact_on == today,
        sobriety_started_on=started,
        sobriety_days=max((today - started).days, 0) if started and started <= today else None,
    )


def counters_from_history(member: User, today: datetime.date) -> Counters:
    """The same counters computed from every check-in and contact up to ``today`` (3 queries)."""
    checkin_dates = set(
        CheckIn.objects.filter(member=member, local_date__lte=today).values_list(
            "local_date", flat=True
        )
    )
    contacts_per_day = network_selectors.confirmed_contacts_per_day(member, today)
    period = SobrietyPeriod.objects.current().filter(member=member).first()
    checkin_current, checkin_longest = streaks(checkin_dates, today)
    connection_current, connection_longest = streaks(contacts_per_day, today)
    week_start = week_start_for(today)
    return Counters(
        today=today,
        checked_in_today=today in checkin_dates,
        checkin_streak=checkin_current,
        longest_checkin_streak=checkin_longest,
        connection_streak=connection_current,
        longest_connection_streak=connection_longest,
        contacts_this_week=sum(n for day, n in contacts_per_day.items() if day >= week_start),
        connected_today=today in contacts_per_day,
        sobriety_started_on=period.started_on if period else None,
        sobriety_days=period.days_on(today) if period and period.started_on <= today else None,
    )


@dataclass(frozen=True)
class Milestone:
    key: str  # e.g. "sober30" or "connection7"
    reached_on: datetime.date
    message: str


def milestones_reached(c: Counters, on: datetime.date, *, grace_days: int = 7) -> list[Milestone]:
    """Return the milestones reached within ``grace_days`` before ``on`` (highest of each kind).

    The grace window lets a member who skipped the exact day still be celebrated, without
    celebrating every old milestone when a long-ago sobriety date is first entered.
    """
    found = []
    earliest = on - datetime.timedelta(days=grace_days - 1)
    if c.sobriety_started_on is not None:
        for days in reversed(SOBRIETY_MILESTONES):
            reached = c.sobriety_started_on + datetime.timedelta(days=days)
            if earliest <= reached <= on:
                unit = "day" if days == 1 else "days"
                found.append(
                    Milestone(f"sober{days}", reached, f"{days} {unit} — that took real strength.")
                )
                break
    if c.connection_streak:
        # The current run ends today, or yesterday when there is no contact yet today.
        run_end = c.today if c.connected_today else c.today - datetime.timedelta(days=1)
        streak_start = run_end - datetime.timedelta(days=c.connection_streak - 1)
        for days in reversed(CONNECTION_MILESTONES):
            reached = streak_start + datetime.timedelta(days=days - 1)
            if c.connection_streak >= days and earliest <= reached <= on:
                found.append(
                    Milestone(
                        f"connection{days}",
                        reached,
                        f"{days} days in a row connecting with someone. That is how recovery "
                        "grows.",
                    )
                )
                break
    return found


# --- History ------------------------------------------------------------------------------

RANGES = (30, 90, 365)


@dataclass
class History:
    start: datetime.date
    end: datetime.date
    checkins: list[CheckIn]
    contacts_by_week_role: dict[datetime.date, dict[str, int]]
    contact_dates: set[datetime.date]
    responses: list[QuestionnaireResponse]
    by_date: dict[datetime.date, CheckIn] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_date = {c.local_date: c for c in self.checkins}


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def history(member: User, today: datetime.date, days: int) -> History:
    """Return the member's check-ins, weekly contacts by role and scores for the last N days.

    Three queries, whatever the number of days or rows.
    """
    start = today - datetime.timedelta(days=days - 1)
    checkins = list(
        CheckIn.objects.filter(member=member, local_date__range=(start, today))
        .order_by("local_date")
        .only(
            "local_date",
            "mood",
            "craving",
            "used",
            "connectedness",
            "sleep_quality",
            "member_id",
        )
    )
    rows = network_selectors.confirmed_contact_roles(member, week_start(start), today)
    by_week: dict[datetime.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    contact_dates = set()
    for day, role in rows:
        # A tie-less meeting comes as "group"; a tie-less reach-out as "someone" (not a group).
        by_week[week_start(day)][role] += 1
        contact_dates.add(day)
    responses = list(
        QuestionnaireResponse.objects.filter(
            member=member, local_date__range=(start, today)
        ).order_by("completed_at")
    )
    return History(
        start=start,
        end=today,
        checkins=checkins,
        contacts_by_week_role={week: dict(roles) for week, roles in by_week.items()},
        contact_dates=contact_dates,
        responses=responses,
    )


@dataclass(frozen=True)
class WeeklySummary:
    connected_days: int
    days: int
    checkin_days: int
    sentences: list[str]


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)


def weekly_summary(h: History) -> WeeklySummary:
    """Describe the last 7 days in plain words, from the data in ``h`` (no queries).

    The craving comparison is only said when both groups have enough days over the last four
    weeks and the difference is large enough to be worth saying; it is described as a
    pattern, never as a cause.
    """
    last7 = [h.end - datetime.timedelta(days=i) for i in range(7)]
    connected = sum(1 for d in last7 if d in h.contact_dates)
    checkin_days = sum(1 for d in last7 if d in h.by_date)
    sentences = [f"You connected with someone on {connected} of the last 7 days."]
    if checkin_days:
        sentences.append(f"You checked in on {checkin_days} of the last 7 days.")
    lookback_start = h.end - datetime.timedelta(days=SUMMARY_LOOKBACK_DAYS - 1)
    with_contact: list[int] = []
    without: list[int] = []
    for c in h.checkins:
        if c.local_date >= lookback_start:
            (with_contact if c.local_date in h.contact_dates else without).append(c.craving)
    if len(with_contact) >= MIN_DAYS_PER_GROUP and len(without) >= MIN_DAYS_PER_GROUP:
        a, b = _mean(with_contact), _mean(without)
        if abs(a - b) >= MIN_CRAVING_DIFFERENCE:
            lower = "lower" if a < b else "higher"
            sentences.append(
                f"Over the last 4 weeks, craving was {lower} on days you talked with someone "
                f"(average {a:.1f} on {len(with_contact)} days, against {b:.1f} on "
                f"{len(without)} days without contact). This is a pattern in your own "
                "check-ins, not proof of cause."
            )
        else:
            sentences.append(
                "Over the last 4 weeks, craving was about the same on days with and without "
                "contact."
            )
    return WeeklySummary(connected, 7, checkin_days, sentences)


def due_questionnaires(member: User, today: datetime.date) -> list[QuestionnaireSchedule]:
    """Return the member's questionnaire schedules that are due today or overdue."""
    return list(QuestionnaireSchedule.objects.filter(member=member, next_due_on__lte=today))


def checked_in_on(member: User, day: datetime.date) -> bool:
    """Whether the member checked in for local date ``day``. One query."""
    return CheckIn.objects.filter(member=member, local_date=day).exists()


def member_checkin(member: User, checkin_id: int) -> CheckIn | None:
    """The check-in ``checkin_id`` if it is ``member``'s own; None otherwise."""
    return CheckIn.objects.filter(pk=checkin_id, member=member).first()


@dataclass(frozen=True)
class RiskSummary:
    checkins: int
    hard_days: int  # high craving or the lowest mood: the "mood and craving" scope
    use_reports: int  # the "use" scope


def risk_summaries(member_ids: Iterable[int], *, since: datetime.date) -> dict[int, RiskSummary]:
    """Per member, check-ins after ``since`` and how many carried each risk signal.

    For the therapist's weekly digest; one aggregate query for the whole caseload. Members
    without a check-in in the window are left out. Counted from the check-ins with
    ``RISK_SIGNALS``, not from ``RiskEvent`` rows: the digest reports the member's current
    account of each day (a corrected check-in counts as corrected), and it needs the check-in
    count from this table anyway. A RiskEvent is the record that a signal was acted on (the
    SOS claims it) and stays as history after a correction, which is right for that, wrong for
    a weekly count. Both come from the same definitions, so they agree on every uncorrected day.
    """
    rows = (
        CheckIn.objects.filter(member_id__in=list(member_ids), local_date__gt=since)
        .values("member_id")
        .annotate(
            n=Count("id"),
            hard=Count("id", filter=RISK_SIGNALS["high_craving"] | RISK_SIGNALS["low_mood"]),
            used=Count("id", filter=RISK_SIGNALS["used"]),
        )
    )
    return {r["member_id"]: RiskSummary(r["n"], r["hard"], r["used"]) for r in rows}


# --- What a supporter may see (the network app decides who and which scopes) ----------------

# Which check-in fields each scope shows; the scope names are the network app's stable strings.
SHARED_FIELDS = {
    Scope.MOOD_CRAVING: ("mood", "craving"),
    Scope.USE: ("used",),
    Scope.NOTES: ("notes", "gratitude"),
}
CHECKIN_SCOPES = frozenset({Scope.CHECKIN_STATUS, *SHARED_FIELDS})


def shared_checkins(
    member: User, scopes: Iterable[str], *, today: datetime.date, days: int
) -> list[dict]:
    """The member's check-ins of the last ``days`` days up to ``today``, newest first, as plain
    dicts holding only the fields ``scopes`` allow (always ``local_date``).

    Authorising is the caller's job (``network.services.access.access_for_tie``); this only
    limits the columns read. One query, none when no check-in scope is given.
    """
    scopes = set(scopes)
    if not scopes & CHECKIN_SCOPES:
        return []
    columns = ["local_date"]
    for scope, names in SHARED_FIELDS.items():
        if scope in scopes:
            columns += names
    rows = list(
        CheckIn.objects.filter(
            member=member,
            local_date__gt=today - datetime.timedelta(days=days),
            local_date__lte=today,
        )
        .order_by("-local_date")
        .values(*columns)
    )
    for row in rows:
        if "mood" in row:
            row["mood_label"] = Mood(row["mood"]).label
    return rows


def schedule_options() -> dict[str, list[tuple]]:
    """The questionnaires a therapist can schedule and how often, as plain choices."""
    return {"instruments": list(Instrument.choices), "intervals": list(SCHEDULE_INTERVALS)}


def checked_in_pairs(
    member_ids: Iterable[int], days: Iterable[datetime.date]
) -> set[tuple[int, datetime.date]]:
    """The (member id, local date) pairs among these members and days with a check-in: what
    the network app's supporter cards show as "checked in today". One query."""
    return set(
        CheckIn.objects.filter(
            member_id__in=list(member_ids), local_date__in=set(days)
        ).values_list("member_id", "local_date")
    )
