"""Consent: what each supporter may see, as versioned records the member can review."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify

from .models import (
    CLINICAL_SCOPES,
    SCOPE_FIELDS,
    Consent,
    ConsentEnd,
    ConsentKind,
    Role,
    Scope,
    Tie,
)

PART2_DEFAULT_MONTHS = 12
EXPIRY_REMINDER_DAYS = 14
CONSENT_TEXT_VERSION = "2026-11"
# The exact wording the member signs, by version: a signed record names the version it saw.
CONSENT_TEXTS = {
    "2026-11": (
        "I, the person named below, allow Rat Park to let the clinician named above see the "
        "information I have ticked, for the purpose I have written, until the expiry date or "
        "event I have chosen. I understand that I may revoke this consent at any time in Rat "
        "Park, and that revoking stops further access immediately but cannot undo what was "
        "already seen. I understand that my substance use disorder information is protected "
        "by federal law (42 CFR Part 2) and that my treatment does not depend on signing."
    ),
}
# 42 CFR 2.32(a)(2), the short statement (2024 rule): on every page and export of shared data.
REDISCLOSURE_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
REDISCLOSURE_PLAIN = (
    "This was shared with you in confidence, because they trust you. Please keep it between you."
)

DEFAULT_SCOPES = frozenset({Scope.CHECKIN_STATUS})


def requires_formal_consent(tie: Tie) -> bool:
    return tie.role == Role.THERAPIST


def _apply_to_tie(tie: Tie, scopes: frozenset[str], may_nudge: bool, is_sos: bool) -> None:
    for scope, field in SCOPE_FIELDS.items():
        setattr(tie, field, scope in scopes)
    tie.may_nudge = may_nudge
    tie.is_sos_contact = is_sos
    tie.save(update_fields=[*SCOPE_FIELDS.values(), "may_nudge", "is_sos_contact"])


def _end_open(tie: Tie, reason: ConsentEnd, now: datetime) -> int:
    return Consent.objects.filter(tie=tie, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason
    )


def _clean_scopes(scopes) -> frozenset[str]:
    scopes = frozenset(scopes)
    unknown = scopes - set(Scope.values)
    if unknown:
        raise ValueError(f"Unknown scopes: {sorted(unknown)}")
    return scopes


@transaction.atomic
def consent_record_sharing(
    *,
    tie: Tie,
    scopes,
    may_nudge: bool,
    is_sos_contact: bool,
    now: datetime | None = None,
) -> Consent:
    """Record new sharing settings for a (non-therapist) tie, ending the previous version.

    The tie's share_* flags follow the new record at once, so access changes immediately.
    """
    if requires_formal_consent(tie):
        raise ValueError("A therapist's access needs a signed formal consent.")
    now = now or timezone.now()
    scopes = _clean_scopes(scopes)
    if scopes & CLINICAL_SCOPES:
        raise ValueError("Those kinds of information can only be shared under a formal consent.")
    _end_open(tie, ConsentEnd.SUPERSEDED, now)
    consent = Consent.objects.create(
        tie=tie,
        member_id=tie.member_id,
        recipient_id=tie.supporter_id,
        recipient_name=tie.name,
        kind=ConsentKind.SHARING,
        scopes=sorted(scopes),
        may_nudge=may_nudge,
        is_sos_contact=is_sos_contact,
        signed_at=now,
    )
    _apply_to_tie(tie, scopes, may_nudge, is_sos_contact)
    return consent


def default_part2_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=365 * PART2_DEFAULT_MONTHS // 12)


@transaction.atomic
def consent_sign_part2(
    *,
    tie: Tie,
    scopes,
    purpose: str,
    signature_name: str,
    expires_at: datetime | None,
    expiry_event: str = "",
    may_nudge: bool = False,
    is_sos_contact: bool = False,
    now: datetime | None = None,
) -> Consent:
    """Sign a formal consent for a therapist tie; it replaces any consent in force."""
    if not requires_formal_consent(tie):
        raise ValueError("Formal consent is for therapist ties.")
    now = now or timezone.now()
    scopes = _clean_scopes(scopes)
    if expires_at is not None and expires_at <= now:
        raise ValueError("The expiry date must be in the future.")
    _end_open(tie, ConsentEnd.SUPERSEDED, now)
    consent = Consent(
        tie=tie,
        member_id=tie.member_id,
        recipient_id=tie.supporter_id,
        recipient_name=tie.name,
        kind=ConsentKind.PART2,
        scopes=sorted(scopes),
        may_nudge=may_nudge,
        is_sos_contact=is_sos_contact,
        purpose=purpose.strip(),
        expires_at=expires_at,
        expiry_event=expiry_event.strip(),
        signature_name=signature_name.strip(),
        signed_at=now,
        text_version=CONSENT_TEXT_VERSION,
    )
    consent.full_clean()
    consent.save()
    _apply_to_tie(tie, scopes, may_nudge, is_sos_contact)
    return consent


def consent_revoke(*, consent: Consent, reason: str = "", now: datetime | None = None) -> bool:
    """Revoke a consent in force, effective immediately. Returns False if it had already ended.

    The recipient is told neutrally that their access changed; past disclosures stay logged.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ended = Consent.objects.filter(pk=consent.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=ConsentEnd.REVOKED, revocation_reason=reason.strip()[:300]
        )
        if not ended:
            return False
        tie = Tie.objects.select_for_update().get(pk=consent.tie_id)
        _apply_to_tie(tie, frozenset(), may_nudge=False, is_sos=False)
    if consent.recipient_id:
        recipient = User.objects.filter(pk=consent.recipient_id).first()
        if recipient is not None:
            notify(
                recipient=recipient,
                kind=Kind.NETWORK,
                title="A sharing setting changed",
                body="Someone you support changed what they share with you.",
                idempotency_key=f"network:consent:{consent.pk}:revoked",
                action_url=reverse("network:supporting"),
            )
    return True


