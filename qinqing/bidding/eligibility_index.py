# ruff: noqa: S608 -- every statement here is built from the constants of this module.
"""The eligibility index (`EligibilityEntry`): triggers that keep it, and checks on it.

`EligibilityEntry` is derived data: one row per (expert, speciality) with the expert columns
the rules read, clustered by (database, speciality) so a quota's candidates are one
index-only range scan (`pools.py`). Database triggers keep it equal to its sources on every
write — services, imports, `bulk_create`, `QuerySet.update()`, raw SQL — so no code path,
present or future, can leave a stale entry behind:

- `ExpertSpeciality` insert / update / delete adds and removes entries;
- an `Expert` update copies the columns to the expert's entries;
- `leave_from`, `leave_until` = the first day of the expert's earliest leave and the last
  day of the latest (None: no leave);
- `seat_until`, `seat_before`, `seat_end` = the latest and the second latest start, and the
  latest end, of the sessions in which the expert has an outcome of any status (None: never
  drawn, or drawn once for `seat_before`). They only have to bound the seats, so status
  changes need no trigger.

SQLite drops a table's triggers when a later migration rebuilds that table (`ALTER` through
copy-and-rename), so every draw counts the installed triggers in the statement that reads
the index (`installed_count_sql()`) and, when some are missing, calls `ensure()`, which
re-installs them and rebuilds the table from its sources in one transaction (the draw then
reads the index again).
`mismatches()` compares the table with its sources (tests and `qinqing check`-style audits).
"""

from __future__ import annotations

from django.db import connection, transaction

TABLE = "bidding_eligibilityentry"
COLUMNS = (
    "database_id",
    "speciality_id",
    "expert_id",
    "code",
    "birth_date",
    "status",
    "ban_until",
    "employer_uscc",
    "region_code",
    "leave_from",
    "leave_until",
    "seat_before",
    "seat_until",
    "seat_end",
)
EXPERT_COLUMNS = (
    "database_id",
    "code",
    "birth_date",
    "status",
    "ban_until",
    "employer_uscc",
    "region_code",
)
_INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "
_LEAVE_FROM = "SELECT min(l.start) FROM bidding_expertleave l WHERE l.expert_id = {expert}"
_LEAVE_UNTIL = 'SELECT max(l."end") FROM bidding_expertleave l WHERE l.expert_id = {expert}'
_SEATS_OF = (
    "FROM bidding_drawoutcome o "
    "JOIN bidding_evaluationsession s ON s.id = o.session_id WHERE o.expert_id = {expert}"
)
_SEAT_UNTIL = "SELECT max(s.starts_at) " + _SEATS_OF
# The second latest start, an outcome counted as often as it occurs.
_SEAT_BEFORE = "SELECT s.starts_at " + _SEATS_OF + " ORDER BY s.starts_at DESC LIMIT 1 OFFSET 1"
_SEAT_END = "SELECT max(s.ends_at) " + _SEATS_OF
_SEAT_COLUMNS = (
    ("seat_before", _SEAT_BEFORE),
    ("seat_until", _SEAT_UNTIL),
    ("seat_end", _SEAT_END),
)

# What the table must hold, computed from the sources (used to fill it and to check it).
SOURCE_ROWS = (
    "SELECT e.database_id, es.speciality_id, e.id, e.code, e.birth_date, e.status, "
    "e.ban_until, e.employer_uscc, e.region_code, l.since, l.until, o.prior, o.until, "
    "o.ends "
    "FROM bidding_expertspeciality es JOIN bidding_expert e ON e.id = es.expert_id "
    'LEFT JOIN (SELECT expert_id, min(start) AS since, max("end") AS until '
    "FROM bidding_expertleave GROUP BY expert_id) l ON l.expert_id = e.id "
    "LEFT JOIN (SELECT expert_id, max(CASE WHEN n = 2 THEN starts_at END) AS prior, "
    "max(starts_at) AS until, max(ends_at) AS ends FROM (SELECT o.expert_id, s.starts_at, "
    "s.ends_at, row_number() OVER (PARTITION BY o.expert_id ORDER BY s.starts_at DESC) AS n "
    "FROM bidding_drawoutcome o JOIN bidding_evaluationsession s ON s.id = o.session_id) x "
    "GROUP BY expert_id) o ON o.expert_id = e.id"
)


def _entry_insert(link: str) -> str:
    """Insert the entry of one ExpertSpeciality row (`link` is NEW)."""
    return (
        f"{_INSERT}SELECT e.database_id, {link}.speciality_id, e.id, e.code, e.birth_date, "
        "e.status, e.ban_until, e.employer_uscc, e.region_code, "
        f"({_LEAVE_FROM.format(expert='e.id')}), ({_LEAVE_UNTIL.format(expert='e.id')}), "
        + ", ".join(f"({sql.format(expert='e.id')})" for _, sql in _SEAT_COLUMNS)
        + " "
        f"FROM bidding_expert e WHERE e.id = {link}.expert_id"
    )


