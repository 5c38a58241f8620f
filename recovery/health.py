"""Liveness of the two things every request and reminder depends on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connection

from .celery import app as celery_app

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

HEALTHZ_PATH = "/healthz"
# Both checks together must answer well inside a load balancer's probe timeout.
BROKER_TIMEOUT_SECONDS = 2.0
DATABASE_TIMEOUT_SECONDS = 2.0


def check_database(timeout: float = DATABASE_TIMEOUT_SECONDS) -> str | None:
    """Return None when the database answers, else a short error description.

    With psycopg's pool, ask the pool directly with a short wait: a request would wait the
    pool's full timeout (10 s) for a connection to a database that is down.
    """
    try:
        pool = getattr(connection, "pool", None)
        if pool is not None:
            pool.open()  # as Django does on first use; a no-op once open
            with pool.connection(timeout=timeout) as conn:
                conn.execute("SELECT 1").fetchone()
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception as exc:  # any failure means "unhealthy", whatever the driver raised
        return type(exc).__name__
    return None


def check_broker(timeout: float = BROKER_TIMEOUT_SECONDS) -> str | None:
    """Return None when the Celery broker accepts a connection, else an error description.

    One quick retry only: a probe that waits for a dead broker to come back would hang the
    probe instead of reporting the outage.
    """
    # Each of the two attempts gets half the budget, for connecting and for the first reply.
    attempt = {"socket_connect_timeout": timeout / 2, "socket_timeout": timeout / 2}
    try:
        with celery_app.connection_for_write(transport_options=attempt) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.1, timeout=timeout)
    except Exception as exc:
        return type(exc).__name__
    return None


class HealthzMiddleware:
    """Answer /healthz before host validation and the HTTPS redirect.

    Load balancers and container health checks probe over plain HTTP, by IP address or
    ``localhost``, which are not in ALLOWED_HOSTS in production. The answer carries no URLs
    and no user data, so the Host header does not matter to it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTHZ_PATH:
            from .views import healthz  # views import this module

            return healthz(request)
        return self.get_response(request)
