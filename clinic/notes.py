"""A therapist's own notes and "discussed" marks about a client: only ever the author's."""

from __future__ import annotations

import datetime

from accounts.models import User

from .crypto import decrypt
from .models import DiscussedMark, SessionNote


def own_notes(viewer: User, member_id: int) -> list[SessionNote]:
    """The viewer's own session notes about a member, decrypted: never anyone else's."""
    notes = list(SessionNote.objects.filter(author=viewer, member_id=member_id)[:50])
    for note in notes:
        note.text = decrypt(note.ciphertext)
    return notes


def discussed_days(
    viewer: User, member_id: int, start: datetime.date, end: datetime.date
) -> set[datetime.date]:
    """The days of ``member_id``'s history the viewer marked as discussed in a session."""
    return set(
        DiscussedMark.objects.filter(
            author=viewer, member_id=member_id, day__range=(start, end)
        ).values_list("day", flat=True)
    )
