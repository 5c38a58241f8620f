"""Organisations: who administers one, and its roster (counts of clients only, never who)."""

from __future__ import annotations

import datetime

from django.db.models import Count

from accounts.models import User
from network.models import Role, Tie

from .models import Organisation


def administered_organisation(viewer: User, org_id: int | str) -> Organisation | None:
    """The organisation ``org_id`` if ``viewer`` is one of its admins; None otherwise."""
    try:
        pk = int(org_id)
    except (TypeError, ValueError):
        return None
    return Organisation.objects.filter(
        pk=pk, memberships__user=viewer, memberships__is_admin=True
    ).first()


def organisation_roster(org: Organisation, now: datetime.datetime | None = None) -> list[dict]:
    """Each therapist in the organisation and how many clients share with them under a formal
    consent in force: counts only, never who. Two queries."""
    members = list(
        org.memberships.select_related("user__therapist_profile").order_by("user__display_name")
    )
    counts = dict(
        Tie.objects.receivable(now)
        .filter(role=Role.THERAPIST, supporter__in=[m.user_id for m in members])
        .values("supporter_id")
        .annotate(n=Count("id"))
        .values_list("supporter_id", "n")
    )
    return [
        {
            "name": m.user.display_name,
            "is_admin": m.is_admin,
            "verified": m.user.is_verified_therapist,
            "clients": counts.get(m.user_id, 0),
        }
        for m in members
    ]
