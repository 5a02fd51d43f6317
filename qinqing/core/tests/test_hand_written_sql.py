"""Every hand-written statement and every database-vendor branch is listed, with its reason.

Issue 23 item 2: use the ORM unless a measurement says a statement must be hand-written.
`docs/decisions/0006-hand-written-sql.md` lists, per function, each `execute()` /
`executemany()` call and each `.vendor` access outside migrations, tests and conftest, with
why it is not the ORM and which `make test` pass runs it. This test keeps that list honest:
it walks `qinqing/**/*.py` with `ast` (nothing is imported, no database), attributes each use
to the NAME of the innermost enclosing function (`<module>` at top level; names, not paths,
so moving a function to another file changes nothing) and compares the counts with
`INVENTORY`:

- a function not listed, or using more than listed, fails: write the statement with the ORM,
  or add the function to the decision with its reason and measurement, then here;
- a listed function using fewer (or none) fails too: lower or remove its entry here and in
  the decision, so the list only shrinks.

Functions of the same name in different files share one entry (their counts add up).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # qinqing/
DECISION = PACKAGE.parent / "docs" / "decisions" / "0006-hand-written-sql.md"
CALLS = frozenset({"execute", "executemany"})

# function name -> (execute()/executemany() calls, `.vendor` accesses); see the decision.
INVENTORY: dict[str, tuple[int, int]] = {
    # bidding/draw/pools.py — the draw's eligibility reads
    "_verdicts": (0, 1),
    "_candidates_sql": (0, 1),
    "_candidate_rows": (1, 0),
    "_day_reader": (0, 1),
    "_ids_sql": (0, 1),
    "_leave": (1, 1),
    "_seats": (2, 1),
    "_flagged": (1, 0),
    "_rule_converters": (0, 2),
    "_context": (1, 1),
    # bidding/draw/services.py — committing and witnessing a draw, calling backups
    "_earlier_draws": (1, 1),
    "_lock_database_id": (1, 0),
    "_aware": (0, 1),
    "draw_witness": (2, 0),
    "_witness_write": (1, 1),
    "backups_call_next": (4, 0),
    "_refresh_session_status_id": (1, 0),
    # bidding/eligibility_index.py — the triggers keeping the draw's index
    "_installed": (2, 1),
    "_expected": (0, 1),
    "installed_count_sql": (0, 1),
    "install": (5, 0),
    "install_in_migration": (0, 1),
    "uninstall_in_migration": (0, 1),
    "uninstall": (3, 0),
    "ensure": (0, 1),
    "mismatches": (2, 0),
    # bidding/evaluation/scoring.py — a sheet's write path
    "_stage_and_sheet": (1, 2),
    "_sheet_writes": (1, 1),
    # bidding/seating/selectors.py — the workstation's seat on every request
    "signed_in_seat": (1, 3),
    # core/audit.py — the audit chain's append
    "audit_log_many": (4, 1),
    "fetch": (1, 0),  # ChainAppend.run's inner function
    # core/backups.py and the backup command
    "backup_create": (0, 1),
    "_dump_postgresql": (2, 0),
    "backup_restore": (0, 1),
    "legacy_restore": (0, 1),
    "handle": (0, 1),  # core/management/commands/backup.py: report.vendor, a printed name
    # core/lookups.py — the `any_of` lookup
    "as_sql": (0, 1),
    # core/notifier.py
    "_mark_sent": (1, 0),
    # core/replica.py — decision 0004
    "health": (1, 0),
    # core/rows.py — plain statements for hot paths
    "insert": (1, 0),
    "insert_many": (1, 1),
    "upsert": (1, 0),
    "upsert_sql": (0, 2),
    "_upsert_shape": (0, 1),
    "_select_statement": (0, 1),
    "select_values": (1, 0),
    "select_one": (1, 0),
    "exists": (1, 0),
    "update": (1, 0),
    "columns": (0, 1),
    # core/testing.py — a test helper's skip
    "needs_concurrent_writers": (0, 1),
    # core/views.py
    "healthz": (1, 0),
    # needs/db.py, needs/selectors.py, needs/services.py — the public intake
    "active_qr": (1, 0),
    "_rate_limit": (1, 0),
    "need_submit": (0, 2),
    "_intake_read": (1, 0),
    "_firm_by_uscc": (1, 0),
    "_routing": (1, 0),
    "_insert_need": (1, 1),
}


def scan_source(source: str) -> dict[str, list[int]]:
    """Function name -> [execute()/executemany() calls, `.vendor` accesses] in `source`."""
    found: dict[str, list[int]] = {}

    def walk(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            elif (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in CALLS
            ):
                found.setdefault(function, [0, 0])[0] += 1
            elif isinstance(child, ast.Attribute) and child.attr == "vendor":
                found.setdefault(function, [0, 0])[1] += 1
            walk(child, inner)

    walk(ast.parse(source), "<module>")
    return found


def _scanned(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).parts
    return not ("migrations" in parts or "tests" in parts or path.name.startswith("conftest"))


def scan_package(package: Path = PACKAGE) -> dict[str, tuple[int, int]]:
    """The counts over every scanned file of the package (summed per function name)."""
    totals: dict[str, list[int]] = {}
    for path in sorted(package.rglob("*.py")):
        if not _scanned(path):
            continue
        source = path.read_text(encoding="utf-8")
        if "execute" not in source and "vendor" not in source:  # most files: no parse
            continue
        for name, (calls, vendors) in scan_source(source).items():
            total = totals.setdefault(name, [0, 0])
            total[0] += calls
            total[1] += vendors
    return {name: (calls, vendors) for name, (calls, vendors) in totals.items()}


def test_the_scanner_attributes_calls_and_vendor_to_the_innermost_function():
    source = """
