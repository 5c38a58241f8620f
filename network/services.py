"""Multi-step operations on the support network. Free of requests and HTML."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, F, OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify, quiet_hours_for
from recovery import quiet_hours

from .accesslog import disclosures_append, disclosures_append_batch
from .consents import DEFAULT_SCOPES, consent_record_sharing, requires_formal_consent
from .models import (
    LOGGABLE_METHODS,
    SCOPE_FIELDS,
    Consent,
    ConsentEnd,
    Contact,
    ContactMethod,
    Ease,
    Invitation,
    InvitationStatus,
    MeetingWay,
    Role,
    Tie,
    TieStatus,
)
from .stats import contact_stats_added, contact_stats_added_many


class NetworkError(Exception):
    """A request that cannot be done; the message is safe and kind to show to the user."""


# --- Who may see what --------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    tie: Tie
    consent: Consent | None
    scopes: frozenset[str]
    # The per-tie twin of ``Tie.objects.receivable``: may the viewer see or be told anything
    # about the member now (an SOS, a nudge, a notice naming them), whatever the scopes.
    receivable: bool = False

    @property
    def is_clinical(self) -> bool:
        """A verified therapist acting under a formal consent in force (access_for_tie only
        returns a formal consent for a verified therapist on an active tie)."""
        return self.consent is not None and self.consent.is_formal


# A reader loading many ties at once may load their consents as a list on this attribute
# (``Prefetch("consents", queryset=…, to_attr=LOADED_CONSENTS)``) instead of into
# ``tie.consents``: a prefetch into the related manager builds a queryset for every tie, which
# was most of the cost of a caseload of 200. Either way each consent is checked here.
LOADED_CONSENTS = "loaded_consents"


def access_for_tie(tie: Tie, viewer: User, *, now: datetime | None = None) -> Access:
    """What ``viewer`` may see through ``tie`` right now (empty scopes when nothing).

    An ordinary tie shares its own flags. A therapist tie shares only what a formal consent in
    force allows, and only with a therapist whose credentials staff verified and who has a
    second factor (MFA is mandatory before any client data, on every page that reads this).
    """
    now = now or timezone.now()
    if tie.status != TieStatus.ACTIVE or tie.supporter_id != viewer.pk:
        return Access(tie, None, frozenset())
    loaded = getattr(tie, LOADED_CONSENTS, None)
    consents = [c for c in (tie.consents.all() if loaded is None else loaded) if c.is_current(now)]
    consent = consents[0] if consents else None
    if requires_formal_consent(tie):
        if (
            consent is None
            or not consent.is_formal
            or not viewer.is_verified_therapist
            or not viewer.has_second_factor
        ):
            return Access(tie, None, frozenset())
        return Access(tie, consent, frozenset(consent.scopes), receivable=True)
    return Access(tie, consent, tie.scopes, receivable=True)


def shared_scopes(viewer: User, member: User) -> frozenset[str]:
    """The scopes of ``member``'s data that ``viewer`` may see right now."""
    if viewer.pk == member.pk:
        raise ValueError("A member's own data is not a disclosure.")
    tie = (
        Tie.objects.active()
        .filter(member=member, supporter=viewer)
        .prefetch_related("consents")
        .first()
    )
    return access_for_tie(tie, viewer).scopes if tie else frozenset()


def supporter_access(viewer: User, tie_id: uuid.UUID | str) -> Access | None:
    """What ``viewer`` may see through tie ``tie_id`` now; None if they aren't its supporter.

    For other apps acting on the supporter's side (a therapist scheduling a questionnaire):
    the tie in any status, so a paused or ended tie gives empty scopes rather than None.
    """
    tie = (
        Tie.objects.filter(pk=tie_id, supporter=viewer)
        .select_related("member", "supporter__therapist_profile")
        .prefetch_related(
            Prefetch("consents", queryset=Consent.objects.filter(ended_at__isnull=True))
        )
        .first()
    )
    return access_for_tie(tie, viewer) if tie else None


