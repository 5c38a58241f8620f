"""Sending and answering invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest

from .. import invitations as inv
from ..forms import InvitationForm
from ..models import Invitation
from ..services.errors import NetworkError
from ._common import _member_invitation

# --- Invitations ----------------------------------------------------------------------------------


@login_required
def invitation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = inv.invitation_create(member=request.user, **form.cleaned_data)
        except NetworkError as exc:
            form.add_error(None, str(exc))
        else:
            if invitation.email_sent is False:
                messages.warning(request, _email_failed(invitation))
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("network:invitations")
    return render(request, "network/invitation_create.html", {"form": form})


def _email_failed(invitation: Invitation) -> str:
    return (
        f"Your invitation to {invitation.email} is saved, but the email couldn't be sent just "
        "now. Please try “Re-send” below in a little while."
    )


@login_required
def invitation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    invitations = Invitation.objects.filter(member=request.user).select_related(
        "tie", "accepted_by"
    )[:200]
    return render(
        request, "network/invitations.html", {"invitations": invitations, "now": timezone.now()}
    )


@login_required
@require_POST
def invitation_resend(request: AuthenticatedHttpRequest, invitation_id) -> HttpResponse:
    invitation = _member_invitation(request, invitation_id)
    try:
        inv.invitation_resend(invitation=invitation)
    except NetworkError as exc:
        messages.error(request, str(exc))
    else:
        if invitation.email_sent is False:
            messages.warning(request, _email_failed(invitation))
        else:
            messages.success(request, f"A new link is on its way to {invitation.email}.")
    return redirect("network:invitations")


@login_required
@require_POST
def invitation_cancel(request: AuthenticatedHttpRequest, invitation_id) -> HttpResponse:
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
    if problem:
        inv.pending_invitation_forget(request.session)
    elif not request.user.is_authenticated:
        inv.pending_invitation_remember(request.session, token)
    addressed_to_user = True
    if request.user.is_authenticated and invitation is not None and not problem:
        addressed_to_user = inv.invitation_addressed_to(invitation, request.user)
    confirmed_other = request.POST.get("other_address") == "confirmed"
    if request.method == "POST" and not problem:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        answer = request.POST.get("answer")
        try:
            if answer == "accept" and not addressed_to_user and not confirmed_other:
                # Sent to an address that isn't theirs: ask before linking this account.
                answer = "confirm"
            if answer == "accept":
                tie = inv.invitation_accept(token=token, user=request.user)
                inv.pending_invitation_forget(request.session)
                messages.success(request, f"You're now supporting {tie.member.display_name}.")
                return redirect("network:supporting")
            if answer == "decline":
                inv.invitation_decline(token=token, user=request.user)
                inv.pending_invitation_forget(request.session)
                messages.success(request, "You declined the invitation.")
                return redirect("dashboard")
            if answer != "confirm":
                problem = "Please choose accept or decline."
        except NetworkError as exc:
            problem = str(exc)
    context = {
        "problem": problem,
        "other_address": not problem and not addressed_to_user,
        "member_name": invitation.member.display_name if invitation and not problem else "",
        "message": invitation.message if invitation and not problem else "",
    }
    status = 410 if problem and request.method == "GET" else 200
    return render(request, "network/invitation_respond.html", context, status=status)
