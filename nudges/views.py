"""The inbox, one-tap answers (signed links or logged in), SOS, preferences and web push."""

from __future__ import annotations

import datetime
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.types import AuthenticatedHttpRequest
from checkins.selectors import member_checkin
from network.selectors import sos_ties
from notifications import links
from notifications import services as notifications_services
from notifications.models import Kind, Mute, Notification, PushSubscription
from notifications.tokens import ACTIONS, read_action_token, read_unsubscribe_token
from recovery.jsonbody import json_text_fields

from . import markup, selectors, services
from . import sos as sos_module
from .forms import (
    PushSubscriptionForm,
    PushUnsubscribeForm,
    SosForm,
    SosKindWordsForm,
    SosReachingOutForm,
)
from .models import SosAlert

# A page of the inbox: the same cost with 30 messages kept or 3,000 (older ones page on).
INBOX_SIZE = 20
ACTION_DONE = {
    "reached_out": "Thank you for reaching out. We've added it to your contact log.",
    "snooze": "Done. We'll give you a day's quiet from prompts.",
    "stop": "Done. You won't get this kind of message any more. You can turn it back on in "
    "your settings.",
}
ACTION_PROMPT = {
    "reached_out": "Log that you reached out",
    "snooze": "Pause prompts for a day",
    "stop": "Stop this kind of message",
}


