"""The Celery application. Configuration lives in settings (CELERY_* names)."""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

logger = logging.getLogger(__name__)

app = Celery("recovery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class BrokerOutageConsumer(Consumer):
    """Celery's consumer, but a broker outage never stops the worker.

    Celery 5.7.0 with kombu 5.7.0: after a lost connection the consumer releases the
    connection's transport, then closes the connection; the close tries to put unacknowledged
    messages back through the released transport and raises AttributeError, which ends the
    worker ("Unrecoverable error"). The broker is unreachable at that moment anyway, so those
    messages stay in Redis and come back after the visibility timeout, as with any worker that
    lost its connection. Swallow that error only, and let Celery reconnect as usual.
    tests/test_stack.py shows the worker surviving; remove this once Celery fixes it.
    """

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError:
            logger.warning(
                "Could not put unacknowledged messages back after losing the broker; "
                "they return after the visibility timeout.",
                exc_info=True,
            )


@app.task(name="recovery.ping", ignore_result=False)
def ping() -> str:
    """A task that proves a worker is consuming (used by the stack test and operators)."""
    return "pong"
