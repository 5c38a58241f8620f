"""The clinic: a verified therapist's caseload, one client's history, and its exports."""

from __future__ import annotations

import datetime
import uuid

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from network.consents import REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN
from network.models import DisclosureAction, Scope
from network.services.disclosure import record_disclosures_for_tie, record_disclosures_for_ties

from . import charts, exports, history, markup, notes, organisations, selectors, services
from .access import therapist_required
from .crypto import NotesUnavailable
from .forms import NoteForm
from .models import Organisation


@therapist_required
def caseload(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = selectors.caseload(request.user)
    sort = request.GET.get("sort", "flag")
    only = request.GET.get("only", "all")
    sort = sort if sort in selectors.SORTS else "flag"
    only = only if only in selectors.FILTERS else "all"
    matching = selectors.sort_and_filter(data.rows, sort, only)
    # Flags are worked out for everyone (to sort and filter), but only one page of rows is
    # shown, and only what is shown is logged: a long caseload costs a page's worth.
    page = Paginator(matching, selectors.CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    selectors.caseload_details(rows)
    # Logged for every client whose figures this page shows, under the consent allowing it:
    # every scope of theirs the caseload reads (check-in notes never appear here).
    record_disclosures_for_ties(
        [selectors.caseload_disclosure(r.access) for r in rows], viewer=request.user
    )
    client_url = reverse("clinic:client", args=["0"])[: -len("0/")]
    cards = markup.caseload_cards(
        (row, f"{client_url}{row.tie.pk}/", charts.row_sparklines(row)) for row in rows
    )
    return render(
        request,
        "clinic/caseload.html",
        {
            "rows": rows,
            "cards": cards,
            "page": page,
            "matching": len(matching),
            "ended": data.ended,
            "sort": sort,
            "only": only,
            "total": len(data.rows),
            "filters": sorted(selectors.FILTERS),
            "admin_orgs": Organisation.objects.filter(
                memberships__user=request.user, memberships__is_admin=True
            ),
            "notice": REDISCLOSURE_NOTICE,
            "notice_plain": REDISCLOSURE_PLAIN,
            "Scope": Scope,
        },
    )


def _client(request: AuthenticatedHttpRequest, tie_id) -> selectors.Access | None:
    return selectors.client_access(request.user, tie_id)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/no_client.html", status=404)


def _range(request: HttpRequest, access):
    today = timezone.now().astimezone(access.tie.member.zone).date()
    return history.parse_range(
        today, request.GET.get("days"), request.GET.get("start"), request.GET.get("end")
    )


@therapist_required
def client(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    try:
        start, end = _range(request, access)
    except history.RangeError as exc:
        return _bad_range(request, access, exc)
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
            "notes": _own_notes(request, access),
            "note_form": NoteForm(initial={"session_on": end}),
            "discussed": notes.discussed_days(request.user, access.tie.member_id, start, end),
        },
    )


def _own_notes(request: AuthenticatedHttpRequest, access) -> list | None:
    try:
        return notes.own_notes(request.user, access.tie.member_id)
    except NotesUnavailable:
        return None


@therapist_required
@require_POST
def note_add(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    form = NoteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                # An ErrorList yields its messages as str; the stubs also allow the errors.
                messages.error(request, str(error))
        return redirect("clinic:client", tie_id=access.tie.pk)
    try:
        services.session_note_add(
            author=request.user,
            member=access.tie.member,
            session_on=form.cleaned_data["session_on"],
            text=form.cleaned_data["text"],
        )
    except (services.ClinicError, NotesUnavailable) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Note saved. Only you can read it.")
    return redirect("clinic:client", tie_id=access.tie.pk)


@therapist_required
@require_POST
def note_delete(request: AuthenticatedHttpRequest, tie_id, note_id) -> HttpResponse:
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    if services.session_note_delete(author=request.user, note_id=_uuid_or_none(note_id)):
        messages.success(request, "Note deleted.")
    else:
        messages.error(request, "That note wasn't found.")
    return redirect("clinic:client", tie_id=access.tie.pk)


@therapist_required
@require_POST
def discussed(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    try:
        day = datetime.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, "That day isn't a valid date.")
    else:
        services.discussed_toggle(author=request.user, member=access.tie.member, day=day)
    return redirect(f"{reverse('clinic:client', args=[access.tie.pk])}#timeline-heading")


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _bad_range(request: HttpRequest, access, exc: history.RangeError) -> HttpResponse:
    """A range that ends before it starts, or is too long: say so, change nothing."""
    return render(
        request, "clinic/bad_range.html", {"message": str(exc), "tie": access.tie}, status=400
    )


def _export(request: AuthenticatedHttpRequest, tie_id, fmt: str) -> HttpResponseBase:
    # The client is checked before the fresh sign-in is asked for, so a stranger's link
    # doesn't even prompt for one.
    access = _client(request, tie_id)
    if access is None:
        return _not_found(request)
    try:
        start, end = _range(request, access)
    except history.RangeError as exc:
        return _bad_range(request, access, exc)
    return _build_export(request, access, start, end, fmt)


# Reauthentication on every export, GET included (allauth: the authenticator where enrolled).
@reauthentication_required
def _build_export(
    request: AuthenticatedHttpRequest, access, start, end, fmt: str
) -> HttpResponseBase:
    h = history.client_history(access, start, end)
    response = exports.BUILDERS[fmt](h)
    record_disclosures_for_tie(
        tie=access.tie, scopes=sorted(access.scopes), action=DisclosureAction.EXPORT
    )
    return response


@therapist_required
def export_csv(request: AuthenticatedHttpRequest, tie_id) -> HttpResponseBase:
    return _export(request, tie_id, "csv")


@therapist_required
def export_pdf(request: AuthenticatedHttpRequest, tie_id) -> HttpResponseBase:
    return _export(request, tie_id, "pdf")


@therapist_required
def export_fhir(request: AuthenticatedHttpRequest, tie_id) -> HttpResponseBase:
    return _export(request, tie_id, "fhir")


@login_required
def organisation(request: AuthenticatedHttpRequest, org_id) -> HttpResponse:
    org = organisations.administered_organisation(request.user, org_id)
    if org is None:
        return render(request, "clinic/no_organisation.html", status=404)
    roster = organisations.organisation_roster(org)
    return render(request, "clinic/organisation.html", {"org": org, "roster": roster})


@login_required
def mfa_required(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "clinic/mfa_required.html")
