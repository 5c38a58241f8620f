from __future__ import annotations

from django.apps import AppConfig


class NudgesConfig(AppConfig):
    name = "nudges"

    def ready(self) -> None:
        from .signals import connect

        connect()
