"""Contacts: logging, editing and confirming who a member was in touch with."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify
from recovery.ratelimit import within_rate

from ..models import LOGGABLE_METHODS, Contact, ContactMethod, MeetingWay, Role, Tie
from ..stats import contact_stats_added, contact_stats_added_many
from .access import may_act_for
from .errors import NetworkError, clean_or_raise
from .ties import CONTACTABLE_STATUSES


@transaction.atomic
def contact_log(
    *,
    member: User,
    tie: Tie | None,
    method: str,
    occurred_at: datetime | None = None,
    duration_minutes: int | None = None,
    helped: int | None = None,
    source: str = Contact.Source.MANUAL,
) -> Contact:
    """Log a contact the member made: with a tie of theirs, or with a meeting (no tie).

    For a meeting, ``method`` is how it was attended ("in_person", "video", "call") or
    "meeting" when not said; it is saved as a meeting with that way, never changed."""
    if tie is not None and tie.member_id != member.pk:
        raise NetworkError("That person isn't in your network.")
    if tie is not None and tie.status not in CONTACTABLE_STATUSES:
        raise NetworkError(f"You can't log a contact with {tie.name} right now.")
    meeting_way = ""
    if tie is None:
        method, meeting_way = ContactMethod.MEETING, _meeting_way(method)
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise NetworkError("A contact can't be in the future.")
    contact = Contact(
        member=member,
        tie=tie,
        method=method,
        meeting_way=meeting_way,
        occurred_at=occurred_at,
        local_date=occurred_at.astimezone(member.zone).date(),
        duration_minutes=duration_minutes,
        helped=helped,
        source=source,
    )
    clean_or_raise(contact)
    contact.save()
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    method: str,
    occurred_at: datetime,
    duration_minutes: int | None = None,
    helped: int | None = None,
) -> Contact:
    """Change a counted contact of the member's: how, when (not in the future), how long,
    whether it helped. A supporter's contact awaiting confirmation is answered, not edited."""
    if not contact.confirmed:
        raise NetworkError("Confirm or dismiss this contact first.")
    allowed = dict(LOGGABLE_METHODS)
    meeting_way = ""
    if contact.tie_id is None and contact.method == ContactMethod.MEETING:
        # A meeting stays a meeting; what can change is how it was attended.
        method, meeting_way = ContactMethod.MEETING, _meeting_way(method)
    elif method not in allowed and method != contact.method:
        raise NetworkError("Choose how you were in touch.")
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise NetworkError("A contact can't be in the future.")
    contact.method = method
    contact.meeting_way = meeting_way
    contact.occurred_at = occurred_at
    contact.local_date = occurred_at.astimezone(contact.member.zone).date()
    contact.duration_minutes = duration_minutes
    contact.helped = helped
    clean_or_raise(contact)
    contact.save(
        update_fields=[
            "method",
            "meeting_way",
            "occurred_at",
            "local_date",
            "duration_minutes",
            "helped",
        ]
    )
    return contact


