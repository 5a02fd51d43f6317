# ruff: noqa: S608 -- the statements are built from this module's constants.
"""The frozen pool and the exclusion report out of JSON.

`Draw.pool` becomes one text value, the codes joined by line feeds (exactly what QQ-DRAW-1
digests), and `Draw.exclusion_report` compact JSON text: PostgreSQL no longer parses them
into `jsonb` on every draw nor rebuilds them on every read. On PostgreSQL both columns are
compressed with lz4 where the server has it (a fraction of pglz's cost to write). Existing
rows are converted both ways: the columns change type first (the JSON text is kept as it
is), then each pool's JSON array is rewritten as lines (and back, before the types are
restored).
"""

import json

from django.db import migrations

import qinqing.bidding.models

TABLE = "bidding_draw"

PG_LZ4 = (
    f"ALTER TABLE {TABLE} ALTER COLUMN pool SET COMPRESSION lz4,"
    " ALTER COLUMN exclusion_report SET COMPRESSION lz4"
)
PG_FORWARD = (
    f"UPDATE {TABLE} SET pool = coalesce((SELECT string_agg(c, E'\\n' ORDER BY n)"
    " FROM jsonb_array_elements_text(pool::jsonb) WITH ORDINALITY AS t(c, n)), ''),"
    " exclusion_report = exclusion_report"  # rewritten, so compressed as the column says
)
PG_BACKWARD = [
    f"ALTER TABLE {TABLE} ALTER COLUMN pool SET COMPRESSION default,"
    " ALTER COLUMN exclusion_report SET COMPRESSION default",
    f"UPDATE {TABLE} SET pool = to_jsonb(string_to_array(pool, E'\\n'))::text",
]
SQLITE_FORWARD = (
    f"UPDATE {TABLE} SET pool = coalesce((SELECT group_concat(value, char(10)) FROM"
    f" (SELECT value FROM json_each({TABLE}.pool) ORDER BY key)), '')"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            # lz4 where the server was built with it (PostgreSQL 14+ with --with-lz4).
            cursor.execute(
                "SELECT count(*) FROM pg_settings WHERE name = 'default_toast_compression'"
                " AND 'lz4' = ANY(enumvals)"
            )
            if cursor.fetchone()[0]:
                cursor.execute(PG_LZ4)
            cursor.execute(PG_FORWARD)
    else:
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            for statement in PG_BACKWARD:
                cursor.execute(statement)
            return
        cursor.execute(f"SELECT id, pool FROM {TABLE}")  # noqa: S608
        found = cursor.fetchall()
        cursor.executemany(
            f"UPDATE {TABLE} SET pool = %s WHERE id = %s",  # noqa: S608
            [(json.dumps(pool.split("\n") if pool else []), pk) for pk, pool in found],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0008_one_time_code_in_core"),
    ]

    operations = [
        migrations.AlterField(
            model_name="draw",
            name="pool",
            field=qinqing.bidding.models.CodeLinesField(verbose_name="冻结的候选池（专家编号）"),
        ),
        migrations.AlterField(
            model_name="draw",
            name="exclusion_report",
            field=qinqing.bidding.models.CompactJSONField(verbose_name="回避与排除报告"),
        ),
        migrations.RunPython(forward, backward),
    ]
