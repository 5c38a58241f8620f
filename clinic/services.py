"""Writes of the clinic: the therapist's own notes and marks. Free of requests and HTML."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from accounts.models import User

from .crypto import encrypt
from .models import NOTE_MAX_LENGTH, DiscussedMark, SessionNote


class ClinicError(Exception):
    """A request that cannot be done; the message is safe to show."""


def session_note_add(
    *, author: User, member: User, session_on: datetime.date, text: str
) -> SessionNote:
    text = text.strip()
    if not text:
        raise ClinicError("Please write the note first.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ClinicError(f"A note can be at most {NOTE_MAX_LENGTH} characters.")
    return SessionNote.objects.create(
        author=author, member=member, session_on=session_on, ciphertext=encrypt(text)
    )


def session_note_delete(*, author: User, note_id) -> bool:
    return SessionNote.objects.filter(pk=note_id, author=author).delete()[0] > 0


def discussed_toggle(*, author: User, member: User, day: datetime.date) -> bool:
    """Mark or unmark a day as discussed in session; returns whether it is marked now."""
    deleted, _ = DiscussedMark.objects.filter(author=author, member=member, day=day).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            DiscussedMark.objects.create(author=author, member=member, day=day)
    except IntegrityError:
        pass  # a double click: it is marked either way
    return True
