"""The Celery application. Configuration lives in settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

app = Celery("recovery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="recovery.ping", ignore_result=False)
def ping() -> str:
    """A task that proves a worker is consuming (used by the stack test and operators)."""
    return "pong"
