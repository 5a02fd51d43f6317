"""The draw as people live it: commit, witness, confirmations, backups, proof."""

import json
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.draw import rules, selectors, services, views
from qinqing.bidding.draw.rules import verify_proof
from qinqing.bidding.experts import services as expert_services
from qinqing.bidding.models import Draw, DrawOutcome, EvaluationSession, Expert
from qinqing.bidding.projects import services as project_services
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Notification

S = DrawOutcome.Status


def _drawn(world, quota, entropy="42"):
    committer = world["centre_wh"] if quota.centre.code == "whggzy" else world["centre_jk"]
    draw = services.draw_commit(actor=committer, quota=quota)
    return services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy=entropy)


def _statuses(draw):
    return [o.status for o in draw.outcomes.order_by("position")]


def test_commit_freezes_pool_and_witness_draws_in_order(world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert draw.pool == [f"WH-{n:03d}" for n in range(1, 9)]
    assert draw.pool_size == 8
    commit_entry = AuditEntry.objects.get(action="draw.commit", object_id=str(draw.pk))
    assert commit_entry.detail["commitment"] == draw.commitment
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="3-5-1")
    assert len(draw.drawn) == 5
    assert _statuses(draw) == [S.NOTIFIED] * 3 + [S.WAITING] * 2
    assert verify_chain().ok


def test_invitation_names_date_time_centre_but_never_the_project(world, outbox):
    _drawn(world, world["host"])
    sms = [m for m in outbox if m.subject == "评标专家抽取通知"]
    assert len(sms) == 3
    stored = Notification.objects.filter(subject="评标专家抽取通知").first().body
    assert "/bidding/respond/" not in stored  # the personal link is sent, never stored
    body = sms[0].body
    assert "武汉市公共资源交易中心" in body
    assert world["session"].section.project.name not in body
    assert "示例投标人" not in body


def test_decline_calls_the_next_backup_in_order(world):
    draw = _drawn(world, world["host"])
    first = draw.outcomes.get(position=0)
    services.outcome_respond(
        actor=world["centre_wh"], outcome=first, answer="decline", reason="出差", channel="phone"
    )
    assert _statuses(draw) == [S.DECLINED, S.NOTIFIED, S.NOTIFIED, S.NOTIFIED, S.WAITING]
    with pytest.raises(DomainError):
        services.outcome_respond(
            actor=world["centre_wh"],
            outcome=draw.outcomes.get(position=1),
            answer="decline",
            channel="phone",
        )  # a decline needs a reason


def test_all_confirmed_makes_the_session_ready_and_closing_publishes_the_proof(world, client):
    draws = [_drawn(world, world["host"]), _drawn(world, world["guest"], entropy="")]
    for draw in draws:
        for outcome in draw.outcomes.filter(status=S.NOTIFIED):
            services.outcome_respond(actor=None, outcome=outcome, answer="confirm", channel="link")
    session = EvaluationSession.objects.get(pk=world["session"].pk)
    assert session.status == EvaluationSession.Status.READY

    before = client.get(f"/api/v1/bidding/draws/{draws[0].draw_id}/proof").json()
    assert set(before) == {"draw_id", "pool_digest", "commitment", "pool_size"}

    services.session_close(actor=world["centre_wh"], session=session)
    proof = client.get(f"/api/v1/bidding/draws/{draws[1].draw_id}/proof").json()
    assert verify_proof(proof) == []
    assert proof["witness_entropy"] == ""
    assert proof["drawn"] == draws[1].drawn
    assert DrawOutcome.objects.filter(session=session, status=S.UNUSED).count() == 3


def test_pool_smaller_than_quota_fails_and_seats_nobody(world):
    quota = world["guest"]
    quota.count = 6
    quota.save(update_fields=["count"])
    with pytest.raises(DomainError, match="不足"):
        services.draw_commit(actor=world["centre_jk"], quota=quota)
    assert not Draw.objects.exists()
    assert AuditEntry.objects.filter(action="draw.failed").count() == 1