def _entry_delete(link: str) -> str:
    return (
        f"DELETE FROM {TABLE} "
        f"WHERE expert_id = {link}.expert_id AND speciality_id = {link}.speciality_id"
    )


_EXPERT_COPY = (
    f"UPDATE {TABLE} SET "
    + ", ".join(f"{c} = NEW.{c}" for c in EXPERT_COLUMNS)
    + " WHERE expert_id = NEW.id"
)


def _expert_changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in EXPERT_COLUMNS)


def _leave_refresh(row: str) -> str:
    expert = row + ".expert_id"
    return (
        f"UPDATE {TABLE} SET leave_from = ({_LEAVE_FROM.format(expert=expert)}), "
        f"leave_until = ({_LEAVE_UNTIL.format(expert=expert)}) WHERE expert_id = {expert}"
    )


def _seat_set(expert: str) -> str:
    return ", ".join(f"{column} = ({sql.format(expert=expert)})" for column, sql in _SEAT_COLUMNS)


def _seat_refresh(expert: str) -> str:
    return f"UPDATE {TABLE} SET {_seat_set(expert)} WHERE expert_id = {expert}"


_SESSION_MOVED = (
    f"UPDATE {TABLE} SET {_seat_set(TABLE + '.expert_id')} "
    "WHERE expert_id IN (SELECT expert_id FROM bidding_drawoutcome WHERE session_id = NEW.id)"
)

SQLITE_TRIGGERS = {
    "bidding_elig_link_ins": "AFTER INSERT ON bidding_expertspeciality "
    f"BEGIN {_entry_insert('NEW')}; END",
    "bidding_elig_link_del": "AFTER DELETE ON bidding_expertspeciality "
    f"BEGIN {_entry_delete('OLD')}; END",
    "bidding_elig_link_upd": "AFTER UPDATE ON bidding_expertspeciality "
    f"BEGIN {_entry_delete('OLD')}; {_entry_insert('NEW')}; END",
    "bidding_elig_expert_upd": "AFTER UPDATE ON bidding_expert "
    f"WHEN {_expert_changed('IS NOT')} BEGIN {_EXPERT_COPY}; END",
    "bidding_elig_leave_ins": "AFTER INSERT ON bidding_expertleave "
    f"BEGIN {_leave_refresh('NEW')}; END",
    "bidding_elig_leave_del": "AFTER DELETE ON bidding_expertleave "
    f"BEGIN {_leave_refresh('OLD')}; END",
    "bidding_elig_leave_upd": "AFTER UPDATE ON bidding_expertleave "
    f"BEGIN {_leave_refresh('OLD')}; {_leave_refresh('NEW')}; END",
    "bidding_elig_seat_ins": "AFTER INSERT ON bidding_drawoutcome "
    f"BEGIN {_seat_refresh('NEW.expert_id')}; END",
    "bidding_elig_seat_del": "AFTER DELETE ON bidding_drawoutcome "
    f"BEGIN {_seat_refresh('OLD.expert_id')}; END",
    "bidding_elig_seat_upd": "AFTER UPDATE OF expert_id, session_id ON bidding_drawoutcome "
    f"BEGIN {_seat_refresh('OLD.expert_id')}; {_seat_refresh('NEW.expert_id')}; END",
    "bidding_elig_session_upd": "AFTER UPDATE OF starts_at, ends_at ON bidding_evaluationsession "
    f"BEGIN {_SESSION_MOVED}; END",
}


def _plpgsql(body: str) -> str:
    return f"RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"


# name -> (table, trigger clause, function body)
POSTGRESQL_TRIGGERS = {
    "bidding_elig_link": (
        "bidding_expertspeciality",
        "AFTER INSERT OR UPDATE OR DELETE",
        f"IF TG_OP <> 'INSERT' THEN {_entry_delete('OLD')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_entry_insert('NEW')}; END IF;",
    ),
    "bidding_elig_expert": (
        "bidding_expert",
        f"AFTER UPDATE ON bidding_expert FOR EACH ROW WHEN ({_expert_changed('IS DISTINCT FROM')})",
        f"{_EXPERT_COPY};",
    ),
    "bidding_elig_leave": (
        "bidding_expertleave",
        "AFTER INSERT OR UPDATE OR DELETE",
        f"IF TG_OP <> 'INSERT' THEN {_leave_refresh('OLD')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_leave_refresh('NEW')}; END IF;",
    ),
    "bidding_elig_seat": (
        "bidding_drawoutcome",
        "AFTER INSERT OR DELETE OR UPDATE OF expert_id, session_id",
        f"IF TG_OP <> 'INSERT' THEN {_seat_refresh('OLD.expert_id')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_seat_refresh('NEW.expert_id')}; END IF;",
    ),
    "bidding_elig_session": (
        "bidding_evaluationsession",
        "AFTER UPDATE OF starts_at, ends_at",
        f"{_SESSION_MOVED};",
    ),
}


