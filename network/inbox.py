"""The network app's door to the inbox (nudges.services.notify)."""

from __future__ import annotations

from typing import Any


def notify(**kwargs: Any):
    """Call ``nudges.services.notify``; imported here because nudges builds on network.

    A module-level import would be circular once nudges imports network.services.
    """
    from nudges.services import notify as nudges_notify

    return nudges_notify(**kwargs)
