"""Periodic jobs of the support network: thin, idempotent wrappers over services."""

from __future__ import annotations

import logging

from celery import shared_task

from .checkpoints import checkpoint_publish

logger = logging.getLogger(__name__)


@shared_task(name="network.tasks.expire_consents")
def expire_consents() -> dict[str, int]:
    """End consents past expiry, remind members two weeks before, expire stale invitations."""
    from .consents import consents_expire
    from .invitations import invitations_expire

    expired, reminded = consents_expire()
    invitations = invitations_expire()
    logger.info(
        "Consent sweep: %d expired, %d reminded, %d invitations expired",
        expired,
        reminded,
        invitations,
    )
    return {"expired": expired, "reminded": reminded, "invitations_expired": invitations}


@shared_task(name="network.tasks.publish_access_log_checkpoint")
def publish_access_log_checkpoint() -> dict[str, int | str]:
    """Write every access-log chain head and their digest to the structured log.

    Read-only, so a redelivered run only writes another (equally valid) checkpoint.
    """
    checkpoint = checkpoint_publish()
    return {
        "members": len(checkpoint.heads),
        "entries": checkpoint.entries,
        "digest": checkpoint.digest,
    }
