"""Reads of notifications: which messages may still be shown (``with_access``) and what a
detail page may show (only after login, only within scopes); the inbox views reach both
through ``notifications.views``' registries. What other apps may read of a member's own
notifications is in ``notifications.selectors``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

import recovery.lookups  # noqa: F401  (registers field__any)
from accounts.models import TherapistProfile, User
from checkins.models import CheckIn
from checkins.selectors import RiskSummary, checked_in_on, risk_summaries
from network.consents import REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN
from network.models import Role, Scope, Tie, TieStatus
from network.selectors import is_sos_contact, last_confirmed_contact_dates, supported_ties
from network.services.access import Access, access_for_tie
from notifications.models import ABOUT_A_MEMBER, Kind, Notification, PushSubscription

if TYPE_CHECKING:
    from notifications.selectors import ShownNotification

DIGEST_WINDOW_DAYS = 7
# The scopes the digest's columns show, in the order they are logged as disclosures.
DIGEST_SCOPES = ("checkin_status", "mood_craving", "use", "contacts")


def with_access(
    notifications: QuerySet[Notification], now: datetime.datetime | None = None
) -> QuerySet[ShownNotification]:
    """Annotate ``may_show``: whether each notification may still be shown to its recipient.

    False for a message about a member (``ABOUT_A_MEMBER``) once the recipient's tie to that
    member is no longer receivable. One EXISTS per row, in the same query.
    """
    receivable = Tie.objects.receivable(now).filter(
        member=OuterRef("subject_member"), supporter=OuterRef("recipient")
    )
    return notifications.annotate(
        may_show=Case(
            When(kind__in=ABOUT_A_MEMBER, then=Exists(receivable)),
            default=Value(True),
            output_field=BooleanField(),
        )
    )


def details_for(notification: ShownNotification) -> tuple[dict[str, Any], list[Access]]:
    """What the notification's page may show beyond its title and text, and the member data
    it shows (to record as disclosures: ``services.notification_details`` does).

    ``notification`` must come from ``with_access``: a withheld one shows nothing more.
    """
    if not notification.may_show:
        return {}, []
    if notification.kind in (Kind.ENCOURAGEMENT, Kind.CELEBRATION):
        # The recipient's own words (a supporter's message, a milestone), never on a lock screen.
        return {"message": notification.data.get("message", "")}, []
    if notification.kind == Kind.SOS:
        return _sos_details(notification)
    if notification.kind == Kind.SUPPORTER_NUDGE:
        facts, shown = _member_facts(notification.recipient, notification.subject_member)
        clinical = notification.recipient.is_verified_therapist
        return {"facts": facts, **(_redisclosure(clinical=clinical) if facts else {})}, shown
    if notification.kind == Kind.THERAPIST_DIGEST:
        caseload, shown = caseload_rows(notification.recipient)
        return {"caseload": caseload, **(_redisclosure() if caseload else {})}, shown
    return {}, []


def _redisclosure(*, clinical: bool = True) -> dict[str, str]:
    """The notice every page showing shared data carries (the network app's wording): the
    42 CFR Part 2 statement only where Part 2 applies (a clinician)."""
    return {
        "notice": REDISCLOSURE_NOTICE if clinical else "",
        "notice_plain": REDISCLOSURE_PLAIN,
    }


def _sos_details(notification: Notification) -> tuple[dict[str, Any], list[Access]]:
    member = notification.subject_member
    # The member's chosen words are for their current SOS contacts only.
    if member and is_sos_contact(member, notification.recipient):
        from .sos import card_for

        card = None if notification.response else card_for(notification)
        shown = [card.disclosed] if card and card.disclosed else []
        return {"sos_words": notification.data.get("words", ""), "card": card}, shown
    return {}, []


def _member_facts(viewer, member) -> tuple[list[tuple[str, str]], list[Access]]:
    """A few facts about ``member`` that ``viewer`` may see, and what of theirs they show."""
    if member is None:
        return [], []
    tie = Tie.objects.active().filter(member=member, supporter=viewer).with_open_consents().first()
    if tie is None:
        return [], []
    access = access_for_tie(tie, viewer)
    facts = []
    today = member.local_now().date()
    if Scope.CHECKIN_STATUS in access.scopes:
        checked = checked_in_on(member, today)
        facts.append(("Checked in today", "Yes" if checked else "Not yet"))
    if Scope.CONTACTS in access.scopes:
        last = last_confirmed_contact_dates([member.pk]).get(member.pk)
        facts.append(("Last contact logged", last.isoformat() if last else "None yet"))
    shown = access.scopes & {Scope.CHECKIN_STATUS, Scope.CONTACTS}
    return facts, [Access(tie, access.consent, frozenset(shown))] if shown else []


def caseload_rows(
    therapist, *, now: datetime.datetime | None = None
) -> tuple[list[dict[str, Any]], list[Access]]:
    """The therapist's consenting caseload: isolating, missed check-ins, risk signals; and
    what of each member it shows (``services.caseload_summary`` records it).

    Each column is shown only where that member's consent covers it; a member who shares
    nothing with this therapist is left out. Risk signals come from
    ``checkins.selectors.risk_summaries`` (the check-in app's one definition of a hard day).
    A fixed few queries for the whole caseload.
    """
    caseload = [
        (tie, scopes)
        for tie, scopes in supported_ties(therapist)
        if tie.role == Role.THERAPIST and tie.status == TieStatus.ACTIVE and scopes
    ]
    if not caseload:
        return [], []
    member_ids = [tie.member_id for tie, _ in caseload]
    # The window is each member's own last 7 local days (check-ins carry the member's local
    # date), so a member far east or west of UTC is counted over the days they lived. Members
    # share at most a few distinct "todays" (time zones span about 26 hours): one aggregate
    # query per distinct date, not per member.
    now = now or timezone.now()
    today_of = {tie.member_id: now.astimezone(tie.member.zone).date() for tie, _ in caseload}
    by_day: dict[datetime.date, list[int]] = {}
    for member_id, day in today_of.items():
        by_day.setdefault(day, []).append(member_id)
    checkins: dict[int, RiskSummary] = {}
    for day, ids in by_day.items():
        since = day - datetime.timedelta(days=DIGEST_WINDOW_DAYS)
        checkins.update(risk_summaries(ids, since=since))
    contacts = last_confirmed_contact_dates(member_ids)
    rows, shown_of = [], []
    for tie, scopes in caseload:
        today = today_of[tie.member_id]
        row: dict[str, Any] = {"name": tie.member.display_name}
        stats = checkins.get(tie.member_id, RiskSummary(0, 0, 0))
        if Scope.CHECKIN_STATUS in scopes:
            row["checkins"] = stats.checkins
        if Scope.MOOD_CRAVING in scopes:
            row["hard_days"] = stats.hard_days
        if Scope.USE in scopes:
            row["use_reports"] = stats.use_reports
        if Scope.CONTACTS in scopes:
            last = contacts.get(tie.member_id)
            row["isolating"] = last is None or (today - last).days >= 2
        shown = frozenset(s for s in DIGEST_SCOPES if s in scopes)
        shown_of.append(Access(tie, access_for_tie(tie, therapist).consent, shown))
        rows.append(row)
    return rows, shown_of


def schedule_inputs(user_ids: Iterable[int]) -> dict[int, dict]:
    """Everything the schedule and the rules read about these people, by id: one query.

    Preference columns are NULL for someone who never saved that page (the defaults apply).
    """
    ids = list(user_ids)
    # Every join and subquery names the ids again, so each is an index probe for these people
    # (with only ``pk = ANY`` on the users, the planner hashes whole preference and tie
    # tables: a cost that grows with the population, not the batch).
    rows = (
        User.objects.filter(pk__any=ids)
        .annotate(
            rp=FilteredRelation(
                "reminder_preference", condition=Q(reminder_preference__member_id__any=ids)
            ),
            cp=FilteredRelation(
                "contact_preferences", condition=Q(contact_preferences__user_id__any=ids)
            ),
            np=FilteredRelation(
                "nudge_preference", condition=Q(nudge_preference__member_id__any=ids)
            ),
            # A member: saved reminder choices, checked in, or has a network of their own
            # (tested in that order, so most people cost no probe of their history).
            is_member=ExpressionWrapper(
                Q(rp__member__isnull=False)
                | Exists(CheckIn.objects.filter(member=OuterRef("pk")))
                | Exists(Tie.objects.filter(member=OuterRef("pk")).exclude(status=TieStatus.ENDED)),
                output_field=BooleanField(),
            ),
            supports=Exists(
                Tie.objects.filter(supporter=OuterRef("pk"), supporter_id__any=ids).exclude(
                    status=TieStatus.ENDED
                )
            ),
            therapist=Exists(TherapistProfile.objects.filter(user=OuterRef("pk"))),
            has_push=Exists(PushSubscription.objects.filter(user=OuterRef("pk"))),
        )
        .values(
            "id",
            "time_zone",
            "is_active",
            "date_joined",
            "is_member",
            "supports",
            "therapist",
            "has_push",
            rp_member=F("rp__member"),
            rp_enabled=F("rp__checkin_reminder_enabled"),
            rp_reminder_time=F("rp__reminder_time"),
            rp_reminder_days=F("rp__reminder_days"),
            rp_paused_until=F("rp__paused_until"),
            cp_user=F("cp__user"),
            cp_quiet_start=F("cp__quiet_start"),
            cp_quiet_end=F("cp__quiet_end"),
            cp_channel_email=F("cp__channel_email"),
            cp_channel_push=F("cp__channel_push"),
            np_member=F("np__member"),
            np_isolation_enabled=F("np__isolation_enabled"),
            np_isolation_days=F("np__isolation_days"),
            np_prompt_time=F("np__prompt_time"),
            np_digest_weekday=F("np__digest_weekday"),
            np_digest_hour=F("np__digest_hour"),
            np_snoozed_until=F("np__snoozed_until"),
        )
    )
    return {row["id"]: row for row in rows}
