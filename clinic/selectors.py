"""Every read of the clinic, over bounded windows only.

The caseload reads the last ``WINDOW_DAYS`` days of check-ins and the last ``CONTACT_DAYS`` of
contacts for all clients in a handful of queries, so its cost grows with the number of clients,
never with how long they have used Rat Park. Last check-in, last contact and the connection
streak are the kept aggregates (``checkins.CheckinStats``, ``network.ContactStats``), read with
the ties in the same query.

Authorising is done here too, the one way: clients come from ``Tie.objects.receivable()``
limited to the viewer's therapist ties, and what may be shown from ``access_for_tie``.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypedDict

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django_stubs_ext import WithAnnotations

import recovery.lookups  # noqa: F401  (registers field__any: ids as one array parameter)
from accounts.models import User
from checkins.models import HIGH_CRAVING, CheckIn, Instrument, Mood, QuestionnaireResponse
from network.models import Consent, ConsentKind, Contact, Role, Scope, Tie
from network.services.access import LOADED_CONSENTS, Access, access_for_tie
from recovery.streaks import RunState
from recovery.streaks import current as current_run

WINDOW_DAYS = 30  # sparklines, missed check-ins, hard days
CONTACT_DAYS = 35  # the last 7 days and the 4 weeks before them
QUESTIONNAIRE_DAYS = 180  # for a rise in loneliness: the last two UCLA-3 scores in this window
EXPIRY_WARNING_DAYS = 14
ISOLATION_DAYS = 5  # "no contact for N days" flag
MISSED_CHECKINS = 3  # in the last 7 days
ENDED_LINES_DAYS = 90  # how long a "consent ended" line stays on the caseload
MAX_RANGE_DAYS = 3 * 365 + 1
CASELOAD_PAGE_SIZE = 50  # rows drawn (and written to the access log) per caseload page
TIMELINE_MAX_DAYS = 90  # the day-by-day timeline shows at most the last 90 days of a range

CHECKIN_SCOPES = frozenset(
    {Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING, Scope.USE, Scope.NOTES, Scope.CONNECTEDNESS}
)
CONTACT_SCOPES = frozenset({Scope.CONTACTS, Scope.NETWORK})


def therapist_ties(viewer: User, now: datetime.datetime | None = None) -> QuerySet[Tie]:
    """The viewer's clients right now: receivable therapist ties, consents in force loaded."""
    now = now or timezone.now()
    return (
        Tie.objects.receivable(now)
        .filter(supporter=viewer, role=Role.THERAPIST)
        .select_related("member")
        .prefetch_related(
            Prefetch(
                "consents",
                queryset=Consent.objects.current(now).filter(kind=ConsentKind.PART2),
                to_attr=LOADED_CONSENTS,
            )
        )
    )


def client_access(
    viewer: User, tie_id: str | uuid.UUID, now: datetime.datetime | None = None
) -> Access | None:
    """The viewer's access to one client by tie id; None for a bad, unknown or foreign id, or
    when nothing is in force (the same answer, so an id's existence is never revealed)."""
    try:
        tie_id = uuid.UUID(str(tie_id))
    except ValueError:
        return None
    tie = therapist_ties(viewer, now).filter(pk=tie_id).first()
    if tie is None:
        return None
    if tie.supporter_id == viewer.pk:
        # The same person, already loaded with their therapist profile: saves two queries.
        tie.supporter = viewer
    access = access_for_tie(tie, viewer, now=now)
    return access if access.is_clinical else None


# --- The caseload ---------------------------------------------------------------------------


@dataclass
class Flag:
    key: str
    reason: str


@dataclass
class CaseloadRow:
    access: Access
    today: datetime.date
    last_checkin: datetime.date | None = None
    last_contact: datetime.date | None = None
    contacts_7: int | None = None
    weekly_average: float | None = None
    mood: dict = field(default_factory=dict)
    craving: dict = field(default_factory=dict)
    connectedness: dict = field(default_factory=dict)
    streak: int | None = None
    flags: list[Flag] = field(default_factory=list)
    expires_soon: bool = False
    hard: list[str] = field(default_factory=list)
    checkin_days_7: int | None = None
    ucla: list = field(default_factory=list)

    @property
    def tie(self) -> Tie:
        return self.access.tie

    @property
    def scopes(self) -> frozenset[str]:
        return self.access.scopes

    @property
    def name(self) -> str:
        return self.tie.member.display_name

    @property
    def days_since_contact(self) -> int | None:
        return None if self.last_contact is None else (self.today - self.last_contact).days

    @property
    def expires_at(self) -> datetime.datetime | None:
        consent = self.access.consent  # always one: a row is made for clinical access only
        return consent.expires_at if consent is not None else None

    def shows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class EndedLine:
    tie_id: uuid.UUID
    name: str
    ended_on: datetime.date


