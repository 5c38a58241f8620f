"""The sweep's bulk writes: notifications, deliveries and schedules, a batch per statement.

On PostgreSQL each takes one array per column and ``unnest``s them, so a batch of thousands
of rows is one statement with a dozen parameters (a VALUES list with a placeholder per cell
costs more to build and parse than to run). Elsewhere (SQLite, the embedded demo) a VALUES
list or ``bulk_create``. Only identifiers from the models' own metadata are formatted into the
SQL; every value is a parameter.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Field, Model

from notifications.models import Delivery, Notification

from .models import Schedule

if TYPE_CHECKING:
    from .rules import Candidate

INSERT_CHUNK = 500


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


def insert_notifications(
    now: datetime.datetime, rows: dict[uuid.UUID, Candidate]
) -> list[uuid.UUID]:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id; return the new ids.

    Plain SQL rather than ``bulk_create`` because it reports which rows a concurrent
    writer's key pre-empted, and keeps ``created_at`` at the sweep's clock.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return _insert_notifications_values(now, rows)
    meta = Notification._meta
    cs = list(rows.values())
    arrays: dict[str, tuple[str, list[Any]]] = {
        "id": ("uuid", list(rows)),
        "recipient": ("bigint", [c.recipient_id for c in cs]),
        "subject_member": ("bigint", [c.subject_member_id for c in cs]),
        "kind": ("text", [str(c.kind) for c in cs]),
        "idempotency_key": ("text", [c.idempotency_key for c in cs]),
        "title": ("text", [c.title for c in cs]),
        "body": ("text", [c.body for c in cs]),
        "action_url": ("text", [c.action_url for c in cs]),
        "data": ("text", [json.dumps(c.data) for c in cs]),
        "due_at": ("timestamptz", [c.due_at for c in cs]),
        "local_date": ("date", [c.local_date for c in cs]),
    }
    names = list(arrays)
    selects = [f"a{i}" if n != "data" else f"a{i}::jsonb" for i, n in enumerate(names)]
    unnest = ", ".join(f"%s::{t}[]" for t, _ in arrays.values())
    aliases = ", ".join(f"a{i}" for i in range(len(names)))
    columns = [
        *_columns(Notification, names),
        *_columns(Notification, ["created_at", "status", "response"]),
    ]
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)}, %s, 'pending', '' FROM unnest({unnest}) AS t({aliases}) "
        f"ON CONFLICT ({q(_field(Notification, 'idempotency_key').column)}) DO NOTHING "
        f"RETURNING {q(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *(values for _, values in arrays.values())])
        return [uuid.UUID(str(row[0])) for row in cursor.fetchall()]


def insert_deliveries(
    now: datetime.datetime, rows: Sequence[tuple[uuid.UUID, str, datetime.datetime]]
) -> None:
    """Insert pending deliveries (notification id, channel, not before)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_create(
            [
                Delivery(notification_id=n, channel=c, not_before=nb, created_at=now)
                for n, c, nb in rows
            ],
            batch_size=INSERT_CHUNK,
        )
        return
    columns = _columns(
        Delivery,
        ["notification", "channel", "not_before", "status", "attempts", "last_error", "created_at"],
    )
    sql = (
        f"INSERT INTO {q(Delivery._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        "SELECT n, c, nb, 'pending', 0, '', %s "
        "FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[]) AS t(n, c, nb)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [now, [r[0] for r in rows], [str(r[1]) for r in rows], [r[2] for r in rows]]
        )


def save_schedules(rows: list[Schedule], fields: list[str]) -> None:
    """Write these schedule rows' ``fields`` in one statement (``bulk_update`` elsewhere)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Schedule.objects.bulk_update(rows, fields)
        return
    meta = Schedule._meta
    columns = [_field(Schedule, f) for f in fields]
    sets = ", ".join(f"{q(c.column)} = t.a{i}" for i, c in enumerate(columns))
    unnest = ", ".join(f"%s::{c.db_type(connection)}[]" for c in columns)
    aliases = ", ".join(f"a{i}" for i in range(len(columns)))
    sql = (
        f"UPDATE {q(meta.db_table)} AS s SET {sets} "  # noqa: S608
        f"FROM unnest(%s::bigint[], {unnest}) AS t(pk, {aliases}) "
        f"WHERE s.{q(meta.pk.column)} = t.pk"
    )
    params: list[list[Any]] = [[row.pk for row in rows]]
    params.extend([getattr(row, c.attname) for row in rows] for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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
    key, pk = q(_field(Notification, "idempotency_key").column), q(meta.pk.column)
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
