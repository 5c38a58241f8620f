"""A client's history over a chosen range, limited to what the consent allows.

Five queries whatever the range (at most three years): check-ins, contacts, ties, scores and
the therapist's own session notes. Every column read depends on the scopes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from checkins.instruments import INSTRUMENTS
from checkins.models import CheckIn, QuestionnaireResponse
from checkins.selectors import week_start
from network.models import Contact, Role, Scope, Tie, TieStatus, contact_method_label
from network.selectors import ROLES_DRAWN, EgoNode, contact_category, ego_layout
from network.services.access import Access

from .selectors import MAX_RANGE_DAYS, TIMELINE_MAX_DAYS

RANGE_CHOICES = (30, 90, 365)


class RangeError(ValueError):
    """A date range that can't be shown; the message is safe to show."""


def parse_range(
    today: datetime.date, days: str | None, start: str | None, end: str | None
) -> tuple[datetime.date, datetime.date]:
    """The (start, end) a request asks for: 30/90/365 days up to today, or a custom range."""
    if start or end:
        try:
            first = datetime.date.fromisoformat(start or "")
            last = datetime.date.fromisoformat(end or "")
        except ValueError as exc:
            raise RangeError("Please give both dates as YYYY-MM-DD.") from exc
        if last < first:
            raise RangeError("The range ends before it starts.")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise RangeError("A range can span at most 3 years.")
        return first, min(last, today)
    try:
        n = int(days or 30)
    except ValueError as exc:
        raise RangeError("Choose 30, 90 or 365 days, or a custom range.") from exc
    if n not in RANGE_CHOICES:
        raise RangeError("Choose 30, 90 or 365 days, or a custom range.")
    return today - datetime.timedelta(days=n - 1), today


@dataclass
class Day:
    day: datetime.date
    checkin: dict | None
    contacts: list[dict] = field(default_factory=list)


@dataclass
class ClientHistory:
    access: Access
    start: datetime.date
    end: datetime.date
    checkins: list[dict]
    contacts: list[dict]
    contacts_by_week_role: dict
    ties: list[dict]
    responses: list[QuestionnaireResponse]
    timeline: list[Day]
    timeline_start: datetime.date

    @property
    def scopes(self) -> frozenset[str]:
        return self.access.scopes

    def shown_scopes(self) -> list[str]:
        return sorted(self.scopes)


CHECKIN_COLUMNS = {
    Scope.MOOD_CRAVING: ("mood", "craving"),
    Scope.USE: ("used",),
    Scope.NOTES: ("notes", "gratitude"),
    Scope.CONNECTEDNESS: ("connectedness",),
}
ANY_CHECKIN = frozenset({Scope.CHECKIN_STATUS, *CHECKIN_COLUMNS})


def client_history(access: Access, start: datetime.date, end: datetime.date) -> ClientHistory:
    member_id = access.tie.member_id
    scopes = access.scopes
    checkins: list[dict] = []
    if scopes & ANY_CHECKIN:
        columns = ["local_date"]
        for scope, names in CHECKIN_COLUMNS.items():
            if scope in scopes:
                columns += names
        checkins = list(
            CheckIn.objects.filter(member_id=member_id, local_date__range=(start, end))
            .order_by("local_date")
            .values(*columns)
        )
    contacts: list[dict] = []
    by_week: dict = defaultdict(lambda: defaultdict(int))
    if scopes & {Scope.CONTACTS, Scope.NETWORK}:
        rows = (
            Contact.objects.confirmed()
            .filter(member_id=member_id, local_date__range=(week_start(start), end))
            .order_by("occurred_at")
            .values(
                "local_date",
                "method",
                "meeting_way",
                "helped",
                "tie__role",
                "tie__relationship_label",
            )
        )
        for row in rows:
            role = contact_category(row["tie__role"], row["method"])
            by_week[week_start(row["local_date"])][role] += 1
            if row["local_date"] >= start:
                row["role_label"] = (
                    Role(row["tie__role"]).label if row["tie__role"] else "Someone outside the list"
                )
                row["method_label"] = contact_method_label(row["method"], row["meeting_way"])
                contacts.append(row)
    ties: list[dict] = []
    if Scope.NETWORK in scopes:
        # Other supporters are named by role and the member's own label only.
        ties = list(
            Tie.objects.filter(member_id=member_id)
            .exclude(status=TieStatus.INVITED)
            .values("role", "relationship_label", "status", "created_at", "status_changed_at")
        )
    responses: list[QuestionnaireResponse] = []
    if Scope.QUESTIONNAIRES in scopes:
        responses = list(
            QuestionnaireResponse.objects.filter(
                member_id=member_id, local_date__range=(start, end)
            ).order_by("completed_at")
        )
    timeline_start = max(start, end - datetime.timedelta(days=TIMELINE_MAX_DAYS - 1))
    by_day = {c["local_date"]: c for c in checkins}
    contacts_by_day: dict = defaultdict(list)
    for c in contacts:
        contacts_by_day[c["local_date"]].append(c)
    timeline = []
    day = end
    while day >= timeline_start:
        timeline.append(Day(day, by_day.get(day), contacts_by_day.get(day, [])))
        day -= datetime.timedelta(days=1)
    return ClientHistory(
        access=access,
        start=start,
        end=end,
        checkins=checkins,
        contacts=contacts,
        contacts_by_week_role={w: dict(r) for w, r in by_week.items()},
        ties=ties,
        responses=responses,
        timeline=timeline,
        timeline_start=timeline_start,
    )


