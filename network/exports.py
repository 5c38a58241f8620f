"""The network part of a member's data export (see accounts.services.export_user_data)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import Consent, Contact, DisclosureEvent, Invitation, Tie


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict[str, Any]:
    """Return the user's ties, the ties where they support someone, and their contacts.

    Where the user supports someone, only the fact of the tie is exported: the member's data
    belongs to the member. Supporters are named by display name, never by account email.
    Also: every version of the consents the user gave, the invitations they sent (never a
    token: only hashes are stored) and the access log of who saw their shared data.
    Constant-query: one query per section.
    """
    ties = Tie.objects.filter(member=user).select_related("supporter").order_by("created_at")
    supporting = Tie.objects.filter(supporter=user).select_related("member").order_by("created_at")
    contacts = Contact.objects.filter(member=user).order_by("occurred_at")
    consents = Consent.objects.filter(member=user).order_by("signed_at")
    invitations = Invitation.objects.filter(member=user).order_by("created_at")
    disclosures = DisclosureEvent.objects.filter(member_ref=user.pk).order_by("id")
    return {
        "ties": [
            {
                "id": str(tie.id),
                "name": tie.name,
                "is_rat_park_user": tie.supporter_id is not None,
                "phone": tie.phone,
                "contact_email": tie.contact_email,
                "role": tie.role,
                "relationship_label": tie.relationship_label,
                "ease": tie.ease,
                "reach_methods": tie.reach_methods,
                "status": tie.status,
                "shares": sorted(tie.scopes),
                "may_nudge": tie.may_nudge,
                "is_sos_contact": tie.is_sos_contact,
                "created_at": tie.created_at.isoformat(),
                "status_changed_at": tie.status_changed_at.isoformat(),
            }
            for tie in ties
        ],
        "supporting": [
            {
                "member": tie.member.display_name,
                "role": tie.role,
                "status": tie.status,
                "created_at": tie.created_at.isoformat(),
            }
            for tie in supporting
        ],
        "contacts": [
            {
                "id": str(contact.id),
                "tie_id": str(contact.tie_id) if contact.tie_id else None,
                "method": contact.method,
                "meeting_way": contact.meeting_way,
                "occurred_at": contact.occurred_at.isoformat(),
                "local_date": contact.local_date.isoformat(),
                "duration_minutes": contact.duration_minutes,
                "helped": contact.helped,
                "initiated_by": contact.initiated_by,
                "source": contact.source,
                "confirmed": contact.confirmed,
            }
            for contact in contacts
        ],
        "consents": [
            {
                "id": str(consent.id),
                "tie_id": str(consent.tie_id),
                "recipient": consent.recipient_name,
                "kind": consent.kind,
                "scopes": consent.scopes,
                "may_nudge": consent.may_nudge,
                "is_sos_contact": consent.is_sos_contact,
                "purpose": consent.purpose,
                "expires_at": _iso(consent.expires_at),
                "expiry_event": consent.expiry_event,
                "signature_name": consent.signature_name,
                "signed_at": consent.signed_at.isoformat(),
                "text_version": consent.text_version,
                "ended_at": _iso(consent.ended_at),
                "end_reason": consent.end_reason,
                "revocation_reason": consent.revocation_reason,
            }
            for consent in consents
        ],
        "invitations_sent": [
            {
                "id": str(invitation.id),
                "email": invitation.email,
                "message": invitation.message,
                "status": invitation.status,
                "created_at": invitation.created_at.isoformat(),
                "sent_at": invitation.sent_at.isoformat(),
                "expires_at": invitation.expires_at.isoformat(),
                "responded_at": _iso(invitation.responded_at),
            }
            for invitation in invitations
        ],
        "access_log": [
            {
                "occurred_at": event.occurred_at.isoformat(),
                "viewer": event.viewer_name,
                "scope": event.scope,
                "action": event.action,
                "consent_id": event.consent_ref or None,
                "hash": event.hash,
            }
            for event in disclosures
        ],
    }
