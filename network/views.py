"""Network pages. Every view finds its objects through an access helper scoped to the user."""

from __future__ import annotations

import csv
from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import invitations as inv
from .accesslog import disclosures_append
from .consents import (
    CONSENT_TEXT_VERSION,
    CONSENT_TEXTS,
    REDISCLOSURE_NOTICE,
    consent_record_sharing,
    consent_revoke,
    consent_sign_part2,
    requires_formal_consent,
)
from .forms import (
    ContactForm,
    EncouragementForm,
    InvitationForm,
    OfflineTieForm,
    Part2ConsentForm,
    RevokeForm,
    SharingForm,
    SupporterContactForm,
    TieEditForm,
)
from .models import (
    Consent,
    Contact,
    ContactMethod,
    DisclosureAction,
    Invitation,
    Role,
    Scope,
    Tie,
    TieStatus,
)
from .selectors import (
    ROLE_COLOURS,
    access_log_for,
    consent_history,
    ego_layout,
    network_health,
    shared_data,
    supported_ties,
    supporter_tie,
    ties_for_member,
)
from .services import (
    NetworkError,
    access_for_tie,
    contact_confirm,
    contact_dismiss,
    contact_log,
    contact_log_by_supporter,
    encouragement_send,
    suggest_reach_out,
    tie_add_offline,
    tie_set_status,
    tie_update,
)

# --- Access helpers ------------------------------------------------------------------------------


def _member_tie(request: HttpRequest, tie_id) -> Tie:
    tie = Tie.objects.filter(pk=tie_id, member=request.user).select_related("supporter").first()
    if tie is None:
        raise Http404("No such tie in your network.")
    return tie


def _member_invitation(request: HttpRequest, invitation_id) -> Invitation:
    invitation = Invitation.objects.filter(pk=invitation_id, member=request.user).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def _supported_tie(request: HttpRequest, tie_id) -> Tie:
    """The active tie in which the user supports someone; 404 for anyone else or any other state."""
    tie = supporter_tie(request.user, tie_id)
    if tie is None or tie.status != TieStatus.ACTIVE:
        raise Http404("No such person to support.")
    return tie


# --- The member's network --------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    ties = list(ties_for_member(request.user, now))
    health = network_health(request.user, ties, now)
    context = {
        "ties": [t for t in ties if t.status != TieStatus.ENDED],
        "ended_ties": [t for t in ties if t.status == TieStatus.ENDED],
        "health": health,
        "nodes": ego_layout(ties),
        "legend": [(Role(r).label, c) for r, c in ROLE_COLOURS.items()],
        "suggestions": suggest_reach_out(request.user, now=now),
        "to_confirm": Contact.objects.filter(member=request.user, confirmed=False).count(),
    }
    return render(request, "network/home.html", context)


@login_required
def tie_add(request: HttpRequest) -> HttpResponse:
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
def tie_edit(request: HttpRequest, tie_id) -> HttpResponse:
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
def tie_status(request: HttpRequest, tie_id, action: str) -> HttpResponse:
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
def tie_sharing(request: HttpRequest, tie_id) -> HttpResponse:
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


# --- Invitations ----------------------------------------------------------------------------------


@login_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = inv.invitation_create(member=request.user, **form.cleaned_data)
        except NetworkError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("network:invitations")
    return render(request, "network/invitation_create.html", {"form": form})


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    invitations = Invitation.objects.filter(member=request.user).select_related(
        "tie", "accepted_by"
    )[:200]
    return render(
        request, "network/invitations.html", {"invitations": invitations, "now": timezone.now()}
    )


@login_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id) -> HttpResponse:
    invitation = _member_invitation(request, invitation_id)
    try:
        inv.invitation_resend(invitation=invitation)
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new link is on its way to {invitation.email}.")
    return redirect("network:invitations")


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, invitation_id) -> HttpResponse:
    invitation = _member_invitation(request, invitation_id)
    try:
        inv.invitation_cancel(invitation=invitation)
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Invitation cancelled.")
    return redirect("network:invitations")