def _get_notification_for_user(request: AuthenticatedHttpRequest, pk) -> Notification:
    """The one access helper: a notification is only ever its recipient's."""
    notification = (
        selectors.with_access(Notification.objects.filter(pk=pk, recipient=request.user))
        .select_related("subject_member")
        .first()
    )
    if notification is None:
        raise Http404("No such notification.")
    return notification


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The newest ``INBOX_SIZE`` messages, then older ones a page at a time (``?older=``, the
    last one shown): one bounded query whatever the number kept."""
    mine = Notification.objects.for_recipient(request.user).order_by("-created_at", "-id")
    older = selectors.inbox_cursor(request.GET.get("older", ""))
    if older is not None:
        mine = selectors.older_than(mine, *older)
    notifications = list(
        selectors.with_access(mine).select_related("subject_member")[: INBOX_SIZE + 1]
    )
    more = len(notifications) > INBOX_SIZE
    notifications = notifications[:INBOX_SIZE]
    # The inbox answers with forms, so its actions need no signed links.
    items = [(n, links.actions_for(n, absolute=False, signed=False)) for n in notifications]
    withheld = {"title": selectors.WITHHELD_TITLE, "body": selectors.WITHHELD_BODY}
    context = {
        "items": items,
        "items_html": markup.inbox_items_html(
            items, csrf_token=get_token(request), withheld=withheld
        ),
        "older": selectors.inbox_cursor_for(notifications[-1]) if more else "",
        "is_older_page": older is not None,
    }
    return render(request, "nudges/inbox.html", context)


@login_required
@require_GET
@never_cache
def unread_count(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = Notification.objects.for_recipient(request.user).unread().count()
    return render(request, "nudges/_unread_count.html", {"unread": count})


@login_required
@require_POST
def mark_read(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification = _get_notification_for_user(request, pk)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if request.htmx:
        return HttpResponse(status=HTTPStatus.NO_CONTENT, headers={"HX-Trigger": "unread"})
    return redirect("nudges:inbox")


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    Notification.objects.for_recipient(request.user).unread().update(read_at=timezone.now())
    messages.success(request, "All caught up.")
    return redirect("nudges:inbox")


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification = _get_notification_for_user(request, pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    context = {
        "notification": notification,
        "actions": links.actions_for(notification, absolute=False),
        "withheld": {"title": selectors.WITHHELD_TITLE, "body": selectors.WITHHELD_BODY},
    }
    context.update(services.notification_details(notification))
    return render(request, "nudges/detail.html", context)


@login_required
@require_POST
def respond(request: AuthenticatedHttpRequest, pk, action: str) -> HttpResponse:
    notification = _get_notification_for_user(request, pk)
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    services.notification_respond(notification=notification, action=action)
    messages.success(request, ACTION_DONE[action])
    return redirect("nudges:inbox")


@require_http_methods(["GET", "POST"])
def act(request: HttpRequest, token: str) -> HttpResponse:
    """A signed link from an email or push: one action, no login, then a friendly page.

    GET shows one button and POST performs it, so link scanners in mail systems that fetch
    every URL cannot log a contact or stop reminders on the member's behalf.
    """
    try:
        notification_id, action = read_action_token(token)
    except signing.SignatureExpired:
        return _link_problem(request, "This link has expired. Log in to see your messages.")
    except signing.BadSignature:
        return _link_problem(request, "This link isn't valid. Log in to see your messages.")
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return _link_problem(request, "This message no longer exists.")
    if request.method == "POST":
        services.notification_respond(notification=notification, action=action)
        return render(request, "nudges/act_done.html", {"message": ACTION_DONE[action]})
    return render(
        request, "nudges/act_confirm.html", {"label": ACTION_PROMPT[action], "action": action}
    )


def _link_problem(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request, "nudges/act_done.html", {"message": message, "problem": True}, status=400
    )


@csrf_exempt  # RFC 8058 one-click unsubscribe: mail providers POST without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, kind = read_unsubscribe_token(token)
    except signing.BadSignature:
        return _link_problem(request, "This unsubscribe link isn't valid.")
    if kind not in Kind.values:
        return _link_problem(request, "This unsubscribe link isn't valid.")
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return _link_problem(request, "This account no longer exists.")
    label = Kind(kind).label.lower()
    if request.method == "POST":
        notifications_services.unsubscribe(user=user, kind=kind)
        return render(
            request,
            "nudges/act_done.html",
            {"message": f"You won't get {label} emails any more."},
        )
    return render(
        request,
        "nudges/act_confirm.html",
        {"label": f"Stop {label} emails", "action": "unsubscribe"},
    )


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
        "contacts": [t.supporter.display_name for t in sos_ties(request.user)],
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


def _answer_target(request: AuthenticatedHttpRequest, pk) -> Notification:
    notification = _get_notification_for_user(request, pk)
    if notification.kind != Kind.SOS:
        raise Http404("No such SOS.")
    return notification


@login_required
@require_POST
def sos_reaching_out(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification = _answer_target(request, pk)
    form = SosReachingOutForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how you're reaching out.")
        return redirect("dashboard")
    name = notification.subject_member.display_name
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
    notification = _answer_target(request, pk)
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
        messages.success(request, f"Sent to {notification.subject_member.display_name}.")
    return redirect("dashboard")


@login_required
@require_POST
def unmute(request: AuthenticatedHttpRequest, kind: str, channel: str) -> HttpResponse:
    """Turn a stopped kind of message back on."""
    # Only names a mute can have reach the database (a NUL byte in the path would not).
    if kind not in Kind.values or channel not in dict(Mute._meta.get_field("channel").choices):
        raise Http404("Nothing to turn back on.")
    deleted, _ = Mute.objects.filter(user=request.user, kind=kind, channel=channel).delete()
    if not deleted:
        raise Http404("Nothing to turn back on.")
    messages.success(request, "Turned back on.")
    return redirect("nudges:preferences")


PUSH_SUBSCRIPTION = {
    "endpoint": ("endpoint",),
    "p256dh": ("keys", "p256dh"),
    "auth": ("keys", "auth"),
}
NOT_A_SUBSCRIPTION = "Not a push subscription."


@login_required
@require_POST
def push_subscribe(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PushSubscriptionForm(json_text_fields(request.body, PUSH_SUBSCRIPTION))
    if not form.is_valid():
        return JsonResponse({"error": NOT_A_SUBSCRIPTION}, status=400)
    services.push_subscribe(user=request.user, **form.cleaned_data)
    return JsonResponse({"ok": True}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PushUnsubscribeForm(json_text_fields(request.body, {"endpoint": ("endpoint",)}))
    if not form.is_valid():
        return JsonResponse({"error": NOT_A_SUBSCRIPTION}, status=400)
    PushSubscription.objects.filter(
        user=request.user, endpoint=form.cleaned_data["endpoint"]
    ).delete()
    return JsonResponse({"ok": True})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from our origin, allowed to control the whole site."""
    from django.contrib.staticfiles import finders

    path = finders.find("nudges/sw.js")
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
