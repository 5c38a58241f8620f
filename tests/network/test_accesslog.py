"""The access log: append-only, hash-chained, verifiable, visible to the member."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from network.accesslog import GENESIS_HASH, disclosures_append, verify_chain
from network.models import DisclosureEvent, Role, Scope, Tie
from network.services.disclosure import record_disclosure


@pytest.fixture
def friend(make_user, member):
    user = make_user(display_name="Ana")
    # An offline name keeps the tie valid if the supporter's account is deleted later.
    Tie.objects.create(
        member=member, supporter=user, offline_name="Ana", role=Role.FRIEND, share_notes=True
    )
    return user


def test_entries_chain_from_genesis_and_verify(member, friend):
    for scope in [Scope.CHECKIN_STATUS, Scope.NOTES, Scope.NOTES]:
        record_disclosure(viewer=friend, member=member, scope=scope)
    events = list(DisclosureEvent.objects.order_by("id"))
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert events[0].viewer_name == "Ana"
    assert events[0].member_ref == member.pk
    report = verify_chain()
    assert report.ok
    assert report.checked == 3


def _tamper(sql: str, params) -> None:
    """Change the table as a database superuser could: with the append-only trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # triggers off (superuser)
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def test_the_database_refuses_updates_and_deletes(member, friend):
    (event,) = disclosures_append(viewer=friend, member=member, scopes=["notes"])
    for sql in [
        "UPDATE network_disclosureevent SET scope = 'use' WHERE id = %s",
        "UPDATE network_disclosureevent SET viewer_id = member_id WHERE id = %s",
        "DELETE FROM network_disclosureevent WHERE id = %s",
    ]:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert DisclosureEvent.objects.get().scope == "notes"


def test_editing_an_entry_is_detected(member, friend):
    disclosures_append(viewer=friend, member=member, scopes=["notes", "use", "contacts"])
    middle = DisclosureEvent.objects.order_by("id")[1]
    _tamper(
        "UPDATE network_disclosureevent SET scope = 'checkin_status' WHERE id = %s", [middle.pk]
    )
    report = verify_chain()
    assert report.broken_at == middle.pk
    assert "content" in report.problem
    with pytest.raises(CommandError, match=f"broken at entry {middle.pk}"):
        call_command("verify_access_log")


def test_deleting_an_entry_is_detected(member, friend):
    disclosures_append(viewer=friend, member=member, scopes=["notes", "use", "contacts"])
    _first, middle, last = DisclosureEvent.objects.order_by("id")
    _tamper("DELETE FROM network_disclosureevent WHERE id = %s", [middle.pk])
    report = verify_chain()
    assert report.broken_at == last.pk
    assert "entry 2 of the chain is missing" in report.problem
    # Renumbering the later entries to hide the gap still breaks the link.
    _tamper("UPDATE network_disclosureevent SET seq = 2 WHERE id = %s", [last.pk])
    report = verify_chain()
    assert report.broken_at == last.pk
    assert "link" in report.problem


def test_the_command_reports_an_intact_chain(member, friend, capsys):
    disclosures_append(viewer=friend, member=member, scopes=["notes"])
    call_command("verify_access_log")
    assert "1 entries in 1 chains verified" in capsys.readouterr().out


def test_the_app_has_no_update_or_delete_path(member, friend):
    (event,) = disclosures_append(viewer=friend, member=member, scopes=["notes"])
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        DisclosureEvent.objects.filter(pk=event.pk).update(scope="use")
    with pytest.raises(PermissionError):
        DisclosureEvent.objects.all().delete()
    assert verify_chain().ok


def test_the_admin_is_read_only(client, make_user, member, friend):
    disclosures_append(viewer=friend, member=member, scopes=["notes"])
    event = DisclosureEvent.objects.get()
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = reverse("admin:network_disclosureevent_change", args=[event.pk])
    assert client.get(change).status_code == HTTPStatus.OK  # viewable
    assert client.post(change, {"scope": "use"}).status_code == HTTPStatus.FORBIDDEN
    delete = reverse("admin:network_disclosureevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("admin:network_disclosureevent_add")).status_code == 403
    consent_list = client.get(reverse("admin:network_consent_changelist"))
    assert consent_list.status_code == HTTPStatus.OK
    assert DisclosureEvent.objects.get().scope == "notes"


def test_deleting_an_account_keeps_the_chain_verifiable(member, friend, make_user):
    other = make_user()
    disclosures_append(viewer=friend, member=member, scopes=["notes"])
    disclosures_append(viewer=friend, member=member, scopes=["use"])
    friend.delete()
    member.delete()
    assert DisclosureEvent.objects.count() == 2
    assert DisclosureEvent.objects.filter(viewer__isnull=True, member__isnull=True).count() == 2
    disclosures_append(viewer=other, member=make_user(), scopes=["notes"])
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(make_user):
    member = make_user(display_name="Sam")
    viewers = [make_user() for _ in range(6)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(viewers))

    def write(viewer):
        try:
            start.wait()
            for _ in range(10):
                disclosures_append(viewer=viewer, member=member, scopes=["notes", "use"])
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(v,)) for v in viewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = verify_chain()
    assert report.ok
    assert report.checked == 6 * 10 * 2
    assert DisclosureEvent.objects.values("prev_hash").distinct().count() == 120


def test_member_sees_and_downloads_who_looked_at_what(client, member, friend, make_user):
    disclosures_append(viewer=friend, member=member, scopes=["notes"], action="export")
    stranger = make_user(display_name="Stranger")
    other = make_user(display_name="Other member")
    Tie.objects.create(member=other, supporter=stranger, role=Role.FRIEND)
    disclosures_append(viewer=stranger, member=other, scopes=["use"])
    client.force_login(member)
    page = client.get(reverse("network:access_log")).content.decode()
    assert "Ana" in page
    assert "My check-in notes" in page
    assert "Exported" in page
    assert "Stranger" not in page
    response = client.get(reverse("network:access_log_csv"))
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert lines[0].startswith(f"rat-park-access-log-head member={member.pk} count=1 head=")
    assert lines[1] == (
        "seq,when,who,who_id,your_name,action,scope,consent_id,previous_hash,entry_hash"
    )
    assert f"Ana,{friend.pk},Sam,export,notes" in body
    assert "Stranger" not in body
