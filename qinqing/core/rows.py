"""Insert model instances with one plain statement, for hot write paths.

`Model.save()` and `bulk_create()` compile a query object per call, which costs more Python
time than the database takes to insert a few rows. `insert(objs)` writes the same values the
ORM would (each field's `pre_save` and `get_db_prep_save`, so `auto_now_add`, JSON and
datetime adaptation behave as with `save()`) in one `INSERT … VALUES … RETURNING` and sets
the primary keys. No signals are sent: use it only for models nothing listens to.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models


def insert_sql(
    objs: Sequence[models.Model], *, using: str = "default"
) -> tuple[str, list, list[models.Field]]:
    """(`INSERT … VALUES (…), (…)` without RETURNING, its parameters, the fields written) for
    instances of one model. A primary key already set on every instance is written too."""
    model = type(objs[0])
    connection = connections[using]
    meta = model._meta
    with_pk = all(obj.pk is not None for obj in objs)
    fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
    qn = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"  # noqa: S608
        f" VALUES {', '.join([row] * len(objs))}"
    )
    params = []
    for obj in objs:
        for f in fields:
            value = f.pre_save(obj, True)
            # Strings, integers, booleans and NULL go to text, integer and boolean columns as
            # they are (what get_db_prep_save returns for them); everything else is adapted.
            if not (value is None or (type(value) in _PLAIN and f.get_internal_type() in _AS_IS)):
                value = f.get_db_prep_save(value, connection)
            params.append(value)
    return sql, params, fields


_PLAIN = (str, int, bool)
_AS_IS = frozenset(
    [
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    ]
)


def insert(objs: Sequence[models.Model], *, using: str = "default") -> None:
    """Insert instances of one model in one statement and set their primary keys."""
    if not objs:
        return
    connection = connections[using]
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        type(objs[0]).objects.using(using).bulk_create(objs)
        return
    sql, params, _fields = insert_sql(objs, using=using)
    pk = type(objs[0])._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk.column)}", params)
        ids = [r[0] for r in cursor.fetchall()]
    # Rows come back in VALUES order (PostgreSQL and SQLite both return them so; Django's
    # bulk_create relies on the same).
    for obj, pk_value in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = using


def insert_many(*groups: Sequence[models.Model], using: str = "default") -> None:
    """Insert several groups (each: instances of one model) and set their primary keys; on
    PostgreSQL in one statement (one data-modifying CTE per group), elsewhere one per group.
    Foreign keys between the groups must be set already (Django's are checked at commit)."""
    groups = tuple(g for g in groups if g)
    connection = connections[using]
    if connection.vendor != "postgresql" or len(groups) < 2:
        for group in groups:
            insert(group, using=using)
        return
    parts, selects, params = [], [], []
    for n, group in enumerate(groups):
        sql, group_params, _fields = insert_sql(group, using=using)
        pk_column = connection.ops.quote_name(type(group[0])._meta.pk.column)
        parts.append(f"g{n} AS ({sql} RETURNING {pk_column} AS pk)")
        # Serial keys grow in VALUES order within one statement; explicit keys are returned.
        selects.append(f"(SELECT array_agg(pk ORDER BY pk) FROM g{n})")  # noqa: S608
        params += group_params
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {', '.join(selects)}", params)
        found = cursor.fetchone()
    for group, ids in zip(groups, found, strict=True):
        pk = type(group[0])._meta.pk
        for obj, pk_value in zip(group, ids, strict=True):
            setattr(obj, pk.attname, pk_value)
            obj._state.adding = False
            obj._state.db = using
