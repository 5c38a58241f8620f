"""Reads for the network pages: each returns everything a page needs in a fixed few queries."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User

from .models import (
    Consent,
    Contact,
    ContactMethod,
    DisclosureEvent,
    MeetingWay,
    Role,
    Scope,
    Tie,
    TieStatus,
    contact_method_label,
)
from .services.access import Access, access_for_tie
from .services.ties import CONTACTABLE_STATUSES

# Each role is drawn with a CSS class, ``role-<role>`` (static/css/site.css holds the colours
# of both themes, each at least 3:1 against its background; the circle and the History chart
# share them). The legend and the text list name each role, so colour is never the only cue.
ROLES_DRAWN = [Role.THERAPIST, Role.SPONSOR, Role.FAMILY, Role.FRIEND, Role.PEER, Role.GROUP]
ACCESS_LOG_YEARS = 3


def ties_for_member(member: User, now: datetime | None = None) -> QuerySet[Tie]:
    """All the member's ties with contact aggregates (one query, whatever the history).

    The last contact is the one kept on the tie (``network.stats``); the 30 days' count reads
    only those days, through the (tie, -occurred_at) index.
    """
    now = now or timezone.now()
    recent = (
        Contact.objects.filter(
            tie=OuterRef("pk"), confirmed=True, occurred_at__gte=now - timedelta(30)
        )
        .order_by()
        .values("tie")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Tie.objects.filter(member=member)
        .select_related("supporter")
        .annotate(last_contact=F("last_contact_at"), contacts_30=Coalesce(Subquery(recent), 0))
        .order_by("status", "created_at")
    )


def checkin_contacts_on(member: User, local_date: date) -> tuple[list[str], bool]:
    """Who a check-in form shows as chosen for ``local_date``: tie ids, and whether a meeting.

    Reads every contact logged that day, by any route, so the form matches the contact log.
    """
    tie_ids, meeting = [], False
    rows = Contact.objects.filter(member=member, local_date=local_date).values_list(
        "tie_id", "method"
    )
    for tie_id, method in rows:
        if tie_id is not None:
            tie_ids.append(str(tie_id))
        elif method == ContactMethod.MEETING:
            meeting = True
    return tie_ids, meeting


def confirmed_contacts_per_day(member: User, until: date) -> dict[date, int]:
    """How many confirmed contacts the member had on each local date up to ``until``. One query."""
    return dict(
        Contact.objects.confirmed()
        .filter(member=member, local_date__lte=until)
        .values("local_date")
        .annotate(n=Count("id"))
        .values_list("local_date", "n")
    )


def confirmed_contacts_between(member: User, start: date, end: date) -> int:
    """How many confirmed contacts the member had from ``start`` to ``end`` (local dates)."""
    return confirmed_contacts_between_query(member, start, end).count()


def confirmed_contacts_between_query(member, start: date, end: date) -> QuerySet[Contact]:
    """The confirmed contacts from ``start`` to ``end``; ``member`` may be an ``OuterRef``."""
    return Contact.objects.confirmed().filter(
        member=member, local_date__gte=start, local_date__lte=end
    )


# The category of a contact with no tie that wasn't a meeting: "I reached out" to a prompt
# that named no one. It is not a group, so role figures count it apart.
SOMEONE_ELSE = "someone"


def contact_category(tie_role: str | None, method: str) -> str:
    """The role a contact counts under: its tie's role; a tie-less meeting counts as a group;
    any other tie-less contact as ``SOMEONE_ELSE``."""
    if tie_role:
        return tie_role
    return Role.GROUP if method == ContactMethod.MEETING else SOMEONE_ELSE


def confirmed_contact_roles(member: User, start: date, end: date) -> list[tuple[date, str]]:
    """(local date, ``contact_category``) for each confirmed contact between ``start`` and
    ``end``. One query; names never leave this app."""
    rows = (
        Contact.objects.confirmed()
        .filter(member=member, local_date__range=(start, end))
        .values_list("local_date", "tie__role", "method")
    )
    return [(day, contact_category(role, method)) for day, role, method in rows]


def last_confirmed_contact_dates(member_ids: Iterable[int]) -> dict[int, date]:
    """Each member's latest local date with a confirmed contact; members with none are left
    out. One query, for any number of members."""
    return dict(
        Contact.objects.confirmed()
        .filter(member_id__in=list(member_ids))
        .values("member_id")
        .annotate(last=Max("local_date"))
        .values_list("member_id", "last")
    )


def sos_ties(member: User, now: datetime | None = None) -> list[Tie]:
    """The member's SOS contacts who may be told about them now (``Tie.objects.sos``),
    supporters loaded."""
    return list(Tie.objects.sos(now).filter(member=member).select_related("supporter"))


def is_sos_contact(member: User, supporter: User, now: datetime | None = None) -> bool:
    """Whether ``supporter`` is one of the member's SOS contacts right now."""
    return Tie.objects.sos(now).filter(member=member, supporter=supporter).exists()


