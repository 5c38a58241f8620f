"""The supporter's side: people I support, their shared data, encouragement."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest

from ..consents import REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN, requires_formal_consent
from ..forms import EncouragementForm, SupporterContactForm
from ..models import LOGGABLE_METHODS, DisclosureAction, Scope, Tie
from ..selectors import supported_ties, supporter_tie
from ..services.contacts import contact_log_by_supporter
from ..services.disclosure import shared_data_disclose
from ..services.encouragement import encouragement_send
from ..services.errors import NetworkError
from ..services.ties import CONTACTABLE_STATUSES, tie_leave
from ._common import _csv_response, _supported_tie

# --- The supporter's side -------------------------------------------------------------------------

# The questionnaires a therapist may schedule belong to the check-in app, a layer above: named
# here as a dotted path resolved when used (the registry mechanism of docs/architecture.md).
SCHEDULE_OPTIONS = "checkins.selectors.schedule_options"


@login_required
def supporting(request: AuthenticatedHttpRequest) -> HttpResponse:
    entries = [
        {"tie": tie, "scopes": [Scope(s).label for s in sorted(scopes)]}
        for tie, scopes in supported_ties(request.user)
    ]
    return render(
        request,
        "network/supporting.html",
        {
            "entries": entries,
            "encourage_form": EncouragementForm(),
            "contact_methods": LOGGABLE_METHODS,
        },
    )


def _back(request: HttpRequest, tie: Tie) -> HttpResponse:
    """Back where the supporter acted: the member's page or the list of people they support."""
    if request.POST.get("next") == "member":
        return redirect("network:supporting_member", tie.pk)
    if request.POST.get("next") == "today":
        return redirect("dashboard")
    return redirect("network:supporting")


@login_required
def supporting_member(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    access, data = shared_data_disclose(viewer=request.user, tie=tie, action=DisclosureAction.VIEW)
    context = {
        "tie": tie,
        "member": tie.member,
        "scopes": access.scopes,
        "data": data,
        # The 42 CFR Part 2 statement where Part 2 applies (a therapist); family and friends
        # get the plain, warmer request alone.
        "notice": REDISCLOSURE_NOTICE if requires_formal_consent(tie) else "",
        "notice_plain": REDISCLOSURE_PLAIN,
        "Scope": Scope,
        "contact_methods": LOGGABLE_METHODS,
        # A verified therapist under a formal consent may suggest a questionnaire (checkins).
        "schedule": import_string(SCHEDULE_OPTIONS)() if access.is_clinical else None,
    }
    return render(request, "network/supporting_member.html", context)


@login_required
def supporting_export(request: AuthenticatedHttpRequest, tie_id) -> StreamingHttpResponse:
    tie = _supported_tie(request, tie_id)
    access, data = shared_data_disclose(
        viewer=request.user, tie=tie, action=DisclosureAction.EXPORT
    )
    rows = []
    for day in data.checkin_days:
        for key, value in day.items():
            if key not in ("local_date", "mood_label"):
                rows.append([day["local_date"].isoformat(), key, value])
    if Scope.CHECKIN_STATUS in access.scopes:
        today = timezone.now().astimezone(tie.member.zone).date()  # the member's day, not ours
        rows.append([today.isoformat(), "checked_in_today", data.checked_in_today])
    for contact in data.contacts:
        rows.append([contact["local_date"].isoformat(), "contact", contact["method"]])
    if Scope.REACH in access.scopes and tie.member.phone:
        # The phone number the member shares with this person ("how to reach me").
        rows.append(["", "phone", tie.member.phone])
    return _csv_response(
        "rat-park-shared-data.csv",
        ["date", "item", "value"],
        rows,
        preface=[REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN],
    )


@login_required
@require_POST
def encourage(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    form = EncouragementForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or ["Choose a message or write your own."]:
            # An ErrorList yields its messages as str; the stubs also allow the errors.
            messages.error(request, str(error))
        return _back(request, tie)
    try:
        encouragement_send(supporter=request.user, tie=tie, message=form.cleaned_data["text"])
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sent to {tie.member.display_name}.")
    return _back(request, tie)


@login_required
@require_POST
def supporter_log_contact(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    form = SupporterContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how you reached out.")
        return _back(request, tie)
    try:
        contact_log_by_supporter(
            supporter=request.user, tie=tie, method=form.cleaned_data["method"]
        )
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        name = tie.member.display_name
        messages.success(request, f"Thanks for reaching out. {name} can confirm it.")
    return _back(request, tie)


@login_required
def supporting_leave(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    """Leave a member's network, after a confirmation page. Active or paused ties only."""
    tie = supporter_tie(request.user, tie_id)
    if tie is None or tie.status not in CONTACTABLE_STATUSES:
        raise Http404("No such person to support.")
    if request.method == "POST":
        try:
            tie_leave(supporter=request.user, tie=tie)
        except NetworkError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"You've left {tie.member.display_name}'s network.")
        return redirect("network:supporting")
    return render(request, "network/supporting_leave.html", {"tie": tie})
