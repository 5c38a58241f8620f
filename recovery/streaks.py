"""Runs of consecutive calendar dates: the arithmetic behind check-in and connection streaks.

Knows no app. A streak is kept as three values, so a page reads it without the history:
the last date of the set, the first date of the run that ends there, and the longest run.
Appending a date at or after the last one updates them in O(1); any other change (a date
before the last, a deletion) rebuilds them from the dates (``run_state``).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from typing import NamedTuple

ONE_DAY = datetime.timedelta(days=1)


class RunState(NamedTuple):
    last_on: datetime.date | None
    run_started_on: datetime.date | None
    longest: int


EMPTY = RunState(None, None, 0)


def streaks(dates: Iterable[datetime.date], today: datetime.date) -> tuple[int, int]:
    """Return (current, longest) runs of consecutive dates.

    The current run may end yesterday: a member who has not checked in yet today has not
    broken their streak. Dates are calendar dates, so DST days (23 or 25 hours) count once.
    """
    days = set(dates)
    longest = run = 0
    previous = None
    for day in sorted(days):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    start = today if today in days else today - ONE_DAY
    current = 0
    while start in days:
        current += 1
        start -= ONE_DAY
    return current, longest


def run_state(dates: Iterable[datetime.date]) -> RunState:
    """The kept state of a set of dates, computed from all of them."""
    days = sorted(set(dates))
    if not days:
        return EMPTY
    longest = run = 1
    start = days[0]
    for previous, day in itertools.pairwise(days):
        if (day - previous).days == 1:
            run += 1
        else:
            run, start = 1, day
        longest = max(longest, run)
    return RunState(days[-1], start, longest)


def appended(state: RunState, day: datetime.date) -> RunState | None:
    """The state after adding ``day``, or None when it needs a rebuild (a date before the last)."""
    # The two dates are set together; asking for both tells the type checker so.
    if state.last_on is None or state.run_started_on is None:
        return RunState(day, day, max(state.longest, 1))
    if day == state.last_on:
        return state
    if day < state.last_on:
        return None
    start = state.run_started_on if day == state.last_on + ONE_DAY else day
    return RunState(day, start, max(state.longest, (day - start).days + 1))


def current(state: RunState, today: datetime.date) -> int:
    """The current streak on ``today`` (state must hold no date after ``today``)."""
    if state.last_on is None or state.run_started_on is None or state.last_on < today - ONE_DAY:
        return 0
    return (state.last_on - state.run_started_on).days + 1
