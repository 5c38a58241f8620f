"""The inbox, a message's page, the one-tap answers (logged in, or by a signed link), turning
a stopped kind back on, and a device's web push subscription.

Two names of higher apps reach these views as dotted paths (the registry mechanism of
docs/architecture.md), resolved when used:

- ``WITH_ACCESS``: annotates ``may_show`` on a queryset of notifications, whether each may
  still be shown to its recipient (a message about a member is withheld once the tie no
  longer receives it: the network app's access predicate, asked by the nudges app).
- ``DETAILS``: what a message's page shows beyond its title and text, by kind, recorded in
  the member's access log; its ``details_template`` draws it.

What a one-tap answer does beyond being recorded is ``services.ANSWER_HANDLERS``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.types import AuthenticatedHttpRequest
from recovery.jsonbody import json_text_fields

from . import links, markup, selectors, services
from .forms import PushSubscriptionForm, PushUnsubscribeForm
from .models import Channel, Kind, Mute, Notification, PushSubscription
from .tokens import ACTIONS, read_action_token, read_unsubscribe_token

# (notifications) -> the same queryset annotated with ``may_show``.
WITH_ACCESS = "nudges.selectors.with_access"
# (notification from WITH_ACCESS) -> extra context for ``detail.html``.
DETAILS = "nudges.services.notification_details"

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
WITHHELD = {"title": selectors.WITHHELD_TITLE, "body": selectors.WITHHELD_BODY}


def with_access(notifications: QuerySet[Notification]) -> QuerySet[selectors.ShownNotification]:
    return import_string(WITH_ACCESS)(notifications)


def get_notification_for_user(request: AuthenticatedHttpRequest, pk) -> selectors.ShownNotification:
    """The one access helper: a notification is only ever its recipient's."""
    notification = (
        with_access(Notification.objects.filter(pk=pk, recipient=request.user))
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
    notifications = list(with_access(mine).select_related("subject_member")[: INBOX_SIZE + 1])
    more = len(notifications) > INBOX_SIZE
    notifications = notifications[:INBOX_SIZE]
    # The inbox answers with forms, so its actions need no signed links.
    items = [(n, links.actions_for(n, absolute=False, signed=False)) for n in notifications]
    context = {
        "items": items,
        "items_html": markup.inbox_items_html(
            items, csrf_token=get_token(request), withheld=WITHHELD
        ),
        "older": selectors.inbox_cursor_for(notifications[-1]) if more else "",
        "is_older_page": older is not None,
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_GET
@never_cache
def unread_count(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = Notification.objects.for_recipient(request.user).unread().count()
    return render(request, "notifications/_unread_count.html", {"unread": count})


@login_required
@require_POST
def mark_read(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification = get_notification_for_user(request, pk)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if request.htmx:
        return HttpResponse(status=HTTPStatus.NO_CONTENT, headers={"HX-Trigger": "unread"})
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    Notification.objects.for_recipient(request.user).unread().update(read_at=timezone.now())
    messages.success(request, "All caught up.")
    return redirect("notifications:inbox")


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    notification = get_notification_for_user(request, pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    context: dict[str, Any] = {
        "notification": notification,
        "actions": links.actions_for(notification, absolute=False),
        "withheld": WITHHELD,
    }
    context.update(import_string(DETAILS)(notification))
    return render(request, "notifications/detail.html", context)


@login_required
@require_POST
def respond(request: AuthenticatedHttpRequest, pk, action: str) -> HttpResponse:
    notification = get_notification_for_user(request, pk)
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    services.notification_respond(notification=notification, action=action)
    messages.success(request, ACTION_DONE[action])
    return redirect("notifications:inbox")


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
        return render(request, "notifications/act_done.html", {"message": ACTION_DONE[action]})
    return render(
        request,
        "notifications/act_confirm.html",
        {"label": ACTION_PROMPT[action], "action": action},
    )


def _link_problem(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request, "notifications/act_done.html", {"message": message, "problem": True}, status=400
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
        services.unsubscribe(user=user, kind=kind)
        return render(
            request,
            "notifications/act_done.html",
            {"message": f"You won't get {label} emails any more."},
        )
    return render(
        request,
        "notifications/act_confirm.html",
        {"label": f"Stop {label} emails", "action": "unsubscribe"},
    )


@login_required
@require_POST
def unmute(request: AuthenticatedHttpRequest, kind: str, channel: str) -> HttpResponse:
    """Turn a stopped kind of message back on."""
    # Only names a mute can have reach the database (a NUL byte in the path would not).
    if kind not in Kind.values or channel not in (Mute.ALL, *Channel.values):
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