def may_receive(member: User, recipient: User, now: datetime | None = None) -> bool:
    """Whether ``recipient`` may see or be told anything about ``member`` now.

    The access predicate (``Tie.objects.receivable``) for one pair, in one query: for a
    notification already made (its page, a delivery waiting for quiet hours to end).
    """
    return Tie.objects.receivable(now).filter(member=member, supporter=recipient).exists()


def open_ties_for(member: User) -> list[Tie]:
    """The member's active and paused ties with supporters loaded, oldest first: the people a
    check-in offers. Invited ties are left out, as when logging a contact by hand."""
    return list(
        Tie.objects.filter(member=member, status__in=CONTACTABLE_STATUSES).select_related(
            "supporter"
        )
    )


@dataclass
class Health:
    size: int
    by_role: list[tuple[str, int]]
    role_diversity: int
    days_since_last_contact: int | None
    contacts_7: int
    contacts_30: int
    in_person_share: float | None
    supporter_initiated: int
    per_tie: list[Tie] = field(default_factory=list)

    @property
    def in_person_percent(self) -> int | None:
        return None if self.in_person_share is None else round(self.in_person_share * 100)


def network_health(member: User, ties: list[Tie], now: datetime | None = None) -> Health:
    """Network health from ties already loaded by ``ties_for_member`` plus one aggregate."""
    now = now or timezone.now()
    active = [t for t in ties if t.status == TieStatus.ACTIVE]
    counts: dict[str, int] = {}
    for tie in active:
        counts[tie.role] = counts.get(tie.role, 0) + 1
    in_30 = Q(occurred_at__gte=now - timedelta(days=30))
    agg = Contact.objects.filter(member=member, confirmed=True).aggregate(
        last=Max("occurred_at"),
        # The last 7 days as everywhere else: today and the 6 before, on the member's calendar.
        c7=Count(
            "id", filter=Q(local_date__gte=now.astimezone(member.zone).date() - timedelta(days=6))
        ),
        c30=Count("id", filter=in_30),
        in_person=Count(
            "id",
            # A meeting counts as in person unless the member said it was by video or phone
            # (meetings logged before the way was asked, and check-ins, don't say).
            filter=in_30
            & (
                Q(method=ContactMethod.IN_PERSON)
                | Q(method=ContactMethod.MEETING, meeting_way__in=["", MeetingWay.IN_PERSON])
            ),
        ),
        by_supporters=Count("id", filter=in_30 & Q(initiated_by=Contact.Initiator.SUPPORTER)),
    )
    for tie in ties:
        tie.days_since = (now - tie.last_contact).days if tie.last_contact else None
    return Health(
        size=len(active),
        by_role=[(Role(r).label, n) for r, n in sorted(counts.items(), key=lambda kv: -kv[1])],
        role_diversity=len(counts),
        days_since_last_contact=(now - agg["last"]).days if agg["last"] else None,
        contacts_7=agg["c7"],
        contacts_30=agg["c30"],
        in_person_share=(agg["in_person"] / agg["c30"]) if agg["c30"] else None,
        supporter_initiated=agg["by_supporters"],
        per_tie=[t for t in ties if t.status in (TieStatus.ACTIVE, TieStatus.PAUSED)],
    )