def record_disclosure(*, viewer: User, member: User, scope: str, action: str = "view") -> None:
    """Write one entry in the member's access log (accounting of disclosures).

    The entry names the consent in force between them, if any. Callers must have checked
    ``shared_scopes`` first: this records, it does not authorise.
    """
    tie = (
        Tie.objects.active()
        .filter(member=member, supporter=viewer)
        .prefetch_related("consents")
        .first()
    )
    consent = access_for_tie(tie, viewer).consent if tie else None
    disclosures_append(viewer=viewer, member=member, scopes=[scope], action=action, consent=consent)


def record_disclosures_for_tie(*, tie: Tie, scopes: Iterable[str], action: str = "view") -> None:
    """Log the tie's supporter seeing ``scopes`` of its member, in one append to the access log.

    For a page that already holds the tie with its consents loaded (``selectors.supported_ties``):
    the consent in force is read from them, so this is three queries however many scopes.
    Callers must have checked the scopes against ``access_for_tie`` first.
    """
    consent = access_for_tie(tie, tie.supporter).consent
    disclosures_append(
        viewer=tie.supporter, member=tie.member, scopes=list(scopes), action=action, consent=consent
    )


def record_disclosures_for_ties(
    accesses: Iterable[Access], *, viewer: User, action: str = "view"
) -> int:
    """Log ``viewer`` seeing each access's scopes of its tie's member, under its consent.

    The many-member twin of ``record_disclosures_for_tie`` (a caseload page): one chained
    insert for all of them. Each ``Access`` comes from ``access_for_tie``, so it names the
    consent that allowed it; accesses with no scopes write nothing.
    """
    return disclosures_append_batch(
        [(viewer, a.tie.member, sorted(a.scopes), a.consent) for a in accesses if a.scopes],
        action=action,
    )


# --- Ties ------------------------------------------------------------------------------------


