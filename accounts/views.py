from __future__ import annotations

import json
from typing import TYPE_CHECKING

from allauth.account.decorators import reauthentication_required
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .forms import DeleteAccountForm, ProfileForm, TherapistApplicationForm
from .models import TherapistProfile
from .services import delete_account, export_user_data, therapist_apply
from .types import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from django.http import HttpRequest, QueryDict


def _data(request: HttpRequest) -> QueryDict | None:
    # Not ``request.POST or None``: an empty POST must still be validated (and fail).
    return request.POST if request.method == "POST" else None


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "accounts/dashboard.html")


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(_data(request), instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your settings are saved.")
        return redirect("account_settings")
    context = {
        "form": form,
        "therapist_profile": TherapistProfile.objects.filter(user=request.user).first(),
        "mfa_enabled": is_mfa_enabled(request.user),
        # The local demo's "Sent mail" page, for staff (only routed in DEBUG).
        "DEBUG_MAIL": reverse("dev_mail") if settings.DEBUG and request.user.is_staff else "",
    }
    return render(request, "accounts/settings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def therapist_application(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = TherapistProfile.objects.filter(user=request.user).first()
    editable = profile is None or (profile.verified_at is None and profile.revoked_at is None)
    form = TherapistApplicationForm(_data(request), instance=profile)
    if request.method == "POST" and editable and form.is_valid():
        try:
            therapist_apply(
                user=request.user,
                credential=form.cleaned_data["credential"],
                organisation=form.cleaned_data["organisation"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Thank you. An administrator will check your credential before "
                "you can see anything members share with clinicians.",
            )
            return redirect("account_settings")
    context = {"form": form, "profile": profile, "editable": editable}
    return render(request, "accounts/therapist_application.html", context)


@never_cache
@login_required
@require_GET
def account_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = export_user_data(request.user)
    filename = f"rat-park-export-{request.user.local_now():%Y-%m-%d}.json"
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(_data(request))
    if request.method == "POST" and form.is_valid():
        return _delete_confirmed(request)
    return render(request, "accounts/delete.html", {"form": form})


@reauthentication_required
def _delete_confirmed(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Unless the person confirmed it's them in the last few minutes, allauth stops here and
    # asks for their password (or authenticator code, see accounts.adapters), then replays
    # this POST.
    delete_account(request.user)
    logout(request)
    messages.success(request, "Your account and everything in it are deleted. Take care.")
    return redirect("home")