@dataclass
class Caseload:
    rows: list[CaseloadRow]
    ended: list[EndedLine]


# A caseload loads every client at once, so only the columns its rows and the access
# predicate read: instantiating whole ties, members and consents was most of its cost. (Any
# other column would be loaded on first use, a query per client: the query-count tests
# would show it.)
_CASELOAD_TIE_FIELDS = (
    "id",
    "member_id",
    "supporter_id",
    "role",
    "status",
    "member__id",
    "member__display_name",
    "member__time_zone",
)
_CASELOAD_CONSENT_FIELDS = (
    "id",
    "tie_id",
    "kind",
    "scopes",
    "expires_at",
    "expiry_event",
    "ended_at",
)


class _Kept(TypedDict):
    """The kept aggregates a caseload's tie carries (None: no row yet)."""

    last_checkin_on: datetime.date | None
    last_contact_on: datetime.date | None
    run_started_on: datetime.date | None
    longest_streak: int | None


def _caseload_ties(viewer: User, now: datetime.datetime) -> list[WithAnnotations[Tie, _Kept]]:
    """The viewer's clients with their kept aggregates as plain values (None for a member with
    no check-in, or no confirmed contact: every write that adds one creates their row), and
    their consents in force. Two queries."""
    ties = list(
        therapist_ties(viewer, now)
        .only(*_CASELOAD_TIE_FIELDS)
        .prefetch_related(None)
        .annotate(
            last_checkin_on=F("member__checkin_stats__last_checkin_on"),
            last_contact_on=F("member__contact_stats__last_contact_on"),
            run_started_on=F("member__contact_stats__run_started_on"),
            longest_streak=F("member__contact_stats__longest_streak"),
        )
    )
    # What the prefetch of therapist_ties loads, with the ties' ids as one array parameter: a
    # prefetch binds one placeholder per tie, and for 1,000 clients binding cost more than
    # the query.
    by_tie: dict[uuid.UUID, list[Consent]] = {tie.pk: [] for tie in ties}
    consents = (
        Consent.objects.current(now)
        .filter(kind=ConsentKind.PART2, tie_id__any=list(by_tie))
        .only(*_CASELOAD_CONSENT_FIELDS)
    )
    for consent in consents:
        by_tie[consent.tie_id].append(consent)
    for tie in ties:
        setattr(tie, LOADED_CONSENTS, by_tie[tie.pk])
    return ties


def caseload(viewer: User, now: datetime.datetime | None = None) -> Caseload:
    """Every current client of ``viewer`` with what the flags need (``caseload_details`` adds
    what a shown row draws). A fixed few queries whatever the number of clients or the length
    of their history: the ties with their kept aggregates, their consents, the therapist's
    second factor, 7 days of check-ins, UCLA-3 scores, the ended lines."""
    now = now or timezone.now()
    rows = []
    for tie in _caseload_ties(viewer, now):
        access = access_for_tie(tie, viewer, now=now)
        if not access.is_clinical:
            continue
        today = now.astimezone(tie.member.zone).date()
        row = CaseloadRow(access=access, today=today)
        if access.scopes & CHECKIN_SCOPES:
            row.last_checkin = tie.last_checkin_on
        if access.scopes & CONTACT_SCOPES:
            row.last_contact = tie.last_contact_on
            state = RunState(tie.last_contact_on, tie.run_started_on, tie.longest_streak or 0)
            row.streak = 0 if tie.last_contact_on is None else current_run(state, today)
        expires = access.consent.expires_at if access.consent is not None else None
        row.expires_soon = expires is not None and expires - now <= datetime.timedelta(
            days=EXPIRY_WARNING_DAYS
        )
        rows.append(row)
    _fill_windows(rows, now)
    for row in rows:
        row.flags = _flags(row)
    return Caseload(rows=rows, ended=_ended_lines(viewer, {r.tie.pk for r in rows}, now))


# What the caseload reads: every scope but the check-in notes, which only the history shows.
CASELOAD_SCOPES = frozenset(Scope.values) - {Scope.NOTES}