@dataclass(frozen=True)
class EgoNode:
    tie: Tie
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str
    role_class: str
    stroke_width: float
    dashed: bool


def ego_layout(ties: list[Tie], size: int = 400) -> list[EgoNode]:
    """Place supporters evenly round the member; line weight grows with recent contacts (1
    for none, up to 8.2 from 12 contacts in 30 days)."""
    centre, radius = size / 2, size / 2 - 70
    shown = [t for t in ties if t.status in (TieStatus.ACTIVE, TieStatus.PAUSED)]
    nodes = []
    for i, tie in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(shown), 1)
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        lx, ly = centre + (radius + 24) * math.cos(angle), centre + (radius + 24) * math.sin(angle)
        cos = math.cos(angle)
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        recent = getattr(tie, "contacts_30", 0) or 0
        nodes.append(
            EgoNode(
                tie=tie,
                x=round(x, 1),
                y=round(y, 1),
                label_x=round(lx, 1),
                label_y=round(ly + 4, 1),
                anchor=anchor,
                role_class=f"role-{tie.role}" if tie.role in ROLES_DRAWN else "role-someone",
                stroke_width=round(1 + min(recent, 12) * 0.6, 1),
                dashed=tie.status == TieStatus.PAUSED,
            )
        )
    return nodes


def supported_ties(supporter: User, now: datetime | None = None) -> list[tuple[Tie, frozenset]]:
    """Ties where ``supporter`` supports someone, each with exactly the scopes shared now."""
    now = now or timezone.now()
    ties = (
        Tie.objects.filter(supporter=supporter, status__in=[TieStatus.ACTIVE, TieStatus.PAUSED])
        .with_open_consents()
        # A subquery per tie (its newest contact the supporter made, through the tie's
        # contacts index), not a join grouped by every selected column.
        .annotate(
            last_reached_out=Subquery(
                Contact.objects.filter(tie=OuterRef("pk"), initiated_by=Contact.Initiator.SUPPORTER)
                .order_by("-occurred_at")
                .values("occurred_at")[:1]
            )
        )
        .order_by("member__display_name")
    )
    # Every tie's supporter is this same user: one loaded instance for all (its therapist
    # profile came with the ties, its second factor is read once), not one per tie.
    ties = list(ties)
    for tie in ties[1:]:
        tie.supporter = ties[0].supporter
    return [(tie, access_for_tie(tie, tie.supporter, now=now).scopes) for tie in ties]


def supporter_tie(supporter: User, tie_id) -> Tie | None:
    """The tie ``tie_id`` if ``supporter`` is its supporter (any status), with consents loaded."""
    return Tie.objects.filter(pk=tie_id, supporter=supporter).with_open_consents().first()


SHARED_DAYS = 14


# What the check-in app (a layer above) shares with supporters reaches their pages through
# these dotted paths, resolved when used: the registry mechanism of docs/architecture.md.
# The check-ins a member shares within some scopes (``checkins.selectors.shared_checkins``).
SHARED_CHECKINS = "checkins.selectors.shared_checkins"
# The (member id, local date) pairs with a check-in, for "checked in today" on the cards.
CHECKED_IN_PAIRS = "checkins.selectors.checked_in_pairs"


@dataclass
class SharedData:
    checked_in_today: bool | None = None
    checkin_days: list = field(default_factory=list)
    contacts: list = field(default_factory=list)


