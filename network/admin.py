"""The network in the admin: enough for support, nothing that changes or reveals consent.

Everything here is read-only. What a supporter may see, and who the supporter is, change only
through the member's own pages and network services, which record a consent version for every
change; an admin edit would bypass that record. Staff see ties, invitations, consents and the
access log, never the words a member wrote to someone (an invitation's message) nor the
details of contacts (contacts are listed, not opened: their label names the way they met).
"""

from __future__ import annotations

from django.contrib import admin

from recovery.admin import ListOnlyAdmin, ReadOnlyAdmin

from .models import Consent, Contact, DisclosureEvent, Invitation, Tie


@admin.register(Tie)
class TieAdmin(ReadOnlyAdmin):
    """Read-only: sharing flags, nudge and SOS choices, the people and the status are consent.

    Editing any of them here (turning sharing on, re-opening an ended tie, pointing it at
    another account) would give someone access with no consent on record. The member's
    supporters' phone numbers and addresses are theirs, so they are not shown.
    """

    list_display = ["id", "member", "supporter", "offline_name", "role", "status", "created_at"]
    list_filter = ["role", "status"]
    list_select_related = ["member", "supporter"]
    search_fields = ["member__email", "supporter__email", "offline_name"]
    fields = readonly_fields = (
        "id",
        "member",
        "supporter",
        "offline_name",
        "role",
        "status",
        "share_checkin_status",
        "share_mood_craving",
        "share_use",
        "share_contacts",
        "share_notes",
        "may_nudge",
        "is_sos_contact",
        "created_at",
        "status_changed_at",
    )


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Delivery state of invitations; the member's personal message is not shown."""

    list_display = ["email", "member", "status", "sent_at", "expires_at", "send_count"]
    list_filter = ["status"]
    list_select_related = ["member"]
    search_fields = ["email", "member__email"]
    fields = readonly_fields = (
        "id",
        "member",
        "tie",
        "email",
        "status",
        "created_at",
        "sent_at",
        "send_count",
        "expires_at",
        "responded_at",
        "accepted_by",
    )


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """The consent record without the member's own words: a formal consent's purpose and the
    reason given for a revocation can describe their treatment, and support needs neither."""

    list_display = ["member", "recipient_name", "kind", "signed_at", "expires_at", "ended_at"]
    list_filter = ["kind", "end_reason"]
    list_select_related = ["member"]
    search_fields = ["member__email", "recipient_name"]
    exclude = ["purpose", "revocation_reason"]


@admin.register(DisclosureEvent)
class DisclosureEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "viewer_name", "member_name", "scope", "action"]
    list_filter = ["action", "scope"]
    search_fields = ["viewer_name", "member_name"]


@admin.register(Contact)
class ContactAdmin(ListOnlyAdmin):
    """Which members log contacts and when (support: "my contacts don't show"), not with whom,
    how, or whether it helped."""

    list_display = ["member", "local_date", "source", "confirmed", "created_at"]
    list_filter = ["source", "confirmed"]
    list_select_related = ["member"]
    search_fields = ["member__email"]
