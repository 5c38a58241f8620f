"""The support-network part of a member's data export (GDPR Art. 15/20)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import Consent, Contact, DisclosureEvent, Invitation, Tie


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict[str, Any]:
    """Everything the network app holds about ``user``, as JSON-ready values.

    Ties they support others through are listed without the other member's data: only the
    member's display name and the tie's role and status, which the user already sees.
    Invitation tokens are never exported (only hashes are stored anyway).
    """
    ties = Tie.objects.filter(member=user).select_related("supporter")
    supporting = Tie.objects.filter(supporter=user).select_related("member")
    return {
        "ties": [
            {
                "id": str(t.pk),
                "name": t.name,
                "is_rat_park_user": t.supporter_id is not None,
                "phone": t.phone,
                "contact_email": t.contact_email,
                "role": t.role,
                "relationship_label": t.relationship_label,
                "ease": t.ease,
                "reach_methods": t.reach_methods,
                "status": t.status,
                "scopes": sorted(t.scopes),
                "may_nudge": t.may_nudge,
                "is_sos_contact": t.is_sos_contact,
                "created_at": _iso(t.created_at),
                "status_changed_at": _iso(t.status_changed_at),
            }
            for t in ties
        ],
        "supporting": [
            {
                "member": t.member.display_name,
                "role": t.role,
                "status": t.status,
                "created_at": _iso(t.created_at),
            }
            for t in supporting
        ],
        "contacts": [
            {
                "id": str(c.pk),
                "tie_id": str(c.tie_id) if c.tie_id else None,
                "method": c.method,
                "occurred_at": _iso(c.occurred_at),
                "local_date": c.local_date.isoformat(),
                "duration_minutes": c.duration_minutes,
                "helped": c.helped,
                "initiated_by": c.initiated_by,
                "source": c.source,
                "confirmed": c.confirmed,
            }
            for c in Contact.objects.filter(member=user).order_by("occurred_at")
        ],
        "consents": [
            {
                "id": str(c.pk),
                "tie_id": str(c.tie_id),
                "recipient": c.recipient_name,
                "kind": c.kind,
                "scopes": c.scopes,
                "may_nudge": c.may_nudge,
                "is_sos_contact": c.is_sos_contact,
                "purpose": c.purpose,
                "expires_at": _iso(c.expires_at),
                "expiry_event": c.expiry_event,
                "signature_name": c.signature_name,
                "signed_at": _iso(c.signed_at),
                "text_version": c.text_version,
                "ended_at": _iso(c.ended_at),
                "end_reason": c.end_reason,
                "revocation_reason": c.revocation_reason,
            }
            for c in Consent.objects.filter(member=user).order_by("signed_at")
        ],
        "invitations_sent": [
            {
                "id": str(i.pk),
                "email": i.email,
                "message": i.message,
                "status": i.status,
                "created_at": _iso(i.created_at),
                "sent_at": _iso(i.sent_at),
                "expires_at": _iso(i.expires_at),
                "responded_at": _iso(i.responded_at),
            }
            for i in Invitation.objects.filter(member=user).order_by("created_at")
        ],
        "access_log": [
            {
                "occurred_at": _iso(e.occurred_at),
                "viewer": e.viewer_name,
                "scope": e.scope,
                "action": e.action,
                "consent_id": e.consent_ref or None,
                "hash": e.hash,
            }
            for e in DisclosureEvent.objects.filter(member_ref=user.pk).order_by("id")
        ],
    }
