"""Kind words a supporter sends a member."""

from __future__ import annotations

import uuid

from django.urls import reverse

from accounts.models import User
from notifications.models import Kind
from notifications.services import notify
from recovery.ratelimit import within_rate

from ..models import Tie
from .access import may_act_for
from .errors import NetworkError

ENCOURAGEMENT_TEMPLATES = (
    "Thinking of you today.",
    "I'm proud of you. One day at a time.",
    "You're not alone — I'm here if you want to talk.",
    "Just checking in. No need to reply.",
    "Every step counts. Keep going.",
)
ENCOURAGEMENT_LIMIT = 5  # per tie per day


def encouragement_send(*, supporter: User, tie: Tie, message: str) -> None:
    """Put a short kind message from a supporter in the member's inbox.

    The lock-screen text only says a message arrived; the words are shown inside the app.
    """
    message = message.strip()
    if not may_act_for(supporter, tie):
        raise NetworkError("You can't send encouragement to this person.")
    if not message:
        raise NetworkError("Write a short message or choose one.")
    if len(message) > 280:
        raise NetworkError("Please keep it under 280 characters.")
    if not within_rate(f"network:encourage:{tie.pk}", ENCOURAGEMENT_LIMIT, 86400):
        raise NetworkError("You've sent several messages today. Thank you — try again tomorrow.")
    notify(
        recipient=tie.member,
        kind=Kind.ENCOURAGEMENT,
        title=f"A message from {supporter.display_name}",
        body=f"{supporter.display_name} sent you a few kind words.",
        idempotency_key=f"network:encourage:{tie.pk}:{uuid.uuid4()}",
        action_url=reverse("network:encouragements"),
        data={"message": message, "from": supporter.display_name},
    )
