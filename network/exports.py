"""The network part of a member's data export (see accounts.services.export_user_data)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

from .models import Contact, Tie


def export_user_data(user: User) -> dict[str, Any]:
    """Return the user's ties, the ties where they support someone, and their contacts.

    Where the user supports someone, only the fact of the tie is exported: the member's data
    belongs to the member. Supporters are named by display name, never by account email.
    """
    ties = Tie.objects.filter(member=user).select_related("supporter").order_by("created_at")
    supporting = Tie.objects.filter(supporter=user).select_related("member").order_by("created_at")
    contacts = Contact.objects.filter(member=user).order_by("occurred_at")
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
    }
