from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone

from recovery.admin import DeclaredFiltersOnly

from .models import ContactPreferences, TherapistProfile, User

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from .types import AuthenticatedHttpRequest


@admin.register(User)
class UserAdmin(DeclaredFiltersOnly, BaseUserAdmin):
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


@admin.register(ContactPreferences)
class ContactPreferencesAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = ["user", "quiet_start", "quiet_end", "channel_email", "channel_push"]
    raw_id_fields = ["user"]
    search_fields = ["user__email"]


@admin.register(TherapistProfile)
class TherapistProfileAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = ["user", "credential", "organisation", "submitted_at", "verified_at"]
    list_select_related = ["user"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "credential", "organisation"]
    readonly_fields = ["verified_at", "verified_by", "revoked_at", "submitted_at"]
    actions = ["verify", "revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A verification vouches for one person's credential: it is never moved to another
            # account, and nobody edits the credential someone else verified for them.
            fields.append("user")
            if obj.user_id == request.user.pk:
                fields += ["credential", "organisation"]
        return fields

    @admin.action(description="Verify the selected therapists' credentials")
    def verify(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[TherapistProfile]
    ) -> None:
        # Four eyes: nobody vouches for their own credential, superuser or not.
        if queryset.filter(user=request.user).exists():
            self.message_user(
                request,
                "Your own profile was skipped: another administrator must verify it.",
                messages.WARNING,
            )
        count = queryset.exclude(user=request.user).update(
            verified_at=timezone.now(), verified_by=request.user, revoked_at=None
        )
        self.message_user(request, f"{count} credential(s) verified.")

    @admin.action(description="Revoke clinician access")
    def revoke(self, request: HttpRequest, queryset: QuerySet[TherapistProfile]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Clinician access revoked for {count} account(s).")


# allauth.mfa's own admin shows an authenticator's data: the TOTP secret and the recovery-code
# seed, in the clear. Replace it with one that shows only what support needs to help someone
# who lost their device: which kinds they have, and when they were added and last used.
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    """Second factors: staff may see that one exists and remove it, never read its secret."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = readonly_fields = ("user", "type", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Authenticator) -> None:
        super().delete_model(request, obj)
        _delete_dangling_recovery_codes([obj.user_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Authenticator]) -> None:
        user_ids = list(queryset.values_list("user_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        _delete_dangling_recovery_codes(user_ids)


def _delete_dangling_recovery_codes(user_ids: list[int]) -> None:
    """Recovery codes alone are no second factor: drop them with the last real one (as allauth's
    own deactivation does), so the member can sign in with their password and enrol again."""
    real = Authenticator.objects.exclude(type=Authenticator.Type.RECOVERY_CODES)
    Authenticator.objects.filter(
        user_id__in=user_ids, type=Authenticator.Type.RECOVERY_CODES
    ).exclude(user_id__in=real.filter(user_id__in=user_ids).values("user_id")).delete()
