"""A member's support network: ties to supporters, the contacts made through them, the
consents that say what a tie shares, invitations and the access log.

One module per concept; every model and choice is importable from ``network.models``, where
Django looks for the app's models.
"""

from .access_log import AppendOnlyQuerySet, DisclosureAction, DisclosureEvent
from .invitations import Invitation, InvitationQuerySet, InvitationStatus
from .ties import (
    CLINICAL_SCOPES,
    LOGGABLE_METHODS,
    OPEN_STATUSES,
    SCOPE_FIELDS,
    SHARING_SCOPE_CHOICES,
    Consent,
    ConsentEnd,
    ConsentKind,
    ConsentQuerySet,
    Contact,
    ContactMethod,
    ContactQuerySet,
    ContactStats,
    Ease,
    MeetingWay,
    ReachMethod,
    Role,
    Scope,
    Tie,
    TieQuerySet,
    TieStatus,
    contact_method_label,
)

__all__ = [
    "CLINICAL_SCOPES",
    "LOGGABLE_METHODS",
    "OPEN_STATUSES",
    "SCOPE_FIELDS",
    "SHARING_SCOPE_CHOICES",
    "AppendOnlyQuerySet",
    "Consent",
    "ConsentEnd",
    "ConsentKind",
    "ConsentQuerySet",
    "Contact",
    "ContactMethod",
    "ContactQuerySet",
    "ContactStats",
    "DisclosureAction",
    "DisclosureEvent",
    "Ease",
    "Invitation",
    "InvitationQuerySet",
    "InvitationStatus",
    "MeetingWay",
    "ReachMethod",
    "Role",
    "Scope",
    "Tie",
    "TieQuerySet",
    "TieStatus",
    "contact_method_label",
]
