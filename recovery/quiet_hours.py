"""Quiet hours: the one home of their defaults and of "is this moment inside them?".

A person's quiet hours are a start and an end time of day in their own time zone; start after
end wraps past midnight (22:00–08:00), and start equal to end means none. Nothing but the
inbox reaches them inside: reminders and prompts are not scheduled there, and email and push
wait for the end. Every app asks here (checkins' form and model, network's suggestions, the
nudges schedule and notify), so the defaults and the test live once. Read ``DEFAULT`` through
the module (``quiet_hours.DEFAULT``), not a copy, so one patch changes it everywhere.
"""

from __future__ import annotations

import datetime

DEFAULT_START = datetime.time(22, 0)
DEFAULT_END = datetime.time(8, 0)
# The quiet hours of someone who never chose theirs.
DEFAULT: tuple[datetime.time, datetime.time] = (DEFAULT_START, DEFAULT_END)


def inside(t: datetime.time, start: datetime.time, end: datetime.time) -> bool:
    """Whether local time ``t`` falls in quiet hours ``start``–``end`` (equal: none)."""
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def end_after(
    local: datetime.datetime, start: datetime.time, end: datetime.time
) -> datetime.datetime | None:
    """When the quiet hours around the aware local moment ``local`` end, in UTC; None outside.

    The end is built on the wall clock of ``local``'s zone (zoneinfo resolves a DST gap or
    fold), so an 08:00 end stays 08:00 local across a change of offset.
    """
    t = local.time()
    if not inside(t, start, end):
        return None
    end_day = local.date() if t < end else local.date() + datetime.timedelta(days=1)
    naive = datetime.datetime.combine(end_day, end)
    return naive.replace(tzinfo=local.tzinfo).astimezone(datetime.UTC)
