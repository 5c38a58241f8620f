"""The access log: an append-only, hash-chained accounting of disclosures (42 CFR 2.25).

Each member has their own chain. An entry's hash covers the previous entry's hash in that
member's chain, its position (``seq``, 1, 2, 3 …) and its own plain-value fields, so editing,
inserting or deleting any row breaks every later link of that member's chain. Deleting the
*last* rows of a chain leaves a shorter chain that still links up; only a head kept outside
the table (a checkpoint, see ``network.checkpoints``) shows that.

Appends for one member are serialised by a per-member advisory lock, so page views about
different members never wait for each other; a unique (member, seq) constraint makes a fork
impossible even if a writer skipped the lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User

from .models import Consent, DisclosureAction, DisclosureEvent

GENESIS_HASH = "0" * 64
# Arbitrary but fixed: the first key of the two-key advisory lock that serialises appends to
# one member's chain (the second key is the member's id). Only appends take it.
CHAIN_LOCK_CLASS = 726_112
_INT4_MAX = 2_147_483_647


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    member_ref: int,
    member_name: str,
    viewer_ref: int,
    viewer_name: str,
    consent_ref: str,
    scope: str,
    action: str,
    occurred_at: datetime,
) -> str:
    """Return the SHA-256 of an entry; JSON encoding avoids delimiter ambiguity."""
    payload = json.dumps(
        [
            prev_hash,
            seq,
            member_ref,
            member_name,
            viewer_ref,
            viewer_name,
            consent_ref,
            scope,
            action,
            occurred_at.astimezone(UTC).isoformat(),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def hash_of(event: DisclosureEvent) -> str:
    """The hash ``event`` should carry, recomputed from its stored values."""
    return entry_hash(
        prev_hash=event.prev_hash,
        seq=event.seq,
        member_ref=event.member_ref,
        member_name=event.member_name,
        viewer_ref=event.viewer_ref,
        viewer_name=event.viewer_name,
        consent_ref=event.consent_ref,
        scope=event.scope,
        action=event.action,
        occurred_at=event.occurred_at,
    )


def _lock_member_chain(member_ref: int) -> None:
    # Without the lock two writers could read the same head and fork the chain (the unique
    # constraint would then refuse the second, turning a page view into an error). SQLite
    # (the development default) already serialises writers for the whole database.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [CHAIN_LOCK_CLASS, member_ref % _INT4_MAX],  # a rare collision only waits
            )


def disclosures_append(
    *,
    viewer: User,
    member: User,
    scopes: Iterable[str],
    action: str = DisclosureAction.VIEW,
    consent: Consent | None = None,
    now: datetime | None = None,
) -> list[DisclosureEvent]:
    """Append one entry per scope to the member's chain, after its current head.

    Returns the entries. Three queries however many scopes: the member's lock, the member's
    head, one multi-row insert. Appends about other members do not wait for this one.
    """
    scopes = list(scopes)
    if not scopes:
        return []
    if action not in DisclosureAction.values:
        raise ValueError(f"Unknown disclosure action {action!r}")
    now = now or timezone.now()
    with transaction.atomic():
        _lock_member_chain(member.pk)
        head = (
            DisclosureEvent.objects.filter(member_ref=member.pk)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        seq, prev = head or (0, GENESIS_HASH)
        events = []
        for scope in scopes:
            seq += 1
            event = DisclosureEvent(
                member=member,
                viewer=viewer,
                consent=consent,
                seq=seq,
                member_ref=member.pk,
                member_name=member.display_name,
                viewer_ref=viewer.pk,
                viewer_name=viewer.display_name,
                consent_ref=str(consent.pk) if consent else "",
                scope=scope,
                action=action,
                occurred_at=now,
                prev_hash=prev,
            )
            event.hash = hash_of(event)
            prev = event.hash
            events.append(event)
        DisclosureEvent.objects.bulk_create(events)
    return events


def _lock_member_chains(member_refs: list[int]) -> None:
    """Take every member's chain lock in one statement, in a fixed order (no deadlocks)."""
    if connection.vendor == "postgresql" and member_refs:
        keys = sorted({ref % _INT4_MAX for ref in member_refs})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k ORDER BY k",
                [CHAIN_LOCK_CLASS, keys],
            )