from django.db import connection

TOP = connection.vendor


def reads(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("SELECT 1")
    cursor.executemany("INSERT", [])

    def inner():
        return connection.ops.vendor, connection.vendor

    return inner


class Shape:
    def as_sql(self, compiler, connection):
        self.execute = None  # an assignment, not a call
        return "execute(", connection.execute  # a string and a bare attribute: not calls


def untouched():
    return connection.cursor()
"""
    assert scan_source(source) == {"<module>": [0, 1], "reads": [2, 1], "inner": [0, 2]}


def test_the_scanner_skips_migrations_tests_and_conftest():
    assert _scanned(PACKAGE / "core" / "rows.py")
    assert not _scanned(PACKAGE / "core" / "migrations" / "0001_initial.py")
    assert not _scanned(PACKAGE / "core" / "tests" / "test_rows.py")
    assert not _scanned(PACKAGE / "conftest.py")


def test_every_hand_written_statement_and_vendor_branch_is_in_the_decision():
    found = scan_package()
    problems = []
    for name in sorted(set(found) | set(INVENTORY)):
        now, listed = found.get(name, (0, 0)), INVENTORY.get(name, (0, 0))
        for i, what in enumerate(("execute()/executemany() calls", "`.vendor` accesses")):
            if now[i] > listed[i]:
                problems.append(
                    f"{name}: {now[i]} {what}, {listed[i]} listed. Use the ORM, or add it with"
                    " the measurement that requires the SQL (or the reason for the vendor"
                    f" branch) to {DECISION.name} and to INVENTORY in this test."
                )
            elif now[i] < listed[i]:
                problems.append(
                    f"{name}: {now[i]} {what}, {listed[i]} listed. Good: lower (or remove) its"
                    f" entry in INVENTORY and in {DECISION.name}, so the list only shrinks."
                )
    assert not problems, "\n".join(problems)


def test_the_decision_names_every_listed_function_and_the_totals():
    text = DECISION.read_text(encoding="utf-8")
    missing = [name for name in INVENTORY if f"`{name}`" not in text]
    assert not missing, f"{DECISION.name} does not name: {', '.join(missing)}"
    calls = sum(c for c, _ in INVENTORY.values())
    vendors = sum(v for _, v in INVENTORY.values())
    assert f"**{calls}** `execute()`" in text, f"{DECISION.name}: the total is now {calls} calls"
    assert f"**{vendors}** `.vendor`" in text, f"{DECISION.name}: the total is now {vendors}"
