"""Suggesting who a member might reach out to, and why (facts only, never quotes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, F, OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.selectors import quiet_hours_for
from recovery import quiet_hours

from ..models import Contact, Ease, Role, Tie


@dataclass(frozen=True)
class Suggestion:
    tie: Tie
    # Facts from the data, never words put in anyone's mouth, e.g.
    # "Maria: your sponsor; you were last in touch 6 days ago."
    reason: str
    score: float


ROLE_NOUNS: dict[str, str] = {
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
