"""Per-member access-log chains, TRUNCATE refused, and checkpoints kept outside the table."""

from __future__ import annotations

import csv
import importlib
import io
import logging
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from network.accesslog import GENESIS_HASH, disclosures_append, entry_hash, hash_of, verify_chain
from network.checkpoints import checkpoint_take, member_head
from network.models import DisclosureEvent
from network.tasks import publish_access_log_checkpoint
from recovery.logging import JsonFormatter


@pytest.fixture
def viewer(make_user):
    return make_user(display_name="Ana")


def _as_owner(*statements: tuple[str, list]) -> None:
    """Run SQL as the table owner would to hide something: with the append-only trigger off."""
    with connection.cursor() as cursor:
        # Rows this test inserted still have deferred foreign-key checks, which ALTER TABLE and
        # TRUNCATE refuse to leave pending; in production the rows were committed long ago.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE network_disclosureevent DISABLE TRIGGER network_disclosure_append_only"
        )
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute(
            "ALTER TABLE network_disclosureevent ENABLE TRIGGER network_disclosure_append_only"
        )


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_access_log", *args, stdout=out)
    return out.getvalue()


def test_truncate_is_refused(member, viewer, make_user):
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use"])
    _as_owner()  # only to settle the deferred checks (see there); the trigger is back on
    for sql in ["TRUNCATE network_disclosureevent", "TRUNCATE accounts_user CASCADE"]:
        with (
            pytest.raises(DatabaseError, match="TRUNCATE refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert DisclosureEvent.objects.count() == 2


def test_each_member_has_a_chain_of_their_own(member, viewer, make_user):
    other = make_user()
    disclosures_append(viewer=viewer, member=member, scopes=["notes"])
    disclosures_append(viewer=viewer, member=other, scopes=["use", "notes"])
    disclosures_append(viewer=viewer, member=member, scopes=["contacts", "use"])
    mine = list(DisclosureEvent.objects.filter(member_ref=member.pk).order_by("seq"))
    assert [e.seq for e in mine] == [1, 2, 3]
    assert mine[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in mine[1:]] == [e.hash for e in mine[:-1]]
    theirs = DisclosureEvent.objects.filter(member_ref=other.pk).order_by("seq").first()
    assert theirs.seq == 1
    assert theirs.prev_hash == GENESIS_HASH
    report = verify_chain()
    assert report.ok
    assert report.checked == 5
    assert report.chains == 2
    assert verify_chain(member_ref=member.pk).checked == 3
    assert "3 entries in member" in _verify("--member", str(member.pk))


def test_last_rows_deleted_by_the_owner_are_caught_by_a_checkpoint(member, viewer, tmp_path):
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use", "contacts"])
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(member_head(member.pk).line() + "\n")
    assert "Consistent with the checkpoints given: 1 heads" in _verify("--checkpoint", str(kept))

    last_two = list(DisclosureEvent.objects.filter(member_ref=member.pk, seq__gte=2).values("pk"))
    _as_owner(
        *[("DELETE FROM network_disclosureevent WHERE id = %s", [row["pk"]]) for row in last_two]
    )
    # The shorter chain still links up: without the checkpoint nothing looks wrong.
    assert "Access log intact: 1 entries" in _verify()
    with pytest.raises(CommandError, match="counts 3 entries but the chain ends at entry 1"):
        _verify("--checkpoint", str(kept))
    head = DisclosureEvent.objects.get(member_ref=member.pk, seq=1).hash
    with pytest.raises(CommandError, match="cut short"):
        _verify("--member", str(member.pk), "--count", "3", "--head", head)
    assert "intact" in _verify("--member", str(member.pk), "--count", "1", "--head", head)


def test_a_member_emptied_or_rebuilt_is_caught(member, viewer, make_user, tmp_path):
    other = make_user()
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use"])
    disclosures_append(viewer=viewer, member=other, scopes=["notes"])
    kept = tmp_path / "checkpoint.txt"
    checkpoint = checkpoint_take()
    kept.write_text("\n".join([*(h.line() for h in checkpoint.heads), checkpoint.line()]))

    _as_owner(("DELETE FROM network_disclosureevent WHERE member_ref = %s", [other.pk]))
    with pytest.raises(CommandError) as caught:
        _verify("--checkpoint", str(kept))
    assert f"member {other.pk}: the checkpoint" in str(caught.value)
    assert "the log has none (truncated)" in str(caught.value)
    assert "counts 3 entries but the log has 2" in str(caught.value)


def test_a_tampered_row_is_caught_even_when_the_chain_is_rebuilt(member, viewer, tmp_path):
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use"])
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(member_head(member.pk).line())
    first, second = DisclosureEvent.objects.filter(member_ref=member.pk).order_by("seq")
    _as_owner(
        ("UPDATE network_disclosureevent SET viewer_name = 'Nobody' WHERE id = %s", [first.pk])
    )
    with pytest.raises(CommandError, match=f"broken at entry {first.pk}: its content"):
        _verify()

    # Someone who recomputes every later hash makes the chain verify again …
    first.viewer_name = "Nobody"
    first.hash = hash_of(first)
    second.prev_hash = first.hash
    second.hash = hash_of(second)
    _as_owner(
        *[
            (
                "UPDATE network_disclosureevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [e.prev_hash, e.hash, e.pk],
            )
            for e in (first, second)
        ]
    )
    assert verify_chain().ok
    # … but not match the head the member or the operator kept.
    with pytest.raises(CommandError, match="entry 2 no longer has the hash"):
        _verify("--checkpoint", str(kept))


def test_the_daily_checkpoint_reaches_the_structured_log(
    member, viewer, make_user, caplog, tmp_path
):
    other = make_user()
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use"])
    disclosures_append(viewer=viewer, member=other, scopes=["notes"])
    with caplog.at_level(logging.INFO, logger="network.checkpoints"):
        result = publish_access_log_checkpoint()
    assert result["members"] == 2
    assert result["entries"] == 3
    formatter = JsonFormatter()
    log = tmp_path / "app.log"
    log.write_text("\n".join(formatter.format(r) for r in caplog.records) + "\n")
    text = log.read_text()
    assert f'"member_id": {member.pk}' in text
    assert "Ana" not in text
    assert "Sam" not in text
    assert "Consistent with the checkpoints given: 2 heads, 1 digests" in _verify(
        "--checkpoint", str(log)
    )

    # A log extract edited to show an older head of a member fails its own digest.
    older = DisclosureEvent.objects.get(member_ref=member.pk, seq=1)
    head_now = DisclosureEvent.objects.get(member_ref=member.pk, seq=2)
    edited = tmp_path / "edited.log"
    edited.write_text(text.replace(f"count=2 head={head_now.hash}", f"count=1 head={older.hash}"))
    with pytest.raises(CommandError, match="do not match its digest"):
        _verify("--checkpoint", str(edited))


def test_the_member_csv_carries_a_checkpoint_that_proves_the_chain(
    client, member, viewer, tmp_path
):
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use", "contacts"])
    client.force_login(member)
    response = client.get(reverse("network:access_log_csv"))
    body = b"".join(response.streaming_content).decode()
    download = tmp_path / "rat-park-access-log.csv"
    download.write_text(body)
    preface, *table = list(csv.reader(io.StringIO(body)))
    assert preface[0].startswith(f"rat-park-access-log-head member={member.pk} count=3 head=")
    header, *rows = table
    # The download is verifiable on its own: every hashed value is in it.
    prev = GENESIS_HASH
    for row in rows:
        entry = dict(zip(header, row, strict=True))
        assert entry["previous_hash"] == prev
        recomputed = entry_hash(
            prev_hash=prev,
            seq=int(entry["seq"]),
            member_ref=member.pk,
            member_name=entry["your_name"],
            viewer_ref=int(entry["who_id"]),
            viewer_name=entry["who"],
            consent_ref=entry["consent_id"],
            scope=entry["scope"],
            action=entry["action"],
            occurred_at=DisclosureEvent.objects.get(hash=entry["entry_hash"]).occurred_at,
        )
        assert recomputed == entry["entry_hash"]
        prev = entry["entry_hash"]
    assert preface[0].split("head=")[1].split()[0] == prev

    assert "Consistent with" in _verify("--checkpoint", str(download))
    last = DisclosureEvent.objects.get(member_ref=member.pk, seq=3)
    _as_owner(("DELETE FROM network_disclosureevent WHERE id = %s", [last.pk]))
    with pytest.raises(CommandError, match="cut short"):
        _verify("--checkpoint", str(download))


def test_a_file_without_a_checkpoint_is_refused(tmp_path, db):
    junk = tmp_path / "junk.txt"
    junk.write_text("nothing here\n")
    with pytest.raises(CommandError, match="No access-log checkpoint line"):
        _verify("--checkpoint", str(junk))
    with pytest.raises(CommandError, match="go together"):
        _verify("--count", "3")


def _append_within(lock_timeout: str, **append) -> None:
    """Append to the access log in a transaction that waits at most ``lock_timeout`` for a lock."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        disclosures_append(**append)


@pytest.mark.django_db(transaction=True)
def test_appends_for_different_members_do_not_wait_for_each_other(make_user):
    sam, kim, ana = make_user(), make_user(), make_user()
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_sams_chain():
        try:
            with transaction.atomic():
                disclosures_append(viewer=ana, member=sam, scopes=["notes"])
                holding.set()
                release.wait(30)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_sams_chain)
    thread.start()
    try:
        assert holding.wait(30)
        # A lock wait longer than this fails instead of queueing behind the other transaction.
        _append_within("3s", viewer=ana, member=kim, scopes=["notes", "use"])
        # The same member's chain does wait: the lock is real, and per member.
        with pytest.raises(OperationalError, match="lock timeout"):
            _append_within("200ms", viewer=ana, member=sam, scopes=["use"])
    finally:
        release.set()
        thread.join()
    assert not errors
    assert verify_chain().ok
    assert verify_chain().chains == 2


def _migration():
    return importlib.import_module("network.migrations.0008_access_log_per_member_chains")


def _old_chain(member, other, viewer) -> list[DisclosureEvent]:
    """Entries as the old site-wide chain wrote them (with placeholder positions)."""
    module, prev, events = _migration(), GENESIS_HASH, []
    for n, who in enumerate([member, other, member, member, other]):
        event = DisclosureEvent(
            seq=100_000 + n,
            member_ref=who.pk,
            member_name=who.display_name,
            viewer_ref=viewer.pk,
            viewer_name=viewer.display_name,
            scope="notes",
            action="view",
            occurred_at=member.date_joined,
            prev_hash=prev,
        )
        event.hash = prev = module._old_hash(event)
        events.append(event)
    return DisclosureEvent.objects.bulk_create(events)


def _apps_before_the_migration():
    # The models as the migration sees them (a plain manager, not the append-only one).
    loader = MigrationLoader(connection)
    return loader.project_state(("network", "0007_disclosureevent_seq")).apps


def test_the_migration_rechains_a_verified_site_wide_chain(member, viewer, make_user):
    _old_chain(member, make_user(), viewer)
    _as_owner()  # settles deferred checks, as the migration's own transaction would have none
    assert not verify_chain().ok
    with connection.schema_editor(atomic=False) as editor:
        _migration().rechain(_apps_before_the_migration(), editor)
    report = verify_chain()
    assert report.ok
    assert report.checked == 5
    assert report.chains == 2
    seqs = DisclosureEvent.objects.filter(member_ref=member.pk).order_by("id")
    assert list(seqs.values_list("seq", flat=True)) == [1, 2, 3]


def test_the_migration_refuses_a_broken_site_wide_chain(member, viewer, make_user):
    events = _old_chain(member, make_user(), viewer)
    _as_owner(("UPDATE network_disclosureevent SET scope = 'use' WHERE id = %s", [events[2].pk]))
    with (
        pytest.raises(RuntimeError, match=f"broken at entry {events[2].pk}"),
        connection.schema_editor(atomic=False) as editor,
    ):
        _migration().rechain(_apps_before_the_migration(), editor)
    assert DisclosureEvent.objects.filter(seq__lt=100_000).count() == 0


def test_the_checkpoint_command_prints_what_verify_accepts(member, viewer, tmp_path, settings):
    disclosures_append(viewer=viewer, member=member, scopes=["notes", "use"])
    out = io.StringIO()
    call_command("access_log_checkpoint", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"rat-park-access-log-head member={member.pk} count=2 head=")
    assert lines[-1].startswith("rat-park-access-log-checkpoint members=1 entries=2 digest=")
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(out.getvalue())
    assert "1 heads, 1 digests" in _verify("--checkpoint", str(kept))
    # Beat publishes it at least daily.
    entry = settings.CELERY_BEAT_SCHEDULE["network-access-log-checkpoint"]
    assert entry["task"] == publish_access_log_checkpoint.name
