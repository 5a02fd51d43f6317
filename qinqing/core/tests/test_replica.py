"""The replica router without a replica (the default): every read stays on the primary, and the
reporting views work unchanged. The routing to a real standby is test_replica_postgres.py."""

import pytest
from django.db import transaction

from qinqing.core import replica
from qinqing.core.models import AuditEntry


def test_without_a_replica_reports_read_the_primary():
    assert not replica.configured()
    with replica.replica_reads() as alias:
        assert alias == "default"
        assert AuditEntry.objects.all().db == "default"
    assert replica.health() == {"status": "none"}


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_stay_on_the_primary(monkeypatch):
    # As if a replica answered: a report's plain read would go there, but not one made inside
    # a transaction (a service reading what it is about to change).
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_reachable", lambda: True)
    with replica.replica_reads():
        assert AuditEntry.objects.all().db == "replica"
        assert AuditEntry.objects.select_for_update().db == "default"
        with transaction.atomic():
            assert AuditEntry.objects.all().db == "default"
    assert AuditEntry.objects.all().db == "default"


def test_a_fresh_database_has_the_cache_table_after_migrate(tmp_path):
    """`qinqing migrate` alone makes the database cache's table (the test runner makes it on
    its own, which hid that a fresh install had none and its cached pages answered 500)."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DEBUG": "1",
        "QINQING_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, str(root / "manage.py"), "migrate", "--no-input"],
        cwd=root, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(tmp_path / "qinqing.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "qq_cache" in tables


def test_cache_reads_stay_on_the_primary(monkeypatch):
    from django.core.cache.backends.db import DatabaseCache
    from django.db import router

    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_reachable", lambda: True)
    model = DatabaseCache("qq_cache", {}).cache_model_class
    with replica.replica_reads():
        assert router.db_for_read(AuditEntry) == "replica"
        assert router.db_for_read(model) == "default"
