"""Reading a member's shared data and recording the disclosure in their access log.

The one place that writes the access log for pages (selectors never write): each service
here reads, or takes what a selector read, and appends the entries, naming the consent in
force."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from accounts.models import User

from ..accesslog import disclosures_append, disclosures_append_batch
from ..models import Tie
from ..selectors import SharedData, SupporterCard, shared_data, supporter_cards
from .access import Access, access_for_tie


def record_disclosure(*, viewer: User, member: User, scope: str, action: str = "view") -> None:
    """Write one entry in the member's access log (accounting of disclosures).

    The entry names the consent in force between them, if any. Callers must have checked
    ``shared_scopes`` first: this records, it does not authorise.
    """
    tie = Tie.objects.active().filter(member=member, supporter=viewer).with_open_consents().first()
    consent = access_for_tie(tie, viewer).consent if tie else None
    disclosures_append(viewer=viewer, member=member, scopes=[scope], action=action, consent=consent)


def record_disclosures_for_tie(*, tie: Tie, scopes: Iterable[str], action: str = "view") -> None:
    """Log the tie's supporter seeing ``scopes`` of its member, in one append to the access log.

    For a page that already holds the tie with its consents loaded (``selectors.supported_ties``):
    the consent in force is read from them, so this is three queries however many scopes.
    Callers must have checked the scopes against ``access_for_tie`` first.
    """
    supporter = tie.supporter
    if supporter is None:
        raise ValueError("An offline contact has no account: nothing is disclosed to it.")
    consent = access_for_tie(tie, supporter).consent
    disclosures_append(
        viewer=supporter, member=tie.member, scopes=list(scopes), action=action, consent=consent
    )


def record_disclosures_for_ties(
    accesses: Iterable[Access], *, viewer: User, action: str = "view"
) -> int:
    """Log ``viewer`` seeing each access's scopes of its tie's member, under its consent.

    The many-member twin of ``record_disclosures_for_tie`` (a caseload page): one chained
    insert for all of them. Each ``Access`` comes from ``access_for_tie``, so it names the
    consent that allowed it; accesses with no scopes write nothing.
    """
    return disclosures_append_batch(
        [(viewer, a.tie.member, sorted(a.scopes), a.consent) for a in accesses if a.scopes],
        action=action,
    )


def shared_data_disclose(*, viewer: User, tie: Tie, action: str) -> tuple[Access, SharedData]:
    """Read what ``viewer`` may see of the tie's member now and record it as a disclosure.

    The one service for a supporter's page or export of a member's data: the read and the
    access-log entry (one per scope, naming the consent in force) happen together. Returns
    the access and the data.
    """
    access = access_for_tie(tie, viewer)
    data = shared_data(tie.member, access.scopes)
    disclosures_append(
        viewer=viewer,
        member=tie.member,
        scopes=sorted(access.scopes),
        action=action,
        consent=access.consent,
    )
    return access, data


def supporter_cards_show(
    supporter: User, *, supported: list | None = None, now: datetime | None = None
) -> list[SupporterCard]:
    """The supporter's Today cards (``selectors.supporter_cards``), every member whose card
    shows shared data recorded in their access log: one batched append for all cards."""
    cards = supporter_cards(supporter, now, supported=supported)
    record_disclosures_for_ties([c.disclosed for c in cards if c.disclosed], viewer=supporter)
    return cards