def test_a_code_no_pool_can_hold_refuses_the_draw_and_seats_nobody(world):
    # A code entered before the import refused line feeds: the pool's digest joins codes
    # with them, and the candidate scan's text separates rows by them.
    Expert.objects.filter(code="WH-001").update(code="WH-0\n01")
    with pytest.raises(DomainError) as excinfo:
        services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert excinfo.value.code == "pool_invalid"
    assert "控制字符" in excinfo.value.message
    assert not Draw.objects.filter(quota=world["host"]).exists()
    failed = AuditEntry.objects.get(action="draw.failed")
    assert failed.detail["reason"] == excinfo.value.message


def test_witness_rules(world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    with pytest.raises(DomainError, match="见证人不能是"):
        services.draw_witness(actor=world["centre_wh"], draw=draw, witness_entropy="1")
    services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="1")
    with pytest.raises(ConflictError):
        services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="2")
    with pytest.raises(ConflictError):  # no shortfall: nothing to supplement
        services.draw_commit(actor=world["centre_wh"], quota=world["host"])


def test_avoidance_reaches_the_exclusion_report(world):
    wh = world["centre_wh"]
    experts = {e.code: e for e in Expert.objects.filter(database__code="whggzy-experts")}
    expert_services.expert_relation_add(
        actor=wh,
        expert=experts["WH-001"],
        org_uscc=BIDDER_USCCS[0],
        org_name="示例投标人0",
        kind="director",
        start=date(2010, 1, 1),
        end=timezone.localdate() - timedelta(days=365),
    )
    day = timezone.localtime(world["session"].starts_at).date()
    expert_services.expert_leave_add(actor=wh, expert=experts["WH-002"], start=day, end=day)
    expert_services.expert_status_set(
        actor=wh, expert=experts["WH-003"], status="suspended", reason="考核不合格"
    )
    services.exclusion_add(
        actor=world["supervisor"],
        quota=world["host"],
        expert=experts["WH-004"],
        reason="曾参与该项目前期咨询",
    )
    draw = services.draw_commit(actor=wh, quota=world["host"])
    report = {row["code"]: row["reasons"] for row in draw.exclusion_report["excluded"]}
    assert report == {
        "WH-001": ["PAST_EMPLOYER"],
        "WH-002": ["UNAVAILABLE"],
        "WH-003": ["STATUS"],
        "WH-004": ["MANUAL"],
    }
    assert draw.pool == ["WH-005", "WH-006", "WH-007", "WH-008"]


def overlapping_quota(world, centre_code, *, count, backups, code="P-002"):
    """A second session one hour after the first (so overlapping), hosted at `centre_code`."""
    session = world["session"]
    admin = world["centre_wh" if centre_code == "whggzy" else "centre_jk"]
    section = project_services.project_register(
        actor=admin,
        code=code,
        name="另一项目",
        tenderer=world["orgs"]["demo-tenderer"],
        agency=None,
        supervising_department=world["orgs"]["hs-zgj"],
        host_centre=world["orgs"][centre_code],
        region_code="420111",
        method="lowest_price",
        rule_set=world["rule_set"],
        budget=None,
        section_code="01",
        section_name="一标段",
        bidders=[project_services.BidderIn(u, f"投标人{i}") for i, u in enumerate(BIDDER_USCCS)],
    )
    other = project_services.session_schedule(
        actor=admin,
        section=section,
        starts_at=session.starts_at + timedelta(hours=1),
        ends_at=session.ends_at + timedelta(hours=1),
        guest_centres=[],
    )
    return services.quota_set(
        actor=admin,
        session=other,
        centre=world["orgs"][centre_code],
        speciality_codes=["A0501"],
        count=count,
        backups=backups,
    )


def _holders(session_id):
    return set(
        DrawOutcome.objects.filter(
            session_id=session_id, status__in=DrawOutcome.HOLDING
        ).values_list("expert__code", flat=True)
    )


