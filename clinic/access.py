"""Who may open the clinic: a verified therapist, signed in with a second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from accounts.types import AuthenticatedHttpRequest

from .middleware import mark_clinical


def has_second_factor(user) -> bool:
    return user.has_second_factor


def therapist_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Signed in, verified (not withdrawn) and enrolled in MFA; else a kind refusal or the
    enrolment page. Client data is never reached without all three."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_verified_therapist:
            return render(request, "clinic/not_verified.html", status=403)
        mark_clinical(request)
        if not has_second_factor(request.user):
            return redirect("clinic:mfa_required")
        return view(request, *args, **kwargs)

    return wrapper
