"""The sweep's bulk writes: notifications with their deliveries, and schedules, a batch per
statement.

On PostgreSQL each statement takes one array per column and ``unnest``s it, so a batch of
thousands of rows is one statement with a dozen parameters. The arrays go in psycopg's binary
format, apart from the SQL (``%b``): quoting thousands of timestamps and strings into an SQL
literal cost more than running the statement. Elsewhere (SQLite, the embedded demo) a VALUES
list or ``bulk_create``/``bulk_update``. Only identifiers from the models' own metadata are
formatted into the SQL; every value is a parameter.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Field, Model

from notifications.models import Channel, Delivery, Notification

from .models import RULE_COLUMNS, Schedule

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

    from .rules import Candidate

INSERT_CHUNK = 500
# A batch's joins and sorts are small; this is what the largest needs (PostgreSQL only).
WORK_MEM = "32MB"
# A schedule row's rule moments, in the order of ``RULE_COLUMNS``.
Moments = Sequence[datetime.datetime | None]


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model: type[Model], name: str) -> Field:
    """A column of ``model`` (``get_field`` also answers with relations' reverse sides)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column.")
    return field


def _columns(model: type[Model], names: list[str]) -> list[str]:
    return [q(_field(model, name).column) for name in names]


def _column(model: type[Model], name: str) -> str:
    return q(_field(model, name).column)


def binary_cursor() -> CursorWrapper:
    """A Django cursor on the open connection that binds parameters on the server, so
    ``%b`` sends an array in binary (PostgreSQL only).

    Django's own cursors bind on the client; this one is wrapped the same way (the
    connection's execute wrappers and query log see its statements) and shares the
    transaction.
    """
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    # The stubs type the argument as Django's wrapper; Django itself passes the raw cursor.
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)  # type: ignore[arg-type]
    return connection.make_cursor(raw)  # type: ignore[arg-type]


def tune_batch(*, last: bool = True) -> None:
    """Session settings for one batch's transaction (PostgreSQL only).

    ``work_mem`` for its joins and sorts, and no JIT: a batch's statements are index probes
    that run in milliseconds, but their cost estimates (a subquery per row) pass the JIT
    threshold, and compiling took hundreds of milliseconds per batch.

    Every batch but the ``last`` commits without waiting for its WAL flush (the flush of a
    large batch was a good part of its time): the next ordinary commit (the last batch's,
    the sweep's clock, publishing deliveries) flushes the WAL of all before it, so nothing
    is published that could be lost. A database crash in the fraction of a second between
    loses whole batches, never part of one: their people are still due, and the next sweep
    makes the same notifications (same keys) again.
    """
    if connection.vendor != "postgresql":
        return
    sql = f"SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL jit = off"
    if not last:
        sql += "; SET LOCAL synchronous_commit = off"
    with connection.cursor() as cursor:
        cursor.execute(sql)


# --- Notifications and their deliveries -----------------------------------------------------


