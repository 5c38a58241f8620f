"""Consent forms and history, and the access log."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest

from ..checkpoints import member_head
from ..consents import (
    CONSENT_TEXT_VERSION,
    CONSENT_TEXTS,
    consent_revoke,
    consent_sign_part2,
    requires_formal_consent,
)
from ..forms import Part2ConsentForm, RevokeForm
from ..models import Consent, Scope, TieStatus
from ..selectors import access_log_for, consent_history, member_chain
from ._common import _csv_response, _member_tie

# --- Consent --------------------------------------------------------------------------------------


@login_required
def consent_part2(request: AuthenticatedHttpRequest, tie_id) -> HttpResponse:
    tie = _member_tie(request, tie_id)
    if not requires_formal_consent(tie):
        return redirect("network:tie_sharing", tie_id=tie.pk)
    if tie.status == TieStatus.ENDED:
        messages.error(request, "This tie has ended, so nothing can be shared.")
        return redirect("network:home")
    current = tie.consents.current().first()
    # Signing again starts from what is in force now, not from an empty form.
    initial = {}
    if current is not None and current.is_formal:
        initial = {
            "scopes": list(current.scopes),
            "purpose": current.purpose,
            "may_nudge": current.may_nudge,
            "is_sos_contact": current.is_sos_contact,
        }
    form = Part2ConsentForm(request.POST or None, initial=initial)
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
def consent_revoke_view(request: AuthenticatedHttpRequest, consent_id) -> HttpResponse:
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
def consent_history_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(consent_history(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "network/consents.html",
        {"page": page, "texts": CONSENT_TEXTS, "now": timezone.now()},
    )


@login_required
def consent_history_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
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
def access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(access_log_for(request.user), 100).get_page(request.GET.get("page"))
    labels = dict(Scope.choices)
    return render(request, "network/access_log.html", {"page": page, "labels": labels})


@login_required
def access_log_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """The member's whole chain, oldest first, with every hashed value and its checkpoint.

    The first line is the chain's head when the download was made (see network.checkpoints):
    kept by the member, it later proves whether entries vanished. Rows are cut at that head so
    an entry appended while the file streams cannot contradict it.
    """
    head = member_head(request.user.pk)
    rows = (
        [
            e.seq,
            e.occurred_at.isoformat(),
            e.viewer_name,
            e.viewer_ref,
            e.member_name,
            e.action,
            e.scope,
            e.consent_ref,
            e.prev_hash,
            e.hash,
        ]
        for e in member_chain(request.user.pk, upto=head.count).iterator()
    )
    header = [
        "seq",
        "when",
        "who",
        "who_id",
        "your_name",
        "action",
        "scope",
        "consent_id",
        "previous_hash",
        "entry_hash",
    ]
    return _csv_response("rat-park-access-log.csv", header, rows, preface=[head.line()])
