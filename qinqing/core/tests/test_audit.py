import itertools
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qinqing.core.audit import (
    GENESIS_HASH,
    AuditRecord,
    audit_log,
    audit_log_many,
    row_hash,
    verify_chain,
)
from qinqing.core.models import AuditChainHead, AuditEntry


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


@pytest.mark.django_db
def test_a_batch_is_the_same_chain_as_one_append_after_the_other():
    first = audit_log(actor=None, action="test.before")
    batch = audit_log_many(
        [
            AuditRecord("test.batch", detail={"i": 0, "amount": Decimal("2.50")}),
            AuditRecord("test.batch", object_type="x.y", object_id="7", detail={"i": 1}),
            AuditRecord("test.batch", detail={"i": 2}),
        ]
    )
    after = audit_log(actor=None, action="test.after")
    assert [e.seq for e in batch] == [2, 3, 4] and after.seq == 5
    assert batch[0].prev_hash == first.hash and after.prev_hash == batch[-1].hash
    stored = list(AuditEntry.objects.order_by("seq"))
    assert [e.pk for e in stored[1:4]] == [e.pk for e in batch]
    for previous, entry in itertools.pairwise(stored):
        # Each row is hashed over its own content and its predecessor, as by audit_log.
        assert entry.prev_hash == previous.hash and entry.hash == row_hash(previous.hash, entry)
    assert stored[1].detail == {"i": 0, "amount": "2.50"}
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, after.hash)
    assert verify_chain().ok and verify_chain().checked == 5
    assert audit_log_many([]) == []


@pytest.mark.django_db
def test_editing_or_removing_a_row_of_a_batch_is_detected():
    audit_log_many([AuditRecord("test.batch", detail={"i": i}) for i in range(4)])
    AuditEntry.objects.filter(seq=3).update(detail={"i": 99})
    assert verify_chain().broken_seq == 3
    AuditEntry.objects.filter(seq=3).update(detail={"i": 2})
    assert verify_chain().ok
    AuditEntry.objects.filter(seq=2).delete()
    assert verify_chain().broken_seq == 2


@pytest.mark.django_db
def test_the_head_is_created_from_the_last_row_when_missing():
    audit_log(actor=None, action="test.first")
    AuditChainHead.objects.all().delete()  # e.g. a restore of the rows only
    audit_log_many([AuditRecord("test.batch"), AuditRecord("test.batch")])
    assert verify_chain().ok and verify_chain().checked == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_keep_one_linear_chain():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (SQLite serialises writes)")
    audit_log(actor=None, action="test.first")
    errors = []

    def writer(w):
        try:
            for i in range(8):
                if i % 2:
                    audit_log(actor=None, action="test.single", detail={"w": w, "i": i})
                else:
                    audit_log_many(
                        [
                            AuditRecord("test.batch", detail={"w": w, "i": i, "k": k})
                            for k in range(3)
                        ]
                    )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = verify_chain()
    assert report.ok and report.checked == 1 + 4 * (4 * 3 + 4)
    # The entries of one batch are consecutive: nobody appends in the middle of a batch.
    batches = {}
    for seq, detail in AuditEntry.objects.filter(action="test.batch").values_list("seq", "detail"):
        batches.setdefault((detail["w"], detail["i"]), []).append(seq)
    assert all(sorted(s) == list(range(min(s), min(s) + 3)) for s in batches.values())


@pytest.mark.django_db
def test_a_row_nobody_appended_beyond_the_head_is_detected():
    entries = _append(2)
    stray = entries[-1]
    stray.pk, stray.seq, stray.prev_hash = None, 3, stray.hash
    stray.hash = row_hash(stray.prev_hash, stray)
    stray.save()  # an insert that bypassed the head
    report = verify_chain()
    assert (report.ok, report.broken_seq, report.reason) == (False, 3, "链头之后有未经登记的记录")


@pytest.mark.django_db(transaction=True)
def test_verifying_while_writers_append_raises_no_false_alarm():
    """The chain was read row by row and the head last: an append in between looked like a cut
    tail (3 of 3 false alarms while the intake took writes)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (SQLite serialises writes)")
    _append(1)
    stop, errors = threading.Event(), []

    def writer():
        try:
            i = 0
            while not stop.is_set():
                audit_log_many([AuditRecord("test.live", detail={"i": i}) for _ in range(3)])
                i += 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        reports = []
        for _ in range(15):
            with _slow_rows():
                reports.append(verify_chain())
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert all(r.ok for r in reports), [r.reason for r in reports if not r.ok]
    assert verify_chain().ok


class _slow_rows:
    """Give the writers time to commit while the rows are being read (as a long chain would)."""

    def __enter__(self):
        import time

        import qinqing.core.audit as audit

        self._row_hash, self._sleep = audit.row_hash, time.sleep

        def slow(prev, entry):
            self._sleep(0.002)
            return self._row_hash(prev, entry)

        audit.row_hash = slow

    def __exit__(self, *exc):
        import qinqing.core.audit as audit

        audit.row_hash = self._row_hash
