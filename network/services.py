"""Multi-step operations on the support network. Free of requests and HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from accounts.models import User

from .models import Ease, Tie, TieStatus


@dataclass(frozen=True)
class Suggestion:
    tie: Tie
    reason: (
        str  # one kind sentence, e.g. "You haven't talked with Maria, your sponsor, for 6 days."
    )
    score: float


def suggest_reach_out(
    member: User, *, now: datetime | None = None, crisis: bool = False, limit: int = 3
) -> list[Suggestion]:
    """Rank the member's active ties for "reach out now", best first.

    Placeholder ranking (least recently contacted first, crisis-only ties only in a crisis);
    the support-network issue replaces it with the full ranking, keeping this signature.
    """
    now = now or timezone.now()
    ties = Tie.objects.active().filter(member=member).select_related("supporter")
    if not crisis:
        ties = ties.exclude(ease=Ease.CRISIS_ONLY)
    ties = ties.annotate(last_contact=Max("contacts__occurred_at"))
    suggestions = []
    for tie in ties:
        days = (now - tie.last_contact).days if tie.last_contact else None
        if days is None:
            reason = f"You haven't logged a contact with {tie.name} yet."
        else:
            reason = f"You haven't talked with {tie.name} for {days} days."
        suggestions.append(Suggestion(tie=tie, reason=reason, score=float(days or 10_000)))
    suggestions.sort(key=lambda s: s.score, reverse=True)
    return suggestions[:limit]


def shared_scopes(viewer: User, member: User) -> frozenset[str]:
    """The scopes of ``member``'s data that ``viewer`` may see right now.

    Placeholder: an active tie's scopes. The support-network issue adds therapist consent
    (active, unexpired, unrevoked) and keeps this signature.
    """
    if viewer.pk == member.pk:
        raise ValueError("A member's own data is not a disclosure.")
    tie = Tie.objects.active().filter(member=member, supporter=viewer).first()
    return tie.scopes if tie else frozenset()


def record_disclosure(*, viewer: User, member: User, scope: str, action: str = "view") -> None:
    """Write one entry in the member's access log (accounting of disclosures).

    Placeholder: the support-network issue implements the append-only, hash-chained log.
    """


DEPARTED_SUPPORTER_NAME = "A former supporter"


def end_ties_of_departing_user(user: User) -> int:
    """End every tie where ``user`` supports someone, before their account is deleted.

    Each member whose open tie ends gets one neutral notification that names no one. Every
    tie, open or already ended, is detached from the departing user (their display name is
    not kept), so the member's history and contacts stay. Returns how many open ties ended.
    Call inside the transaction that deletes the user.
    """
    # Imported here: nudges builds on network, so a module-level import would be circular.
    from nudges.models import Kind
    from nudges.services import notify

    now = timezone.now()
    open_ties = list(Tie.objects.open().filter(supporter=user).select_related("member"))
    Tie.objects.filter(pk__in=[tie.pk for tie in open_ties]).update(
        status=TieStatus.ENDED, status_changed_at=now
    )
    # Detach explicitly: the delete's SET NULL alone would break tie_has_supporter_or_name.
    Tie.objects.filter(supporter=user, offline_name="").update(offline_name=DEPARTED_SUPPORTER_NAME)
    Tie.objects.filter(supporter=user).update(supporter=None)
    for tie in open_ties:
        notify(
            recipient=tie.member,
            kind=Kind.NETWORK,
            title="A change in your network",
            body="Someone is no longer part of your support network on Rat Park.",
            idempotency_key=f"network:supporter-left:{tie.pk}",
            action_url="",
        )
    return len(open_ties)
