"""Celery tasks: thin, idempotent wrappers around the sweep (delivery: ``notifications.tasks``)."""

from __future__ import annotations

import datetime

from celery import shared_task

from .sweep import run_sweep, sweep_due


@shared_task(name="nudges.tasks.sweep", acks_late=True, ignore_result=True)
def sweep() -> None:
    """Run the nudge sweep (beat, every minute). Overlapping runs skip on the advisory lock."""
    run_sweep()


@shared_task(name="nudges.tasks.sweep_share", acks_late=True, ignore_result=True)
def sweep_share(now: str) -> None:
    """Help the running sweep: claim and evaluate due batches (SKIP LOCKED) until none left.

    Asked for by a sweep whose first batch was full (``NUDGES_SWEEP_HELPERS``); expires with
    its minute. Needs no lock: a claimed person belongs to one worker.
    """
    sweep_due(now=datetime.datetime.fromisoformat(now))
