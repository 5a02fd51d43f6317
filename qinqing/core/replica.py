"""Reads that may come from a PostgreSQL read replica: figures, dashboards and exports.

With `DATABASE_REPLICA_URL` set, the `replica` database alias points at a streaming replica of
the primary. A view or task that only reports (the figures page, the dashboards, an export)
runs under `replica_reads()` (or `@reads_from_replica`), and `ReplicaRouter` sends its reads
there; everything else reads and writes the primary, so a person always sees what they have
just written. Inside a transaction every read goes to the primary as well: a service that reads
and then writes (the audit chain's head, a sum it checks) must see the primary's rows.

A replica that cannot be reached is not an outage: `replica_reads()` tries the connection once
when it starts and falls back to the primary, logging a warning. Without a replica configured
the whole module is a no-op (the SQLite default, one machine).

What a report read from the replica may lag by: the replica's replay delay (`SELECT now() -
pg_last_xact_replay_timestamp()` on it), normally well under a second; docs/operations.md.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

REPLICA = "replica"
logger = logging.getLogger(__name__)

_reading_from: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "qinqing_replica_reads", default=None
)


def configured() -> bool:
    return REPLICA in connections.settings


def current_read_alias() -> str:
    """The alias a plain read runs on right now (the primary unless inside replica_reads())."""
    alias = _reading_from.get()
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


def _reachable() -> bool:
    """Connect, or check the kept connection (a restarted replica leaves it broken)."""
    connection = connections[REPLICA]
    try:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        connection.ensure_connection()
    except OperationalError as exc:
        logger.warning("read replica unreachable, reading from the primary: %s", exc)
        connection.close()
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[str]:
    """Route this block's reads to the replica when there is one that answers."""
    alias = REPLICA if configured() and _reachable() else DEFAULT_DB_ALIAS
    token = _reading_from.set(alias)
    try:
        yield alias
    finally:
        _reading_from.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """Decorator for a view or task body that only reports."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Reads inside replica_reads() go to the replica; writes, migrations and the rest to the
    primary. Both aliases hold the same rows, so relations between them are allowed."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label == "django_cache":  # throttles and caches: the primary's
            return DEFAULT_DB_ALIAS
        return current_read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


# Lag beyond which /healthz warns (the reports read from the replica are that far behind).
LAG_WARN_SECONDS = 30


def health() -> dict:
    """For /healthz: "none" without a replica; otherwise reachable or not, and its replay lag.

    An unreachable or lagging replica is a warning, not an outage: the reports fall back to or
    stay on the primary."""
    if not configured():
        return {"status": "none"}
    if not _reachable():
        return {"status": "unreachable"}
    with connections[REPLICA].cursor() as cursor:
        # Zero when the replica has replayed everything it received (an idle primary sends
        # nothing, so the age of the last replayed transaction alone would look like lag).
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
            " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
        )
        (lag,) = cursor.fetchone()
    lag = round(float(lag or 0), 3)
    return {"status": "ok" if lag <= LAG_WARN_SECONDS else "lagging", "lag_seconds": lag}
