"""A stable per-person spread for default times, so a default does not put everyone
(a whole time zone) into the same minute.

Knows no app: the check-in app shows the spread default as the member's reminder time, and
the nudges schedule uses the same value for someone who never saved one.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings


def jitter_minutes(user_id: int) -> int:
    """A stable offset in [-span/2, span/2) minutes for this person's default times.

    ``span`` is ``NUDGES_DEFAULT_JITTER_MINUTES`` (30 by default; 0 turns the spread off).
    """
    span = int(getattr(settings, "NUDGES_DEFAULT_JITTER_MINUTES", 30))
    if span <= 0:
        return 0
    digest = hashlib.blake2b(str(user_id).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % span - span // 2


def default_time(base: datetime.time, user_id: int) -> datetime.time:
    """``base`` moved by this person's jitter, to the minute."""
    minutes = (base.hour * 60 + base.minute + jitter_minutes(user_id)) % (24 * 60)
    return datetime.time(minutes // 60, minutes % 60)
