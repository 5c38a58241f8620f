"""The nudge rules, each a set-based SELECT of who is due now, for the whole population.

Every rule is one SQL query over all people at once (never a query per person). It yields the
columns of a notification: recipient, subject, idempotency key, the recipient's local date, the
moment it became due, and lock-screen-safe text. The sweep inserts what a rule yields; tests
can run a rule's SELECT alone (``due``) to see who it picks.

Time: ``%(now)s`` is the sweep's clock and ``%(since)s`` the previous sweep's. A rule fires for
a person when their local due moment (e.g. today's reminder time in their zone) falls inside
(since, now], so a late sweep after downtime still catches today's reminders, and a steady
sweep only looks at the last minute. Local times come from ``AT TIME ZONE`` on each person's
IANA zone, computed once per zone (``zl``), which honours DST: a reminder at a local time that
a DST change skips fires at the first moment after it, and one that occurs twice fires once
(the key holds the local date).

A missing preference row means the defaults (LEFT JOIN + COALESCE), matching the model
defaults of ``ReminderPreference`` and ``NudgePreference``.

Who may be told about a member is never restated here. A rule that tells one person about
another names a queryset of the network app's access predicate (``Tie.objects.receivable``
and what builds on it) with a marker such as ``@@nudgeable_ties@@``; ``prepare`` compiles that
queryset, at the sweep's clock, into the statement as a subquery of tie ids
(``queryset.values("id").query.sql_with_params()``), with its parameters renamed into the
rule's named ones. A change to the predicate therefore changes every rule with it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from network.models import Role, Tie

from .models import Kind

# The access predicate's querysets a rule may embed, by marker name (see ``prepare``).
PREDICATES: dict[str, Callable[[datetime], QuerySet]] = {
    # Supporters who may be told about the member and agreed to be nudged.
    "nudgeable_ties": lambda now: Tie.objects.nudgeable(now),
    # Therapist ties whose therapist may see the member now: the digest's caseload.
    "caseload_ties": lambda now: Tie.objects.receivable(now).filter(role=Role.THERAPIST),
}

# Per-zone local clocks: AT TIME ZONE runs once per zone (~1,200), not once per person.
# ``%(zones)s`` is PostgreSQL's own zone list, read once per process (pg_timezone_names
# costs ~100 ms a read); a person whose zone PostgreSQL doesn't know is skipped, not fatal.
CLOCK_CTE = """
zl AS MATERIALIZED (
    SELECT tz, (%(now)s::timestamptz AT TIME ZONE tz) AS lt
    FROM unnest(%(zones)s::text[]) AS tz
)"""


@functools.cache
def zone_names() -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_timezone_names")
        return tuple(sorted(row[0] for row in cursor.fetchall()))


def _quiet(t: str, rp: str) -> str:
    """SQL: is local time ``t`` inside the quiet hours of reminder preference alias ``rp``?"""
    qs = f"COALESCE({rp}.quiet_start, TIME '22:00')"
    qe = f"COALESCE({rp}.quiet_end, TIME '08:00')"
    return (
        f"(CASE WHEN {qs} = {qe} THEN false WHEN {qs} < {qe} "
        f"THEN {t} >= {qs} AND {t} < {qe} ELSE {t} >= {qs} OR {t} < {qe} END)"
    )


def _due(ld: str, at: str, tz: str) -> str:
    """SQL: the moment (timestamptz) of local date ``ld`` at local time ``at`` in zone ``tz``."""
    return f"(({ld}) + ({at})) AT TIME ZONE {tz}"


def _in_window(moment: str) -> str:
    return f"({moment} > %(since)s AND {moment} <= %(now)s)"


def _not_muted(user: str, kind: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM nudges_mute mu WHERE mu.user_id = {user} "
        f"AND mu.kind = '{kind}' AND mu.channel = 'all')"
    )


def _not_paused(rp: str, np: str) -> str:
    return (
        f"({rp}.paused_until IS NULL OR {rp}.paused_until <= %(now)s) "
        f"AND ({np}.snoozed_until IS NULL OR {np}.snoozed_until <= %(now)s)"
    )


# A "member" is someone using Rat Park for their own recovery: they saved reminder
# preferences, checked in, or built a support network of their own (a tie where they are the
# member). Someone who only supports others gets no check-in reminders or reach-out prompts.
# Without a preference row the model defaults apply (LEFT JOIN + COALESCE in each rule).
_IS_MEMBER = (
    "(rp.member_id IS NOT NULL"
    " OR EXISTS (SELECT 1 FROM checkins_checkin cm WHERE cm.member_id = u.id)"
    " OR EXISTS (SELECT 1 FROM network_tie tm"
    " WHERE tm.member_id = u.id AND tm.status <> 'ended'))"
)


def _quiet_until(t: str, ld: str, tz: str, rp: str) -> str:
    """SQL: when the quiet hours of ``rp`` end, if local time ``t`` (on local date ``ld`` in
    zone ``tz``) is inside them; else NULL."""
    qe = f"COALESCE({rp}.quiet_end, TIME '08:00')"
    end_day = f"(CASE WHEN {t} < {qe} THEN {ld} ELSE {ld} + 1 END)"
    return f"(CASE WHEN {_quiet(t, rp)} THEN {_due(end_day, qe, tz)} END)"


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Kind
    select: str  # columns: recipient_id, subject_member_id, idempotency_key, local_date,
    # due_at, title, body, action_url, data, quiet_until (email/push not before; NULL = now)


CHECKIN_REMINDER = Rule(
    name="checkin_reminder",
    kind=Kind.CHECKIN_REMINDER,
    select=f"""
