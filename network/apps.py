from __future__ import annotations

from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "network"

    def ready(self) -> None:
        from .stats import connect

        connect()
