"""The nudge rules, evaluated set-based for one batch of people who are due.

The sweep claims a batch of ``Schedule`` rows whose ``next_due_at`` has come (see
``nudges.sweep``) and hands it here. Each rule then decides, for the people in the batch whose
moment for that rule has come, who gets a notification: the per-person conditions that need no
database (their local day, quiet hours at the sweep's clock, pauses, the day's choice) are
checked in Python; those that need history (checked in today, contacts, ties) are one query
per batch and rule, never one per person. Every query runs on PostgreSQL and on SQLite.

A rule yields the columns of a notification: recipient, subject, idempotency key, the
recipient's local date, the moment it became due, lock-screen-safe text, and when email and
push may go out (``quiet_until``). A rule fires for today's moment only: after downtime, a
moment missed earlier today is sent late (catch-up); one from an earlier day is not.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import NoReverseMatch, reverse

from checkins.models import CheckIn
from network.models import Contact, Role, Tie
from notifications.models import Kind, Mute, Notification

from .models import Schedule
from .schedule import (
    COLUMNS,
    Times,
    in_quiet_hours,
    local_now,
    occurrence_today,
    quiet_hours_end,
    refresh_stale,
    zone,
)
from .selectors import schedule_inputs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DAY = datetime.timedelta(days=1)
NUDGE_EVERY = datetime.timedelta(days=3)  # at most one supporter nudge per member per 3 days


@dataclass
class Candidate:
    recipient_id: int
    subject_member_id: int | None
    idempotency_key: str
    local_date: datetime.date
    due_at: datetime.datetime
    title: str
    body: str
    action_url: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    quiet_until: datetime.datetime | None = None
    kind: str = ""
    # The channels beyond the inbox it goes out on (set by the sweep from the person's choices).
    email: bool = False
    push: bool = False


@dataclass
class Batch:
    """The claimed people of one batch, with everything the rules read about them."""

    now: datetime.datetime
    people: dict[int, dict]  # nudges.selectors.schedule_inputs rows, by user id
    times: dict[int, Times]
    mutes: set[tuple[int, str, str]]  # (user, kind, channel)

    def local_now(self, uid: int) -> datetime.datetime:
        return local_now(self.now, self.times[uid].tz)

    def today(self, uid: int, rule: str) -> tuple[datetime.datetime, datetime.date] | None:
        """Today's moment of ``rule`` for ``uid`` if it has come and may fire now.

        Checks the person is active, today (in their zone) is one of the rule's days and its
        moment is past, they have not stopped the kind, and, for prompts, the sweep's clock
        is outside their quiet hours and they have not paused or snoozed reminders.
        """
        t = self.times[uid]
        person = self.people[uid]
        when = t.rule_time(rule)
        if when is None or not person["is_active"]:
            return None
        occurrence = occurrence_today(self.now, t.tz, *when)
        if occurrence is None:
            return None
        local = self.local_now(uid)
        if (uid, rule, Mute.ALL) in self.mutes:
            return None
        if rule != Kind.THERAPIST_DIGEST and (
            in_quiet_hours(local.time(), *t.quiet) or self.paused(uid)
        ):
            return None
        return occurrence, local.date()

    def paused(self, uid: int) -> bool:
        person = self.people[uid]
        return any(
            until is not None and until > self.now
            for until in (person["rp_paused_until"], person["np_snoozed_until"])
        )


def checkin_url() -> str:
    """Where "Check in now" leads: the check-in page, or the dashboard without one."""
    try:
        return reverse("checkins:today")
    except NoReverseMatch:
        return reverse("dashboard")


def caseload_url() -> str:
    """Where the therapist digest leads: the clinic's caseload when the clinic is installed,
    else the digest itself (an empty action opens the notification's own page)."""
    try:
        return reverse("clinic:caseload")
    except NoReverseMatch:
        return ""


def _on_local_dates(field_name: str, pairs: Iterable[tuple[int, datetime.date]], **extra) -> Q:
    """Q for rows of these (member, date) pairs, grouped by date (a batch has a few dates)."""
    by_date: dict[datetime.date, list[int]] = defaultdict(list)
    for uid, day in pairs:
        by_date[day].append(uid)
    q = Q(pk__in=[])
    for day, uids in by_date.items():
        q |= Q(member_id__any=uids, **{field_name: day}, **extra)
    return q


def checkin_reminder(batch: Batch, uids: list[int]) -> list[Candidate]:
    """Members who have not checked in today, at their reminder time on their chosen days."""
    due: dict[int, tuple[datetime.datetime, datetime.date]] = {}
    for uid in uids:
        p = batch.people[uid]
        if not p["is_member"] or (p["rp_member"] is not None and not p["rp_enabled"]):
            continue
        if (today := batch.today(uid, Kind.CHECKIN_REMINDER)) is not None:
            due[uid] = today
    if not due:
        return []
    done = set(
        CheckIn.objects.filter(_on_local_dates("local_date", ((u, d) for u, (_, d) in due.items())))
        .order_by()
        .values_list("member_id", flat=True)
        .distinct()
    )
    url = checkin_url()
    return [
        Candidate(
            recipient_id=uid,
            subject_member_id=uid,
            idempotency_key=f"checkin_reminder:{uid}:{day.isoformat()}",
            local_date=day,
            due_at=at,
            title="Your check-in is here when you are ready",
            body="Thirty seconds for yourself: how are you today?",
            action_url=url,
        )
        for uid, (at, day) in due.items()
        if uid not in done
    ]


def isolation_prompt(batch: Batch, uids: list[int]) -> list[Candidate]:
    """Members with no confirmed contact for their chosen number of days, at prompt time.

    The person to reach out to is named at delivery ("personalise"): the suggestion service
    ranks one member's ties, which has no place in a batch statement.
    """
    due: dict[int, tuple[datetime.datetime, datetime.date, int]] = {}
    for uid in uids:
        p = batch.people[uid]
        if not p["is_member"] or (p["np_member"] is not None and not p["np_isolation_enabled"]):
            continue
        days = p["np_isolation_days"] if p["np_member"] is not None else 2
        if p["date_joined"] > batch.now - datetime.timedelta(days=days):
            continue
        if (today := batch.today(uid, Kind.ISOLATION_PROMPT)) is not None:
            due[uid] = (*today, days)
    if not due:
        return []
    # A contact dated after (today - days) means "not isolated": one query for the batch,
    # grouped by that cut-off date (a batch has a few).
    q = _on_local_dates("local_date__gt", ((u, d - DAY * n) for u, (_, d, n) in due.items()))
    recent = set(
        Contact.objects.filter(q, confirmed=True)
        .order_by()
        .values_list("member_id", flat=True)
        .distinct()
    )
    return [
        Candidate(
            recipient_id=uid,
            subject_member_id=uid,
            idempotency_key=f"isolation_prompt:{uid}:{day.isoformat()}",
            local_date=day,
            due_at=at,
            title="Someone might enjoy hearing from you",
            body="A quick call or message counts. Whenever you are ready.",
            data={"personalise": True},
        )
        for uid, (at, day, _) in due.items()
        if uid not in recent
    ]


def supporter_nudge(batch: Batch, uids: list[int]) -> list[Candidate]:
    """Supporters, at their prompt time, of members who stopped checking in or reaching out.

    The ties come from ``Tie.objects.nudgeable(now)``, the access predicate (active tie, a
    Rat Park supporter, and for a therapist a formal consent in force and a verified
    profile) plus the member's "may suggest they reach out" tick. Text names the member and
    nothing else: no check-in or health detail, whatever the supporter's scopes.
    """
    due = {
        uid: today for uid in uids if (today := batch.today(uid, Kind.SUPPORTER_NUDGE)) is not None
    }
    if not due:
        return []
    now = batch.now
    last_checkin = CheckIn.objects.filter(member=OuterRef("member_id")).order_by("-local_date")
    last_contact = Contact.objects.filter(member=OuterRef("member_id"), confirmed=True).order_by(
        "-local_date"
    )
    recent_nudge = Notification.objects.filter(
        subject_member=OuterRef("member_id"),
        kind=Kind.SUPPORTER_NUDGE,
        recipient=OuterRef("supporter_id"),
        created_at__gt=now - NUDGE_EVERY,
    )
    ties = (
        Tie.objects.nudgeable(now)
        .filter(supporter_id__any=list(due), member__is_active=True)
        .order_by()
        .annotate(
            last_checkin=Subquery(last_checkin.values("local_date")[:1]),
            last_contact=Subquery(last_contact.values("local_date")[:1]),
            recently_nudged=Exists(recent_nudge),
        )
        .values(
            "id",
            "member_id",
            "supporter_id",
            "last_checkin",
            "last_contact",
            "recently_nudged",
            "member__time_zone",
            "member__display_name",
            "member__date_joined",
            "member__nudge_preference__member",
            "member__nudge_preference__supporter_nudges_enabled",
            "member__nudge_preference__missed_checkin_days",
            "member__nudge_preference__no_contact_days",
            "member__reminder_preference__paused_until",
        )
    )
    made = []
    for tie in ties:
        has_np = tie["member__nudge_preference__member"] is not None
        if tie["recently_nudged"] or (
            has_np and not tie["member__nudge_preference__supporter_nudges_enabled"]
        ):
            continue
        paused = tie["member__reminder_preference__paused_until"]
        if paused is not None and paused > now:
            continue
        tz = zone(tie["member__time_zone"])
        if tz is None:
            continue
        member_day = now.astimezone(tz).date()
        k = tie["member__nudge_preference__missed_checkin_days"] if has_np else 3
        n = tie["member__nudge_preference__no_contact_days"] if has_np else 4
        missed = tie["last_checkin"] is not None and tie["last_checkin"] <= member_day - DAY * k
        no_contact = tie["member__date_joined"] <= now - DAY * n and (
            tie["last_contact"] is None or tie["last_contact"] <= member_day - DAY * n
        )
        if not (missed or no_contact):
            continue
        sid, mid = tie["supporter_id"], tie["member_id"]
        at, day = due[sid]
        name = tie["member__display_name"]
        made.append(
            Candidate(
                recipient_id=sid,
                subject_member_id=mid,
                idempotency_key=f"supporter_nudge:{sid}:{mid}:{day.isoformat()}",
                local_date=day,
                due_at=at,
                title=f"{name or 'Someone you support'} might appreciate hearing from you"[:140],
                body=f"{name or 'They'} could use a hello today. A short message is plenty.",
                data={"tie_id": str(tie["id"])},
            )
        )
    return made


def therapist_digest(batch: Batch, uids: list[int]) -> list[Candidate]:
    """Therapists with a receivable therapist tie, on their digest day and hour.

    ``Tie.objects.receivable(now)`` holds the whole condition (a verified, not withdrawn
    profile and a formal consent in force). Quiet hours and pauses don't hold it back; its
    email and push wait for the end of quiet hours.
    """
    due = {
        uid: today for uid in uids if (today := batch.today(uid, Kind.THERAPIST_DIGEST)) is not None
    }
    if not due:
        return []
    url = caseload_url()
    treating = set(
        Tie.objects.receivable(batch.now)
        .filter(role=Role.THERAPIST, supporter_id__any=list(due))
        .values_list("supporter_id", flat=True)
        .distinct()
    )
    return [
        Candidate(
            recipient_id=uid,
            subject_member_id=None,
            idempotency_key=f"therapist_digest:{uid}:{day.isoformat()}",
            local_date=day,
            due_at=at,
            title="Your weekly Rat Park summary",
            body="Your weekly summary is ready. Log in to read it.",
            action_url=url,
            quiet_until=quiet_hours_end(batch.local_now(uid), *batch.times[uid].quiet),
        )
        for uid, (at, day) in due.items()
        if uid in treating
    ]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Kind
    evaluate: Callable[[Batch, list[int]], list[Candidate]]

    @property
    def column(self) -> str:
        return f"{self.name}_at"


CHECKIN_REMINDER = Rule("checkin_reminder", Kind.CHECKIN_REMINDER, checkin_reminder)
ISOLATION_PROMPT = Rule("isolation_prompt", Kind.ISOLATION_PROMPT, isolation_prompt)
SUPPORTER_NUDGE = Rule("supporter_nudge", Kind.SUPPORTER_NUDGE, supporter_nudge)
THERAPIST_DIGEST = Rule("therapist_digest", Kind.THERAPIST_DIGEST, therapist_digest)

# Order matters under the daily limit: earlier rules win the day's prompt slots.
# Celebrations are not a sweep rule: the check-in app calls notify() when a check-in reaches a
# milestone, and this app delivers them like any other notification.
RULES = (CHECKIN_REMINDER, ISOLATION_PROMPT, SUPPORTER_NUDGE, THERAPIST_DIGEST)


def due(rule: Rule, *, now: datetime.datetime, since: datetime.datetime) -> list[dict]:
    """Who ``rule`` would pick at ``now`` (for tests and the admin), changing nothing due.

    Stale schedules are recomputed first (from ``since``), as the sweep would.
    """
    refresh_stale(since=since)
    claimed = list(
        Schedule.objects.filter(**{f"{rule.column}__lte": now}).values("user_id", *COLUMNS)
    )
    ids = [row["user_id"] for row in claimed]
    people = schedule_inputs(ids)
    batch = Batch(
        now=now,
        people=people,
        times={uid: Times.from_row(p) for uid, p in people.items()},
        mutes=set(Mute.objects.filter(user_id__in=ids).values_list("user_id", "kind", "channel")),
    )
    candidates = rule.evaluate(batch, [uid for uid in ids if uid in people])
    return [vars(c) for c in candidates]