SELECT u.id AS recipient_id, u.id AS subject_member_id,
       'checkin_reminder:' || u.id || ':' || zl.lt::date AS idempotency_key,
       zl.lt::date AS local_date,
       {_due("zl.lt::date", "COALESCE(rp.reminder_time, TIME '19:00')", "u.time_zone")} AS due_at,
       'Your check-in is here when you are ready' AS title,
       'Thirty seconds for yourself: how are you today?' AS body,
       %(checkin_url)s AS action_url, '{{}}'::jsonb AS data, NULL::timestamptz AS quiet_until
FROM accounts_user u
JOIN zl ON zl.tz = u.time_zone
LEFT JOIN checkins_reminderpreference rp ON rp.member_id = u.id
LEFT JOIN nudges_nudgepreference np ON np.member_id = u.id
WHERE u.is_active AND {_IS_MEMBER}
  AND COALESCE(rp.checkin_reminder_enabled, true)
  AND (COALESCE(rp.reminder_days, 127) & (1 << (EXTRACT(ISODOW FROM zl.lt)::int - 1))) <> 0
  AND {_in_window(_due("zl.lt::date", "COALESCE(rp.reminder_time, TIME '19:00')", "u.time_zone"))}
  AND NOT {_quiet("zl.lt::time", "rp")}
  AND {_not_paused("rp", "np")}
  AND {_not_muted("u.id", Kind.CHECKIN_REMINDER)}
  AND NOT EXISTS (SELECT 1 FROM checkins_checkin c
                  WHERE c.member_id = u.id AND c.local_date = zl.lt::date)
""",
)

ISOLATION_PROMPT = Rule(
    name="isolation_prompt",
    kind=Kind.ISOLATION_PROMPT,
    # The person to reach out to is named at delivery ("personalise"): the suggestion
    # service ranks one member's ties, which has no place in a population-wide statement.
    select=f"""
SELECT u.id AS recipient_id, u.id AS subject_member_id,
       'isolation_prompt:' || u.id || ':' || zl.lt::date AS idempotency_key,
       zl.lt::date AS local_date,
       {_due("zl.lt::date", "COALESCE(np.prompt_time, TIME '12:00')", "u.time_zone")} AS due_at,
       'Someone might enjoy hearing from you' AS title,
       'A quick call or message counts. Whenever you are ready.' AS body,
       '' AS action_url, '{{"personalise": true}}'::jsonb AS data,
       NULL::timestamptz AS quiet_until
