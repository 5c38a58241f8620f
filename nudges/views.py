"""SOS, the service worker and the web app manifest (the inbox, turning a stopped kind back
on and web push subscriptions are ``notifications.views``)."""

from __future__ import annotations

import datetime
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.types import AuthenticatedHttpRequest
from checkins.selectors import member_checkin
from network.selectors import sos_ties
from notifications.models import Kind, Notification
from notifications.views import get_notification_for_user

from . import services
from . import sos as sos_module
from .forms import SosForm, SosKindWordsForm, SosReachingOutForm
from .models import SosAlert


@login_required
@require_http_methods(["GET", "POST"])
def sos(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "I need support": tell the member's SOS contacts right now.

    GET shows the form (optional words, who will be told, the crisis lines). POST from the
    standing button sends at once; POST with a check-in is the hard check-in's SOS button.
    """
    form = SosForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        checkin = None
        if form.cleaned_data["checkin"]:
            checkin = member_checkin(request.user, form.cleaned_data["checkin"])
            if checkin is None:
                raise Http404("No such check-in.")
            today = request.user.local_now().date()
            if not checkin.is_high_risk or checkin.local_date < today - datetime.timedelta(days=1):
                messages.info(
                    request,
                    "SOS alerts go out from a recent hard check-in or from the “I need "
                    "support” button. If you need someone now, the crisis lines below are "
                    "there for you at any hour.",
                )
                return redirect("crisis")
        alert = services.sos_alert_open(
            member=request.user, checkin=checkin, message=form.cleaned_data["message"]
        )
        services.sos_alert_send(alert)
        return redirect("nudges:sos_status", alert.pk)
    if request.method == "POST" and "checkin" in form.errors:
        raise Http404("No such check-in.")
    context = {
        "form": form,
        # SOS contacts have accounts (an offline contact can't be one): the guard only says so.
        "contacts": [t.supporter.display_name for t in sos_ties(request.user) if t.supporter],
        "saved_words": services.sos_saved_words(request.user),
    }
    return render(request, "nudges/sos.html", context, status=400 if form.errors else 200)


def _member_alert(request: AuthenticatedHttpRequest, pk) -> SosAlert:
    alert = SosAlert.objects.filter(pk=pk, member=request.user).first()
    if alert is None:
        raise Http404("No such SOS.")
    return alert


def _status_context(alert: SosAlert) -> dict:
    return {
        "alert": alert,
        "answers": sos_module.answers_for(alert),
        "active": alert.is_active(),
    }


@login_required
@require_GET
def sos_status(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    """The member's SOS: who was told and who has answered (the answers refresh by themselves)."""
    return render(request, "nudges/sos_sent.html", _status_context(_member_alert(request, pk)))


@login_required
@require_GET
@never_cache
def sos_answers(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    """Just the answers, for the status page's polling (status 286 tells htmx to stop once
    the SOS is more than a day old)."""
    context = _status_context(_member_alert(request, pk))
    status = HTTPStatus.OK if context["active"] else 286
    return render(request, "nudges/_sos_answers.html", context, status=status)


@login_required
@require_GET
def sos_sent(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The older address of the SOS page: the member's latest SOS, or their Today."""
    alert = sos_module.latest_active_alert(request.user)
    if alert is None:
        return redirect("dashboard")
    return redirect("nudges:sos_status", alert.pk)


def _answer_target(request: AuthenticatedHttpRequest, pk) -> tuple[Notification, User]:
    """The SOS notification the supporter answers, and the member who asked for help."""
    notification = get_notification_for_user(request, pk)
    member = notification.subject_member
    # An SOS always names its member (and goes with them when they leave).
    if notification.kind != Kind.SOS or member is None:
        raise Http404("No such SOS.")
    return notification, member


@login_required
@require_POST
def sos_reaching_out(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification, member = _answer_target(request, pk)
    form = SosReachingOutForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how you're reaching out.")
        return redirect("dashboard")
    name = member.display_name
    try:
        new = sos_module.sos_reaching_out(
            supporter=request.user, notification=notification, method=form.cleaned_data["method"]
        )
    except sos_module.SosError as exc:
        messages.error(request, str(exc))
    else:
        if new:
            messages.success(request, f"Thank you. We've told {name} you're reaching out.")
        else:
            messages.info(request, f"{name} already knows you're reaching out.")
    return redirect("dashboard")


@login_required
@require_POST
def sos_kind_words(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification, member = _answer_target(request, pk)
    form = SosKindWordsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a few words (up to 280 characters).")
        return redirect("dashboard")
    try:
        sos_module.sos_kind_words(
            supporter=request.user, notification=notification, message=form.cleaned_data["message"]
        )
    except sos_module.SosError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sent to {member.display_name}.")
    return redirect("dashboard")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from our origin, allowed to control the whole site."""
    from django.contrib.staticfiles import finders

    path = finders.find("nudges/sw.js")
    if not isinstance(path, str):  # not collected: a deployment fault, not the visitor's
        raise Http404("No service worker.")
    with open(path, encoding="utf-8") as f:
        body = f.read()
    return HttpResponse(
        body,
        content_type="application/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME,
        "description": "Connection-first support in recovery.",
        "start_url": reverse("dashboard"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#fdfcf8",
        "theme_color": "#1d5c4b",
        "icons": [
            {"src": static("nudges/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("nudges/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("nudges/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")