def test_expert_seated_elsewhere_in_an_overlapping_slot_is_unavailable(world):
    first = _drawn(world, world["guest"])
    busy = _holders(world["session"].pk)
    quota = overlapping_quota(world, "jkggzy", count=1, backups=0)
    draw = services.draw_commit(actor=world["centre_jk"], quota=quota)
    report = {row["code"]: row["reasons"] for row in draw.exclusion_report["excluded"]}
    assert {code for code, reasons in report.items() if "UNAVAILABLE" in reasons} == busy
    assert len(busy) == 2 and not busy & set(draw.pool)
    assert first.status == Draw.Status.DRAWN


def test_expert_seated_between_commit_and_witness_is_skipped(world, monkeypatch):
    """Pools are frozen at commit; whoever is seated elsewhere before the witness step is
    marked unavailable and the next in order is called, so nobody holds two slots."""
    # Fixed server nonces, so the two orders (and hence the meeting below) are reproducible.
    nonces = iter([bytes(32), bytes([1]) * 32])
    real = services.secrets.token_bytes
    monkeypatch.setattr(
        services.secrets,
        "token_bytes",
        lambda n=None: next(nonces) if n == rules.NONCE_BYTES else real(n),
    )
    other = overlapping_quota(world, "whggzy", count=3, backups=5)
    mine = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    theirs = services.draw_commit(actor=world["centre_wh"], quota=other)
    assert set(mine.pool) == set(theirs.pool) == {f"WH-{n:03d}" for n in range(1, 9)}
    services.draw_witness(actor=world["supervisor"], draw=mine, witness_entropy="a")
    busy_now = _holders(world["session"].pk)
    # Draw ids contain the quota's id (database-dependent), so pick the witness entropy that
    # makes their first three meet one of ours, computed with the public algorithm.
    entropy = next(
        f"b{n}"
        for n in range(1000)
        if set(
            rules.qq_draw_1(
                theirs.pool,
                server_nonce=bytes([1]) * 32,
                witness_entropy=f"b{n}",
                draw_id=theirs.draw_id,
                quota=theirs.quota_count,
                backups=theirs.backups,
            )[:3]
        )
        & busy_now
    )
    theirs = services.draw_witness(actor=world["supervisor"], draw=theirs, witness_entropy=entropy)
    busy = _holders(world["session"].pk)
    outcomes = list(theirs.outcomes.select_related("expert").order_by("position"))
    last_called = max(o.position for o in outcomes if o.status == S.NOTIFIED)
    for o in outcomes:
        reached = o.position <= last_called
        assert (o.status == S.UNAVAILABLE) == (reached and o.expert.code in busy)
    assert _statuses(theirs).count(S.NOTIFIED) == 3
    assert S.UNAVAILABLE in _statuses(theirs)  # the chosen order meets a busy expert
    assert not _holders(world["session"].pk) & _holders(other.session_id)


def test_no_answer_by_the_deadline_calls_the_next_backup(world):
    draw = _drawn(world, world["guest"])
    late = timezone.now() + timedelta(days=1)
    assert services.outcomes_expire(now=late) == 2
    assert _statuses(draw) == [S.NO_ANSWER, S.NO_ANSWER, S.NOTIFIED]
    # The backup was called with its own deadline, also past by `late`.
    assert services.outcomes_expire(now=late) == 1
    assert services.outcomes_expire(now=late) == 0
    assert _statuses(draw) == [S.NO_ANSWER] * 3