def _validate(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise NetworkError(" ".join(exc.messages)) from exc


@transaction.atomic
def tie_add_offline(
    *,
    member: User,
    offline_name: str,
    role: str,
    relationship_label: str = "",
    ease: str = Ease.EASY,
    reach_methods: list[str] | None = None,
    phone: str = "",
    contact_email: str = "",
) -> Tie:
    """Add someone who won't use Rat Park (a grandmother, a home group) to the network."""
    offline_name = offline_name.strip()
    if not offline_name:
        raise NetworkError("Please give a name.")
    if (
        Tie.objects.open()
        .filter(member=member, supporter__isnull=True, offline_name__iexact=offline_name)
        .exists()
    ):
        raise NetworkError(f"{offline_name} is already in your network.")
    tie = Tie(
        member=member,
        offline_name=offline_name,
        role=role,
        relationship_label=relationship_label.strip(),
        ease=ease,
        reach_methods=list(reach_methods or []),
        phone=phone.strip(),
        contact_email=contact_email.strip(),
        status=TieStatus.ACTIVE,
    )
    _validate(tie)
    tie.save()
    _initial_consent(tie)
    return tie


def _initial_consent(tie: Tie) -> None:
    if requires_formal_consent(tie):
        # Nothing is shared with a therapist until the member signs a formal consent.
        fields = [*SCOPE_FIELDS.values(), "may_nudge", "is_sos_contact"]
        for field in fields:
            setattr(tie, field, False)
        tie.save(update_fields=fields)
    else:
        consent_record_sharing(tie=tie, scopes=DEFAULT_SCOPES, may_nudge=True, is_sos_contact=False)


EDITABLE_TIE_FIELDS = ("role", "relationship_label", "ease", "reach_methods")
OFFLINE_ONLY_FIELDS = ("offline_name", "phone", "contact_email")


@transaction.atomic
def tie_update(*, tie: Tie, **changes) -> Tie:
    """Change a tie's description. A role change to or from therapist resets sharing."""
    allowed = set(EDITABLE_TIE_FIELDS)
    if not tie.supporter_id:
        allowed |= set(OFFLINE_ONLY_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise NetworkError("Those details can't be changed here.")
    if tie.status == TieStatus.ENDED:
        raise NetworkError("This tie has ended; its history is kept but it can't be changed.")
    was_formal = requires_formal_consent(tie)
    for field, value in changes.items():
        setattr(tie, field, value.strip() if isinstance(value, str) else value)
    _validate(tie)
    tie.save(update_fields=list(changes))
    if requires_formal_consent(tie) != was_formal:
        Consent.objects.filter(tie=tie, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=ConsentEnd.SUPERSEDED
        )
        _initial_consent(tie)
    return tie


# A contact can be logged with someone who accepted (active) or is on a break (paused); not with
# someone still invited, nor with an ended tie.
CONTACTABLE_STATUSES = (TieStatus.ACTIVE, TieStatus.PAUSED)


_TRANSITIONS = {
    TieStatus.PAUSED: {TieStatus.ACTIVE},
    TieStatus.ACTIVE: {TieStatus.PAUSED},
    TieStatus.ENDED: {TieStatus.ACTIVE, TieStatus.PAUSED, TieStatus.INVITED},
}


def tie_set_status(*, tie: Tie, status: str, now: datetime | None = None) -> Tie:
    """Pause, resume or end a tie. Nothing is deleted: contacts and consents stay.

    Ending also cancels a pending invitation and ends the consent in force.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Tie.objects.select_for_update().get(pk=tie.pk)
        if locked.status not in _TRANSITIONS.get(status, set()):
            raise NetworkError(_transition_message(locked, status))
        locked.status = status
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at"])
        if status == TieStatus.ENDED:
            Invitation.objects.filter(tie=locked, status=InvitationStatus.PENDING).update(
                status=InvitationStatus.CANCELLED, responded_at=now
            )
            Consent.objects.filter(tie=locked, ended_at__isnull=True).update(
                ended_at=now, end_reason=ConsentEnd.TIE_ENDED
            )
    tie.status, tie.status_changed_at = locked.status, now
    return tie


def tie_leave(*, supporter: User, tie: Tie, now: datetime | None = None) -> Tie:
    """The supporter leaves the member's network: the tie ends (history kept) and the consent
    in force ends as "recipient left". The member is told neutrally, naming no one on the lock
    screen."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Tie.objects.select_for_update().filter(pk=tie.pk, supporter=supporter).first()
        if locked is None or locked.status not in CONTACTABLE_STATUSES:
            raise NetworkError("You are not part of this person's network any more.")
        locked.status = TieStatus.ENDED
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at"])
        Consent.objects.filter(tie=locked, ended_at__isnull=True).update(
            ended_at=now, end_reason=ConsentEnd.RECIPIENT_LEFT
        )
    _tell_member_supporter_left(tie)
    tie.status, tie.status_changed_at = locked.status, now
    return tie


def _transition_message(tie: Tie, status: str) -> str:
    if tie.status == TieStatus.ENDED:
        return "This tie has already ended. You can add the person again as a new tie."
    if tie.status == TieStatus.INVITED and status != TieStatus.ENDED:
        return "This person hasn't accepted your invitation yet."
    if tie.status == status:
        return f"This tie is already {tie.get_status_display().lower()}."
    return "That change isn't possible for this tie."


# --- Contacts ----------------------------------------------------------------------------------


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
    _validate(contact)
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
    _validate(contact)
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


@transaction.atomic(savepoint=False)
def contacts_sync_from_checkin(
    *,
    member: User,
    local_date: date,
    tie_ids: Iterable[str | uuid.UUID],
    meeting: bool,
    now: datetime | None = None,
) -> list[Contact]:
    """Make the member's contacts for ``local_date`` match who a check-in says they saw.

    Creates one contact per chosen active or paused tie of the member's (not one still invited,
    as ``contact_log`` refuses those) and one tie-less meeting, skipping
    any already logged that day by any route, so nothing is counted twice. Contacts an earlier
    check-in created and no longer chosen are removed; contacts logged by hand, from a reminder
    or by a supporter are never touched. Ids of ties that aren't the member's are ignored.
    Returns the new contacts. Three queries, whatever the number of ties.
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
    return created


def _valid_uuids(values: Iterable[str]) -> list[uuid.UUID]:
    valid = []
    for value in values:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return valid


SUPPORTER_LOG_LIMIT = 10  # per tie per day: a supporter can't flood a member's inbox


def _may_act_for(supporter: User, tie: Tie) -> bool:
    """Whether ``supporter`` may reach out through ``tie`` now: the access predicate holds.

    A therapist whose consent expired or was revoked, or whose verification is missing or was
    withdrawn, can no longer send kind words or log reaching out, like any ended tie.
    """
    return (
        tie.supporter_id == supporter.pk
        and Tie.objects.receivable().filter(pk=tie.pk, supporter=supporter).exists()
    )


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
    if not _may_act_for(supporter, tie):
        raise NetworkError("You can't log a contact for this person.")
    if method not in dict(LOGGABLE_METHODS):
        raise NetworkError("Choose how you reached out.")
    if not _within_rate(f"network:supporter-log:{tie.pk}", SUPPORTER_LOG_LIMIT, 86400):
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
    _validate(contact)
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


# --- Encouragement -----------------------------------------------------------------------------

ENCOURAGEMENT_TEMPLATES = (
    "Thinking of you today.",
    "I'm proud of you. One day at a time.",
    "You're not alone — I'm here if you want to talk.",
    "Just checking in. No need to reply.",
    "Every step counts. Keep going.",
)
ENCOURAGEMENT_LIMIT = 5  # per tie per day


def encouragement_send(*, supporter: User, tie: Tie, message: str) -> None:
    """Put a short kind message from a supporter in the member's inbox.

    The lock-screen text only says a message arrived; the words are shown inside the app.
    """
    message = message.strip()
    if not _may_act_for(supporter, tie):
        raise NetworkError("You can't send encouragement to this person.")
    if not message:
        raise NetworkError("Write a short message or choose one.")
    if len(message) > 280:
        raise NetworkError("Please keep it under 280 characters.")
    if not _within_rate(f"network:encourage:{tie.pk}", ENCOURAGEMENT_LIMIT, 86400):
        raise NetworkError("You've sent several messages today. Thank you — try again tomorrow.")
    notify(
        recipient=tie.member,
        kind=Kind.ENCOURAGEMENT,
        title=f"A message from {supporter.display_name}",
        body=f"{supporter.display_name} sent you a few kind words.",
        idempotency_key=f"network:encourage:{tie.pk}:{uuid.uuid4()}",
        action_url=reverse("network:encouragements"),
        data={"message": message, "from": supporter.display_name},
    )


def _within_rate(key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt in a fixed window; False once the limit is passed."""
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, window_seconds)
        return True


# --- Suggesting who to reach out to ---------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    tie: Tie
    # Facts from the data, never words put in anyone's mouth, e.g.
    # "Maria: your sponsor; you were last in touch 6 days ago."
    reason: str
    score: float


ROLE_NOUNS = {
    Role.THERAPIST: "your therapist",
    Role.SPONSOR: "your sponsor",
    Role.FAMILY: "a family member",
    Role.FRIEND: "your friend",
    Role.PEER: "a peer in recovery",
    Role.GROUP: "your group",
}
NEVER_CONTACTED_DAYS = 21  # ranks an untried tie high, but below someone silent for a month
STALENESS_CAP_DAYS = 30


def _role_phrase(tie: Tie) -> str:
    """'your sponsor', or the member's own label ('my sister' → 'your sister')."""
    label = tie.relationship_label.strip()
    if label.lower().startswith("my "):
        label = "your " + label[3:]
    return label or ROLE_NOUNS.get(tie.role, "in your network")


def suggest_reach_out(
    member: User, *, now: datetime | None = None, crisis: bool = False, limit: int = 3
) -> list[Suggestion]:
    """Rank the member's active ties for "reach out now", best first.

    Favours ties not contacted recently and those whose contacts helped (1–5 ratings). Ties
    marked "only in a crisis" appear only when ``crisis``. A supporter in their own quiet hours
    is skipped, or in a crisis ranked last; offline contacts have no known quiet hours.
    Two queries: the ties with their contact aggregates, the supporters' quiet hours.
    """
    now = now or timezone.now()
    ties = Tie.objects.active().filter(member=member).select_related("supporter")
    if not crisis:
        ties = ties.exclude(ease=Ease.CRISIS_ONLY)
    # The last contact is kept on the tie (network.stats); "did it help" averages the last
    # 180 days only, read through the (tie, -occurred_at) index: neither grows with history.
    recent_help = (
        Contact.objects.filter(
            tie=OuterRef("pk"), confirmed=True, occurred_at__gte=now - timedelta(days=180)
        )
        .order_by()
        .values("tie")
        .annotate(a=Avg("helped"))
        .values("a")
    )
    ties = ties.annotate(last_contact=F("last_contact_at"), avg_helped=Subquery(recent_help))
    ties = list(ties)
    quiet = quiet_hours_for(t.supporter_id for t in ties if t.supporter_id)
    suggestions = []
    for tie in ties:
        in_quiet = False
        if tie.supporter_id:
            start, end = quiet.get(tie.supporter_id, quiet_hours.DEFAULT)
            in_quiet = quiet_hours.inside(now.astimezone(tie.supporter.zone).time(), start, end)
        if in_quiet and not crisis:
            continue
        days = (now - tie.last_contact).days if tie.last_contact else None
        staleness = NEVER_CONTACTED_DAYS if days is None else min(days, STALENESS_CAP_DAYS)
        helped = float(tie.avg_helped) if tie.avg_helped is not None else None
        score = float(staleness)
        if helped is not None:
            score += (helped - 3) * 3  # a tie that helped a lot outweighs a few days
        if tie.ease == Ease.EASY:
            score += 2
        if crisis:
            score += 15 if tie.is_sos_contact else 0
            score += 5 if tie.role in (Role.SPONSOR, Role.THERAPIST) else 0
            score -= 40 if in_quiet else 0
        local = now.astimezone(tie.supporter.zone) if tie.supporter_id else None
        reason = _reason(tie, days, helped, crisis, local if in_quiet else None)
        suggestions.append(Suggestion(tie=tie, reason=reason, score=score))
    suggestions.sort(key=lambda s: (-s.score, s.tie.created_at))
    return suggestions[:limit]


def _reason(
    tie: Tie, days: int | None, helped: float | None, crisis: bool, quiet_local: datetime | None
) -> str:
    """Why this tie is suggested, as facts from the member's own data, joined by semicolons.

    Never a quote, a feeling or an intention of the supporter's ("said they are there for
    you", "would want to know"): nobody said those, and Rat Park must not put words in anyone's
    mouth. Only the role the member gave, their own SOS choice, their logged contacts and
    ratings, and the supporter's local time.
    """
    facts = [_role_phrase(tie)]
    if crisis and tie.is_sos_contact:
        facts.append("one of your SOS contacts")
    if days is None:
        facts.append("no contact logged yet")
    elif days == 0:
        facts.append("you were in touch today")
    elif days == 1:
        facts.append("you were last in touch yesterday")
    else:
        facts.append(f"you were last in touch {days} days ago")
    if helped is not None and helped >= 4:
        facts.append(f"you rated your recent contacts {helped:.1f} of 5 for helping")
    if crisis and quiet_local is not None:
        facts.append(f"it is {quiet_local:%H:%M} where they are, in their quiet hours")
    return f"{tie.name}: {'; '.join(facts)}."


DEPARTED_SUPPORTER_NAME = "A former supporter"


def end_ties_of_departing_user(user: User) -> int:
    """End every tie of ``user``'s, before their account is deleted, telling the other side.

    As a member: each supporter and therapist of theirs (active or paused tie) is told once
    that they closed their account (``_tell_supporters_member_left``); the ties themselves go
    with the account. As a supporter: consents in force on their ties end ("recipient left"),
    and each member whose open tie ends gets one neutral notification that names no one.
    Every such tie, open or already ended, is detached from the departing user (their display
    name is not kept), so the member's history and contacts stay. Returns how many open ties
    where they support someone ended. Call inside the transaction that deletes the user.
    """
    now = timezone.now()
    _tell_supporters_member_left(user, now)
    open_ties = list(Tie.objects.open().filter(supporter=user).select_related("member"))
    Tie.objects.filter(pk__in=[tie.pk for tie in open_ties]).update(
        status=TieStatus.ENDED, status_changed_at=now
    )
    # Consents to them end with the tie, as when a supporter leaves (tie_leave): the member's
    # history must not show "in force" for someone who has gone. Any tie, so a consent left
    # open on an older ended tie is closed too.
    Consent.objects.filter(tie__supporter=user, ended_at__isnull=True).update(
        ended_at=now, end_reason=ConsentEnd.RECIPIENT_LEFT
    )
    # Detach explicitly: the delete's SET NULL alone would break tie_has_supporter_or_name.
    Tie.objects.filter(supporter=user, offline_name="").update(offline_name=DEPARTED_SUPPORTER_NAME)
    Tie.objects.filter(supporter=user).update(supporter=None)
    for tie in open_ties:
        _tell_member_supporter_left(tie)
    return len(open_ties)


def _tell_supporters_member_left(member: User, now: datetime) -> None:
    """Tell each supporter and therapist of a departing member, once, without detail.

    Those who may be told about the member now (the access predicate) read "Sam has closed
    their Rat Park account"; the others on an active or paused tie (a paused tie, a therapist
    without a consent in force or whose verification is withdrawn) get the same news naming
    no one, as a revocation is told. The notice is not about the member in the database
    (no ``subject_member``), so it stays in the supporter's inbox after the account goes.
    """
    ties = list(
        Tie.objects.filter(member=member, status__in=CONTACTABLE_STATUSES, supporter__isnull=False)
        .select_related("supporter")
        .order_by("created_at")
    )
    named = set(Tie.objects.receivable(now).filter(member=member).values_list("pk", flat=True))
    for tie in ties:
        if tie.pk in named:
            title = f"{member.display_name} has closed their Rat Park account"
            body = f"{member.display_name} has closed their Rat Park account."
        else:
            title = "Someone you support has closed their Rat Park account"
            body = "Someone you support has closed their Rat Park account."
        notify(
            recipient=tie.supporter,
            kind=Kind.NETWORK,
            title=title[:140],
            body=body,
            # One tie per supporter and member while open: each is told exactly once.
            idempotency_key=f"network:member-left:{tie.pk}",
            action_url=reverse("network:supporting"),
        )


def _tell_member_supporter_left(tie: Tie) -> None:
    """One neutral, lock-screen-safe note to the member; it names no one.

    Leaving and account deletion share the key: a tie ends once, so the member is told once.
    """
    notify(
        recipient=tie.member,
        kind=Kind.NETWORK,
        title="A change in your network",
        body="Someone is no longer part of your support network on Rat Park.",
        idempotency_key=f"network:supporter-left:{tie.pk}",
        action_url=reverse("network:home"),
    )
