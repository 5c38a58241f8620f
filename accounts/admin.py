from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone

from .models import TherapistProfile, User


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
    def verify(self, request, queryset):
        queryset.update(verified_at=timezone.now(), verified_by=request.user, revoked_at=None)

    @admin.action(description="Revoke clinician access")
    def revoke(self, request, queryset):
        queryset.update(revoked_at=timezone.now())