FROM accounts_user u
JOIN zl ON zl.tz = u.time_zone
LEFT JOIN checkins_reminderpreference rp ON rp.member_id = u.id
LEFT JOIN nudges_nudgepreference np ON np.member_id = u.id
WHERE u.is_active AND {_IS_MEMBER}
  AND COALESCE(np.isolation_enabled, true)
  AND {_in_window(_due("zl.lt::date", "COALESCE(np.prompt_time, TIME '12:00')", "u.time_zone"))}
  AND NOT {_quiet("zl.lt::time", "rp")}
  AND {_not_paused("rp", "np")}
  AND {_not_muted("u.id", Kind.ISOLATION_PROMPT)}
  AND u.date_joined <= %(now)s - make_interval(days => COALESCE(np.isolation_days, 2))
  AND NOT EXISTS (SELECT 1 FROM network_contact c
                  WHERE c.member_id = u.id AND c.confirmed
                    AND c.local_date > zl.lt::date - COALESCE(np.isolation_days, 2))
""",
)

SUPPORTER_NUDGE = Rule(
    name="supporter_nudge",
    kind=Kind.SUPPORTER_NUDGE,
    # Text names the member and nothing else: no check-in or health detail, whatever the
    # supporter's scopes (details only after login, within scopes).
    select=f"""
SELECT s.id AS recipient_id, m.id AS subject_member_id,
       'supporter_nudge:' || s.id || ':' || m.id || ':' || zs.lt::date AS idempotency_key,
       zs.lt::date AS local_date,
       {_due("zs.lt::date", "COALESCE(sp.prompt_time, TIME '12:00')", "s.time_zone")} AS due_at,
       left(COALESCE(NULLIF(m.display_name, ''), 'Someone you support')
            || ' might appreciate hearing from you', 140) AS title,
       COALESCE(NULLIF(m.display_name, ''), 'They')
            || ' could use a hello today. A short message is plenty.' AS body,
       '' AS action_url, jsonb_build_object('tie_id', t.id::text) AS data,
       NULL::timestamptz AS quiet_until
FROM network_tie t
JOIN accounts_user m ON m.id = t.member_id
JOIN accounts_user s ON s.id = t.supporter_id
JOIN zl zm ON zm.tz = m.time_zone
JOIN zl zs ON zs.tz = s.time_zone
LEFT JOIN nudges_nudgepreference mp ON mp.member_id = m.id
LEFT JOIN checkins_reminderpreference mrp ON mrp.member_id = m.id
LEFT JOIN nudges_nudgepreference sp ON sp.member_id = s.id
LEFT JOIN checkins_reminderpreference srp ON srp.member_id = s.id
WHERE t.id IN (@@nudgeable_ties@@) AND m.is_active AND s.is_active
  AND COALESCE(mp.supporter_nudges_enabled, true)
  AND {_in_window(_due("zs.lt::date", "COALESCE(sp.prompt_time, TIME '12:00')", "s.time_zone"))}
  AND NOT {_quiet("zs.lt::time", "srp")}
  AND (mrp.paused_until IS NULL OR mrp.paused_until <= %(now)s)
  AND {_not_paused("srp", "sp")}
  AND {_not_muted("s.id", Kind.SUPPORTER_NUDGE)}
  AND (
    (EXISTS (SELECT 1 FROM checkins_checkin c WHERE c.member_id = m.id)
     AND NOT EXISTS (SELECT 1 FROM checkins_checkin c WHERE c.member_id = m.id
                     AND c.local_date > zm.lt::date - COALESCE(mp.missed_checkin_days, 3)))
    OR (m.date_joined <= %(now)s - make_interval(days => COALESCE(mp.no_contact_days, 4))
        AND NOT EXISTS (SELECT 1 FROM network_contact c WHERE c.member_id = m.id AND c.confirmed
                        AND c.local_date > zm.lt::date - COALESCE(mp.no_contact_days, 4)))
  )
  -- At most one nudge per member per supporter per three days.
  AND NOT EXISTS (SELECT 1 FROM nudges_notification n
                  WHERE n.subject_member_id = m.id AND n.kind = 'supporter_nudge'
                    AND n.recipient_id = s.id AND n.created_at > %(now)s - interval '3 days')
""",
)

_DIGEST_DUE = _due("zl.lt::date", "make_time(COALESCE(np.digest_hour, 9), 0, 0)", "u.time_zone")

THERAPIST_DIGEST = Rule(
    name="therapist_digest",
    kind=Kind.THERAPIST_DIGEST,
    select=f"""
