"""The member's own network: ties, sharing, contacts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from notifications.selectors import received_encouragements

from ..consents import consent_record_sharing, requires_formal_consent
from ..forms import ContactEditForm, ContactForm, OfflineTieForm, SharingForm, TieEditForm
from ..markup import tie_cards_html
from ..models import LOGGABLE_METHODS, Contact, ContactMethod, Role, Tie, TieStatus
from ..selectors import ROLES_DRAWN, ego_layout, network_health, ties_for_member
from ..services.contacts import (
    contact_confirm,
    contact_delete,
    contact_dismiss,
    contact_log,
    contact_update,
)
from ..services.errors import NetworkError
from ..services.suggestion import suggest_reach_out
from ..services.ties import tie_add_offline, tie_set_status, tie_update
from ._common import _member_contact, _member_tie

ENCOURAGEMENTS_SHOWN = 50

# --- The member's network --------------------------------------------------------------------


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    ties = list(ties_for_member(request.user, now))
    health = network_health(request.user, ties, now)
    current = [t for t in ties if t.status != TieStatus.ENDED]
    context = {
        "ties": current,
        "tie_cards": tie_cards_html(current, csrf_token=get_token(request)),
        "ended_ties": [t for t in ties if t.status == TieStatus.ENDED],
        "health": health,
        "nodes": ego_layout(ties),
        "legend": [(Role(r).label, f"role-{r}") for r in ROLES_DRAWN],
        "suggestions": suggest_reach_out(request.user, now=now),
        "to_confirm": Contact.objects.filter(member=request.user, confirmed=False).count(),
    }
    return render(request, "network/home.html", context)


@login_required
def tie_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OfflineTieForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tie = tie_add_offline(member=request.user, **form.cleaned_data)
        except NetworkError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{tie.name} is now in your network.")
            return redirect("network:home")
    return render(request, "network/tie_add.html", {"form": form})


@login_required
def tie_edit(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    tie = _member_tie(request, tie_id)
    form = TieEditForm(request.POST or None, instance=Tie.objects.get(pk=tie.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.fields}
        try:
            tie_update(tie=tie, **changes)
        except NetworkError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("network:home")
    return render(request, "network/tie_edit.html", {"form": form, "tie": tie})


STATUS_ACTIONS = {"pause": TieStatus.PAUSED, "resume": TieStatus.ACTIVE, "end": TieStatus.ENDED}
STATUS_DONE = {
    "pause": "Paused. {name} sees nothing from you until you resume.",
    "resume": "{name} is active in your network again.",
    "end": "Ended. Your history with {name} is kept.",
}


@login_required
@require_POST
def tie_status(request: AuthenticatedHttpRequest, tie_id, action: str) -> HttpResponse:
    tie = _member_tie(request, tie_id)
    if action not in STATUS_ACTIONS:
        raise Http404("Unknown action.")
    try:
        tie_set_status(tie=tie, status=STATUS_ACTIONS[action])
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, STATUS_DONE[action].format(name=tie.name))
    return redirect("network:home")


@login_required
def tie_sharing(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    tie = _member_tie(request, tie_id)
    if requires_formal_consent(tie):
        return redirect("network:consent_part2", tie_id=tie.pk)
    if tie.status == TieStatus.ENDED:
        messages.error(request, "This tie has ended, so nothing is shared.")
        return redirect("network:home")
    initial = {
        "scopes": sorted(tie.scopes),
        "may_nudge": tie.may_nudge,
        "is_sos_contact": tie.is_sos_contact,
    }
    form = SharingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        consent_record_sharing(tie=tie, **form.cleaned_data)
        messages.success(request, f"Saved. {tie.name} now sees only what you ticked.")
        return redirect("network:home")
    return render(request, "network/tie_sharing.html", {"form": form, "tie": tie})


# --- Contacts -----------------------------------------------------------------------------------


@login_required
def contacts(request: AuthenticatedHttpRequest) -> HttpResponse:
    ties = list(Tie.objects.filter(member=request.user).select_related("supporter"))
    form = ContactForm(request.POST or None, ties=ties, initial=_contact_initial(request, ties))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tie = None
        if data["tie"] != ContactForm.MEETING:
            tie = next(t for t in ties if str(t.pk) == data["tie"])
        try:
            contact_log(
                member=request.user,
                tie=tie,
                method=data["method"],
                occurred_at=form.occurred_at(request.user, timezone.now()),
                duration_minutes=data["duration_minutes"],
                helped=data["helped"],
            )
        except NetworkError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Logged. Every connection counts.")
            if not request.htmx:
                return redirect("network:contacts")
            form = ContactForm(ties=ties)
    recent = (
        Contact.objects.filter(member=request.user)
        .select_related("tie__supporter")
        .order_by("-occurred_at")[:50]
    )
    context = {"form": form, "recent": recent}
    template = "network/_contacts_panel.html" if request.htmx else "network/contacts.html"
    return render(request, template, context)


def _contact_initial(request: HttpRequest, ties: list[Tie]) -> dict[str, str]:
    """ "I reached out" from a suggestion: that person and their preferred way, preselected.
    Anything not one of the member's own ties or a known way is ignored."""
    initial = {"when": "now"}
    tie_id = request.GET.get("tie", "")
    tie = next((t for t in ties if str(t.pk) == tie_id), None)
    if tie is not None:
        initial["tie"] = tie_id
        preferred = [m for m in tie.reach_methods if m in dict(LOGGABLE_METHODS)]
        if preferred:
            initial["method"] = preferred[0]
    if request.GET.get("method") in dict(LOGGABLE_METHODS):
        initial["method"] = request.GET["method"]
    return initial


def _contact_label(contact: Contact) -> str:
    if contact.tie is not None:  # no query when there is no tie
        return contact.tie.name
    return "A meeting" if contact.method == ContactMethod.MEETING else "Someone"


@login_required
def contact_edit(request: AuthenticatedHttpRequest, contact_id) -> HttpResponse:
    contact = _member_contact(request, contact_id)
    form = ContactEditForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(contact=contact, **form.cleaned_data)
        except NetworkError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("network:contacts")
    context = {"form": form, "contact": contact, "label": _contact_label(contact)}
    return render(request, "network/contact_edit.html", context)


@login_required
def contact_delete_view(request: AuthenticatedHttpRequest, contact_id) -> HttpResponse:
    contact = _member_contact(request, contact_id)
    if request.method == "POST":
        try:
            contact_delete(contact=contact)
        except NetworkError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Deleted.")
        return redirect("network:contacts")
    context = {"contact": contact, "label": _contact_label(contact)}
    return render(request, "network/contact_delete.html", context)


@login_required
@require_POST
def contact_answer(request: AuthenticatedHttpRequest, contact_id, answer: str) -> HttpResponse:
    try:
        if answer == "confirm":
            contact_confirm(member=request.user, contact_id=contact_id)
            messages.success(request, "Confirmed. Thank you for letting them in.")
        elif answer == "dismiss":
            contact_dismiss(member=request.user, contact_id=contact_id)
            messages.success(request, "Dismissed.")
        else:
            raise Http404("Unknown answer.")
    except NetworkError as exc:
        messages.error(request, str(exc))
    return redirect("network:contacts")


@login_required
def encouragements(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Kind words supporters sent; the inbox entry only says one arrived (lock-screen safe)."""
    received = received_encouragements(request.user, limit=ENCOURAGEMENTS_SHOWN)
    return render(request, "network/encouragements.html", {"received": received})
