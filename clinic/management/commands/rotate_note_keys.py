"""Re-encrypt every session note under the newest key in CLINIC_NOTE_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clinic.crypto import NotesUnavailable, rotate
from clinic.models import SessionNote


class Command(BaseCommand):
    help = "Re-encrypt all session notes under the newest key; then the old key can go."

    def handle(self, *args, **options) -> None:
        done = 0
        try:
            with transaction.atomic():
                for note in SessionNote.objects.select_for_update().only("id", "ciphertext"):
                    note.ciphertext = rotate(note.ciphertext)
                    note.save(update_fields=["ciphertext"])
                    done += 1
        except NotesUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Re-encrypted {done} session note(s) under the newest key.")
