"""Creating notifications: ``notify()``, the channels a person accepts, their quiet hours.

This app knows no rule, and sits below the apps that call it, so it imports none of them.
The channels and quiet hours a person accepts are their contact preferences
(``accounts.ContactPreferences``), read through ``accounts.selectors``. The deliveries made
here are sent by this app's ``tasks.deliver`` (``delivery.deliver_one``).

What a one-tap answer means beyond being recorded is a higher app's, named by dotted path in
``ANSWER_HANDLERS`` (the registry mechanism of docs/architecture.md), resolved when used.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.selectors import contact_preferences_of, quiet_hours_of
from accounts.services import contact_push_enable
from recovery import quiet_hours

from .models import Channel, Delivery, Kind, Mute, Notification, PushSubscription
from .tasks import deliver

logger = logging.getLogger(__name__)


# Kinds a person cannot stop: an SOS contact ends the role instead, and account, consent and
# network notices carry changes to what is shared about them.
UNSTOPPABLE_KINDS = frozenset({Kind.SOS, Kind.NETWORK, Kind.CONSENT})


# By answer: (notification, now) -> None, run in the answer's transaction. "I reached out"
# logs a contact in the network app; "snooze" pauses the nudges app's prompts for a day.
ANSWER_HANDLERS: dict[str, str] = {
    "reached_out": "nudges.services.log_reach_out",
    "snooze": "nudges.services.snooze_prompts",
}


@transaction.atomic
def notification_respond(*, notification: Notification, action: str) -> bool:
    """Record the recipient's one-tap answer; return False if it was already answered.

    "stop" stops this kind altogether (no new ones, on any channel, the inbox included),
    except the kinds nobody can stop; the other answers do what ``ANSWER_HANDLERS`` says.
    """
    if action == "stop" and notification.kind in UNSTOPPABLE_KINDS:
        return False
    now = timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, response="").update(
        response=action, responded_at=now, read_at=now
    )
    if action == "stop":
        Mute.objects.get_or_create(
            user=notification.recipient, kind=notification.kind, channel=Mute.ALL
        )
    if not updated:
        return False
    if action in ANSWER_HANDLERS:
        import_string(ANSWER_HANDLERS[action])(notification, now)
    return True


def stopped(recipient: User, kind: str) -> bool:
    """Whether ``recipient`` stopped ``kind`` altogether (then no notification is made)."""
    if kind in UNSTOPPABLE_KINDS:
        return False
    return Mute.objects.filter(user=recipient, kind=kind, channel=Mute.ALL).exists()


def channels_for(recipient: User, kind: str) -> list[str]:
    """The channels a new notification of ``kind`` goes out on for ``recipient``.

    The inbox always; email and push as the recipient chose, minus kinds they muted there.
    Push goes to anyone with a subscribed device unless they turned push off (a missing
    preference row means the model default, on). A kind stopped on every channel makes no
    notification at all (``notify`` checks ``stopped`` first).
    """
    pref = contact_preferences_of(recipient)
    muted = set(Mute.objects.filter(user=recipient, kind=kind).values_list("channel", flat=True))
    channels: list[str] = [Channel.INAPP]
    if (pref is None or pref.channel_email) and Channel.EMAIL not in muted:
        channels.append(Channel.EMAIL)
    if (
        (pref is None or pref.channel_push)
        and Channel.PUSH not in muted
        and PushSubscription.objects.filter(user=recipient).exists()
    ):
        channels.append(Channel.PUSH)
    return channels


def quiet_hours_end(recipient: User, now: dt) -> dt | None:
    """When the recipient's quiet hours end, if ``now`` falls inside them; else None."""
    return quiet_hours.end_after(now.astimezone(recipient.zone), *quiet_hours_of(recipient))


def notify(
    *,
    recipient: User,
    kind: Kind | str,
    title: str,
    body: str,
    idempotency_key: str,
    subject_member: User | None = None,
    action_url: str = "",
    data: dict[str, Any] | None = None,
    due_at: dt | None = None,
    not_before: dt | None = None,
) -> tuple[Notification | None, bool]:
    """Create a notification once per idempotency key; return it and whether it is new.

    A recipient who stopped this kind gets nothing: ``(None, False)``. SOS, network and
    consent notices cannot be stopped.

    ``title`` and ``body`` must be safe on a lock screen: no health details. A new
    notification gets one delivery per channel; their task is published after commit, and
    if the broker is down they stay pending for the next sweep to publish. It shows in the
    inbox at once; email and push wait for the end of the recipient's quiet hours unless
    ``not_before`` says otherwise (SOS passes its own).
    """
    if stopped(recipient, kind):
        return None, False
    now = timezone.now()
    if not_before is None and kind != Kind.SOS:
        not_before = quiet_hours_end(recipient, now)
    fields = {
        "recipient": recipient,
        "kind": kind,
        "title": title,
        "body": body,
        "subject_member": subject_member,
        "action_url": action_url,
        "data": data or {},
        "local_date": now.astimezone(recipient.zone).date(),
    }
    if due_at is not None:
        fields["due_at"] = due_at
    try:
        with transaction.atomic():
            notification = Notification.objects.create(idempotency_key=idempotency_key, **fields)
            deliveries = Delivery.objects.bulk_create(
                Delivery(
                    notification=notification,
                    channel=channel,
                    not_before=(not_before or now) if channel != Channel.INAPP else now,
                    queued_at=now,
                    created_at=now,
                )
                for channel in channels_for(recipient, kind)
            )
    except IntegrityError:
        return Notification.objects.get(idempotency_key=idempotency_key), False
    ready = [d.pk for d in deliveries if d.not_before <= now]
    later = [d.pk for d in deliveries if d.not_before > now]
    if later:
        # Deferred (quiet hours): the sweep publishes them when they are due.
        Delivery.objects.filter(pk__in=later).update(queued_at=None)
    if ready:
        transaction.on_commit(functools.partial(publish_deliveries, ready))
    return notification, True


def publish_deliveries(delivery_ids: list[int]) -> bool:
    """Publish one delivery task for these ids; on a broker failure leave them for the sweep.

    Never raises: a web request must succeed even when Redis is down.
    """
    try:
        deliver.apply_async((delivery_ids,))
    except Exception:  # kombu and redis raise many kinds; all mean "not published"
        logger.warning("broker unavailable; deliveries left pending", exc_info=True)
        Delivery.objects.filter(pk__in=delivery_ids, status="pending").update(queued_at=None)
        return False
    return True


def unsubscribe(*, user: User, kind: str, channel: str = Channel.EMAIL) -> None:
    """Stop ``kind`` on one channel (the email footer's one-click link)."""
    Mute.objects.get_or_create(user=user, kind=kind, channel=channel)


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Remember a device for web push and turn push on for its owner.

    Without saved contact preferences push is on already (the default); with them, subscribing
    a device is the owner asking for push, so it turns a saved "off" back on.
    """
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
    )
    contact_push_enable(user=user)
    return subscription
