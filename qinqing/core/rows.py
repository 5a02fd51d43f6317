"""Insert model instances with one plain statement, for hot write paths.

`Model.save()` and `bulk_create()` compile a query object per call, which costs more Python
time than the database takes to insert a few rows. `insert(objs)` writes the same values the
ORM would (each field's `pre_save` and `get_db_prep_save`, so `auto_now_add`, JSON and
datetime adaptation behave as with `save()`) in one `INSERT … VALUES … RETURNING` and sets
the primary keys. No signals are sent: use it only for models nothing listens to.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from decimal import Decimal

from django.db import connections, models


def insert_sql(
    objs: Sequence[models.Model], *, using: str = "default"
) -> tuple[str, list, list[models.Field]]:
    """(`INSERT … VALUES (…), (…)` without RETURNING, its parameters, the fields written) for
    instances of one model. A primary key already set on every instance is written too."""
    model = type(objs[0])
    with_pk = all(obj.pk is not None for obj in objs)
    head, row, fields, plan = _insert_plan(model, with_pk, using)
    connection = connections[using]
    params = []
    for obj in objs:
        for f, own_pre_save, as_is in plan:
            value = f.pre_save(obj, True) if own_pre_save else getattr(obj, f.attname)
            # Strings, integers, booleans and NULL go to text, integer and boolean columns as
            # they are (what get_db_prep_save returns for them); everything else is adapted.
            if not (value is None or (as_is and type(value) in _PLAIN)):
                value = f.get_db_prep_save(value, connection)
            params.append(value)
    return f"{head}{', '.join([row] * len(objs))}", params, list(fields)


@functools.lru_cache(maxsize=256)
def _insert_plan(model: type[models.Model], with_pk: bool, using: str):
    """What `insert_sql` needs of a model, computed once per process: the statement up to
    VALUES, one row's placeholders, the fields, and per field (field, whether its `pre_save`
    does more than read the attribute, whether plain values go to its column as they are)."""
    meta = model._meta
    qn = connections[using].ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if with_pk or not f.primary_key)
    head = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"  # noqa: S608
        " VALUES "
    )
    plan = tuple(
        (
            f,
            type(f).pre_save is not models.Field.pre_save,
            f.get_internal_type() in _AS_IS,
        )
        for f in fields
    )
    return head, "(" + ", ".join(["%s"] * len(fields)) + ")", fields, plan


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


def upsert(
    model: type[models.Model],
    fields: Sequence[str],
    values: Sequence[Sequence],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    using: str = "default",
) -> None:
    """Insert rows of `model` given as tuples of the values of `fields` (attribute names, e.g.
    `sheet_id`), or update `update_fields` of the rows that already hold their
    `unique_fields` (`INSERT … ON CONFLICT (…) DO UPDATE`, PostgreSQL and SQLite), in one
    statement, without building model instances (no defaults, no `pre_save`: give every
    value). Primary keys are not read back."""
    if not values:
        return
    sql, params = upsert_sql(
        model, fields, values, unique_fields=unique_fields, update_fields=update_fields, using=using
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)


def upsert_sql(
    model: type[models.Model],
    fields: Sequence[str],
    values: Sequence[Sequence],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    using: str = "default",
) -> tuple[str, list]:
    """The statement `upsert` runs and its parameters (`values` not empty), e.g. for a
    data-modifying CTE of a larger PostgreSQL statement."""
    connection = connections[using]
    key = (model, tuple(fields), tuple(unique_fields), tuple(update_fields), connection.vendor)
    shape = _upsert_shapes.get(key)
    if shape is None:
        shape = _upsert_shapes[key] = _upsert_shape(model, *key[1:4], connection)
    head, tail, targets, adapt, json_sql, arrays_sql = shape
    adapted = []
    for row in values:
        row = list(row)
        for i in adapt:
            if row[i] is not None:
                row[i] = targets[i].get_db_prep_save(row[i], connection)
        adapted.append(row)
    if connection.vendor == "postgresql":
        # The same statement (and parameter count) for any number of rows, so the driver's
        # parsed-query cache and the server's prepared plan apply: the rows as one JSON
        # parameter read with the table's own column types when every value is plain (psycopg
        # dumps a string in microseconds, arrays of 100 values in ~0.5 ms); otherwise one
        # array per column.
        as_json = _json_rows([f.column for f in targets], adapted)
        if as_json is not None:
            return f"{head} {json_sql} {tail}", [as_json]
        params = [[row[c] for row in adapted] for c in range(len(targets))]
        return f"{head} {arrays_sql} {tail}", params
    one = "(" + ", ".join(["%s"] * len(targets)) + ")"
    params = [value for row in adapted for value in row]
    return f"{head} VALUES {', '.join([one] * len(adapted))} {tail}", params


_upsert_shapes: dict[tuple, tuple] = {}


def _upsert_shape(model, fields, unique_fields, update_fields, connection) -> tuple:
    meta = model._meta
    qn = connection.ops.quote_name
    targets = [meta.get_field(name) for name in fields]
    # e.g. decimals and dates: adapted as the ORM would; strings and integers as they are
    adapt = [i for i, f in enumerate(targets) if f.get_internal_type() not in _AS_IS]
    conflict = ", ".join(qn(meta.get_field(name).column) for name in unique_fields)
    updated = [qn(meta.get_field(name).column) for name in update_fields]
    columns = ", ".join(qn(f.column) for f in targets)
    head = f"INSERT INTO {qn(meta.db_table)} ({columns})"
    tail = f"ON CONFLICT ({conflict}) DO UPDATE SET " + ", ".join(
        f"{c} = EXCLUDED.{c}" for c in updated
    )
    json_sql = arrays_sql = ""
    if connection.vendor == "postgresql":
        json_sql = (
            f"SELECT {columns} FROM json_populate_recordset"  # noqa: S608
            f"(NULL::{qn(meta.db_table)}, %s::json)"
        )
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in targets)
        arrays_sql = f"SELECT * FROM unnest({arrays})"  # noqa: S608
    return head, tail, targets, adapt, json_sql, arrays_sql


def _json_value(value):
    if type(value) is Decimal and value.is_finite():
        return str(value)
    raise TypeError(type(value).__name__)


def _json_rows(names: Sequence[str], values: Sequence[Sequence]) -> str | None:
    """Rows as a JSON array of objects keyed by column, for `json_populate_recordset`, when
    every value is None, a string, a number or a finite Decimal (as its string, which
    PostgreSQL reads with the column's type); None otherwise."""
    try:
        return json.dumps(
            [dict(zip(names, row, strict=True)) for row in values],
            default=_json_value,
            allow_nan=False,
        )
    except (TypeError, ValueError):
        return None


_select_cache: dict[tuple, tuple[str, list[str], list[tuple]]] = {}


def _select_statement(
    model: type[models.Model], fields: Sequence[str] | None, connection
) -> tuple[str, list[str], list]:
    key = (model, tuple(fields or ()), connection.vendor)
    if key not in _select_cache:
        qn = connection.ops.quote_name
        meta = model._meta
        chosen = [meta.get_field(n) for n in fields] if fields else meta.concrete_fields
        converters = []
        for i, f in enumerate(chosen):
            col = f.get_col(meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, col, found))
        sql = (
            f"SELECT {', '.join(qn(f.column) for f in chosen)}"  # noqa: S608
            f" FROM {qn(meta.db_table)}"
        )
        _select_cache[key] = (sql, [f.attname for f in chosen], converters)
    return _select_cache[key]