def _status_on(tie: dict, moment: datetime.datetime) -> str | None:
    """The tie's status at ``moment`` as far as the stored rows tell: None before it was added
    or after it ended. Only a tie's current status and when it last changed are kept, so a tie
    that changed after ``moment`` is taken to have been active then (its earlier pauses are not
    known)."""
    if tie["created_at"] > moment:
        return None
    if tie["status_changed_at"] > moment or tie["status"] == TieStatus.ACTIVE:
        return TieStatus.ACTIVE
    return TieStatus.PAUSED if tie["status"] == TieStatus.PAUSED else None


def _circle(ties: list[dict], moment: datetime.datetime) -> list[EgoNode]:
    """The network's circle picture (the member's own, ``network.selectors.ego_layout``) at
    ``moment``. The other people are unsaved ties carrying only a role and the member's label,
    so no name reaches the therapist; line weights are even (contacts aren't drawn per person)."""
    shown = []
    for row in sorted(ties, key=lambda t: (t["role"], t["relationship_label"], t["created_at"])):
        status = _status_on(row, moment)
        if status is None:
            continue
        # An unsaved stand-in named by its role and label alone: ``Tie.name`` of a tie with no
        # account is its ``offline_name``.
        tie = Tie(
            role=row["role"],
            relationship_label=row["relationship_label"],
            status=status,
            offline_name=_role_label(row),
        )
        shown.append(tie)
    return ego_layout(shown)


def _role_label(tie: dict) -> str:
    return Role(tie["role"]).label + (
        f" ({tie['relationship_label']})" if tie["relationship_label"] else ""
    )


def network_over_time(h: ClientHistory) -> dict:
    """Ties added, paused and ended in the range, the ties by role at its start and end, and
    the circle picture at both ends (a tie's current status and when it last changed are all
    that is kept: earlier changes aren't, see ``_status_on``)."""
    start_dt = datetime.datetime.combine(h.start, datetime.time.min, tzinfo=datetime.UTC)
    end_dt = datetime.datetime.combine(h.end, datetime.time.max, tzinfo=datetime.UTC)
    events: list[tuple[datetime.date, str]] = []
    at_start: defaultdict[str, int] = defaultdict(int)
    at_end: defaultdict[str, int] = defaultdict(int)
    for tie in h.ties:
        label = _role_label(tie)
        if start_dt <= tie["created_at"] <= end_dt:
            events.append((tie["created_at"].date(), f"{label} added"))
        changed = tie["status_changed_at"]
        if tie["status"] != TieStatus.ACTIVE and start_dt <= changed <= end_dt:
            events.append((changed.date(), f"{label} {tie['status']}"))
        if tie["created_at"] <= start_dt and (
            tie["status"] == TieStatus.ACTIVE or changed > start_dt
        ):
            at_start[Role(tie["role"]).label] += 1
        if tie["created_at"] <= end_dt and (tie["status"] == TieStatus.ACTIVE or changed > end_dt):
            at_end[Role(tie["role"]).label] += 1
    roles = sorted(set(at_start) | set(at_end))
    return {
        "events": sorted(events, reverse=True),
        "by_role": [(r, at_start.get(r, 0), at_end.get(r, 0)) for r in roles],
        "circles": [
            ("start", h.start, _circle(h.ties, start_dt)),
            ("end", h.end, _circle(h.ties, end_dt)),
        ],
        "legend": [(Role(r).label, f"role-{r}") for r in ROLES_DRAWN],
    }


def score_rows(h: ClientHistory) -> list[dict]:
    rows = []
    for response in h.responses:
        definition = INSTRUMENTS.get(response.instrument)
        if definition is None:
            continue
        rows.append(
            {
                "day": response.local_date,
                "instrument": definition.short_name,
                "key": response.instrument,
                "total": response.scores.get("total"),
                "citation": definition.citation,
            }
        )
    return rows
