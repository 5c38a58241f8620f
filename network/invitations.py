"""Inviting a supporter by email: single-use, expiring, unguessable links."""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify
from recovery.ratelimit import within_rate

from .models import Consent, ConsentEnd, Invitation, InvitationStatus, Tie, TieStatus
from .services.errors import NetworkError, clean_or_raise
from .services.ties import tie_initial_consent

logger = logging.getLogger(__name__)

INVITATION_DAYS = getattr(settings, "NETWORK_INVITATION_DAYS", 14)
# Per member: enough for building a network in an evening, too few for spamming.
INVITES_PER_HOUR = 10
INVITES_PER_DAY = 30


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("network:invitation_respond", args=[token])


def _check_rate(member: User) -> None:
    hourly = within_rate(f"network:invite:h:{member.pk}", INVITES_PER_HOUR, 3600)
    daily = within_rate(f"network:invite:d:{member.pk}", INVITES_PER_DAY, 86400)
    if not (hourly and daily):
        raise NetworkError(
            "You've sent a lot of invitations in a short time. Please try again later."
        )


def _send_email(invitation: Invitation, token: str) -> None:
    """Email the link; a mail server failure is noted on ``invitation.email_sent``, not raised.

    The invitation is already saved when this runs (after commit): a failed send must not turn
    the member's request into an error, and they can re-send from *Invitations*.
    """
    try:
        _deliver(invitation, token)
    except (smtplib.SMTPException, OSError):
        logger.warning("Invitation %s: the email could not be sent", invitation.pk, exc_info=True)
        invitation.email_sent = False
    else:
        invitation.email_sent = True


def _deliver(invitation: Invitation, token: str) -> None:
    context = {
        "member_name": invitation.member.display_name,
        "message": invitation.message,
        "link": invitation_link(token),
        "expires_at": invitation.expires_at,
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"{invitation.member.display_name} invited you to Rat Park",
        message=render_to_string("network/emails/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
        html_message=render_to_string("network/emails/invitation.html", context),
    )


def invitation_create(
    *,
    member: User,
    email: str,
    name: str,
    role: str,
    relationship_label: str = "",
    message: str = "",
    now: datetime | None = None,
) -> tuple[Invitation, str]:
    """Create an invited tie and its invitation; email the link after commit.

    Returns the invitation and the raw token (only its hash is stored). Once the email has
    been tried, ``invitation.email_sent`` says whether it went (False: the mail server refused;
    the invitation stays and can be re-sent); it is None while the send waits for a commit.
    """
    now = now or timezone.now()
    email = User.objects.normalize_email(email.strip()).lower()
    if email == member.email.lower():
        raise NetworkError("You can't invite yourself. Invite someone who supports you.")
    if Tie.objects.open().filter(member=member, supporter__email__iexact=email).exists():
        raise NetworkError("That person is already in your network.")
    if Invitation.objects.pending().filter(member=member, email__iexact=email).exists():
        raise NetworkError("You've already invited this address. You can re-send that invitation.")
    _check_rate(member)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        tie = Tie(
            member=member,
            offline_name=name.strip() or email.split("@")[0],
            role=role,
            relationship_label=relationship_label.strip(),
            contact_email=email,
            status=TieStatus.INVITED,
            status_changed_at=now,
        )
        clean_or_raise(tie)
        tie.save()
        tie_initial_consent(tie)
        invitation = Invitation(
            tie=tie,
            member=member,
            email=email,
            message=message.strip(),
            token_hash=hash_token(token),
            created_at=now,
            sent_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        invitation.email_sent = None
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:
            # Two requests raced past the check above; the constraint kept one.
            raise NetworkError(
                "You've already invited this address. You can re-send that invitation."
            ) from None
        transaction.on_commit(lambda: _send_email(invitation, token))
    return invitation, token


def invitation_resend(*, invitation: Invitation, now: datetime | None = None) -> str:
    """Send a fresh link (the old one stops working) with a new expiry. Returns the token.

    ``invitation.email_sent`` then tells whether the email went, as for ``invitation_create``.
    """
    now = now or timezone.now()
    if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
        raise NetworkError("This invitation has already been answered or cancelled.")
    _check_rate(invitation.member)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, status__in=[InvitationStatus.PENDING, InvitationStatus.EXPIRED]
        ).update(
            token_hash=hash_token(token),
            status=InvitationStatus.PENDING,
            sent_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
            send_count=invitation.send_count + 1,
        )
        if not updated:
            raise NetworkError("This invitation has already been answered or cancelled.")
        invitation.refresh_from_db()
        invitation.email_sent = None
        transaction.on_commit(lambda: _send_email(invitation, token))
    return token


def invitation_cancel(*, invitation: Invitation, now: datetime | None = None) -> None:
    """Cancel a pending invitation; its tie ends (kept in history)."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, status__in=[InvitationStatus.PENDING, InvitationStatus.EXPIRED]
        ).update(status=InvitationStatus.CANCELLED, responded_at=now)
        if not updated:
            raise NetworkError("This invitation has already been answered or cancelled.")
        _end_invited_tie(invitation.tie_id, now)


def _end_invited_tie(tie_id, now: datetime) -> None:
    Tie.objects.filter(pk=tie_id, status=TieStatus.INVITED).update(
        status=TieStatus.ENDED, status_changed_at=now
    )
    Consent.objects.filter(tie_id=tie_id, ended_at__isnull=True).update(
        ended_at=now, end_reason=ConsentEnd.TIE_ENDED
    )


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("member", "tie")
        .filter(token_hash=hash_token(token))
        .first()
    )


def unusable_reason(invitation: Invitation | None, now: datetime | None = None) -> str:
    """Why a link can't be used, in words for the invitee; empty when it can be."""
    now = now or timezone.now()
    if invitation is None:
        return "This invitation link isn't valid. It may have been replaced by a newer one."
    if invitation.status == InvitationStatus.ACCEPTED:
        return "This invitation has already been accepted."
    if invitation.status == InvitationStatus.DECLINED:
        return "This invitation has already been declined."
    if invitation.status == InvitationStatus.CANCELLED:
        return "This invitation was cancelled."
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        return "This invitation has expired. You can ask for a new one."
    return ""


def invitation_addressed_to(invitation: Invitation, user: User) -> bool:
    """Whether ``invitation`` was sent to one of ``user``'s addresses (their account address or
    a verified one). A link still works for whoever holds it, since people have several
    addresses; when this is False the invitee is asked to confirm before accepting."""
    invited = invitation.email.lower()
    if user.email.lower() == invited:
        return True
    return EmailAddress.objects.filter(user=user, verified=True, email__iexact=invited).exists()


def _claim(token: str, user: User, now: datetime) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("member", "tie")
        .filter(token_hash=hash_token(token))
        .first()
    )
    reason = unusable_reason(invitation, now)
    if invitation is None or reason:  # a missing invitation always has a reason
        raise NetworkError(reason)
    if invitation.member_id == user.pk:
        raise NetworkError("This is your own invitation; send the link to the person you invited.")
    return invitation


