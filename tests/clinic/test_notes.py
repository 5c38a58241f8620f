"""Session notes: encrypted, the author's alone, in no export, gone with either account."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.services import delete_account
from clinic.crypto import decrypt
from clinic.models import DiscussedMark, SessionNote
from clinic.services import session_note_add
from network.models import Scope
from tests.clinic_support import enrol_mfa, reauthenticate
from tests.factories import TherapistFactory
from tests.network_cast import _therapist_tie

NOTE = "PRIVATE-SESSION-NOTE-9911"
OLD_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.CLINIC_NOTE_KEYS = [OLD_KEY]


@pytest.fixture
def pair(make_user, member):
    therapist = enrol_mfa(TherapistFactory(display_name="Dr Note"))
    colleague = enrol_mfa(TherapistFactory(display_name="Dr Colleague"))
    tie = _therapist_tie(member, therapist, [Scope.MOOD_CRAVING, Scope.NOTES])
    other_tie = _therapist_tie(member, colleague, [Scope.MOOD_CRAVING, Scope.NOTES])
    return therapist, colleague, tie, other_tie


def test_a_note_is_encrypted_and_shown_only_to_its_author(client, member, pair):
    therapist, colleague, tie, other_tie = pair
    client.force_login(therapist)
    response = client.post(
        reverse("clinic:note_add", args=[tie.pk]),
        {"session_on": timezone.now().date().isoformat(), "text": NOTE},
    )
    assert response.status_code == HTTPStatus.FOUND
    note = SessionNote.objects.get()
    assert NOTE.encode() not in bytes(note.ciphertext)
    assert NOTE in client.get(reverse("clinic:client", args=[tie.pk])).content.decode()

    client.force_login(colleague)
    assert NOTE not in client.get(reverse("clinic:client", args=[other_tie.pk])).content.decode()
    client.force_login(member)
    for url in (reverse("dashboard"), reverse("account_settings")):
        assert NOTE not in client.get(url).content.decode()


def test_a_note_is_in_no_export(client, pair):
    therapist, _, tie, _ = pair
    session_note_add(
        author=therapist, member=tie.member, session_on=timezone.now().date(), text=NOTE
    )
    client.force_login(therapist)
    reauthenticate(client)
    for name in ("clinic:export_csv", "clinic:export_pdf", "clinic:export_fhir"):
        response = client.get(reverse(name, args=[tie.pk]))
        assert response.status_code == HTTPStatus.OK
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert NOTE.encode() not in body, name


def test_an_empty_or_bad_note_changes_nothing(client, pair):
    therapist, _, tie, _ = pair
    client.force_login(therapist)
    for data in ({"session_on": "2026-01-01", "text": "  "}, {"session_on": "x", "text": "a"}):
        response = client.post(reverse("clinic:note_add", args=[tie.pk]), data)
        assert response.status_code == HTTPStatus.FOUND
    assert not SessionNote.objects.exists()
    response = client.post(reverse("clinic:discussed", args=[tie.pk]), {"day": "not-a-day"})
    assert response.status_code == HTTPStatus.FOUND
    assert not DiscussedMark.objects.exists()


@pytest.mark.parametrize("who", ["author", "member"])
def test_notes_go_with_either_account(pair, who):
    therapist, _, tie, _ = pair
    session_note_add(
        author=therapist, member=tie.member, session_on=timezone.now().date(), text=NOTE
    )
    delete_account(therapist if who == "author" else tie.member)
    assert not SessionNote.objects.exists()


def test_rotating_keys_re_encrypts_under_the_newest(settings, pair):
    therapist, _, tie, _ = pair
    note = session_note_add(
        author=therapist, member=tie.member, session_on=timezone.now().date(), text=NOTE
    )
    new_key = Fernet.generate_key().decode()
    settings.CLINIC_NOTE_KEYS = [new_key, OLD_KEY]
    call_command("rotate_note_keys")
    settings.CLINIC_NOTE_KEYS = [new_key]  # the old key can go now
    note.refresh_from_db()
    assert decrypt(note.ciphertext) == NOTE


def test_the_notes_section_is_drawn_once_in_the_page_body(client, pair):
    therapist, _colleague, tie, _other = pair
    client.force_login(therapist)
    session_note_add(
        author=therapist, member=tie.member, session_on=timezone.now().date(), text=NOTE
    )
    page = client.get(reverse("clinic:client", args=[tie.pk])).content.decode()
    head, body = page.split("</head>", 1)
    assert NOTE not in head
    assert "notes-heading" not in head  # not in <title> or <head>
    assert body.count('id="notes-heading"') == 1
    assert body.count(NOTE) == 1
