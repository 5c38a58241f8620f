"""Access helpers every network view uses: objects are always found through the user."""

from __future__ import annotations

from django.http import Http404

from accounts.types import AuthenticatedHttpRequest
from recovery.csv import csv_response as _csv_response

from ..models import Contact, Invitation, Tie, TieStatus
from ..selectors import supporter_tie

# --- Access helpers ------------------------------------------------------------------------------


def _member_tie(request: AuthenticatedHttpRequest, tie_id) -> Tie:
    tie = Tie.objects.filter(pk=tie_id, member=request.user).select_related("supporter").first()
    if tie is None:
        raise Http404("No such tie in your network.")
    return tie


def _member_contact(request: AuthenticatedHttpRequest, contact_id) -> Contact:
    """A counted contact of the user's own; one awaiting their confirmation has its own flow."""
    contact = (
        Contact.objects.filter(pk=contact_id, member=request.user, confirmed=True)
        .select_related("member", "tie__supporter")
        .first()
    )
    if contact is None:
        raise Http404("No such contact.")
    return contact


def _member_invitation(request: AuthenticatedHttpRequest, invitation_id) -> Invitation:
    invitation = Invitation.objects.filter(pk=invitation_id, member=request.user).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def _supported_tie(request: AuthenticatedHttpRequest, tie_id) -> Tie:
    """The active tie in which the user supports someone; 404 for anyone else or any other state."""
    tie = supporter_tie(request.user, tie_id)
    if tie is None or tie.status != TieStatus.ACTIVE:
        raise Http404("No such person to support.")
    return tie


__all__ = [
    "_csv_response",
    "_member_contact",
    "_member_invitation",
    "_member_tie",
    "_supported_tie",
]
