"""Celery tasks: a thin, idempotent wrapper around sending deliveries."""

from __future__ import annotations

from celery import shared_task

from .delivery import deliver_one
from .models import Delivery


# The name is the one the task had in the nudges app, kept on purpose: messages already in the
# broker when this version is deployed still find it, and CELERY_TASK_ROUTES sends it to the
# delivery queue by this name.
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
