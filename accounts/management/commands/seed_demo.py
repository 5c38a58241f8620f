"""Create a small, deterministic demo data set. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User

DEMO_PASSWORD = "ratpark-demo-2026"  # noqa: S105 (published demo login, never for real data)


class Command(BaseCommand):
    help = "Create demo accounts and data (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        member, _ = User.objects.get_or_create(
            email="sam@demo.ratpark.local", defaults={"display_name": "Sam"}
        )
        member.set_password(DEMO_PASSWORD)
        member.save()
        self.stdout.write(f"Demo member: {member.email} / {DEMO_PASSWORD}")
