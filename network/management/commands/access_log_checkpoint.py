"""Print an access-log checkpoint, to keep outside the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from network.checkpoints import checkpoint_take


class Command(BaseCommand):
    help = (
        "Print every member's access-log chain head and the site-wide digest, one line each, "
        "for verify_access_log --checkpoint. Keep the output away from the database (e.g. with "
        "each backup)."
    )

    def handle(self, *args, **options) -> None:
        checkpoint = checkpoint_take()
        for head in checkpoint.heads:
            self.stdout.write(head.line())
        self.stdout.write(checkpoint.line())