def consents_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """End every consent past its expiry and remind members two weeks before. Idempotent.

    Returns (expired, reminded). Set-based: a few queries per run plus an inbox entry for the
    member (and, on expiry, for the recipient) per consent concerned; the idempotency keys
    make a second run add nothing. A consent that ends on an event has no date, so it is never
    ended here: the member revokes it, or the recipient leaves the member's network.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Consent.objects.select_for_update(skip_locked=True)
            .filter(ended_at__isnull=True, expires_at__lte=now)
            .values_list("pk", "tie_id")
        )
        ids = [pk for pk, _ in due]
        Consent.objects.filter(pk__in=ids, ended_at__isnull=True).update(
            ended_at=now, end_reason=ConsentEnd.EXPIRED
        )
        Tie.objects.filter(pk__in=[tie_id for _, tie_id in due]).update(
            **dict.fromkeys(SCOPE_FIELDS.values(), False), may_nudge=False, is_sos_contact=False
        )
    expired = Consent.objects.filter(pk__in=ids).select_related("member", "recipient")
    for consent in expired:
        notify(
            recipient=consent.member,
            kind=Kind.CONSENT,
            title="A consent has ended",
            body="A sharing consent reached its end date. You can renew it in Rat Park.",
            idempotency_key=f"network:consent:{consent.pk}:expired",
            action_url=reverse("network:consent_history"),
        )
        if consent.recipient is not None:
            # Told as neutrally as a revocation: who and what stay inside the app.
            notify(
                recipient=consent.recipient,
                kind=Kind.NETWORK,
                title="A sharing permission has ended",
                body="A permission someone gave you to see what they share has ended.",
                idempotency_key=f"network:consent:{consent.pk}:expired:recipient",
                action_url=reverse("network:supporting"),
            )

    soon = now + timedelta(days=EXPIRY_REMINDER_DAYS)
    to_remind = list(
        Consent.objects.filter(
            ended_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=soon,
            reminder_sent_at__isnull=True,
        ).select_related("member")
    )
    for consent in to_remind:
        notify(
            recipient=consent.member,
            kind=Kind.CONSENT,
            title="A consent ends soon",
            body="A sharing consent ends in less than two weeks. You can renew it in Rat Park.",
            idempotency_key=f"network:consent:{consent.pk}:reminder",
            action_url=reverse("network:consent_history"),
        )
    Consent.objects.filter(pk__in=[c.pk for c in to_remind]).update(reminder_sent_at=now)
    return len(ids), len(to_remind)
