"""Emptying a bench's scratch database past the access log's guard.

The access log refuses TRUNCATE (network migration 0009), and Django's ``flush`` and the
benches' own ``TRUNCATE … CASCADE`` reach it through the users table. A bench owns its scratch
database, so it empties it as a superuser could: with triggers off for that statement only
(``session_replication_role = replica``), back on right after. Never point a bench at a
database whose access log matters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection


@contextlib.contextmanager
def access_log_guard_off() -> Iterator[None]:
    """Triggers off on this connection for the block (PostgreSQL superuser only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
