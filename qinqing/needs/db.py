"""The cursor of the public form's hot path.

The intake runs three statements per submission (the QR code, one read, one write; see
`services._submit_in_one_statement`). On PostgreSQL they are prepared after a few runs on a
connection like every other statement (`DB_PREPARED_STATEMENTS`, docs/decisions/0003).

psycopg keeps its conversion of a query (`%s` → `$n`) only for queries of at most 50
parameters and 4 kB, so the write (about 100 parameters) is converted on every submission.
An earlier version widened those limits by assigning to psycopg's private `_queries` module;
that was dropped (issue 23: no private API of any dependency) at a measured cost of about
0.2 ms of CPU per submission (docs/decisions/0003, "Statement conversion").
"""

from __future__ import annotations

from django.db import connection


def cursor():
    """A Django cursor on the default connection (query logging and execute wrappers as
    usual)."""
    return connection.cursor()