def test_supplementary_draw_when_backups_run_out(world):
    draw = _drawn(world, world["guest"])  # 2 principals + 1 backup from 5 experts
    for outcome in list(draw.outcomes.filter(status=S.NOTIFIED)):
        services.outcome_respond(
            actor=world["centre_jk"],
            outcome=outcome,
            answer="recuse",
            reason="与投标人有利害关系",
            channel="phone",
        )
    backup = draw.outcomes.get(status=S.NOTIFIED)
    services.outcome_respond(
        actor=world["centre_jk"], outcome=backup, answer="decline", reason="生病", channel="phone"
    )
    supplementary = services.draw_commit(actor=world["centre_jk"], quota=world["guest"])
    assert supplementary.supplementary and supplementary.quota_count == 2
    assert supplementary.pool_size == 2
    already = [
        r for r in supplementary.exclusion_report["excluded"] if "ALREADY_DRAWN" in r["reasons"]
    ]
    assert len(already) == 3
    supplementary = services.draw_witness(
        actor=world["supervisor"], draw=supplementary, witness_entropy="9"
    )
    assert _statuses(supplementary) == [S.NOTIFIED, S.NOTIFIED]


def test_respond_link_confirms_without_login(world, client, outbox):
    _drawn(world, world["guest"])
    body = next(m.body for m in outbox if m.subject == "评标专家抽取通知")
    token = re.search(r"/bidding/respond/([\w-]+)/", body).group(1)
    page = client.get(f"/bidding/respond/{token}/").content.decode()
    assert "武汉经开区公共资源交易中心" in page
    assert world["session"].section.project.name not in page
    response = client.post(f"/bidding/respond/{token}/", {"answer": "confirm"})
    assert "已确认参加" in response.content.decode()
    assert client.get(f"/bidding/respond/{token}/").status_code == 404  # used up


def test_draw_verify_command(world, tmp_path, capsys):
    draw = _drawn(world, world["host"], entropy="骰子 6-2")
    services.session_close(actor=world["centre_wh"], session=world["session"])
    proof = services.proof(Draw.objects.get(pk=draw.pk))
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    call_command("draw_verify", str(path))
    assert "校验通过" in capsys.readouterr().out
    proof["drawn"] = list(reversed(proof["drawn"]))
    path.write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("draw_verify", str(path))
    assert excinfo.value.returncode == 1


def test_exclusion_summary_counts_each_reason_in_statute_order():
    excluded = [
        {"code": "B", "reasons": ["MANUAL"]},
        {"code": "A", "reasons": ["STATUS", "AGE"]},
        {"code": "C", "reasons": ["AGE", "ALREADY_DRAWN"]},
    ]
    assert selectors.exclusion_summary(excluded) == [
        ("STATUS", 1),
        ("AGE", 2),
        ("MANUAL", 1),
        ("ALREADY_DRAWN", 1),
    ]
    assert selectors.exclusion_summary([]) == []


def test_every_exclusion_code_has_a_chart_label():
    assert set(views.EXCLUSION_SHORT) == set(views.EXCLUSION_TEXT)


def test_exclusion_report_page_charts_filters_and_pages(world, client, monkeypatch):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    excluded = [
        {"code": f"X-{n:03d}", "reasons": ["STATUS", "AGE"] if n % 2 else ["STATUS"]}
        for n in range(5)
    ] + [{"code": "X-999", "reasons": ["MANUAL"]}]
    Draw.objects.filter(pk=draw.pk).update(
        exclusion_report={"candidates": 14, "excluded": excluded}
    )
    monkeypatch.setattr(views, "EXCLUDED_PER_PAGE", 4)
    client.force_login(world["centre_wh"])
    url = f"/bidding/draws/{draw.draw_id}/"

    page = client.get(url).content.decode()
    assert "其中 6 名因下列原因被排除" in page  # the whole report, not the page
    assert '<svg class="chart"' in page
    assert "全部（6）" in page and "评标之日超过年龄上限（2）" in page
    assert "X-003" in page and "X-999" not in page  # 4 a page
    assert "X-999" in client.get(url, {"page": 2}).content.decode()

    page = client.get(url, {"reason": "AGE"}).content.decode()
    listed = set(re.findall(r"<code>(X-\d{3})</code>", page))
    assert listed == {"X-001", "X-003"}
    page = client.get(url, {"reason": "NO-SUCH"}).content.decode()  # unknown: everything
    assert "X-000" in page