def _chain_heads(member_refs: list[int]) -> dict[int, tuple[int, str]]:
    """Each member's (seq, hash) at the head of their chain, in one query.

    On PostgreSQL one index probe per member (the head is the top of the unique
    (member_ref, seq) index), so the cost follows the members on the page, not the length of
    their logs.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(DisclosureEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT m, e.seq, e.hash FROM unnest(%s::bigint[]) AS m "  # noqa: S608
                f"CROSS JOIN LATERAL (SELECT seq, hash FROM {table} "
                "WHERE member_ref = m ORDER BY seq DESC LIMIT 1) AS e",
                [member_refs],
            )
            return {member_ref: (seq, digest) for member_ref, seq, digest in cursor.fetchall()}
    heads: dict[int, tuple[int, str]] = {}
    rows = (
        DisclosureEvent.objects.filter(member_ref__in=member_refs)
        .order_by("member_ref", "-seq")
        .values_list("member_ref", "seq", "hash")
    )
    for member_ref, seq, digest in rows:  # SQLite: the first row per member is its head
        heads.setdefault(member_ref, (seq, digest))
    return heads


def disclosures_append_batch(
    entries: Iterable[tuple[User, User, Iterable[str], Consent | None]],
    *,
    action: str = DisclosureAction.VIEW,
    now: datetime | None = None,
) -> int:
    """Append (viewer, member, scopes, consent) entries for many members at once.

    For pages that show many members at once (the clinic caseload): three queries however
    many members — every member's chain lock in one statement, every head in one, one insert —
    where one ``disclosures_append`` per member would cost three each. Each entry extends its
    own member's chain exactly as ``disclosures_append`` would (same ``entry_hash``, next
    ``seq``); on PostgreSQL the rows go in as one ``INSERT ... SELECT FROM json_to_recordset``
    (building a model instance per entry cost more than the insert itself). Returns the
    number of entries written.
    """
    if action not in DisclosureAction.values:
        raise ValueError(f"Unknown disclosure action {action!r}")
    entries = [(v, m, list(s), c) for v, m, s, c in entries if s]
    if not entries:
        return 0
    now = now or timezone.now()
    member_refs = sorted({member.pk for _, member, _, _ in entries})
    with transaction.atomic():
        _lock_member_chains(member_refs)
        heads = _chain_heads(member_refs)
        rows = []
        for viewer, member, scopes, consent in entries:
            # Read once per entry: ``viewer`` is often the request's lazy user, and a caseload
            # page writes 350 entries.
            member_ref, member_name = member.pk, member.display_name
            viewer_ref, viewer_name = viewer.pk, viewer.display_name
            seq, prev = heads.get(member_ref, (0, GENESIS_HASH))
            consent_id = consent.pk if consent else None
            consent_ref = str(consent_id) if consent else ""
            for scope in scopes:
                seq += 1
                digest = entry_hash(
                    prev_hash=prev,
                    seq=seq,
                    member_ref=member_ref,
                    member_name=member_name,
                    viewer_ref=viewer_ref,
                    viewer_name=viewer_name,
                    consent_ref=consent_ref,
                    scope=scope,
                    action=action,
                    occurred_at=now,
                )
                rows.append(
                    (
                        member_ref,
                        viewer_ref,
                        consent_id,
                        seq,
                        member_ref,
                        member_name,
                        viewer_ref,
                        viewer_name,
                        consent_ref,
                        scope,
                        action,
                        now,
                        prev,
                        digest,
                    )
                )
                prev = digest
            heads[member_ref] = (seq, prev)
        _insert_rows(rows)
    return len(rows)


_BATCH_COLUMNS = (
    "member_id",
    "viewer_id",
    "consent_id",
    "seq",
    "member_ref",
    "member_name",
    "viewer_ref",
    "viewer_name",
    "consent_ref",
    "scope",
    "action",
    "occurred_at",
    "prev_hash",
    "hash",
)
_BATCH_TYPES = (
    "bigint",
    "bigint",
    "uuid",
    "integer",
    "bigint",
    "text",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "text",
    "text",
)


def _insert_rows(rows: list[tuple]) -> None:
    if connection.vendor != "postgresql":
        DisclosureEvent.objects.bulk_create(
            DisclosureEvent(**dict(zip(_BATCH_COLUMNS, row, strict=True))) for row in rows
        )
        return
    # The rows travel as one JSON document rather than an array per column: adapting 14
    # arrays value by value cost more than the insert itself. ``str`` gives a UUID its
    # canonical form and a timestamp its ISO form with offset, which PostgreSQL reads back to
    # the same instant the hash was computed from.
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in _BATCH_COLUMNS)
    record = ", ".join(f"{qn(c)} {t}" for c, t in zip(_BATCH_COLUMNS, _BATCH_TYPES, strict=True))
    payload = json.dumps(
        [dict(zip(_BATCH_COLUMNS, row, strict=True)) for row in rows],
        ensure_ascii=False,
        default=str,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(DisclosureEvent._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM json_to_recordset(%s::json) AS r({record})",
            [payload],
        )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    chains: int = 0
    broken_at: int | None = None  # id of the first entry whose link or content does not match
    problem: str = ""
    member_ref: int | None = None  # whose chain is broken

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(*, member_ref: int | None = None, batch_size: int = 2000) -> ChainReport:
    """Walk every member's chain (or one member's) in order; report the first entry that fails.

    An entry fails if its position is not the next one, if it does not link to the previous
    entry's hash, or if its content does not match its own hash.
    """
    rows = DisclosureEvent.objects.order_by("member_ref", "seq")
    if member_ref is not None:
        rows = rows.filter(member_ref=member_ref)
    checked = chains = 0
    current: int | None = None
    prev, expected_seq = GENESIS_HASH, 1
    for event in rows.iterator(chunk_size=batch_size):
        if event.member_ref != current:
            current, prev, expected_seq = event.member_ref, GENESIS_HASH, 1
            chains += 1
        problem = ""
        if event.seq != expected_seq:
            problem = f"entry {expected_seq} of the chain is missing (found {event.seq})"
        elif event.prev_hash != prev:
            problem = "its link to the previous entry is broken"
        elif hash_of(event) != event.hash:
            problem = "its content does not match its hash"
        if problem:
            return ChainReport(checked, chains, event.pk, problem, event.member_ref)
        prev, expected_seq = event.hash, expected_seq + 1
        checked += 1
    return ChainReport(checked, chains)
