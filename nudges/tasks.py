"""Celery tasks: thin, idempotent wrappers around the sweep and delivery services."""

from __future__ import annotations

import datetime

from celery import shared_task

from notifications.models import Delivery

from .delivery import deliver_one
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


@shared_task(name="nudges.tasks.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_ids: list[int]) -> None:
    """Send these deliveries; each is skipped if already sent or held by another worker.

    A temporary failure with a short back-off is re-published with that countdown (a few
    minutes at most); longer back-offs wait in the database for the sweep's dispatch.
    """
    for delivery_id in delivery_ids:
        outcome = deliver_one(delivery_id)
        if outcome.status == "retry" and outcome.countdown is not None:
            try:
                deliver.apply_async(([delivery_id],), countdown=outcome.countdown)
            except Exception:  # broker down: the sweep re-drives it
                Delivery.objects.filter(pk=delivery_id).update(queued_at=None)
