"""The error every network service raises for a request it cannot do."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class NetworkError(Exception):
    """A request that cannot be done; the message is safe and kind to show to the user."""


def clean_or_raise(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise NetworkError(" ".join(exc.messages)) from exc
