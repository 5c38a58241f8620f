"""Re-chain the access log: one hash chain per member instead of one for the whole site.

The old site-wide chain is verified first, in full; only an intact chain is re-chained, so
re-hashing can never launder an edit made before this migration. The old chain's head (entry
count and last hash) is written to the structured log, so the last value anyone kept of it can
still be compared. Then every entry gets its position in its member's chain and a new hash
(which covers that position). The hashing code is copied here on purpose: a migration must
keep meaning what it meant when it was written.

If the old chain does not verify, the migration stops and names the entry; see "Upgrading the
access log" in docs/deploy.md (setting ACCESS_LOG_RECHAIN_BROKEN=yes re-chains anyway and logs
the break, after the operator has investigated).
"""

import hashlib
import json
import logging
import os
from datetime import UTC

from django.db import migrations

logger = logging.getLogger("network.accesslog")
GENESIS_HASH = "0" * 64
BATCH = 2000


def _old_hash(e) -> str:
    payload = [
        e.prev_hash,
        e.member_ref,
        e.member_name,
        e.viewer_ref,
        e.viewer_name,
        e.consent_ref,
        e.scope,
        e.action,
        e.occurred_at.astimezone(UTC).isoformat(),
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _new_hash(e) -> str:
    payload = [
        e.prev_hash,
        e.seq,
        e.member_ref,
        e.member_name,
        e.viewer_ref,
        e.viewer_name,
        e.consent_ref,
        e.scope,
        e.action,
        e.occurred_at.astimezone(UTC).isoformat(),
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _verify_old_chain(Event) -> tuple[int, str]:
    prev, count = GENESIS_HASH, 0
    for e in Event.objects.order_by("id").iterator(chunk_size=BATCH):
        problem = ""
        if e.prev_hash != prev:
            problem = "its link to the previous entry is broken"
        elif _old_hash(e) != e.hash:
            problem = "its content does not match its hash"
        if problem:
            if os.environ.get("ACCESS_LOG_RECHAIN_BROKEN") != "yes":
                raise RuntimeError(
                    f"The access log's chain is broken at entry {e.pk}: {problem}. "
                    "Investigate before upgrading (see docs/deploy.md, 'Upgrading the access "
                    "log'); ACCESS_LOG_RECHAIN_BROKEN=yes re-chains it anyway."
                )
            logger.error(
                "Legacy access-log chain broken at entry %s (%s); re-chained anyway",
                e.pk,
                problem,
                extra={"entry_id": e.pk},
            )
        prev, count = e.hash, count + 1
    return count, prev


def rechain(apps, schema_editor):
    Event = apps.get_model("network", "DisclosureEvent")
    table = schema_editor.quote_name(Event._meta.db_table)
    count, head = _verify_old_chain(Event)
    if count == 0:
        return  # a new installation: nothing to re-chain, nothing worth a log line
    logger.info("Legacy site-wide access-log chain verified: %d entries, head %s", count, head)
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # The append-only trigger refuses the rewrite; it is back on before this commits.
        # ALTER TABLE refuses to run with deferred checks pending, so run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER network_disclosure_append_only")
    heads: dict[int, tuple[int, str]] = {}
    batch = []
    for e in Event.objects.order_by("id").iterator(chunk_size=BATCH):
        seq, prev = heads.get(e.member_ref, (0, GENESIS_HASH))
        e.seq, e.prev_hash = seq + 1, prev
        e.hash = _new_hash(e)
        heads[e.member_ref] = (e.seq, e.hash)
        batch.append(e)
        if len(batch) >= BATCH:
            Event.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    Event.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER network_disclosure_append_only")
    logger.info("Access log re-chained: %d entries in %d member chains", count, len(heads))


class Migration(migrations.Migration):
    dependencies = [("network", "0007_disclosureevent_seq")]

    # Irreversible: the old site-wide hashes are gone (their head is in the log, above).
    operations = [migrations.RunPython(rechain)]