def insert_made(
    now: datetime.datetime, candidates: Sequence[Candidate]
) -> tuple[Counter[str], int]:
    """Insert these notifications, each with its deliveries, unless its key exists.

    ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING``: a key a concurrent writer made
    first gets neither a second row nor deliveries. Each notification gets an in-app delivery
    at ``now``, and an email and a push one (as its ``email``/``push`` say) not before
    ``quiet_until``. Returns the notifications made by kind and the number of deliveries.
    """
    if not candidates:
        return Counter(), 0
    if connection.vendor != "postgresql":
        return _insert_made_elsewhere(now, candidates)
    n, d = Notification._meta, Delivery._meta
    arrays: dict[str, tuple[str, list[Any]]] = {
        "id": ("uuid", [uuid.uuid4() for _ in candidates]),
        "recipient": ("bigint", [c.recipient_id for c in candidates]),
        "subject_member": ("bigint", [c.subject_member_id for c in candidates]),
        "kind": ("text", [str(c.kind) for c in candidates]),
        "idempotency_key": ("text", [c.idempotency_key for c in candidates]),
        "title": ("text", [c.title for c in candidates]),
        "body": ("text", [c.body for c in candidates]),
        "action_url": ("text", [c.action_url for c in candidates]),
        "data": ("text", [json.dumps(c.data) if c.data else "{}" for c in candidates]),
        "due_at": ("timestamptz", [c.due_at for c in candidates]),
        "local_date": ("date", [c.local_date for c in candidates]),
        "email": ("boolean", [c.email for c in candidates]),
        "push": ("boolean", [c.push for c in candidates]),
        "later": ("timestamptz", [max(c.quiet_until or now, now) for c in candidates]),
    }
    names = list(arrays)[:11]  # the notification's own columns
    aliases = [f"a{i}" for i in range(len(arrays))]
    a = dict(zip(arrays, aliases, strict=True))
    unnest = ", ".join(f"%(p{i})b::{t}[]" for i, (t, _) in enumerate(arrays.values()))
    selects = [f"t.{a[name]}" + ("::jsonb" if name == "data" else "") for name in names]
    key = _column(Notification, "idempotency_key")
    sql = f"""
        WITH t AS (
            SELECT * FROM unnest({unnest}) AS t({", ".join(aliases)})
        ), made AS (
            INSERT INTO {q(n.db_table)} ({", ".join(_columns(Notification, names))},
                {", ".join(_columns(Notification, ["created_at", "status", "response"]))})
            SELECT {", ".join(selects)}, %(now)b, 'pending', '' FROM t
            ON CONFLICT ({key}) DO NOTHING
            RETURNING {q(n.pk.column)} AS id, {_column(Notification, "kind")} AS kind
        ), sent AS (
            INSERT INTO {q(d.db_table)} ({", ".join(_columns(Delivery, ["notification", "channel", "not_before", "status", "attempts", "last_error", "created_at"]))})
            SELECT made.id, c.channel, c.not_before, 'pending', 0, '', %(now)b
            -- By the id made here, not the key: a key twice in a batch is one notification.
            FROM made JOIN t ON t.{a["id"]} = made.id
            CROSS JOIN LATERAL (VALUES
                ('{Channel.INAPP.value}', %(now)b::timestamptz, true),
                ('{Channel.EMAIL.value}', t.{a["later"]}, t.{a["email"]}),
                ('{Channel.PUSH.value}', t.{a["later"]}, t.{a["push"]})
            ) AS c(channel, not_before, wanted)
            WHERE c.wanted
            RETURNING 1
        )
        SELECT made.kind, count(*), (SELECT count(*) FROM sent) FROM made GROUP BY made.kind
    """  # noqa: S608, E501
    params: dict[str, Any] = {f"p{i}": values for i, (_, values) in enumerate(arrays.values())}
    params["now"] = now
    with binary_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    made = Counter({kind: count for kind, count, _ in rows})
    return made, rows[0][2] if rows else 0


def _insert_made_elsewhere(
    now: datetime.datetime, candidates: Sequence[Candidate]
) -> tuple[Counter[str], int]:
    ids = {uuid.uuid4(): c for c in candidates}
    inserted = _insert_notifications_values(now, ids)
    deliveries = []
    made: Counter[str] = Counter()
    for pk in inserted:
        c = ids[pk]
        made[str(c.kind)] += 1
        later = max(c.quiet_until or now, now)
        deliveries.append(Delivery(notification_id=pk, channel=Channel.INAPP, not_before=now))
        if c.email:
            deliveries.append(Delivery(notification_id=pk, channel=Channel.EMAIL, not_before=later))
        if c.push:
            deliveries.append(Delivery(notification_id=pk, channel=Channel.PUSH, not_before=later))
    for delivery in deliveries:
        delivery.created_at = now
    Delivery.objects.bulk_create(deliveries, batch_size=INSERT_CHUNK)
    return made, len(deliveries)


_NOTIFICATION_FIELDS = (
    "id",
    "recipient",
    "subject_member",
    "kind",
    "idempotency_key",
    "title",
    "body",
    "action_url",
    "data",
    "due_at",
    "created_at",
    "local_date",
    "status",
    "response",
)