def _converted(rows, converters, connection) -> list[list]:
    out = []
    for row in rows:
        values = list(row)
        for i, col, functions in converters:
            for convert in functions:
                values[i] = convert(values[i], col, connection)
        out.append(values)
    return out


def select_values(
    model: type[models.Model],
    fields: Sequence[str],
    where: str,
    params: Sequence,
    *,
    using: str = "default",
) -> list[tuple]:
    """`model.objects.filter(…).values_list(*fields)` for a plain SQL `where` over the
    model's columns (`%s` parameters), each value converted as the ORM would convert it
    (SQLite's decimals, booleans and dates, JSON). For hot paths where compiling the ORM
    query costs more than running it."""
    connection = connections[using]
    sql, _names, converters = _select_statement(model, fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} WHERE {where}", params)
        found = cursor.fetchall()
    return [tuple(values) for values in _converted(found, converters, connection)]


def select_one(
    model: type[models.Model],
    where: str,
    params: Sequence,
    *,
    order_by: str = "",
    lock: bool = False,
    using: str = "default",
) -> models.Model | None:
    """The first row of `model` matching `where` (as in `select_values`) as an instance with
    every concrete field; `lock` adds FOR UPDATE where the database has it."""
    connection = connections[using]
    sql, names, converters = _select_statement(model, None, connection)
    sql = f"{sql} WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    sql += " LIMIT 1"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return model.from_db(using, names, _converted([row], converters, connection)[0])


def exists(model: type[models.Model], where: str, params: Sequence, *, using: str = "default"):
    """Is there a row of `model` matching `where` (as in `select_values`)?"""
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {where} LIMIT 1", params)  # noqa: S608
        return cursor.fetchone() is not None


def update(obj: models.Model, fields: Sequence[str], *, using: str = "default") -> None:
    """`obj.save(update_fields=fields)` as one plain UPDATE (each field's `pre_save` and
    `get_db_prep_save`, so `auto_now` behaves as with `save()`); no signals."""
    connection = connections[using]
    meta = type(obj)._meta
    qn = connection.ops.quote_name
    targets = [meta.get_field(name) for name in fields]
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in targets]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in targets)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])


def update_sql(obj: models.Model, fields: Sequence[str], *, using: str = "default") -> tuple:
    """The statement `update` runs and its parameters, e.g. for a data-modifying CTE."""
    connection = connections[using]
    meta = type(obj)._meta
    qn = connection.ops.quote_name
    targets = [meta.get_field(name) for name in fields]
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in targets]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in targets)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    return sql, [*params, obj.pk]


class Columns:
    """A model's columns in a hand-written SELECT, under a table alias (`sql`, `len()` of them)
    and how to turn their values back into an instance (`load(values, connection)`: the ORM's
    converters, then `from_db`; None for a row an outer join left empty). For statements that
    read several models at once."""

    def __init__(self, model: type[models.Model], alias: str, connection):
        meta = model._meta
        qn = connection.ops.quote_name
        chosen = meta.concrete_fields
        self.model = model
        self.names = [f.attname for f in chosen]
        self.sql = ", ".join(f"{alias}.{qn(f.column)}" for f in chosen)
        self.converters = []
        for i, f in enumerate(chosen):
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, col, found))
        self.pk_index = self.names.index(meta.pk.attname)

    def __len__(self) -> int:
        return len(self.names)

    def load(self, values: Sequence, connection) -> models.Model | None:
        if values[self.pk_index] is None:
            return None
        converted = _converted([values], self.converters, connection)[0]
        return self.model.from_db(connection.alias, self.names, converted)


_columns_cache: dict[tuple, Columns] = {}


def columns(model: type[models.Model], alias: str, *, using: str = "default") -> Columns:
    """Every concrete column of `model` under `alias` (cached per model, alias and vendor)."""
    connection = connections[using]
    key = (model, alias, connection.vendor)
    found = _columns_cache.get(key)
    if found is None:
        found = _columns_cache[key] = Columns(model, alias, connection)
    return found
