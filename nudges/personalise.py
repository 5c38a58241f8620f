"""What the sweep leaves for sending time: the person a reach-out prompt names.

Named in ``notifications.delivery.PERSONALISERS``; the delivery that goes out first calls it
once per notification.
"""

from __future__ import annotations

from typing import Any

from network.services.suggestion import suggest_reach_out
from notifications.models import Notification


def isolation_prompt(notification: Notification) -> dict[str, Any]:
    """The prompt's content naming the person to reach out to now, if there is one.

    The suggestion is made for the prompt's due time, so a prompt sent late (quiet hours, a
    retry) still names whom it would have named then.
    """
    data = dict(notification.data)
    title, body = notification.title, notification.body
    suggestions = suggest_reach_out(notification.recipient, now=notification.due_at, limit=1)
    if suggestions:
        tie = suggestions[0].tie
        data.update({"tie_id": str(tie.pk), "name": tie.name, "phone": tie.phone})
        title = f"{tie.name} might enjoy hearing from you"
        body = f"A quick call or message to {tie.name} counts. Whenever you're ready."
    return {"title": title, "body": body, "data": data}
