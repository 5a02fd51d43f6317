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
