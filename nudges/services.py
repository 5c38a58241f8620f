"""Creating notifications and answering them. Other apps call ``notify``."""

from __future__ import annotations

import datetime
import functools
import logging
from datetime import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import Channel, Delivery, Kind, Mute, Notification, PushSubscription
from recovery import quiet_hours

from .models import NudgePreference, SosAlert

if TYPE_CHECKING:
    from checkins.models import CheckIn

logger = logging.getLogger(__name__)

# Kinds a person cannot stop: an SOS contact ends the role instead, and account, consent and
# network notices carry changes to what is shared about them.
UNSTOPPABLE_KINDS = frozenset({Kind.SOS, Kind.NETWORK, Kind.CONSENT})


def stopped(recipient: User, kind: str) -> bool:
    """Whether ``recipient`` stopped ``kind`` altogether (then no notification is made)."""
    if kind in UNSTOPPABLE_KINDS:
        return False
    return Mute.objects.filter(user=recipient, kind=kind, channel=Mute.ALL).exists()


def _reminder_preference(user: User):
    from checkins.selectors import saved_reminder_preference

    return saved_reminder_preference(user)


def channels_for(recipient: User, kind: str) -> list[str]:
    """The channels a new notification of ``kind`` goes out on for ``recipient``.

    The inbox always; email and push as the recipient chose, minus kinds they muted there.
    Push goes to anyone with a subscribed device unless they turned push off (a missing
    preference row means the model default, on). A kind stopped on every channel makes no
    notification at all (``notify`` checks ``stopped`` first).
    """
    pref = _reminder_preference(recipient)
    muted = set(Mute.objects.filter(user=recipient, kind=kind).values_list("channel", flat=True))
    channels = [Channel.INAPP]
    if (pref is None or pref.channel_email) and Channel.EMAIL not in muted:
        channels.append(Channel.EMAIL)
    if (
        (pref is None or pref.channel_push)
        and Channel.PUSH not in muted
        and PushSubscription.objects.filter(user=recipient).exists()
    ):
        channels.append(Channel.PUSH)
    return channels


def quiet_hours_of(user: User) -> tuple[datetime.time, datetime.time]:
    """The user's quiet hours (start, end), the defaults if they never saved any."""
    pref = _reminder_preference(user)
    return (pref.quiet_start, pref.quiet_end) if pref else quiet_hours.DEFAULT


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
    from .tasks import deliver

    try:
        deliver.apply_async((delivery_ids,))
    except Exception:  # kombu and redis raise many kinds; all mean "not published"
        logger.warning("broker unavailable; deliveries left pending", exc_info=True)
        Delivery.objects.filter(pk__in=delivery_ids, status="pending").update(queued_at=None)
        return False
    return True


@transaction.atomic
def notification_respond(*, notification: Notification, action: str) -> bool:
    """Record the recipient's one-tap answer; return False if it was already answered.

    "reached_out" logs a contact (so tomorrow brings no reach-out prompt), "snooze" pauses
    prompts for a day, "stop" stops this kind altogether (no new ones, on any channel, the
    inbox included), except the kinds nobody can stop.
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
    recipient = notification.recipient
    if action == "reached_out":
        _log_reach_out(notification, now)
    elif action == "snooze":
        NudgePreference.objects.update_or_create(
            member=recipient, defaults={"snoozed_until": now + datetime.timedelta(days=1)}
        )
    return True


def _log_reach_out(notification: Notification, now: dt) -> None:
    from network.services import contact_log_from_nudge

    contact_log_from_nudge(
        member=notification.recipient,
        tie_id=notification.data.get("tie_id"),
        occurred_at=now,
    )


def unsubscribe(*, user: User, kind: str, channel: str = Channel.EMAIL) -> None:
    """Stop ``kind`` on one channel (the email footer's one-click link)."""
    Mute.objects.get_or_create(user=user, kind=kind, channel=channel)


SOS_REPEAT_MINUTES = 15  # a second press within this reuses the alert: no second wave


def sos_send(
    *, member: User, checkin: CheckIn | None = None, message: str | None = None
) -> list[Notification]:
    """Alert the member's SOS contacts now, with only the words the member chose to share.

    From the standing "I need support" button (no check-in: ``message`` is the member's own
    words for this time, else their saved SOS words) or from a hard check-in (one alert per
    check-in). A second press within a few minutes reuses the open alert, so contacts are
    told once; a contact added meanwhile is told too. Contacts in their quiet hours get it in
    the inbox at once and by email/push when their quiet hours end, unless they opted in to
    urgent alerts. Once someone is told about a check-in, its risk event is marked handled
    (the check-in app's ``risk_event_claim``), so it stays in the member's history.
    """
    if checkin is not None and checkin.member_id != member.pk:
        raise ValueError("Not the member's check-in.")
    alert = sos_alert_open(member=member, checkin=checkin, message=message)
    return sos_alert_send(alert)


def sos_saved_words(member: User) -> str:
    pref = NudgePreference.objects.filter(member=member).first()
    return pref.sos_message if pref else NudgePreference._meta.get_field("sos_message").default


def sos_alert_open(
    *, member: User, checkin: CheckIn | None = None, message: str | None = None
) -> SosAlert:
    """The member's alert for this press: the check-in's, a recent one, or a new one."""
    words = (message or "").strip()[:200] or sos_saved_words(member)
    if checkin is not None:
        alert, _ = SosAlert.objects.get_or_create(
            checkin_ref=checkin.pk, defaults={"member": member, "message": words}
        )
        return alert
    now = timezone.now()
    recent = (
        SosAlert.objects.filter(
            member=member,
            checkin_ref__isnull=True,
            created_at__gte=now - datetime.timedelta(minutes=SOS_REPEAT_MINUTES),
        )
        .order_by("-created_at")
        .first()
    )
    return recent or SosAlert.objects.create(member=member, message=words, created_at=now)


def sos_alert_send(alert: SosAlert) -> list[Notification]:
    """Tell each current SOS contact about ``alert`` once (idempotent per alert and contact)."""
    from network.selectors import sos_ties

    member = alert.member
    now = timezone.now()
    ties = sos_ties(member, now)
    urgent = set(
        NudgePreference.objects.filter(
            member__in=[t.supporter_id for t in ties], urgent_alerts=True
        ).values_list("member_id", flat=True)
    )
    sent = []
    for tie in ties:
        supporter = tie.supporter
        not_before = None if supporter.pk in urgent else quiet_hours_end(supporter, now)
        notification, _ = notify(
            recipient=supporter,
            kind=Kind.SOS,
            title=f"{member.display_name} asked for support",
            body=f"{member.display_name} would like you to reach out when you can.",
            idempotency_key=f"sos:{supporter.pk}:{alert.pk}",
            subject_member=member,
            data={"words": alert.message, "tie_id": str(tie.pk), "sos_id": str(alert.pk)},
            not_before=not_before,
        )
        sent.append(notification)
    if sent and alert.checkin_ref:
        from checkins.models import CheckIn
        from checkins.services import risk_event_claim

        checkin = CheckIn.objects.filter(pk=alert.checkin_ref, member=member).first()
        if checkin is not None:
            risk_event_claim(checkin=checkin, now=now)
    return sent


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Remember a device for web push and turn push on for its owner.

    Without saved reminder choices push is on already (the default); with them, subscribing
    a device is the owner asking for push, so it turns a saved "off" back on.
    """
    from checkins.services import reminder_push_enable

    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
    )
    reminder_push_enable(member=user)
    return subscription