def invitation_accept(*, token: str, user: User, now: datetime | None = None) -> Tie:
    """Accept: the invited tie becomes active and is linked to ``user``'s account."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = _claim(token, user, now)
        tie = invitation.tie
        tie.supporter = user
        tie.status = TieStatus.ACTIVE
        tie.status_changed_at = now
        try:
            with transaction.atomic():
                tie.save(update_fields=["supporter", "status", "status_changed_at"])
        except IntegrityError:
            raise NetworkError(
                f"You are already in {invitation.member.display_name}'s network."
            ) from None
        invitation.status = InvitationStatus.ACCEPTED
        invitation.accepted_by = user
        invitation.responded_at = now
        invitation.save(update_fields=["status", "accepted_by", "responded_at"])
        Consent.objects.filter(tie=tie, ended_at__isnull=True).update(
            recipient=user, recipient_name=user.display_name
        )
    notify(
        recipient=invitation.member,
        kind=Kind.NETWORK,
        title="Your invitation was accepted",
        body=f"{user.display_name} joined your support network.",
        idempotency_key=f"network:invitation:{invitation.pk}:outcome",
        action_url=reverse("network:home"),
    )
    return tie


def invitation_decline(*, token: str, user: User, now: datetime | None = None) -> Invitation:
    """Decline: the invited tie ends quietly; the member is told without blame."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = _claim(token, user, now)
        invitation.status = InvitationStatus.DECLINED
        invitation.responded_at = now
        invitation.save(update_fields=["status", "responded_at"])
        _end_invited_tie(invitation.tie_id, now)
    notify(
        recipient=invitation.member,
        kind=Kind.NETWORK,
        title="An invitation was answered",
        body="Someone you invited can't join your network right now. That's okay.",
        idempotency_key=f"network:invitation:{invitation.pk}:outcome",
        action_url=reverse("network:invitations"),
    )
    return invitation


def invitations_expire(*, now: datetime | None = None) -> int:
    """Mark pending invitations past their expiry as expired (the member can re-send)."""
    now = now or timezone.now()
    return Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now).update(
        status=InvitationStatus.EXPIRED
    )


# --- Finding the way back after sign-up --------------------------------------------------------
# An invitee without an account signs up, verifies their email (maybe in another browser, from
# their mail app) and logs in. allauth keeps ``?next=`` only within one flow, so the open
# invitation is also remembered in the invitee's (server-side) session.

PENDING_SESSION_KEY = "network:pending_invitation"


def pending_invitation_remember(session: MutableMapping[str, Any], token: str) -> None:
    session[PENDING_SESSION_KEY] = token


def pending_invitation_forget(session: MutableMapping[str, Any]) -> None:
    session.pop(PENDING_SESSION_KEY, None)


def pending_invitation_take(session: MutableMapping[str, Any]) -> str | None:
    """The address of the invitation remembered in ``session`` if it can still be answered.

    Taken once: a later login goes to the usual place even if the invitee didn't answer.
    """
    token = session.pop(PENDING_SESSION_KEY, None)
    if not token or unusable_reason(invitation_by_token(token)):
        return None
    return reverse("network:invitation_respond", args=[token])
