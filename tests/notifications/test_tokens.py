"""Signed one-tap links: every signed part is really signed, and a link really expires.

Each test changes one part of a real token (the notification id, the action, the timestamp,
the signature) and posts it to the real view; nothing may happen to any notification. The
expiry tests sign with the real signer while the clock is moved (time-machine), so the reader
under test is the production one, with no mock.
"""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
import time_machine
from django.core.signing import b62_encode
from django.urls import reverse
from django.utils import timezone

from network.models import Contact
from notifications.models import Kind, Mute, Notification
from notifications.tokens import ACTION_MAX_AGE, action_token, unsubscribe_token
from nudges.models import NudgePreference
from nudges.services import notify

pytestmark = pytest.mark.usefixtures("no_default_quiet_hours")


def _note(user, key: str) -> Notification:
    return notify(
        recipient=user, kind=Kind.ISOLATION_PROMPT, title="Hello", body="Hi", idempotency_key=key
    )[0]


@pytest.fixture
def notes(member, make_user):
    victim = make_user("victim@example.org")
    return _note(member, "mine"), _note(victim, "theirs")


def _nothing_happened(*notifications: Notification) -> None:
    for note in notifications:
        note.refresh_from_db()
        assert note.response == "", note
        assert note.responded_at is None, note
    assert not Mute.objects.exists()
    assert not NudgePreference.objects.filter(snoozed_until__isnull=False).exists()
    assert not Contact.objects.exists()


def _post(client, token: str):
    return client.post(reverse("notifications:act", args=[token]))


def _parts(token: str) -> tuple[str, str, str, str]:
    """A TimestampSigner token is ``<id>:<action>:<timestamp>:<signature>``."""
    value, timestamp, signature = token.rsplit(":", 2)
    notification_id, action = value.split(":")
    return notification_id, action, timestamp, signature


def test_an_untouched_token_works(client, notes):
    mine, _ = notes
    assert _post(client, action_token(mine.pk, "snooze")).status_code == HTTPStatus.OK
    mine.refresh_from_db()
    assert mine.response == "snooze"


def test_another_notification_id_under_the_same_signature_is_refused(client, notes):
    mine, theirs = notes
    token = action_token(mine.pk, "stop")
    forged = token.replace(str(mine.pk), str(theirs.pk))
    assert forged != token
    response = _post(client, forged)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This link isn" in response.content.decode()
    _nothing_happened(mine, theirs)


@pytest.mark.parametrize(("signed", "forged"), [("snooze", "stop"), ("snooze", "reached_out")])
def test_another_action_under_the_same_signature_is_refused(client, notes, signed, forged):
    mine, theirs = notes
    token = action_token(mine.pk, signed)
    tampered = token.replace(f":{signed}:", f":{forged}:")
    assert tampered != token
    assert _post(client, tampered).status_code == HTTPStatus.BAD_REQUEST
    _nothing_happened(mine, theirs)


def test_a_later_timestamp_under_the_same_signature_is_refused(client, notes):
    """Re-dating an old link would make it live forever."""
    mine, theirs = notes
    notification_id, action, timestamp, signature = _parts(action_token(mine.pk, "snooze"))
    later = b62_encode(int(timezone.now().timestamp()) + 3600)
    assert later != timestamp
    tampered = f"{notification_id}:{action}:{later}:{signature}"
    assert _post(client, tampered).status_code == HTTPStatus.BAD_REQUEST
    _nothing_happened(mine, theirs)


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_changed_signature_is_refused(client, notes, where):
    mine, theirs = notes
    notification_id, action, timestamp, signature = _parts(action_token(mine.pk, "snooze"))
    index = 0 if where == "first" else -1
    swapped = "A" if signature[index] != "A" else "B"
    signature = swapped + signature[1:] if index == 0 else signature[:-1] + swapped
    assert _post(client, f"{notification_id}:{action}:{timestamp}:{signature}").status_code == 400
    _nothing_happened(mine, theirs)


def test_a_token_signed_for_another_purpose_is_refused(client, member, notes):
    """An unsubscribe token (another salt) is no action token, even with the same text."""
    mine, theirs = notes
    assert _post(client, unsubscribe_token(member.pk, "snooze")).status_code == 400
    _nothing_happened(mine, theirs)


def test_a_link_older_than_its_lifetime_has_expired(client, notes):
    mine, theirs = notes
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(seconds=ACTION_MAX_AGE + 60), tick=False):
        old = action_token(mine.pk, "snooze")
    response = _post(client, old)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "expired" in response.content.decode()
    assert "expired" in client.get(reverse("notifications:act", args=[old])).content.decode()
    _nothing_happened(mine, theirs)


def test_a_link_expires_as_the_clock_moves_on(client, notes):
    mine, theirs = notes
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = action_token(mine.pk, "snooze")
    with time_machine.travel(start + datetime.timedelta(seconds=ACTION_MAX_AGE + 1), tick=False):
        assert _post(client, token).status_code == HTTPStatus.BAD_REQUEST
    _nothing_happened(mine, theirs)
    with time_machine.travel(start + datetime.timedelta(seconds=ACTION_MAX_AGE - 60), tick=False):
        assert _post(client, token).status_code == HTTPStatus.OK
    mine.refresh_from_db()
    assert mine.response == "snooze"


def test_an_unsubscribe_token_for_another_person_or_kind_is_refused(client, member, notes):
    _, theirs = notes
    token = unsubscribe_token(member.pk, Kind.CHECKIN_REMINDER)
    for forged in (
        token.replace(f"{member.pk}:", f"{theirs.recipient_id}:", 1),
        token.replace(Kind.CHECKIN_REMINDER, Kind.SOS),
    ):
        assert forged != token
        url = reverse("notifications:unsubscribe", args=[forged])
        assert client.post(url).status_code == HTTPStatus.BAD_REQUEST
    assert not Mute.objects.exists()
