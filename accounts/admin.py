from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone

from .models import TherapistProfile, User

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "time_zone", "language"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "display_name", "password1", "password2"]})]


@admin.register(TherapistProfile)
class TherapistProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "credential", "organisation", "submitted_at", "verified_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "credential", "organisation"]
    readonly_fields = ["verified_at", "verified_by", "revoked_at", "submitted_at"]
    actions = ["verify", "revoke"]

    @admin.action(description="Verify the selected therapists' credentials")
    def verify(self, request: HttpRequest, queryset: QuerySet[TherapistProfile]) -> None:
        count = queryset.update(
            verified_at=timezone.now(), verified_by=request.user, revoked_at=None
        )
        self.message_user(request, f"{count} credential(s) verified.")

    @admin.action(description="Revoke clinician access")
    def revoke(self, request: HttpRequest, queryset: QuerySet[TherapistProfile]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Clinician access revoked for {count} account(s).")
