"""Every attack suite builds the same world, which holds a therapist's encrypted session note."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

NOTE_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _session_note_key(settings):
    # Session notes are off without a key; with one, the world's note exists to be attacked.
    settings.CLINIC_NOTE_KEYS = [NOTE_KEY]
