"""Network pages. Every view finds its objects through an access helper scoped to the user."""

from .consent import (
    access_log,
    access_log_csv,
    consent_history_csv,
    consent_history_view,
    consent_part2,
    consent_revoke_view,
)
from .invitations import (
    invitation_cancel,
    invitation_create,
    invitation_list,
    invitation_resend,
    invitation_respond,
)
from .member import (
    contact_answer,
    contact_delete_view,
    contact_edit,
    contacts,
    encouragements,
    home,
    tie_add,
    tie_edit,
    tie_sharing,
    tie_status,
)
from .supporter import (
    encourage,
    supporter_log_contact,
    supporting,
    supporting_export,
    supporting_leave,
    supporting_member,
)

__all__ = [
    "access_log",
    "access_log_csv",
    "consent_history_csv",
    "consent_history_view",
    "consent_part2",
    "consent_revoke_view",
    "contact_answer",
    "contact_delete_view",
    "contact_edit",
    "contacts",
    "encourage",
    "encouragements",
    "home",
    "invitation_cancel",
    "invitation_create",
    "invitation_list",
    "invitation_resend",
    "invitation_respond",
    "supporter_log_contact",
    "supporting",
    "supporting_export",
    "supporting_leave",
    "supporting_member",
    "tie_add",
    "tie_edit",
    "tie_sharing",
    "tie_status",
]
