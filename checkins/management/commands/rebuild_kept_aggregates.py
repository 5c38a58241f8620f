"""Rebuild the kept check-in and contact aggregates from history."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from checkins.stats import checkin_stats_rebuild
from network.stats import contact_stats_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every member's kept figures (check-in and connection streaks, last contact "
        "overall and per tie) from their check-ins and contacts. Safe to run at any time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--member", type=int, action="append", help="only these user ids")

    def handle(self, *args, member: list[int] | None = None, **options) -> None:
        ids = User.objects.order_by("pk").values_list("pk", flat=True)
        if member:
            ids = ids.filter(pk__in=member)
        done = 0
        for user_id in ids.iterator(chunk_size=2000):
            # One member per transaction: a row lock held briefly, never the whole table.
            with transaction.atomic():
                checkin_stats_rebuild(user_id)
                contact_stats_rebuild(user_id)
            done += 1
        self.stdout.write(f"Rebuilt the kept figures of {done} people.")
