from __future__ import annotations

from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "checkins"

    def ready(self) -> None:
        from .stats import connect

        connect()
