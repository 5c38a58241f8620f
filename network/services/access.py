"""Who may see what: the access predicate for one loaded tie (``access_for_tie``).

The twin of ``Tie.objects.receivable`` for sets of ties. Reads only; recording what was
shown is ``disclosure``'s."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import User

from ..consents import requires_formal_consent
from ..models import Consent, Tie, TieStatus


@dataclass(frozen=True)
class Access:
    tie: Tie
    consent: Consent | None
    scopes: frozenset[str]
    # The per-tie twin of ``Tie.objects.receivable``: may the viewer see or be told anything
    # about the member now (an SOS, a nudge, a notice naming them), whatever the scopes.
    receivable: bool = False

    @property
    def is_clinical(self) -> bool:
        """A verified therapist acting under a formal consent in force (access_for_tie only
        returns a formal consent for a verified therapist on an active tie)."""
        return self.consent is not None and self.consent.is_formal


# A reader loading many ties at once may load their consents as a list on this attribute
# (``Prefetch("consents", queryset=…, to_attr=LOADED_CONSENTS)``) instead of into
# ``tie.consents``: a prefetch into the related manager builds a queryset for every tie, which
# was most of the cost of a caseload of 200. Either way each consent is checked here.
LOADED_CONSENTS = "loaded_consents"


def access_for_tie(tie: Tie, viewer: User, *, now: datetime | None = None) -> Access:
    """What ``viewer`` may see through ``tie`` right now (empty scopes when nothing).

    An ordinary tie shares its own flags. A therapist tie shares only what a formal consent in
    force allows, and only with a therapist whose credentials staff verified and who has a
    second factor (MFA is mandatory before any client data, on every page that reads this).
    """
    now = now or timezone.now()
    if tie.status != TieStatus.ACTIVE or tie.supporter_id != viewer.pk:
        return Access(tie, None, frozenset())
    loaded = getattr(tie, LOADED_CONSENTS, None)
    consents = [c for c in (tie.consents.all() if loaded is None else loaded) if c.is_current(now)]
    consent = consents[0] if consents else None
    if requires_formal_consent(tie):
        if (
            consent is None
            or not consent.is_formal
            or not viewer.is_verified_therapist
            or not viewer.has_second_factor
        ):
            return Access(tie, None, frozenset())
        return Access(tie, consent, frozenset(consent.scopes), receivable=True)
    return Access(tie, consent, tie.scopes, receivable=True)


def shared_scopes(viewer: User, member: User) -> frozenset[str]:
    """The scopes of ``member``'s data that ``viewer`` may see right now."""
    if viewer.pk == member.pk:
        raise ValueError("A member's own data is not a disclosure.")
    tie = Tie.objects.active().filter(member=member, supporter=viewer).with_open_consents().first()
    return access_for_tie(tie, viewer).scopes if tie else frozenset()


def supporter_access(viewer: User, tie_id: uuid.UUID | str) -> Access | None:
    """What ``viewer`` may see through tie ``tie_id`` now; None if they aren't its supporter.

    For other apps acting on the supporter's side (a therapist scheduling a questionnaire):
    the tie in any status, so a paused or ended tie gives empty scopes rather than None.
    """
    tie = Tie.objects.filter(pk=tie_id, supporter=viewer).with_open_consents().first()
    return access_for_tie(tie, viewer) if tie else None


def may_act_for(supporter: User, tie: Tie) -> bool:
    """Whether ``supporter`` may reach out through ``tie`` now: the access predicate holds.

    A therapist whose consent expired or was revoked, or whose verification is missing or was
    withdrawn, can no longer send kind words or log reaching out, like any ended tie.
    """
    return (
        tie.supporter_id == supporter.pk
        and Tie.objects.receivable().filter(pk=tie.pk, supporter=supporter).exists()
    )
