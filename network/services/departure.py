"""What happens to ties when an account is deleted (``accounts.DELETION_HANDLERS``)."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify

from ..models import Consent, ConsentEnd, Tie, TieStatus
from .ties import CONTACTABLE_STATUSES, tell_member_supporter_left

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
        tell_member_supporter_left(tie)
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
