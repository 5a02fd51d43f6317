"""How a draw is kept: the frozen pool as the text its digest hashes, the report as compact
JSON, both converted by migration 0009 and back; the pool frozen once by the rules."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from qinqing.bidding.conftest import build_world
from qinqing.bidding.draw import rules, services
from qinqing.bidding.draw.rules import canonical_pool, freeze_pool, pool_digest
from qinqing.bidding.models import Draw, DrawOutcome, EvaluationSession
from qinqing.bidding.rules import RuleError
from qinqing.core.audit import verify_chain
from qinqing.core.models import AuditChainHead, AuditEntry


def _raw(draw_pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pool, exclusion_report FROM bidding_draw WHERE id = %s", [draw_pk])
        pool, report = cursor.fetchone()
    return pool, report


def test_the_pool_is_stored_as_the_text_its_digest_hashes(world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    pool, report = _raw(draw.pk)
    assert pool == "\n".join(f"WH-{n:03d}" for n in range(1, 9))
    assert hashlib.sha256(pool.encode()).hexdigest() == draw.pool_digest
    assert ", " not in report and ": " not in report  # compact
    stored = Draw.objects.get(pk=draw.pk)
    assert stored.pool == draw.pool == pool.split("\n")
    assert stored.exclusion_report == draw.exclusion_report == json.loads(report)
    assert stored.pool_digest == pool_digest(stored.pool)


def test_an_empty_pool_reads_back_as_an_empty_list(world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    Draw.objects.filter(pk=draw.pk).update(pool=[])
    assert _raw(draw.pk)[0] == ""
    assert Draw.objects.get(pk=draw.pk).pool == []


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_keep_the_pool_and_the_report(demo_users, tmp_path):
    world = build_world(demo_users)
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="7")
    before = Draw.objects.get(pk=draw.pk)
    path = tmp_path / "qinqing.tar.gz"
    call_command("backup", str(path))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(path))
    after = Draw.objects.get(pk=draw.pk)
    assert after.pool == before.pool and len(after.pool) == 8
    assert after.exclusion_report == before.exclusion_report
    assert after.drawn == before.drawn
    assert _raw(draw.pk)[0] == "\n".join(before.pool)


@pytest.mark.django_db(transaction=True)
def test_migration_0009_converts_existing_draws_both_ways(demo_users):
    world = build_world(demo_users)
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="7")
    empty = services.draw_commit(actor=world["centre_jk"], quota=world["guest"])
    Draw.objects.filter(pk=empty.pk).update(pool=[])
    report = Draw.objects.get(pk=draw.pk).exclusion_report
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("bidding", "0008_one_time_code_in_core")])
        pool, stored_report = _raw(draw.pk)
        if isinstance(pool, str):  # SQLite hands JSON back as text
            pool, stored_report = json.loads(pool), json.loads(stored_report)
        assert pool == [f"WH-{n:03d}" for n in range(1, 9)]
        assert stored_report == report
        empty_pool = _raw(empty.pk)[0]
        assert (json.loads(empty_pool) if isinstance(empty_pool, str) else empty_pool) == []
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert _raw(draw.pk)[0] == "\n".join(f"WH-{n:03d}" for n in range(1, 9))
    reloaded = Draw.objects.get(pk=draw.pk)
    assert reloaded.pool == [f"WH-{n:03d}" for n in range(1, 9)]
    assert reloaded.exclusion_report == report
    assert Draw.objects.get(pk=empty.pk).pool == []
    assert (
        rules.verify_proof(
            {
                **services.proof(reloaded),
                "algorithm": rules.ALGORITHM,
                "pool": reloaded.pool,
                "server_nonce": services.server_nonce(reloaded).hex(),
                "witness_entropy": reloaded.witness_entropy,
                "quota": reloaded.quota_count,
                "backups": reloaded.backups,
                "drawn": reloaded.drawn,
            }
        )
        == []
    )


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["E2", "E1", "E2"], "专家编号重复：E2"),
        (["E1", ""], "专家编号无效：''"),
        (["E3", "E1\n"], "专家编号无效：'E1\\\\n'"),
        (["\n", "E1"], "专家编号无效"),
    ],
)
def test_the_quick_check_still_names_the_bad_code(codes, message):
    with pytest.raises(RuleError, match=message):
        canonical_pool(codes)


def test_freezing_sorts_checks_and_digests_once():
    frozen = freeze_pool(["E3", "E10", "E1"])
    assert frozen.codes == canonical_pool(["E3", "E10", "E1"]) == ["E1", "E10", "E3"]
    assert frozen.digest == pool_digest(["E1", "E3", "E10"])
    assert freeze_pool([]).codes == []
    assert freeze_pool([]).digest == hashlib.sha256(b"").hexdigest()


def test_a_commit_on_a_fresh_chain_creates_the_head_and_audits(world):
    """On PostgreSQL the draw, the session's status and the audit entry are one statement;
    without a chain head (a fresh database) it is created and the statement run again."""
    AuditChainHead.objects.all().delete()
    session = world["host"].session
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert Draw.objects.get(pk=draw.pk).pool == draw.pool
    assert session.status == EvaluationSession.Status.DRAWING
    session.refresh_from_db()
    assert session.status == EvaluationSession.Status.DRAWING
    entry = AuditEntry.objects.get(action="draw.commit", object_id=str(draw.pk))
    assert entry.detail["pool_digest"] == draw.pool_digest
    assert verify_chain().ok
    witnessed = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="1")
    assert [o.status for o in witnessed.outcomes.order_by("position")][:3] == [
        DrawOutcome.Status.NOTIFIED
    ] * 3
    assert verify_chain().ok
