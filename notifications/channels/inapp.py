from __future__ import annotations

from typing import TYPE_CHECKING

from . import BaseChannel

if TYPE_CHECKING:
    from ..models import Delivery, Notification


class InAppChannel(BaseChannel):
    """The inbox: the notification row is the message, so sending only marks it delivered."""

    name = "inapp"

    def send(self, delivery: Delivery, notification: Notification) -> None:
        return None
