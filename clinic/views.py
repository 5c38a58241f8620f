"""The clinic: a verified therapist's caseload, one client's history, and its exports."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from network.consents import REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN
from network.models import DisclosureAction, Scope
from network.services import record_disclosures_for_tie, record_disclosures_for_ties

from . import charts, exports, history, selectors
from .access import therapist_required


@therapist_required
def caseload(request: HttpRequest) -> HttpResponse:
    data = selectors.caseload(request.user)
    sort = request.GET.get("sort", "flag")
    only = request.GET.get("only", "all")
    sort = sort if sort in selectors.SORTS else "flag"
    only = only if only in selectors.FILTERS else "all"
    rows = selectors.sort_and_filter(data.rows, sort, only)
    # Logged for every client whose figures this page shows, under the consent allowing it.
    record_disclosures_for_ties([r.access for r in rows], viewer=request.user)
    for row in rows:
        row.sparks = []
        if row.shows(Scope.MOOD_CRAVING):
            row.sparks.append(charts.sparkline("Mood", row.mood, row.today, 1, 5))
            row.sparks.append(charts.sparkline("Craving", row.craving, row.today, 0, 10))
        if row.shows(Scope.CONNECTEDNESS):
            row.sparks.append(charts.sparkline("Connectedness", row.connectedness, row.today, 1, 5))
    return render(
        request,
        "clinic/caseload.html",
        {
            "rows": rows,
            "ended": data.ended,
            "sort": sort,
            "only": only,
            "total": len(data.rows),
            "filters": sorted(selectors.FILTERS),
            "notice": REDISCLOSURE_NOTICE,
            "notice_plain": REDISCLOSURE_PLAIN,
            "Scope": Scope,
        },
    )


def _client(request: HttpRequest, tie_id) -> selectors.Access | None:
    return selectors.client_access(request.user, tie_id)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/no_client.html", status=404)


def _range(request: HttpRequest, access):
    today = timezone.now().astimezone(access.tie.member.zone).date()
    return history.parse_range(
        today, request.GET.get("days"), request.GET.get("start"), request.GET.get("end")
    )


@therapist_required
def client(request: HttpRequest, tie_id) -> HttpResponse:
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    try:
        start, end = _range(request, access)
    except history.RangeError as exc:
        return render(
            request,
            "clinic/bad_range.html",
            {"message": str(exc), "tie": access.tie},
            status=400,
        )
    h = history.client_history(access, start, end)
    record_disclosures_for_tie(tie=access.tie, scopes=sorted(access.scopes))
    return render(
        request,
        "clinic/client.html",
        {
            "h": h,
            "tie": access.tie,
            "member": access.tie.member,
            "scopes": access.scopes,
            "consent": access.consent,
            "charts": charts.history_charts(h),
            "network": history.network_over_time(h) if Scope.NETWORK in access.scopes else None,
            "scores": history.score_rows(h),
            "ranges": history.RANGE_CHOICES,
            "days": request.GET.get("days", ""),
            "notice": REDISCLOSURE_NOTICE,
            "notice_plain": REDISCLOSURE_PLAIN,
            "Scope": Scope,
        },
    )


def _export(request: HttpRequest, tie_id, fmt: str) -> HttpResponse:
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    try:
        start, end = _range(request, access)
    except history.RangeError as exc:
        return render(
            request,
            "clinic/bad_range.html",
            {"message": str(exc), "tie": access.tie},
            status=400,
        )
    h = history.client_history(access, start, end)
    response = exports.BUILDERS[fmt](h)
    record_disclosures_for_tie(
        tie=access.tie, scopes=sorted(access.scopes), action=DisclosureAction.EXPORT
    )
    return response


# Reauthentication is asked for on every export, GET included (allauth: MFA where enrolled).
@therapist_required
@reauthentication_required
def export_csv(request: HttpRequest, tie_id) -> HttpResponse:
    return _export(request, tie_id, "csv")


@therapist_required
@reauthentication_required
def export_pdf(request: HttpRequest, tie_id) -> HttpResponse:
    return _export(request, tie_id, "pdf")


@therapist_required
@reauthentication_required
def export_fhir(request: HttpRequest, tie_id) -> HttpResponse:
    return _export(request, tie_id, "fhir")


@login_required
def mfa_required(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/mfa_required.html")