def _meeting_way(method: str) -> str:
    """The way a meeting was attended, from the "how" a member chose for it."""
    if method == ContactMethod.MEETING:
        return ""
    if method in MeetingWay.values:
        return method
    raise NetworkError("A meeting is in person, by video or by phone: choose one of those.")


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Remove a counted contact of the member's (a mistake, a duplicate). A supporter's contact
    awaiting confirmation is dismissed instead."""
    if not contact.confirmed:
        raise NetworkError("Confirm or dismiss this contact first.")
    Contact.objects.filter(pk=contact.pk, member=contact.member).delete()


@transaction.atomic
def contact_log_from_nudge(*, member: User, tie_id: str | None, occurred_at: datetime) -> Contact:
    """Log the "I reached out" answer to a reach-out prompt as the member's contact.

    The prompt named ``tie_id`` (or no one); the answer doesn't say how, so the method is
    "unspecified". The tie is kept while ``contact_log`` would accept it (the member's, active
    or paused); one that ended since (or isn't theirs) is dropped rather than refused, because
    the member did reach out and that must count. The caller makes the answer happen once.
    """
    tie = None
    if tie_id:
        tie = Tie.objects.filter(
            member=member,
            pk__in=_valid_uuids([tie_id]),
            status__in=CONTACTABLE_STATUSES,
        ).first()
    contact = Contact.objects.create(
        member=member,
        tie=tie,
        method=ContactMethod.UNSPECIFIED,
        occurred_at=occurred_at,
        local_date=occurred_at.astimezone(member.zone).date(),
        source=Contact.Source.NUDGE,
    )
    return contact


def _checkin_occurred_at(member: User, local_date: date, now: datetime) -> datetime:
    zone = member.zone
    if now.astimezone(zone).date() == local_date:
        return now
    # A late check-in for yesterday: the exact time is unknown, midday local is honest enough.
    return datetime.combine(local_date, time(12, 0), tzinfo=zone)


def _checkin_method(tie: Tie) -> str:
    # The check-in asks "who", not "how" (it stays under 30 seconds). A group is met at its
    # meetings; for anyone else the way is not noted rather than guessed, so in-person figures
    # count only what the member said was in person.
    return ContactMethod.MEETING if tie.role == Role.GROUP else ContactMethod.UNSPECIFIED


def contacts_sync_from_checkin(
    *,
    member: User,
    local_date: date,
    tie_ids: Iterable[str | uuid.UUID],
    meeting: bool,
    now: datetime | None = None,
) -> list[Contact]:
    """``contacts_sync_checkin_day``, returning only the new contacts."""
    return contacts_sync_checkin_day(
        member=member, local_date=local_date, tie_ids=tie_ids, meeting=meeting, now=now
    ).created


@dataclass(frozen=True)
class ContactSync:
    created: list[Contact]
    removed: int

    @property
    def changed(self) -> bool:
        """Whether the kept contact figures may have changed (the caller's counters did)."""
        return bool(self.created or self.removed)


@transaction.atomic(savepoint=False)
def contacts_sync_checkin_day(
    *,
    member: User,
    local_date: date,
    tie_ids: Iterable[str | uuid.UUID],
    meeting: bool,
    now: datetime | None = None,
) -> ContactSync:
    """Make the member's contacts for ``local_date`` match who a check-in says they saw.

    Creates one contact per chosen active or paused tie of the member's (not one still invited,
    as ``contact_log`` refuses those) and one tie-less meeting, skipping
    any already logged that day by any route, so nothing is counted twice. Contacts an earlier
    check-in created and no longer chosen are removed; contacts logged by hand, from a reminder
    or by a supporter are never touched. Ids of ties that aren't the member's are ignored.
    Returns the new contacts and how many were removed. Three queries, whatever the number
    of ties (one when nobody is chosen and nothing was logged that day).
    """
    now = now or timezone.now()
    chosen = {str(pk) for pk in tie_ids}
    ties = {
        str(t.pk): t
        for t in Tie.objects.filter(
            member=member, status__in=CONTACTABLE_STATUSES, pk__in=_valid_uuids(chosen)
        )
    }
    logged = list(
        Contact.objects.filter(member=member, local_date=local_date).only(
            "id", "tie_id", "method", "source"
        )
    )

    def is_meeting(c: Contact) -> bool:
        return c.tie_id is None and c.method == ContactMethod.MEETING

    stale = [
        c.pk
        for c in logged
        if c.source == Contact.Source.CHECKIN
        and (
            (c.tie_id is not None and str(c.tie_id) not in ties) or (is_meeting(c) and not meeting)
        )
    ]
    if stale:
        Contact.objects.filter(pk__in=stale).delete()
    kept = [c for c in logged if c.pk not in stale]
    seen_ties = {str(c.tie_id) for c in kept if c.tie_id is not None}
    occurred_at = _checkin_occurred_at(member, local_date, now)

    def new_contact(tie: Tie | None, method: str) -> Contact:
        return Contact(
            member=member,
            tie=tie,
            method=method,
            occurred_at=occurred_at,
            local_date=local_date,
            source=Contact.Source.CHECKIN,
        )

    new = [
        new_contact(tie, _checkin_method(tie)) for key, tie in ties.items() if key not in seen_ties
    ]
    if meeting and not any(is_meeting(c) for c in kept):
        new.append(new_contact(None, ContactMethod.MEETING))
    created = Contact.objects.bulk_create(new)
    # bulk_create sends no signal: fold the new contacts into the kept figures here, all at
    # once (the removed ones above were deleted one by one, with signals).
    contact_stats_added_many(created)
    return ContactSync(created, len(stale))


def _valid_uuids(values: Iterable[str]) -> list[uuid.UUID]:
    valid = []
    for value in values:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return valid


SUPPORTER_LOG_LIMIT = 10  # per tie per day: a supporter can't flood a member's inbox


def contact_log_by_supporter(
    *,
    supporter: User,
    tie: Tie,
    method: str,
    occurred_at: datetime | None = None,
    announce: bool = True,
) -> Contact:
    """Record "I reached out to Sam"; it counts once Sam confirms it.

    ``announce=False`` leaves telling Sam to the caller (an SOS answer sends its own
    "Maria is reaching out" at once).
    """
    if not may_act_for(supporter, tie):
        raise NetworkError("You can't log a contact for this person.")
    if method not in dict(LOGGABLE_METHODS):
        raise NetworkError("Choose how you reached out.")
    if not within_rate(f"network:supporter-log:{tie.pk}", SUPPORTER_LOG_LIMIT, 86400):
        raise NetworkError("You've logged a lot today. Thank you — try again tomorrow.")
    occurred_at = occurred_at or timezone.now()
    member = tie.member
    contact = Contact(
        member=member,
        tie=tie,
        method=method,
        occurred_at=occurred_at,
        local_date=occurred_at.astimezone(member.zone).date(),
        initiated_by=Contact.Initiator.SUPPORTER,
        source=Contact.Source.SUPPORTER,
        confirmed=False,
    )
    clean_or_raise(contact)
    contact.save()
    if not announce:
        return contact
    notify(
        recipient=member,
        kind=Kind.NETWORK,
        title=f"{supporter.display_name} reached out",
        body=f"{supporter.display_name} logged reaching out to you. Confirm it in Rat Park.",
        idempotency_key=f"network:contact:{contact.pk}:confirm",
        action_url=reverse("network:contacts"),
    )
    return contact


@transaction.atomic
def contact_confirm(*, member: User, contact_id: uuid.UUID) -> Contact:
    """Confirm a contact a supporter logged, so it counts in health and streaks."""
    updated = Contact.objects.filter(pk=contact_id, member=member, confirmed=False).update(
        confirmed=True
    )
    if not updated:
        raise NetworkError("There is no contact waiting for your confirmation here.")
    contact = Contact.objects.get(pk=contact_id)
    contact_stats_added(contact)  # update() sends no signal
    return contact


def contact_dismiss(*, member: User, contact_id: uuid.UUID) -> None:
    """Dismiss an unconfirmed supporter-logged contact (it never counted)."""
    deleted, _ = Contact.objects.filter(
        pk=contact_id, member=member, confirmed=False, source=Contact.Source.SUPPORTER
    ).delete()
    if not deleted:
        raise NetworkError("There is no contact waiting for your confirmation here.")