def invitation_respond(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page. Before acceptance it shows only the member's name and message."""
    invitation = inv.invitation_by_token(token)
    problem = inv.unusable_reason(invitation)
    if request.method == "POST" and not problem:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        answer = request.POST.get("answer")
        try:
            if answer == "accept":
                tie = inv.invitation_accept(token=token, user=request.user)
                messages.success(request, f"You're now supporting {tie.member.display_name}.")
                return redirect("network:supporting")
            if answer == "decline":
                inv.invitation_decline(token=token, user=request.user)
                messages.success(request, "You declined the invitation.")
                return redirect("dashboard")
            problem = "Please choose accept or decline."
        except NetworkError as exc:
            problem = str(exc)
    context = {
        "problem": problem,
        "member_name": invitation.member.display_name if invitation and not problem else "",
        "message": invitation.message if invitation and not problem else "",
    }
    status = 410 if problem and request.method == "GET" else 200
    return render(request, "network/invitation_respond.html", context, status=status)


# --- Consent --------------------------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@login_required
def consent_part2(request: HttpRequest, tie_id) -> HttpResponse:
    tie = _member_tie(request, tie_id)
    if not requires_formal_consent(tie):
        return redirect("network:tie_sharing", tie_id=tie.pk)
    if tie.status == TieStatus.ENDED:
        messages.error(request, "This tie has ended, so nothing can be shared.")
        return redirect("network:home")
    current = tie.consents.current().first()
    form = Part2ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data["expiry_kind"] == "date":
            expires_at = timezone.make_aware(
                datetime.combine(data["expires_on"], time(23, 59)), request.user.zone
            )
        try:
            consent_sign_part2(
                tie=tie,
                scopes=data["scopes"],
                purpose=data["purpose"],
                signature_name=data["signature_name"],
                expires_at=expires_at,
                expiry_event=data["expiry_event"] if data["expiry_kind"] == "event" else "",
                may_nudge=data["may_nudge"],
                is_sos_contact=data["is_sos_contact"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Consent signed. {tie.name} can see what you chose.")
            return redirect("network:consent_history")
    context = {"form": form, "tie": tie, "current": current, "version": CONSENT_TEXT_VERSION}
    return render(request, "network/consent_part2.html", context)


@login_required
@require_POST
def consent_revoke_view(request: HttpRequest, consent_id) -> HttpResponse:
    consent = Consent.objects.filter(pk=consent_id, member=request.user).first()
    if consent is None:
        raise Http404("No such consent.")
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if consent_revoke(consent=consent, reason=reason):
        messages.success(request, f"Revoked. {consent.recipient_name} can no longer see your data.")
    else:
        messages.error(request, "That consent had already ended.")
    return redirect("network:consent_history")


@login_required
def consent_history_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(consent_history(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "network/consents.html",
        {"page": page, "texts": CONSENT_TEXTS, "now": timezone.now()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(filename: str, header: list[str], rows, preface: list[str] = ()) -> HttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        for note in preface:
            yield writer.writerow([note])
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def consent_history_csv(request: HttpRequest) -> HttpResponse:
    rows = (
        [
            c.signed_at.isoformat(),
            c.recipient_name,
            c.get_kind_display(),
            " ".join(c.scopes),
            "yes" if c.may_nudge else "no",
            "yes" if c.is_sos_contact else "no",
            c.purpose,
            c.expires_at.isoformat() if c.expires_at else c.expiry_event,
            c.signature_name,
            c.text_version,
            c.ended_at.isoformat() if c.ended_at else "",
            c.get_end_reason_display() if c.end_reason else "",
        ]
        for c in consent_history(request.user).iterator()
    )
    header = [
        "signed_at",
        "recipient",
        "kind",
        "scopes",
        "may_nudge",
        "sos_contact",
        "purpose",
        "expires",
        "signature",
        "text_version",
        "ended_at",
        "end_reason",
    ]
    return _csv_response("rat-park-consents.csv", header, rows)


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(access_log_for(request.user), 100).get_page(request.GET.get("page"))
    labels = dict(Scope.choices)
    return render(request, "network/access_log.html", {"page": page, "labels": labels})


@login_required
def access_log_csv(request: HttpRequest) -> HttpResponse:
    rows = (
        [e.occurred_at.isoformat(), e.viewer_name, e.action, e.scope, e.consent_ref, e.hash]
        for e in access_log_for(request.user).iterator()
    )
    header = ["when", "who", "action", "scope", "consent_id", "entry_hash"]
    return _csv_response("rat-park-access-log.csv", header, rows)


# --- Contacts -----------------------------------------------------------------------------------


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    ties = list(Tie.objects.filter(member=request.user).select_related("supporter"))
    form = ContactForm(request.POST or None, ties=ties)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tie = None
        if data["tie"] != ContactForm.MEETING:
            tie = next(t for t in ties if str(t.pk) == data["tie"])
        method = ContactMethod.MEETING if tie is None else data["method"]
        try:
            contact_log(
                member=request.user,
                tie=tie,
                method=method,
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


@login_required
@require_POST
def contact_answer(request: HttpRequest, contact_id, answer: str) -> HttpResponse:
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


# --- The supporter's side -------------------------------------------------------------------------


@login_required
def supporting(request: HttpRequest) -> HttpResponse:
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
            "contact_methods": ContactMethod.choices,
        },
    )


def _disclose(request: HttpRequest, tie: Tie, action: str):
    access = access_for_tie(tie, request.user)
    data = shared_data(tie.member, access.scopes)
    disclosures_append(
        viewer=request.user,
        member=tie.member,
        scopes=sorted(access.scopes),
        action=action,
        consent=access.consent,
    )
    return access, data


@login_required
def supporting_member(request: HttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    access, data = _disclose(request, tie, DisclosureAction.VIEW)
    context = {
        "tie": tie,
        "member": tie.member,
        "scopes": access.scopes,
        "data": data,
        "notice": REDISCLOSURE_NOTICE,
        "encourage_form": EncouragementForm(),
        "contact_form": SupporterContactForm(),
        "Scope": Scope,
    }
    return render(request, "network/supporting_member.html", context)


@login_required
def supporting_export(request: HttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    access, data = _disclose(request, tie, DisclosureAction.EXPORT)
    rows = []
    for day in data.checkin_days:
        for key, value in day.items():
            if key != "local_date":
                rows.append([day["local_date"].isoformat(), key, value])
    if Scope.CHECKIN_STATUS in access.scopes:
        rows.append([timezone.localdate().isoformat(), "checked_in_today", data.checked_in_today])
    for contact in data.contacts:
        rows.append([contact["local_date"].isoformat(), "contact", contact["method"]])
    return _csv_response(
        "rat-park-shared-data.csv", ["date", "item", "value"], rows, preface=[REDISCLOSURE_NOTICE]
    )


@login_required
@require_POST
def encourage(request: HttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    form = EncouragementForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or ["Choose a message or write your own."]:
            messages.error(request, error)
        return redirect("network:supporting")
    try:
        encouragement_send(supporter=request.user, tie=tie, message=form.cleaned_data["text"])
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sent to {tie.member.display_name}.")
    return redirect("network:supporting")


@login_required
@require_POST
def supporter_log_contact(request: HttpRequest, tie_id) -> HttpResponse:
    tie = _supported_tie(request, tie_id)
    form = SupporterContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how you reached out.")
        return redirect("network:supporting")
    try:
        contact_log_by_supporter(
            supporter=request.user, tie=tie, method=form.cleaned_data["method"]
        )
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        name = tie.member.display_name
        messages.success(request, f"Thanks for reaching out. {name} can confirm it.")
    return redirect("network:supporting")
