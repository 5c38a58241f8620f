from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from network.services.access import supporter_access
from network.services.suggestion import suggest_reach_out

from . import charts, markup, selectors, services
from .forms import (
    CheckInForm,
    QuestionnaireForm,
    ScheduleForm,
    SobrietyForm,
)
from .instruments import INSTRUMENTS, LEFT_OUT
from .models import CheckIn, QuestionnaireResponse, QuestionnaireSchedule

CLOSURE_KEY = "checkins_closure"
CLOSURE_SECONDS = 600
TREND_LINES = ("mood_chart", "craving_chart", "connected_chart")


def _parse_day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Http404("No such date.") from None


def _risk_context(request: AuthenticatedHttpRequest, checkin: CheckIn | None) -> dict:
    if checkin is None or not checkin.is_high_risk:
        return {}
    suggestions = suggest_reach_out(request.user, crisis=True, limit=1)
    return {"risk": True, "suggestion": suggestions[0] if suggestions else None}


@login_required
def today(request: AuthenticatedHttpRequest) -> HttpResponse:
    return day(request, selectors.local_today(request.user).isoformat())


@login_required
def day(request: AuthenticatedHttpRequest, date: str) -> HttpResponse:
    """Show, create or edit the member's own check-in for one local date."""
    member = request.user
    local_date = _parse_day(date)
    window = selectors.checkin_window(member)
    if local_date > window.today:
        messages.error(request, "That date is in the future. Here is today's check-in.")
        return redirect("checkins:today")
    checkin = CheckIn.objects.filter(member=member, local_date=local_date).first()
    editable = window.can_edit(local_date) if checkin else window.can_create(local_date)

    if request.method == "POST" and editable:
        form = CheckInForm(request.POST, instance=checkin, member=member)
        if form.is_valid():
            try:
                result = services.checkin_record(
                    member=member,
                    local_date=local_date,
                    values=form.checkin_values(),
                    connected_with=form.cleaned_data["connected_with"],
                    known_new=checkin is None,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                # The page after saving shows a closure card, not the form again; milestones
                # ride in it (never above a hard day's panel), so no flash messages here.
                response: HttpResponse = redirect("checkins:day", date=local_date.isoformat())
                _closure_set(response, member, local_date, created=result.created)
                return response
    elif request.method == "POST":
        messages.error(
            request,
            "This check-in can no longer be changed."
            if checkin
            else "It's too late to add a check-in for that day. You can check in for today.",
        )
        return redirect("checkins:day", date=local_date.isoformat())
    else:
        form = CheckInForm(instance=checkin, member=member)
        if checkin is not None:
            form.initial["connected_with"] = services.checkin_connected_with(checkin)

    closure = _closure_pop(request, member, local_date) if request.method == "GET" else None
    counters = selectors.counters(member, window.today)
    if closure is not None:
        # The same milestones the save celebrated (``services._celebrate``): same counters.
        reached = selectors.milestones_reached(counters, local_date)
        closure["milestones"] = [m.message for m in reached]
    context: dict[str, Any] = {
        "form": form,
        "checkin": checkin,
        "closure": closure if checkin is not None and request.GET.get("edit") is None else None,
        "local_date": local_date,
        "is_today": local_date == window.today,
        "editable": editable,
        "window": window,
        "counters": counters,
        "core_fields": ("mood", "craving", "used", "connectedness", "connected_with"),
    }
    context.update(_risk_context(request, checkin))
    if context["closure"] and not context.get("risk"):
        # One person to reach out to, one tap to call, text or log it.
        suggestions = suggest_reach_out(member, limit=1)
        context["closure_suggestion"] = suggestions[0] if suggestions else None
    started = counters.sobriety_started_on
    # Offer a restart after reported use, unless the member already restarted since.
    context["offer_restart"] = bool(
        checkin is not None and checkin.used and started and started < checkin.local_date
    )
    response = render(request, "checkins/day.html", context)
    if request.method == "GET" and CLOSURE_KEY in request.COOKIES:
        response.delete_cookie(CLOSURE_KEY, path=reverse("checkins:today"))
    return response


def _closure_set(response: HttpResponse, member, local_date: datetime.date, *, created: bool):
    """Ask the next page for the closure card, in a signed cookie rather than the session:
    saving the session would cost the POST a transaction of its own. It holds no health data
    (the milestones are worked out again from the counters) and lives for minutes."""
    value = json.dumps({"member": member.pk, "date": local_date.isoformat(), "created": created})
    response.set_signed_cookie(
        CLOSURE_KEY,
        value,
        salt=CLOSURE_KEY,
        max_age=CLOSURE_SECONDS,
        path=reverse("checkins:today"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _closure_pop(
    request: AuthenticatedHttpRequest, member, local_date: datetime.date
) -> dict | None:
    """The closure card asked for by the save just before, if it was this member's, this day's."""
    raw = request.get_signed_cookie(
        CLOSURE_KEY, default=None, salt=CLOSURE_KEY, max_age=CLOSURE_SECONDS
    )
    try:
        closure = json.loads(raw) if raw else None
    except ValueError:
        return None
    if (
        not isinstance(closure, dict)
        or closure.get("member") != member.pk
        or closure.get("date") != local_date.isoformat()
    ):
        return None
    return {"date": closure["date"], "created": bool(closure.get("created"))}


@login_required
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's own history: calendar, charts, weekly summary, counters, score trends."""
    member = request.user
    try:
        days = int(request.GET.get("range", 30))
    except ValueError:
        days = 30
    if days not in selectors.RANGES:
        days = 30
    today_ = selectors.local_today(member)
    h = selectors.history(member, today_, days)
    trends = charts.history_charts(h)
    scores = charts.score_charts(h)
    for item in scores:
        item["figure"] = markup.line_chart_html(item["chart"])
    context = {
        "days": days,
        "ranges": selectors.RANGES,
        "history": h,
        "summary": selectors.weekly_summary(h),
        "counters": selectors.counters(member, today_),
        "calendar_rows": markup.calendar_rows_html(
            charts.calendar_months(charts.calendar_weeks(h))
        ),
        "score_charts": scores,
        "trend_figures": [
            markup.bar_chart_html(trends["contacts_chart"]),
            *(markup.line_chart_html(trends[k]) for k in TREND_LINES),
        ],
    }
    return render(request, "checkins/history.html", context)


@login_required
def sobriety(request: AuthenticatedHttpRequest) -> HttpResponse:
    member = request.user
    today_ = selectors.local_today(member)
    form = SobrietyForm(request.POST or None, today=today_)
    if request.method == "POST":
        if request.POST.get("action") == "stop":
            services.sobriety_stop_counting(member=member, today=today_)
            messages.success(request, "Rat Park will not count days. Your history is kept.")
            return redirect("checkins:sobriety")
        if form.is_valid():
            services.sobriety_set(
                member=member, started_on=form.cleaned_data["started_on"], today=today_
            )
            messages.success(request, "Your sobriety date is saved.")
            return redirect("checkins:sobriety")
    counters = selectors.counters(member, today_)
    if counters.sobriety_started_on and not form.is_bound:
        form.initial["started_on"] = counters.sobriety_started_on
    periods = list(member.sobriety_periods.all()[:50])
    return render(
        request,
        "checkins/sobriety.html",
        {"form": form, "counters": counters, "periods": periods},
    )


@login_required
@require_POST
def sobriety_restart(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.sobriety_restart(member=request.user, today=selectors.local_today(request.user))
    messages.success(
        request,
        "Your sobriety date starts again today. Every check-in, every connection and every "
        "streak you built is still here.",
    )
    return redirect("checkins:today")


@login_required
def questionnaires(request: AuthenticatedHttpRequest) -> HttpResponse:
    member = request.user
    today_ = selectors.local_today(member)
    schedules = {
        s.instrument: s
        for s in QuestionnaireSchedule.objects.filter(member=member).select_related("created_by")
    }
    responses = list(
        QuestionnaireResponse.objects.filter(member=member).order_by("-completed_at")[:30]
    )
    instruments = [
        {
            "definition": definition,
            "schedule": schedules.get(key),
            "due": schedules[key].is_due(today_) if key in schedules else False,
            "form": ScheduleForm(
                initial={
                    "instrument": key,
                    "every_days": schedules[key].every_days if key in schedules else 30,
                }
            ),
        }
        for key, definition in INSTRUMENTS.items()
    ]
    return render(
        request,
        "checkins/questionnaires.html",
        {"instruments": instruments, "responses": responses, "left_out": LEFT_OUT},
    )


@login_required
def questionnaire_take(request: AuthenticatedHttpRequest, instrument: str) -> HttpResponse:
    definition = INSTRUMENTS.get(instrument)
    if definition is None:
        raise Http404("No such questionnaire.")
    form = QuestionnaireForm(request.POST or None, instrument=definition)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.questionnaire_submit(
                member=request.user, instrument=instrument, answers=form.answers()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("checkins:questionnaire_result", pk=response.pk)
    return render(
        request, "checkins/questionnaire_take.html", {"form": form, "definition": definition}
    )


def _get_response_for_user(
    request: AuthenticatedHttpRequest, pk: uuid.UUID
) -> QuestionnaireResponse:
    # Scores are shown to the member first and only: nobody else reaches this page.
    return get_object_or_404(QuestionnaireResponse, pk=pk, member=request.user)


@login_required
def questionnaire_result(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    response = _get_response_for_user(request, pk)
    definition = INSTRUMENTS[response.instrument]
    scores = definition.score(response.answers)
    answers = [
        (text, dict(definition.options).get(answer, answer))
        for text, answer in zip(definition.items, response.answers, strict=True)
    ]
    previous = (
        QuestionnaireResponse.objects.filter(
            member=request.user,
            instrument=response.instrument,
            completed_at__lt=response.completed_at,
        )
        .order_by("-completed_at")
        .first()
    )
    return render(
        request,
        "checkins/questionnaire_result.html",
        {
            "response": response,
            "definition": definition,
            "scores": scores,
            "answers": answers,
            "previous": previous,
        },
    )


@login_required
@require_POST
def questionnaire_schedule(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose a questionnaire and how often.")
        return redirect("checkins:questionnaires")
    member = request.user
    instrument = form.cleaned_data["instrument"]
    every_days = form.cleaned_data["every_days"]
    if every_days == 0:
        QuestionnaireSchedule.objects.filter(member=member, instrument=instrument).delete()
        messages.success(request, "That questionnaire is no longer scheduled.")
    else:
        services.questionnaire_schedule_set(
            member=member,
            instrument=instrument,
            every_days=every_days,
            created_by=member,
            today=selectors.local_today(member),
        )
        messages.success(request, "Schedule saved. It's due now, whenever you're ready.")
    return redirect("checkins:questionnaires")


# --- What a supporter or therapist may see ------------------------------------------------
# The supporter's page is network:supporting_member; it reads check-ins through
# selectors.shared_checkins under the network app's access decision.


@login_required
def shared(request: AuthenticatedHttpRequest, tie_id: uuid.UUID) -> HttpResponse:
    """The old address of the supporter's page: one page now shows everything shared."""
    return redirect("network:supporting_member", tie_id=tie_id)


@login_required
@require_POST
def therapist_schedule(request: AuthenticatedHttpRequest, tie_id: uuid.UUID) -> HttpResponse:
    """A verified therapist, under a formal consent in force, schedules a questionnaire.

    The member sees the schedule and answers when ready; the scores stay the member's.
    """
    access = supporter_access(request.user, tie_id)
    if access is None:
        raise Http404("Not found.")
    if not access.is_clinical:
        raise PermissionDenied("Only the member's verified therapist, with consent, can do this.")
    member = access.tie.member
    form = ScheduleForm(request.POST)
    if not form.is_valid() or form.cleaned_data["every_days"] == 0:
        messages.error(request, "Please choose a questionnaire and how often.")
    else:
        services.questionnaire_schedule_set(
            member=member,
            instrument=form.cleaned_data["instrument"],
            every_days=form.cleaned_data["every_days"],
            created_by=request.user,
            today=selectors.local_today(member),
        )
        messages.success(request, f"Scheduled. {member.display_name} will see it as due.")
    return redirect("network:supporting_member", tie_id=access.tie.pk)
