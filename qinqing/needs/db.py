"""The cursor of the public form's hot path.

The intake runs three statements per submission (the QR code, one read, one write; see
`services._submit_in_one_statement`). On PostgreSQL they are prepared after a few runs on a
connection like every other statement (`DB_PREPARED_STATEMENTS`, docs/decisions/0003). The
write has about 100 parameters, and psycopg keeps its conversion of a query (`%s` → `$n`, a
Python-level scan of the text) only for queries of at most 50 parameters and 4 kB, so without
`_cache_long_statements` the write would be scanned anew on every submission.
"""

from __future__ import annotations

from django.db import connection


def cursor():
    """A Django cursor on the default connection (query logging and execute wrappers as
    usual), with psycopg's conversion cache widened to the intake's statements."""
    if connection.vendor == "postgresql":
        _cache_long_statements()
    return connection.cursor()


def _cache_long_statements() -> None:
    """Raise psycopg's limits for caching a converted query (module settings of psycopg's,
    read at each conversion; its cache keeps 128 queries, whatever their size). Harmless when
    a psycopg release renames them: the statements are then converted each time, as before."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", _MAX_PARAMS) < _MAX_PARAMS:
        _queries.MAX_CACHED_STATEMENT_PARAMS = _MAX_PARAMS
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", _MAX_LENGTH) < _MAX_LENGTH:
        _queries.MAX_CACHED_STATEMENT_LENGTH = _MAX_LENGTH


_MAX_PARAMS, _MAX_LENGTH = 400, 16384
