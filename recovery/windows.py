"""The last few days of rows for many members at once, at a cost that follows the window.

Knows no app. A page that reads a caseload's recent check-ins or contacts asks for rows
``member_id IN (…) AND local_date > …``. PostgreSQL tends to answer that from the plain member
index, reading and discarding every older day of every member's history (a year of daily
check-ins is 365 index entries to find 7), or, while a freshly filled table has no statistics
yet, with a scan of the whole table. Asked as one probe of the (member, date) index per
member (``unnest … CROSS JOIN LATERAL``), the cost is the rows returned, whatever the length
of the history. SQLite (the development default) gets the plain query.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import connection, models


def member_windows(
    model: type[models.Model],
    member_ids: Iterable[int],
    *,
    after: datetime.date,
    fields: Sequence[str],
    where: dict[str, object] | None = None,
    member_field: str = "member_id",
    date_field: str = "local_date",
) -> list[tuple]:
    """``(member id, date, *fields)`` of every row of ``model`` dated after ``after`` for the
    members, in no particular order. ``where`` adds equality conditions (field: value). One
    query. The model needs an index leading with (member, date)."""
    member_ids = sorted(set(member_ids))
    if not member_ids:
        return []
    where = where or {}
    names = (member_field, date_field, *fields)
    if connection.vendor != "postgresql":
        return list(
            model._default_manager.filter(
                **{f"{member_field}__in": member_ids, f"{date_field}__gt": after}, **where
            )
            .order_by()
            .values_list(*names)
        )
    opts = model._meta
    qn = connection.ops.quote_name
    member_col, date_col, *columns = (qn(opts.get_field(n).column) for n in names)
    conditions = "".join(f" AND {qn(opts.get_field(n).column)} = %s" for n in where)
    selected = ", ".join([date_col, *columns])
    sql = (
        f"SELECT m, {selected} FROM unnest(%s::bigint[]) AS m CROSS JOIN LATERAL ("  # noqa: S608
        f"SELECT {selected} FROM {qn(opts.db_table)} "
        f"WHERE {member_col} = m AND {date_col} > %s{conditions}) AS w"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_ids, after, *where.values()])
        return cursor.fetchall()