def caseload_disclosure(access: Access) -> Access:
    """The access narrowed to the scopes a caseload row shows, for the access log."""
    return Access(access.tie, access.consent, access.scopes & CASELOAD_SCOPES)


FLAG_DAYS = 7  # hard check-ins and missed check-ins look at the last 7 days


def _checkins_since(rows: list[CaseloadRow], days: int, *fields: str) -> QuerySet:
    """``(member id, date, *fields)`` of the rows' check-ins of the last ``days`` days (and a
    day more, for members whose today differs): read from the (member, local_date) index,
    so the cost follows the window, whatever the length of their history."""
    earliest = min(r.today for r in rows)
    return (
        CheckIn.objects.filter(
            member_id__any=list({r.tie.member_id for r in rows}),
            local_date__gt=earliest - datetime.timedelta(days=days + 1),
        )
        .order_by("-local_date")  # newest first: a flag names the latest hard days
        .values_list("member_id", "local_date", *fields)
    )


@functools.lru_cache(maxsize=8)
def _flag_window(today: datetime.date) -> frozenset[datetime.date]:
    """The last ``FLAG_DAYS`` days up to ``today`` (a caseload's clients share a few)."""
    return frozenset(today - datetime.timedelta(days=n) for n in range(FLAG_DAYS))


def _fill_windows(rows: list[CaseloadRow], now: datetime.datetime) -> None:
    """What the flags need, for every client: the last 7 days of check-ins and the latest
    UCLA-3 scores, two queries in all (last contact comes with the ties)."""
    by_member = {r.tie.member_id: r for r in rows}
    if not by_member:
        return
    checkins = _checkins_since(rows, FLAG_DAYS, "mood", "craving", "used")
    # Per member, read once: the days that count and which signals the consent shows (a
    # caseload of 1,000 walks 8,000 check-ins here).
    shown = {
        member_id: (
            _flag_window(row.today),
            Scope.USE in row.scopes,
            Scope.MOOD_CRAVING in row.scopes,
        )
        for member_id, row in by_member.items()
    }
    seen: dict[int, set] = defaultdict(set)
    hard: dict[int, list[str]] = defaultdict(list)
    for member_id, day, mood, craving, used in checkins:
        window, use_shown, mood_shown = shown[member_id]
        if day not in window:
            continue
        seen[member_id].add(day)
        if use_shown and used:
            hard[member_id].append(f"use reported on {day:%b %-d}")
        if mood_shown and (craving >= HIGH_CRAVING or mood == Mood.VERY_LOW):
            hard[member_id].append(
                f"craving {craving}/10 on {day:%b %-d}"
                if craving >= HIGH_CRAVING
                else f"mood “{Mood(mood).label}” on {day:%b %-d}"
            )
    for member_id, row in by_member.items():
        row.hard = hard.get(member_id, [])
        row.checkin_days_7 = len(seen[member_id]) if row.scopes & CHECKIN_SCOPES else None

    responses = (
        QuestionnaireResponse.objects.filter(
            member_id__any=list(by_member),
            instrument=Instrument.UCLA3,
            completed_at__gte=now - datetime.timedelta(days=QUESTIONNAIRE_DAYS),
        )
        .order_by("member_id", "-completed_at")
        .values_list("member_id", "scores", "local_date")
    )
    latest: dict[int, list] = defaultdict(list)
    for member_id, scores, day in responses:
        if len(latest[member_id]) < 2:
            latest[member_id].append((scores.get("total"), day))
    for member_id, row in by_member.items():
        row.ucla = latest.get(member_id, []) if Scope.QUESTIONNAIRES in row.scopes else []


