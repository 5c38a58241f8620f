"""Access-log checkpoints: each chain's head, kept outside the database.

A hash chain shows an edited or removed entry, but not entries cut off its end: the shorter
chain still links up. A checkpoint records, for each member, how many entries their chain had
and the hash of the last one, plus one site-wide digest over all those heads. It is published
where the database cannot rewrite it (the structured log, daily; each member's CSV download),
and ``manage.py verify_access_log --checkpoint FILE`` later checks that every head it was given
is still in the log, unchanged.

A head is written as one line, the same in the log and in the CSV, so either can be handed to
the verifier as it is::

    rat-park-access-log-head member=12 count=5 head=3f2a… taken=2026-12-01T04:53:00+00:00
    rat-park-access-log-checkpoint members=3 entries=17 digest=9c1e… taken=2026-12-01T04:53:00+00:00
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .accesslog import GENESIS_HASH
from .models import DisclosureEvent

logger = logging.getLogger(__name__)

HEAD_RE = re.compile(
    r"rat-park-access-log-head member=(?P<member>\d+) count=(?P<count>\d+)"
    r" head=(?P<head>[0-9a-f]{64})(?: taken=(?P<taken>[0-9T:+.Z-]+))?"
)
DIGEST_RE = re.compile(
    r"rat-park-access-log-checkpoint members=(?P<members>\d+) entries=(?P<entries>\d+)"
    r" digest=(?P<digest>[0-9a-f]{64}) taken=(?P<taken>[0-9T:+.Z-]+)"
)


@dataclass(frozen=True)
class ChainHead:
    member: int
    count: int
    head: str
    taken: str = ""

    def line(self) -> str:
        text = f"rat-park-access-log-head member={self.member} count={self.count} head={self.head}"
        return f"{text} taken={self.taken}" if self.taken else text


@dataclass(frozen=True)
class Checkpoint:
    taken: str
    heads: tuple[ChainHead, ...]
    entries: int
    digest: str

    def line(self) -> str:
        return (
            f"rat-park-access-log-checkpoint members={len(self.heads)} entries={self.entries}"
            f" digest={self.digest} taken={self.taken}"
        )


def heads_digest(heads: Iterable[ChainHead]) -> str:
    """One SHA-256 over every head, in member order: it changes if any head does."""
    text = "".join(
        f"{h.member}:{h.count}:{h.head}\n" for h in sorted(heads, key=lambda h: h.member)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _taken(now: datetime | None) -> str:
    return (now or timezone.now()).replace(microsecond=0).isoformat()


def member_head(member_ref: int, now: datetime | None = None) -> ChainHead:
    """The head of one member's chain now (count 0 and the genesis hash if it is empty)."""
    last = (
        DisclosureEvent.objects.filter(member_ref=member_ref)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    count, head = last or (0, GENESIS_HASH)
    return ChainHead(member_ref, count, head, _taken(now))


def checkpoint_take(now: datetime | None = None) -> Checkpoint:
    """Every member's head and their digest, read in one consistent query."""
    taken = _taken(now)
    # The head of a chain is the entry with no later one; the (member_ref, seq) unique index
    # answers the anti-join without sorting the table.
    later = DisclosureEvent.objects.filter(
        member_ref=OuterRef("member_ref"), seq__gt=OuterRef("seq")
    )
    rows = (
        DisclosureEvent.objects.filter(~Exists(later))
        .order_by("member_ref")
        .values_list("member_ref", "seq", "hash")
    )
    heads = tuple(ChainHead(m, c, h, taken) for m, c, h in rows.iterator(chunk_size=5000))
    return Checkpoint(taken, heads, sum(h.count for h in heads), heads_digest(heads))


def checkpoint_publish(now: datetime | None = None) -> Checkpoint:
    """Write a checkpoint to the structured log: one line per chain head, then the digest.

    Only ids, counts and hashes are logged, never names or what was seen.
    """
    checkpoint = checkpoint_take(now)
    for head in checkpoint.heads:
        logger.info(head.line(), extra={"member_id": head.member})
    logger.info(checkpoint.line())
    return checkpoint


@dataclass
class CheckpointClaims:
    """What a checkpoint file asserts: chain heads, and digests over sets of them."""

    heads: list[ChainHead]
    digests: list[tuple[str, int, int, str]]  # (taken, members, entries, digest)


def checkpoint_parse(text: str) -> CheckpointClaims:
    """Read every head and digest line in ``text`` (a log extract, a CSV download, or both)."""
    heads = [
        ChainHead(int(m["member"]), int(m["count"]), m["head"], m["taken"] or "")
        for m in HEAD_RE.finditer(text)
    ]
    digests = [
        (m["taken"], int(m["members"]), int(m["entries"]), m["digest"])
        for m in DIGEST_RE.finditer(text)
    ]
    return CheckpointClaims(heads, digests)


def checkpoint_problems(claims: CheckpointClaims) -> list[str]:
    """Every way the access log today falls short of what the checkpoints say it held.

    A head is kept if the member's chain still has an entry at that position with that hash
    (the chain itself is checked by ``verify_chain``). A digest is checked against the heads
    given with it, so an edited checkpoint file is caught too.
    """
    problems = []
    for claim in sorted(set(claims.heads), key=lambda h: (h.member, h.count)):
        if claim.count == 0:
            continue
        chain = DisclosureEvent.objects.filter(member_ref=claim.member)
        stored = chain.filter(seq=claim.count).values_list("hash", flat=True).first()
        if stored is None:
            last = chain.order_by("-seq").values_list("seq", flat=True).first()
            if last is None:
                problems.append(
                    f"member {claim.member}: the checkpoint{_at(claim)} counts {claim.count} "
                    "entries but the log has none (truncated)"
                )
            else:
                problems.append(
                    f"member {claim.member}: the checkpoint{_at(claim)} counts {claim.count} "
                    f"entries but the chain ends at entry {last} (cut short: entries removed)"
                )
        elif stored != claim.head:
            problems.append(
                f"member {claim.member}: entry {claim.count} no longer has the hash the "
                f"checkpoint{_at(claim)} recorded (tampered or rebuilt)"
            )
    by_taken: dict[str, list[ChainHead]] = {}
    for head in claims.heads:
        by_taken.setdefault(head.taken, []).append(head)
    total = DisclosureEvent.objects.count() if claims.digests else 0
    for taken, members, entries, digest in claims.digests:
        if total < entries:
            problems.append(
                f"the site-wide checkpoint of {taken} counts {entries} entries but the log has "
                f"{total} (entries were removed)"
            )
        given = by_taken.get(taken, [])
        if len(given) == members and heads_digest(given) != digest:
            problems.append(
                f"the heads given for the checkpoint of {taken} do not match its digest "
                "(the checkpoint file was edited)"
            )
    return problems


def _at(head: ChainHead) -> str:
    return f" of {head.taken}" if head.taken else ""
