from __future__ import annotations

from django.contrib import admin

from .models import Consent, Contact, DisclosureEvent, Invitation, Tie


@admin.register(Tie)
class TieAdmin(admin.ModelAdmin):
    list_display = ["id", "member", "supporter", "offline_name", "role", "status", "created_at"]
    list_filter = ["role", "status"]
    search_fields = ["member__email", "supporter__email", "offline_name"]
    raw_id_fields = ["member", "supporter"]
    readonly_fields = ["id", "created_at", "status_changed_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "member", "status", "sent_at", "expires_at", "send_count"]
    list_filter = ["status"]
    search_fields = ["email", "member__email"]
    raw_id_fields = ["tie", "member", "accepted_by"]
    readonly_fields = ["id", "token_hash", "created_at", "sent_at", "send_count", "responded_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History that staff may read but never change: consent records, the access log."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["member", "recipient_name", "kind", "signed_at", "expires_at", "ended_at"]
    list_filter = ["kind", "end_reason"]
    search_fields = ["member__email", "recipient_name"]


@admin.register(DisclosureEvent)
class DisclosureEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "viewer_name", "member_name", "scope", "action"]
    list_filter = ["action", "scope"]
    search_fields = ["viewer_name", "member_name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["member", "tie", "method", "occurred_at", "confirmed", "source"]
    list_filter = ["method", "source", "confirmed"]
    raw_id_fields = ["member", "tie"]