def caseload_details(rows: list[CaseloadRow]) -> None:
    """What only a shown row needs: 30 days of check-ins for its sparklines and 35 days of
    contacts for its weekly figures. Two queries for a page, so the page's size, not the
    caseload's, sets their cost."""
    if not rows:
        return
    by_member = {r.tie.member_id: r for r in rows}
    checkins = _checkins_since(rows, WINDOW_DAYS, "mood", "craving", "connectedness")
    for member_id, day, mood, craving, connected in checkins:
        row = by_member[member_id]
        if not 0 <= (row.today - day).days < WINDOW_DAYS:
            continue
        if Scope.MOOD_CRAVING in row.scopes:
            row.mood[day] = mood
            row.craving[day] = craving
        if Scope.CONNECTEDNESS in row.scopes:
            row.connectedness[day] = connected
    earliest = min(r.today for r in rows)
    contacts = (
        Contact.objects.filter(
            member_id__any=list(by_member),
            confirmed=True,
            local_date__gt=earliest - datetime.timedelta(days=CONTACT_DAYS + 1),
        )
        .order_by()
        .values_list("member_id", "local_date")
    )
    contact_days: dict[int, list[datetime.date]] = defaultdict(list)
    for member_id, day in contacts:
        contact_days[member_id].append(day)
    for member_id, row in by_member.items():
        if not row.scopes & CONTACT_SCOPES:
            continue
        ages = [(row.today - d).days for d in contact_days.get(member_id, [])]
        ages = [a for a in ages if 0 <= a < CONTACT_DAYS]
        row.contacts_7 = sum(1 for a in ages if a < 7)
        row.weekly_average = round(sum(1 for a in ages if 7 <= a < CONTACT_DAYS) / 4, 1)


def _flags(row: CaseloadRow) -> list[Flag]:
    flags = []
    if row.hard:
        flags.append(Flag("hard", "Hard check-in in the last 7 days: " + "; ".join(row.hard[:3])))
    if row.scopes & CONTACT_SCOPES:
        days = row.days_since_contact
        if days is None or days >= ISOLATION_DAYS:
            flags.append(
                Flag(
                    "isolating",
                    "No contact with anyone logged"
                    + (" yet" if days is None else f" for {days} days"),
                )
            )
    if row.checkin_days_7 is not None:
        missed = 7 - row.checkin_days_7
        if missed >= MISSED_CHECKINS:
            flags.append(Flag("missed", f"{missed} of the last 7 days without a check-in"))
    if len(row.ucla) == 2 and None not in (row.ucla[0][0], row.ucla[1][0]):
        (now_score, now_day), (before, before_day) = row.ucla
        if now_score > before:
            flags.append(
                Flag(
                    "loneliness",
                    f"UCLA-3 loneliness rose from {before:g} ({before_day:%b %-d}) to "
                    f"{now_score:g} ({now_day:%b %-d})",
                )
            )
    if row.expires_soon:
        flags.append(Flag("expiring", f"Consent ends on {row.expires_at:%b %-d, %Y}"))
    return flags


def _ended_lines(viewer: User, current: set, now: datetime.datetime) -> list[EndedLine]:
    """Clients whose latest formal consent with the viewer ended recently: a name and a date,
    no data. One query."""
    consents = (
        Consent.objects.filter(
            recipient=viewer,
            kind=ConsentKind.PART2,
            signed_at__gte=now - datetime.timedelta(days=3 * 365),
        )
        .exclude(tie_id__any=list(current))
        .select_related("member")
        .order_by("tie_id", "-signed_at")
    )
    lines: dict = {}
    for consent in consents:
        if consent.tie_id in lines:
            continue
        lines[consent.tie_id] = None
        ended = consent.ended_at
        if ended is None and consent.expires_at is not None and consent.expires_at <= now:
            ended = consent.expires_at  # past its date, before the daily job ran
        if ended is None or now - ended > datetime.timedelta(days=ENDED_LINES_DAYS):
            continue
        lines[consent.tie_id] = EndedLine(
            consent.tie_id, consent.member.display_name, ended.astimezone(viewer.zone).date()
        )
    return sorted((line for line in lines.values() if line), key=lambda e: e.name.lower())


SORTS = {"flag", "name", "contact"}
FILTERS = {"all", "flagged", "hard", "isolating", "missed", "loneliness", "expiring"}


def sort_and_filter(rows: list[CaseloadRow], sort: str, only: str) -> list[CaseloadRow]:
    """Rows filtered by a flag and sorted; unknown values fall back to the default."""
    if only == "flagged":
        rows = [r for r in rows if r.flags]
    elif only in FILTERS - {"all"}:
        rows = [r for r in rows if any(f.key == only for f in r.flags)]
    if sort == "name":
        return sorted(rows, key=lambda r: r.name.lower())
    if sort == "contact":
        # Longest without contact first; unknown (not shared) last.
        return sorted(
            rows,
            key=lambda r: (r.days_since_contact is None, -(r.days_since_contact or 0), r.name),
        )
    return sorted(rows, key=lambda r: (not r.flags, -len(r.flags), r.name.lower()))