def _insert_notifications_values(now: datetime.datetime, rows: dict[uuid.UUID, Candidate]) -> list:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, in chunks.

    Plain SQL rather than ``bulk_create`` because it reports which rows a concurrent
    writer's key pre-empted, and keeps ``created_at`` at the sweep's clock.
    """
    meta = Notification._meta
    fields = [_field(Notification, name) for name in _NOTIFICATION_FIELDS]
    columns = ", ".join(q(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    key, pk = _column(Notification, "idempotency_key"), q(meta.pk.column)
    inserted: list[uuid.UUID] = []
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), INSERT_CHUNK):
            chunk = items[start : start + INSERT_CHUNK]
            params: list[Any] = []
            for notification_id, c in chunk:
                values = {
                    "id": notification_id,
                    "recipient": c.recipient_id,
                    "subject_member": c.subject_member_id,
                    "kind": str(c.kind),
                    "idempotency_key": c.idempotency_key,
                    "title": c.title,
                    "body": c.body,
                    "action_url": c.action_url,
                    "data": c.data,
                    "due_at": c.due_at,
                    "created_at": now,
                    "local_date": c.local_date,
                    "status": "pending",
                    "response": "",
                }
                params.extend(f.get_db_prep_save(values[f.name], connection) for f in fields)
            cursor.execute(
                f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                f"{', '.join([one] * len(chunk))} ON CONFLICT ({key}) DO NOTHING RETURNING {pk}",
                params,
            )
            inserted.extend(uuid.UUID(str(row[0])) for row in cursor.fetchall())
    return inserted


# --- Schedules ------------------------------------------------------------------------------


def write_schedules(rows: dict[int, Moments]) -> None:
    """Store freshly computed schedules (user id → the four rule moments), not stale.

    ``next_due_at`` is the earliest moment (NULL when none).
    """
    if not rows:
        return
    columns = list(RULE_COLUMNS)
    if connection.vendor != "postgresql":
        objects = []
        for uid, moments in rows.items():
            row = Schedule(user_id=uid, stale=False, **dict(zip(columns, moments, strict=True)))
            row.next_due_at = min((m for m in moments if m is not None), default=None)
            objects.append(row)
        Schedule.objects.bulk_update(objects, [*columns, "next_due_at", "stale"])
        return
    ids = list(rows)
    arrays = [[moments[i] for moments in rows.values()] for i in range(len(columns))]
    arrays.append([min((m for m in ms if m is not None), default=None) for ms in rows.values()])
    sets = [f"{q(c)} = t.a{i}" for i, c in enumerate([*columns, "next_due_at"])]
    aliases = ", ".join(f"a{i}" for i in range(len(arrays)))
    pk = q(Schedule._meta.pk.column)
    # ``pk = ANY`` as well as the join: an index probe per row, not a hash of the whole table.
    sql = (
        f"UPDATE {q(Schedule._meta.db_table)} AS s SET {', '.join(sets)}, "  # noqa: S608
        f"{_column(Schedule, 'stale')} = false "
        f"FROM unnest(%b::bigint[], {', '.join(['%b::timestamptz[]'] * len(arrays))}) "
        f"AS t(pk, {aliases}) WHERE s.{pk} = t.pk AND s.{pk} = ANY(%b::bigint[])"
    )
    with binary_cursor() as cursor:
        cursor.execute(sql, [ids, *arrays, ids])


def advance_schedules(now: datetime.datetime, rows: dict[int, dict[int, Any]]) -> None:
    """Move each rule that came due to its next moment: user id → {rule index: moment}.

    Rules that did not come due keep theirs; ``next_due_at`` becomes the earliest. On
    PostgreSQL one UPDATE computes it from the stored columns, so the claim needs to read
    only which rules came due, not their moments.
    """
    if not rows:
        return
    columns = list(RULE_COLUMNS)
    if connection.vendor != "postgresql":
        objects = list(Schedule.objects.filter(pk__in=list(rows)))
        for row in objects:
            for i, moment in rows[row.pk].items():
                setattr(row, columns[i], moment)
            moments = [getattr(row, c) for c in columns]
            row.next_due_at = min((m for m in moments if m is not None), default=None)
        Schedule.objects.bulk_update(objects, [*columns, "next_due_at"])
        return
    ids = list(rows)
    params: list[Any] = [ids]
    for i in range(len(columns)):
        params.append([i in fired for fired in rows.values()])
        params.append([fired.get(i) for fired in rows.values()])
    params.append(ids)
    new = [f"CASE WHEN t.f{i} THEN t.n{i} ELSE s.{q(c)} END" for i, c in enumerate(columns)]
    sets = [f"{q(c)} = {expr}" for c, expr in zip(columns, new, strict=True)]
    aliases = ", ".join(f"f{i}, n{i}" for i in range(len(columns)))
    arrays = ", ".join(["%b::boolean[], %b::timestamptz[]"] * len(columns))
    pk = q(Schedule._meta.pk.column)
    sql = (
        f"UPDATE {q(Schedule._meta.db_table)} AS s SET {', '.join(sets)}, "  # noqa: S608
        f"{_column(Schedule, 'next_due_at')} = LEAST({', '.join(new)}) "
        f"FROM unnest(%b::bigint[], {arrays}) AS t(pk, {aliases}) "
        f"WHERE s.{pk} = t.pk AND s.{pk} = ANY(%b::bigint[])"
    )
    with binary_cursor() as cursor:
        cursor.execute(sql, params)
