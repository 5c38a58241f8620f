"""Delivery channels: each a small class behind one interface.

``send`` either returns (delivered), raises ``TemporaryFailure`` (retry with back-off) or
raises ``PermanentFailure`` (mark failed, never retried).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Delivery, Notification


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


class BaseChannel:
    name = ""

    def send(self, delivery: Delivery, notification: Notification) -> None:
        raise NotImplementedError


def get_channel(name: str) -> BaseChannel:
    from .email import EmailChannel
    from .inapp import InAppChannel
    from .push import PushChannel

    channels: dict[str, type[BaseChannel]] = {
        "inapp": InAppChannel,
        "email": EmailChannel,
        "push": PushChannel,
    }
    return channels[name]()
