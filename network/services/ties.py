"""Ties: adding an offline person, changing a tie, pausing, ending, leaving."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify

from ..consents import DEFAULT_SCOPES, consent_record_sharing, requires_formal_consent
from ..models import (
    SCOPE_FIELDS,
    Consent,
    ConsentEnd,
    Ease,
    Invitation,
    InvitationStatus,
    Tie,
    TieStatus,
)
from .errors import NetworkError, clean_or_raise


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
    clean_or_raise(tie)
    tie.save()
    tie_initial_consent(tie)
    return tie


def tie_initial_consent(tie: Tie) -> None:
    """Record what a new tie shares: the default scopes, or nothing for a therapist until the
    member signs a formal consent. For ties made here and from accepted invitations."""
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
    clean_or_raise(tie)
    tie.save(update_fields=list(changes))
    if requires_formal_consent(tie) != was_formal:
        Consent.objects.filter(tie=tie, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=ConsentEnd.SUPERSEDED
        )
        tie_initial_consent(tie)
    return tie


# A contact can be logged with someone who accepted (active) or is on a break (paused); not with
# someone still invited, nor with an ended tie.
CONTACTABLE_STATUSES = (TieStatus.ACTIVE, TieStatus.PAUSED)


# Keyed by the plain str a caller passes (a TieStatus equals its value).
_TRANSITIONS: dict[str, set[str]] = {
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
    tell_member_supporter_left(tie)
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


def tell_member_supporter_left(tie: Tie) -> None:
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
