"""Liveness of the two things every request and reminder depends on."""

from __future__ import annotations

from django.db import connection

from .celery import app as celery_app


def check_database() -> str | None:
    """Return None when the database answers, else a short error description."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "unhealthy", whatever the driver raised
        return type(exc).__name__
    return None


def check_broker(timeout: float = 2.0) -> str | None:
    """Return None when the Celery broker accepts a connection, else an error description."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        return type(exc).__name__
    return None
