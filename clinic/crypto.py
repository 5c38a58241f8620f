"""Encryption of session notes with cryptography's MultiFernet, so keys can rotate.

Keys come from the environment (``CLINIC_NOTE_KEYS``: comma-separated Fernet keys, newest
first). The newest encrypts; every listed key decrypts; ``manage.py rotate_note_keys``
re-encrypts all notes under the newest so an old key can then be removed. With DEBUG on and no
key set, a key derived from SECRET_KEY is used so a development setup works; in production
notes stay off until a key is configured.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class NotesUnavailable(RuntimeError):
    """No key configured: the message is safe to show."""


def _keys() -> list[bytes]:
    keys = [k.strip().encode() for k in getattr(settings, "CLINIC_NOTE_KEYS", []) if k.strip()]
    if not keys and settings.DEBUG:
        digest = hashlib.sha256(b"clinic-notes:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest)]
    return keys


def fernet() -> MultiFernet:
    keys = _keys()
    if not keys:
        raise NotesUnavailable("Session notes are off until the site's operator sets a key.")
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(text: str) -> bytes:
    return fernet().encrypt(text.encode())


def decrypt(token: bytes) -> str:
    try:
        return fernet().decrypt(bytes(token)).decode()
    except InvalidToken:
        return "(This note can't be read with the keys configured now.)"


def rotate(token: bytes) -> bytes:
    return fernet().rotate(bytes(token))
