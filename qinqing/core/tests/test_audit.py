import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qinqing.core.audit import GENESIS_HASH, audit_log, verify_chain
from qinqing.core.models import AuditEntry


def _append(n):
    return [
        audit_log(actor=None, action="test.event", detail={"i": i, "amount": Decimal("1.10")})
        for i in range(n)
    ]


@pytest.mark.django_db
def test_chain_links_each_row_to_the_previous():
    entries = _append(3)
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert verify_chain().ok
    assert verify_chain().checked == 3
    # Decimal detail is stored as the string the hash was computed over.
    assert AuditEntry.objects.get(seq=1).detail == {"i": 0, "amount": "1.10"}


@pytest.mark.django_db
def test_altered_row_is_named_and_command_exits_1(capsys):
    _append(5)
    AuditEntry.objects.filter(seq=3).update(detail={"i": 99, "amount": "1.10"})
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 3
    assert report.checked == 2
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    assert excinfo.value.returncode == 1
    assert "第 3 条" in str(excinfo.value)


@pytest.mark.django_db
def test_rehashing_a_row_breaks_the_next_link():
    entries = _append(4)
    AuditEntry.objects.filter(seq=2).update(action="test.forged", hash="f" * 64)
    assert verify_chain().broken_seq == 2
    AuditEntry.objects.filter(seq=2).update(action="test.event", hash=entries[1].hash)
    assert verify_chain().ok


@pytest.mark.django_db
def test_deleted_rows_are_detected_in_the_middle_and_at_the_tail():
    _append(4)
    AuditEntry.objects.filter(seq=4).delete()
    report = verify_chain()
    assert not report.ok and report.broken_seq == 4
    AuditEntry.objects.filter(seq=2).delete()
    assert verify_chain().broken_seq == 2


@pytest.mark.django_db
def test_verify_command_reports_success(capsys):
    _append(2)
    call_command("audit_verify")
    assert "已校验 2 条" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_linear_chain():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (SQLite serialises writes)")
    audit_log(actor=None, action="test.first")  # creates the head before the race
    errors = []

    def writer():
        try:
            for i in range(10):
                audit_log(actor=None, action="test.concurrent", detail={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = verify_chain()
    assert report.ok and report.checked == 41