def shared_data(member: User, scopes: frozenset[str], now: datetime | None = None) -> SharedData:
    """The member's data limited to ``scopes``: at most two queries (check-ins, contacts)."""
    now = now or timezone.now()
    data = SharedData()
    today = now.astimezone(member.zone).date()
    if scopes & {Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING, Scope.USE, Scope.NOTES}:
        shared_checkins = import_string(SHARED_CHECKINS)
        rows = shared_checkins(member, scopes, today=today, days=SHARED_DAYS)
        data.checked_in_today = any(r["local_date"] == today for r in rows)
        data.checkin_days = rows
    if Scope.CONTACTS in scopes:
        # Other supporters are named by role only: their names are not the member's to share.
        data.contacts = list(
            Contact.objects.filter(
                member=member, confirmed=True, occurred_at__gte=now - timedelta(SHARED_DAYS)
            )
            .order_by("-occurred_at")
            .values("local_date", "method", "meeting_way", "tie__role", "helped")[:50]
        )
        for contact in data.contacts:
            way = contact.pop("meeting_way")
            contact["method_label"] = contact_method_label(contact["method"], way)
    return data


def access_log_for(member: User, now: datetime | None = None) -> QuerySet[DisclosureEvent]:
    """Who looked at what of the member's data in the last three years, newest first."""
    now = now or timezone.now()
    since = now - timedelta(days=365 * ACCESS_LOG_YEARS + 1)
    # Ordered to match the (member_ref, -occurred_at) index; id breaks ties within a page view.
    return DisclosureEvent.objects.filter(member_ref=member.pk, occurred_at__gte=since).order_by(
        "-occurred_at", "-id"
    )


def member_chain(member_ref: int, *, upto: int) -> QuerySet[DisclosureEvent]:
    """A member's access-log chain from its first entry to entry ``upto``, in chain order."""
    return DisclosureEvent.objects.filter(member_ref=member_ref, seq__lte=upto).order_by("seq")


def consent_history(member: User) -> QuerySet[Consent]:
    return Consent.objects.filter(member=member).order_by("-signed_at")


@dataclass
class SupporterCard:
    """One person this user supports, as their Today shows it: only what is shared now."""

    tie: Tie
    scopes: frozenset
    checked_in_today: bool | None = None  # None: not shared
    last_contact: str | None = None  # "Today", "Yesterday", a date, "None yet"; None: not shared
    phone: str = ""
    # What showing the card discloses of the member's shared data (None: nothing).
    disclosed: Access | None = None


def _day_word(day: date | None, today: date) -> str:
    if day is None:
        return "None yet"
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return day.strftime("%-d %b")


def supporter_cards(
    supporter: User, now: datetime | None = None, *, supported: list | None = None
) -> list[SupporterCard]:
    """A card per person ``supporter`` supports on an active tie, with exactly what is shared.

    "Checked in today" and "last contact" are on the member's own calendar (a contact at
    19:00 yesterday their time is "Yesterday"). A fixed few queries however many cards.
    Reads only: each card's ``disclosed`` is recorded by ``services.supporter_cards_show``.
    """
    now = now or timezone.now()
    if supported is None:
        supported = supported_ties(supporter, now)
    rows = [(t, s) for t, s in supported if t.status == TieStatus.ACTIVE]
    if not rows:
        return []
    today_of = {t.member_id: now.astimezone(t.member.zone).date() for t, _ in rows}
    status_ids = [t.member_id for t, s in rows if Scope.CHECKIN_STATUS in s]
    checked = set()
    if status_ids:
        checked = import_string(CHECKED_IN_PAIRS)(status_ids, today_of.values())
    contact_ids = [t.member_id for t, s in rows if Scope.CONTACTS in s]
    last = last_confirmed_contact_dates(contact_ids) if contact_ids else {}
    cards = []
    for tie, scopes in rows:
        today = today_of[tie.member_id]
        card = SupporterCard(tie=tie, scopes=scopes)
        shown = []
        if Scope.CHECKIN_STATUS in scopes:
            card.checked_in_today = (tie.member_id, today) in checked
            shown.append(Scope.CHECKIN_STATUS)
        if Scope.CONTACTS in scopes:
            card.last_contact = _day_word(last.get(tie.member_id), today)
            shown.append(Scope.CONTACTS)
        if Scope.REACH in scopes and tie.member.phone:
            card.phone = tie.member.phone
            shown.append(Scope.REACH)
        if shown:
            consent = access_for_tie(tie, supporter, now=now).consent
            card.disclosed = Access(tie, consent, frozenset(shown))
        cards.append(card)
    return cards