def _postgresql_statements(name: str) -> list[str]:
    table, clause, body = POSTGRESQL_TRIGGERS[name]
    if " ON " not in clause:
        clause = f"{clause} ON {table} FOR EACH ROW"
    return [
        f"CREATE OR REPLACE FUNCTION {name}() {_plpgsql(body)}",
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {clause} EXECUTE FUNCTION {name}()",
    ]


def _installed(cursor) -> set[str]:
    if connection.vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'bidding_elig_%'"
        )
    else:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'bidding_elig_%%'"
        )
    return {name for (name,) in cursor.fetchall()}


def _expected() -> set[str]:
    return set(SQLITE_TRIGGERS if connection.vendor == "sqlite" else POSTGRESQL_TRIGGERS)


def installed_count_sql() -> str:
    """A scalar subquery: how many of the triggers are installed, for a statement that reads
    the index and checks them in the same round trip (`pools.py`); fewer than
    `expected_count()` means `ensure()` must run."""
    if connection.vendor == "sqlite":
        return (
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            f" AND name IN ({', '.join(repr(n) for n in sorted(SQLITE_TRIGGERS))})"
        )
    return (
        "SELECT count(DISTINCT tgname) FROM pg_trigger WHERE NOT tgisinternal"
        f" AND tgname IN ({', '.join(repr(n) for n in sorted(POSTGRESQL_TRIGGERS))})"
    )


def expected_count() -> int:
    return len(_expected())


def install(cursor, vendor: str) -> None:
    """Create (or replace) every trigger, then refill the table from its sources."""
    if vendor == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} {body}")
    elif vendor == "postgresql":
        for name in POSTGRESQL_TRIGGERS:
            for statement in _postgresql_statements(name):
                cursor.execute(statement)
    else:
        raise RuntimeError(f"the eligibility index has no triggers for {vendor}")
    cursor.execute(f"DELETE FROM {TABLE}")
    # In the pool index's order: the B-tree then fills its pages left to right instead of
    # splitting them at random (at 1M experts about half the pages of a random-order fill).
    cursor.execute(_INSERT + SOURCE_ROWS + " ORDER BY 1, 2, 3")


def install_in_migration(apps, schema_editor) -> None:
    """`install` for a migration (a `RunPython` function): skipped when the table lacks some
    of today's columns, that is in a migration that runs before the one adding them (which
    installs). Migrating back past it leaves the triggers off; `ensure` re-installs them."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        present = {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}
        if set(COLUMNS) <= present:
            install(cursor, connection.vendor)


def uninstall_in_migration(apps, schema_editor) -> None:
    """`uninstall` for a migration that rebuilds or alters a table the triggers name (SQLite
    refuses to rename a table over triggers that name the old one)."""
    with schema_editor.connection.cursor() as cursor:
        uninstall(cursor, schema_editor.connection.vendor)


def uninstall(cursor, vendor: str) -> None:
    if vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        for name, (table, _, _) in POSTGRESQL_TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def ensure() -> None:
    """Re-install missing triggers and rebuild the table (see the module docstring)."""
    with connection.cursor() as cursor:
        if _installed(cursor) >= _expected():
            return
    with transaction.atomic(), connection.cursor() as cursor:
        if not _installed(cursor) >= _expected():
            install(cursor, connection.vendor)


def mismatches() -> list[tuple]:
    """Rows that differ between the table and what its sources say it must hold: each is
    ("missing", row) or ("extra", row); empty when the index is consistent."""
    with connection.cursor() as cursor:
        cursor.execute(SOURCE_ROWS)
        expected = {tuple(_plain(v) for v in row) for row in cursor.fetchall()}
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE}")
        actual = {tuple(_plain(v) for v in row) for row in cursor.fetchall()}
    return sorted(
        [("missing", row) for row in expected - actual]
        + [("extra", row) for row in actual - expected],
        key=repr,
    )


def _plain(value):
    """Compare dates and times the same way on both backends (SQLite returns text)."""
    if value is None or isinstance(value, int | str):
        return value
    return str(value.replace(tzinfo=None) if hasattr(value, "tzinfo") else value)
