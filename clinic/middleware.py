"""Therapist sessions: a shorter idle timeout, and they end when verification is withdrawn.
Staff: a second factor before the admin.

A session is marked clinical when a verified therapist signs in (``clinic.apps``) or opens
the clinic. Only marked sessions pay for the check: one query for the therapist profile.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

CLINICAL_SESSION_KEY = "clinic_verified_therapist"

# The pages outside the clinic that show a member's data to a supporter (the clinic's own pages
# check through ``clinic.access.therapist_required``); the weekly digest is a notification.
MEMBER_DATA_VIEWS = frozenset(
    {
        "network:supporting",
        "network:supporting_member",
        "network:supporting_export",
        "network:encourage",
        "checkins:shared",
        "checkins:therapist_schedule",
        "notifications:inbox",
        "notifications:detail",
        "notifications:respond",
    }
)


def mark_clinical(request: HttpRequest) -> None:
    request.session[CLINICAL_SESSION_KEY] = True
    request.session.set_expiry(settings.THERAPIST_IDLE_TIMEOUT_MINUTES * 60)


class ClinicianSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if (
            user is not None
            and user.is_authenticated
            and session is not None
            and session.get(CLINICAL_SESSION_KEY)
        ):
            if not user.is_verified_therapist:
                # Staff withdrew clinician access: this session ends now, whatever page.
                logout(request)
                messages.info(request, "Your clinician access changed, so you were signed out.")
                return redirect("account_login")
            request.session.set_expiry(settings.THERAPIST_IDLE_TIMEOUT_MINUTES * 60)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and settings.STAFF_ADMIN_REQUIRES_MFA
            and request.path.startswith(reverse("admin:index"))
        ):
            from .access import has_second_factor  # imported here: access imports this module

            if not has_second_factor(user):
                return redirect("clinic:mfa_required")
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """A verified therapist without a second factor is taken to enrolment from any page
        that shows a member's data to a supporter. The access predicate already refuses them
        the data (``access_for_tie``, ``Tie.objects.receivable``); this sends them where they
        can fix it instead of to an empty page."""
        user = getattr(request, "user", None)
        match = request.resolver_match
        if (
            user is None
            or not user.is_authenticated
            or match is None
            or match.view_name not in MEMBER_DATA_VIEWS
            # Marked at sign-in for verified therapists: no query for anyone else. One
            # verified later is still refused the data by the predicate.
            or not request.session.get(CLINICAL_SESSION_KEY)
            or not user.is_verified_therapist
            or user.has_second_factor
        ):
            return None
        return redirect("clinic:mfa_required")
