"""``field__any=[…]``: membership in a list as one array parameter on PostgreSQL.

``field__in=[…]`` with thousands of values puts a placeholder per value into the SQL, and
psycopg's client-side binding then parses and quotes each one: for the sweep's batches of
2,000 people that cost more than running the query. ``= ANY(%s)`` sends the list as one
array. On other databases it is the ordinary ``IN``. Knows no app; registered on the field
types the sweep filters on (``RecoveryConfig``-free: ``register()`` runs at import).
"""

from __future__ import annotations

from django.db.models import BigAutoField, CharField, ForeignKey, IntegerField, Lookup


class Any(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        if all(type(v) is int for v in value):
            # Ids, the common case, are what the database gets already: a sweep's batch of
            # thousands would spend longer in per-value field preparation than in the query.
            return ("%s", [list(value)])
        field = getattr(self.lhs, "output_field", None)
        prep = field.get_db_prep_value if field is not None else (lambda v, connection: v)
        return ("%s", [[prep(v, connection=connection) for v in value]])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            _, params = self.get_db_prep_lookup(values, connection)
            return f"{lhs} = ANY(%s)", [*lhs_params, *params]
        if not values:
            return "1 = 0", list(lhs_params)
        _, (prepped,) = self.get_db_prep_lookup(values, connection)
        placeholders = ", ".join(["%s"] * len(prepped))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *prepped]


def register() -> None:
    for field in (BigAutoField, IntegerField, CharField, ForeignKey):
        field.register_lookup(Any)


register()
