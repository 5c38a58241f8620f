"""Verify the access log's hash chain: any edited, inserted or deleted entry is detected."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from network.accesslog import verify_chain


class Command(BaseCommand):
    help = "Check that the access log (accounting of disclosures) has not been tampered with."

    def handle(self, *args, **options) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Access log chain broken at entry {report.broken_at}: {report.problem} "
                f"({report.checked} entries before it are intact)."
            )
        self.stdout.write(f"Access log intact: {report.checked} entries verified.")