SELECT u.id AS recipient_id, NULL::bigint AS subject_member_id,
       'therapist_digest:' || u.id || ':' || zl.lt::date AS idempotency_key,
       zl.lt::date AS local_date,
       {_due("zl.lt::date", "make_time(COALESCE(np.digest_hour, 9), 0, 0)", "u.time_zone")}
         AS due_at,
       'Your weekly Rat Park summary' AS title,
       'Your weekly summary is ready. Log in to read it.' AS body,
       %(caseload_url)s AS action_url, '{{}}'::jsonb AS data,
       {_quiet_until("zl.lt::time", "zl.lt::date", "u.time_zone", "rp")} AS quiet_until
FROM accounts_user u
JOIN zl ON zl.tz = u.time_zone
LEFT JOIN nudges_nudgepreference np ON np.member_id = u.id
LEFT JOIN checkins_reminderpreference rp ON rp.member_id = u.id
WHERE u.is_active
  AND EXTRACT(ISODOW FROM zl.lt)::int - 1 = COALESCE(np.digest_weekday, 0)
  AND {_in_window(_DIGEST_DUE)}
  AND {_not_muted("u.id", Kind.THERAPIST_DIGEST)}
  -- Only a therapist with someone in their caseload now: the predicate itself requires
  -- a verified, not withdrawn therapist and a formal consent in force by its expiry time.
  AND EXISTS (SELECT 1 FROM network_tie t
              WHERE t.supporter_id = u.id AND t.id IN (@@caseload_ties@@))
""",
)

# Order matters under the daily limit: earlier rules win the day's prompt slots.
# Celebrations are not a sweep rule: the check-in app calls notify() when a check-in reaches a
# milestone, and this app delivers them like any other notification.
RULES = (CHECKIN_REMINDER, ISOLATION_PROMPT, SUPPORTER_NUDGE, THERAPIST_DIGEST)


def checkin_url() -> str:
    """Where "Check in now" leads: the check-in page, or the dashboard without one."""
    try:
        return reverse("checkins:today")
    except NoReverseMatch:
        return reverse("dashboard")


def caseload_url() -> str:
    """Where the therapist digest leads: the clinic's caseload when the clinic is installed,
    else the digest itself (an empty action opens the notification's own page)."""
    try:
        return reverse("clinic:caseload")
    except NoReverseMatch:
        return ""


def sql_params(*, now: datetime, since: datetime) -> dict:
    return {
        "now": now,
        "since": since,
        "zones": list(zone_names()),
        "checkin_url": checkin_url(),
        "caseload_url": caseload_url(),
    }


_MARKER = re.compile(r"@@(\w+)@@")
_PLACEHOLDER = re.compile(r"%(%|s)")


def prepare(sql: str, *, now: datetime, since: datetime) -> tuple[str, dict]:
    """The statement with each ``@@name@@`` replaced by ``PREDICATES[name]`` compiled at
    ``now``, and all its named parameters.

    Django compiles a queryset with positional ``%s`` placeholders; the rules use named ones,
    so each is renamed ``%(name_i)s`` and its value added to the parameters.
    """
    params = sql_params(now=now, since=since)

    def compile_one(match: re.Match) -> str:
        name = match.group(1)
        # Unordered: a set of ids needs no sort (the model's default ordering would add one).
        queryset = PREDICATES[name](now).order_by().values("id")
        sub, sub_params = queryset.query.sql_with_params()
        index = iter(range(len(sub_params)))

        def rename(placeholder: re.Match) -> str:
            if placeholder.group(1) == "%":
                return "%%"
            key = f"{name}_{next(index)}"
            return f"%({key})s"

        sub = _PLACEHOLDER.sub(rename, sub)
        params.update({f"{name}_{i}": value for i, value in enumerate(sub_params)})
        return sub

    return _MARKER.sub(compile_one, sql), params


def due(rule: Rule, *, now: datetime, since: datetime) -> list[dict]:
    """Run one rule's selection alone and return its rows (for tests and the admin)."""
    with connection.cursor() as cursor:
        cursor.execute(*prepare(f"WITH {CLOCK_CTE} {rule.select}", now=now, since=since))
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
