"""Notifications in the admin: delivery state for operators, never what a message says.

Staff see that a notification of some kind went to someone and how its delivery went. They
do not see its words (title, body, data), nor whom it was about (an SOS or a supporter nudge
names a member's hard moment). Members' nudge choices and "stop" mutes are theirs: listed
read-only, so an operator can't switch on nudges a member turned off.
"""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.db import connection
from django.utils import timezone

from recovery.admin import DeclaredFiltersOnly, ReadOnlyAdmin

from .models import Delivery, DeliveryStatus, Mute, Notification, PushSubscription

DWELL_WINDOW = datetime.timedelta(days=7)


def dwell_percentiles(since: datetime.datetime) -> dict[str, float | None]:
    """p50 and p95 of due → delivered, in seconds, over notifications delivered since then."""
    if connection.vendor != "postgresql":
        return {"p50": None, "p95": None, "count": 0}
    # This app's own table, under the name it kept from the nudges app (Notification.Meta).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY d), count(*)
            FROM (SELECT EXTRACT(EPOCH FROM delivered_at - due_at) AS d
                  FROM nudges_notification
                  WHERE delivered_at IS NOT NULL AND delivered_at >= %s) x
            """,
            [since],
        )
        p50, p95, count = cursor.fetchone()
    return {"p50": p50, "p95": p95, "count": count}


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = fields = (
        "channel",
        "status",
        "attempts",
        "not_before",
        "queued_at",
        "sent_at",
        "last_error",
    )


@admin.register(Notification)
class NotificationAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    # Staff see delivery state, never the words nor whom a notification is about. The
    # idempotency key names the subject member (``supporter_nudge:<to>:<about>:<date>``), so it
    # is neither shown nor searchable: a search is an oracle on what it matches. Support finds
    # a person's notifications by their email.
    list_display = ["kind", "recipient_id", "status", "due_at", "delivered_at", "dwell"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__email"]
    fields = readonly_fields = (
        "kind",
        "recipient",
        "status",
        "due_at",
        "created_at",
        "local_date",
        "delivered_at",
        "read_at",
        "response",
        "responded_at",
    )
    inlines = [DeliveryInline]
    actions = ["retry_failed"]
    date_hierarchy = "created_at"

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        stats = dwell_percentiles(timezone.now() - DWELL_WINDOW)
        extra_context["title"] = "Notifications — dwell (due → delivered, last 7 days): " + (
            f"p50 {stats['p50']:.1f} s, p95 {stats['p95']:.1f} s over {stats['count']}"
            if stats["count"]
            else "no deliveries yet"
        )
        return super().changelist_view(request, extra_context=extra_context)

    @admin.action(description="Retry failed deliveries")
    def retry_failed(self, request, queryset):
        count = Delivery.objects.filter(
            notification__in=queryset, status=DeliveryStatus.FAILED
        ).update(status=DeliveryStatus.PENDING, attempts=0, queued_at=None, last_error="")
        queryset.filter(status="failed").update(status="pending", delivered_at=None)
        self.message_user(request, f"{count} deliveries will be retried at the next sweep.")

    def has_add_permission(self, request):
        return False


@admin.register(Mute)
class MuteAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "kind", "channel", "created_at"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = ["user_id", "created_at"]
    exclude = ["p256dh", "auth"]
