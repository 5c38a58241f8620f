"""Read text fields out of a small JSON request body, refusing anything else.

A browser's script posts JSON to a few endpoints (web push). Whatever arrives there is
untrusted: invalid UTF-8, ``\\u0000``, a lone surrogate (``\\ud800``, which PostgreSQL cannot
store), a number or list where text belongs, nesting deep enough to exhaust the parser, or
megabytes of padding. :func:`json_text_fields` turns all of those into ``None`` so the view
answers 400 and changes nothing; the form the fields are then bound to checks the rest (NUL
bytes, lengths, URL shape) the way every other form does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_BODY_BYTES = 8 * 1024  # a push subscription is a few hundred bytes


def json_text_fields(body: bytes, paths: Mapping[str, tuple[str, ...]]) -> dict[str, str] | None:
    """``{name: text}`` for each key path into a JSON object body, or ``None`` if any is not
    there or is not storable text."""
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    fields = {}
    for name, path in paths.items():
        value = payload
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        if not isinstance(value, str) or not _storable(value):
            return None
        fields[name] = value
    return fields


def _storable(text: str) -> bool:
    # Lone surrogates survive json.loads but cannot be encoded as UTF-8 for the database.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
