"""The evaluation report: snapshot and hash, Art.53 signatures, sealing (PDF, audit chain,
secrecy lifted), fees (就高不就低), conduct ratings and the permission matrix of the pages."""

import hashlib
import io
import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.bidding.draw import services
from qinqing.bidding.draw.tests.test_draw_flow import overlapping_quota
from qinqing.bidding.models import (
    BidResult,
    Clarification,
    CriteriaTemplate,
    Criterion,
    DeviationNote,
    Draw,
    EvaluationSession,
    EvaluationStage,
    Fee,
    Incident,
    Report,
    ScoreEntry,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Signature,
    Stage,
)
from qinqing.bidding.report import services as reports
from qinqing.bidding.report.rules import FeeError, fee_for
from qinqing.bidding.seating import committee
from qinqing.bidding.seating import services as seating_services
from qinqing.bidding.seating.tests.test_evaluation_day import confirm_all, full_committee
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.core.testing import ANONYMOUS, check_matrix, run_queued_tasks

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
P = Signature.Position
HOST_FEE, GUEST_FEE = Decimal("300.00"), Decimal("400.00")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def evaluated(world, *, standards=True, summary_closed=True, results=True):
    """A started session of 5 members (3 host, 2 guest) with closed stages, sheets, a
    deviation note, results, clarifications and an incident, built with the ORM."""
    session, seats = full_committee(world)
    template = CriteriaTemplate.objects.create(
        name="综合评估法（测试）", method="comprehensive", price_weight=Decimal("30")
    )
    ScoringPlan.objects.create(session=session, template=template, price_weight=Decimal("30"))
    # Started directly (the scoring module's own start is tested elsewhere): the rows below
    # stand for what the stages produce.
    EvaluationSession.objects.filter(pk=session.pk).update(
        status=EvaluationSession.Status.IN_PROGRESS, started_at=timezone.now()
    )
    session.refresh_from_db()
    session = committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[2])
    now = timezone.now()
    bidders = list(session.section.bidders.order_by("pk"))
    for bidder, price in zip(bidders, ["1000000.00", "950000.00", "1100000.00"], strict=True):
        bidder.bid_price = Decimal(price)
        bidder.save(update_fields=["bid_price"])

    def item(stage, code, name, order, **extra):
        return Criterion.objects.create(
            session=session, stage=stage, code=code, name=name, order=order, step=1, **extra
        )

    r1 = item(Stage.REVIEW, "R1", "投标函签字盖章", 1)
    r2 = item(Stage.REVIEW, "R2", "资质证书有效", 2)
    t1 = item(Stage.DETAILED, "T1", "设计方案", 3, group="技术", max_score=Decimal("40"))
    b1 = item(Stage.DETAILED, "B1", "项目团队", 4, group="商务", max_score=Decimal("30"))
    stages = [Stage.REVIEW, Stage.DETAILED, Stage.PRICE] + ([Stage.SUMMARY] * summary_closed)
    for stage in stages:
        EvaluationStage.objects.create(
            session=session, stage=stage, status="closed", opened_at=now, closed_at=now
        )
    for n, seat in enumerate(seats):
        review = ScoreSheet.objects.create(
            session=session, seat=seat, stage=Stage.REVIEW, status="submitted", updated_at=now
        )
        detailed = ScoreSheet.objects.create(
            session=session, seat=seat, stage=Stage.DETAILED, status="submitted", updated_at=now
        )
        for i, bidder in enumerate(bidders):
            fails_r2 = i == 2 and n < 3  # three of five fail bidder 2 on R2: a majority
            ScoreEntry.objects.create(sheet=review, bidder=bidder, criterion=r1, passed=True)
            ScoreEntry.objects.create(
                sheet=review,
                bidder=bidder,
                criterion=r2,
                passed=not fails_r2,
                note="资质证书已过期" if fails_r2 else "",
            )
            ScoreEntry.objects.create(
                sheet=detailed, bidder=bidder, criterion=t1, score=Decimal(30 + i + n % 2)
            )
            ScoreEntry.objects.create(
                sheet=detailed, bidder=bidder, criterion=b1, score=Decimal("20.5")
            )
        if n == 4:
            DeviationNote.objects.create(
                sheet=detailed,
                bidder=bidders[0],
                criterion=t1,
                score=Decimal("31"),
                mean=Decimal("30.40"),
                ratio=Decimal("0.0197"),
                explanation="方案亮点突出，评分略高",
                explained_at=now,
            )
    if results:
        result = dict(session=session, passed_review=True, review={"R1": True, "R2": True})
        BidResult.objects.create(
            **result,
            bidder=bidders[0],
            subjective=Decimal("50.90"),
            price_score=Decimal("28.50"),
            total=Decimal("79.40"),
            evaluated_price=Decimal("1000000.00"),
            rank=2,
            candidate=True,
        )
        BidResult.objects.create(
            **result,
            bidder=bidders[1],
            subjective=Decimal("51.90"),
            price_score=Decimal("30.00"),
            total=Decimal("81.90"),
            evaluated_price=Decimal("950000.00"),
            rank=1,
            candidate=True,
        )
        BidResult.objects.create(
            session=session,
            bidder=bidders[2],
            passed_review=False,
            review={"R1": True, "R2": False},
        )
    Clarification.objects.create(
        session=session,
        bidder=bidders[1],
        question="请澄清项目负责人的社保缴纳证明",
        asked_by=seats[2],
        asked_at=now,
        status=Clarification.Status.PUBLISHED,
        answer="已补充近六个月社保缴纳证明",
        answered_at=now,
        answer_reviewed_at=now,
    )
    Clarification.objects.create(
        session=session,
        bidder=bidders[0],
        question="尚未审核的问题",
        asked_by=seats[0],
        asked_at=now,
    )
    Incident.objects.create(
        session=session,
        centre=world["orgs"]["jkggzy"],
        kind=Incident.Kind.NETWORK,
        during_evaluation=True,
        description="客场网络中断约十分钟",
        started_at=now,
        resolved_at=now + timedelta(minutes=10),
        resolution="已恢复，继续评标",
        reported_by=world["centre_jk"],
    )
    if standards:
        set_standards(world)
    return EvaluationSession.objects.get(pk=session.pk), seats


def set_standards(world, host=HOST_FEE, guest=GUEST_FEE, valid_from=date(2020, 1, 1)):
    reports.fee_standard_set(
        actor=world["centre_wh"], centre=world["orgs"]["whggzy"], amount=host, valid_from=valid_from
    )
    reports.fee_standard_set(
        actor=world["centre_jk"],
        centre=world["orgs"]["jkggzy"],
        amount=guest,
        valid_from=valid_from,
    )


def build(world, session):
    return reports.report_build(actor=world["centre_wh"], session=session)


def sign_all(world, session, seats):
    for seat in seats:
        reports.report_sign(actor=None, seat=seat, agree=True)
    return Report.objects.get(session=session)


def _terminal(seat):
    terminal = Client()
    store = terminal.session
    store["bidding_seat"] = seat.pk
    store.save()
    return terminal


# --- the snapshot ---------------------------------------------------------------------------


def test_snapshot_holds_every_part_and_its_hash_is_canonical_and_stable(world):
    session, seats = evaluated(world)
    report = build(world, session)
    report.refresh_from_db()
    c = report.content
    canonical = json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert report.content_sha256 == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert c["project"]["name"] == "示例学生公寓修缮设计" and c["section"]["code"] == "01"
    assert c["tenderer"] and c["supervisor"] and c["session"]["guest_centres"]
    # Members: names appear here (and only here), host centre first.
    assert len(c["members"]) == 5
    assert [m["site"] for m in c["members"]] == ["host"] * 3 + ["guest"] * 2
    assert {m["name"] for m in c["members"]} == {s.outcome.expert.name for s in seats}
    assert c["chair"]["workstation"] == seats[2].workstation.code
    assert c["chair"]["method_label"] == "招标人确定"
    assert {s["method"] for s in c["sign_in"]} == {"staff"}
    assert {s["verified_by"] for s in c["sign_in"]} == {"武汉市交易中心管理员"}
    # Pass/fail: each expert's vote and the outcome.
    failed = c["review"][2]
    assert failed["passed_review"] is False
    r2 = failed["rows"][1]
    assert r2["code"] == "R2" and r2["passed"] is False
    assert sorted(v["passed"] for v in r2["votes"]) == [False, False, False, True, True]
    # Per-expert detailed scores and totals; summary in rank order; candidates <= 3.
    assert len(c["scores"]) == 5 and all(len(e["rows"]) == 3 for e in c["scores"])
    assert {row["total"] for e in c["scores"] for row in e["rows"]} <= {
        "50.50",
        "51.50",
        "52.50",
        "53.50",
    }
    assert [s["rank"] for s in c["summary"]] == [1, 2, None]
    assert [x["bidder"] for x in c["candidates"]] == ["示例投标人1", "示例投标人0"]
    assert c["price"][0]["bid_price"] == "950000.00"
    assert c["plan"]["price_weight"] == "30.00" and c["plan"]["deviation_threshold"] == "0.30"
    assert c["deviations"][0]["explanation"] == "方案亮点突出，评分略高"
    # Only published clarifications; incidents.
    assert [x["question"] for x in c["clarifications"]] == ["请澄清项目负责人的社保缴纳证明"]
    assert c["incidents"][0]["kind_label"] == "网络故障"
    # Rebuilding before any signature replaces the snapshot (same data, same hash), audited.
    again = build(world, session)
    assert again.pk == report.pk and again.content_sha256 == report.content_sha256
    assert AuditEntry.objects.filter(action="report.build").count() == 1
    rebuild = AuditEntry.objects.get(action="report.rebuild")
    assert rebuild.detail["previous"] == report.content_sha256


def test_build_needs_a_closed_summary_results_and_fee_standards(world):
    session, _ = evaluated(world, summary_closed=False)
    with pytest.raises(ConflictError, match="汇总阶段"):
        build(world, session)
    EvaluationStage.objects.create(
        session=session, stage=Stage.SUMMARY, status="closed", opened_at=timezone.now()
    )
    BidResult.objects.filter(session=session).delete()
    with pytest.raises(ConflictError, match="评标结果"):
        build(world, session)
    assert not Report.objects.exists()


def test_build_without_a_fee_standard_is_a_clear_conflict(world):
    session, _ = evaluated(world, standards=False)
    reports.fee_standard_set(
        actor=world["centre_wh"],
        centre=world["orgs"]["whggzy"],
        amount=HOST_FEE,
        valid_from=date(2020, 1, 1),
    )
    with pytest.raises(ConflictError, match="评审费标准") as excinfo:
        build(world, session)
    assert "武汉经开区" in excinfo.value.message or "经开区" in excinfo.value.message
    assert "武汉市公共资源交易中心" not in excinfo.value.message


def test_rebuild_after_the_first_signature_is_refused(world):
    session, seats = evaluated(world)
    build(world, session)
    reports.report_sign(actor=None, seat=seats[0], agree=True)
    with pytest.raises(ConflictError, match="已开始签署"):
        build(world, session)


# --- Art.53 ---------------------------------------------------------------------------------


def test_art53_positions_and_sealing_only_after_the_last_member(world, tmp_path):
    session, seats = evaluated(world)
    report = build(world, session)
    a, b, c, d, e = seats
    admin = world["centre_wh"]
    assert reports.report_sign(actor=None, seat=a, agree=True).position == P.AGREE
    with pytest.raises(ConflictError):  # one position per member
        reports.report_sign(actor=None, seat=a, agree=False, dissent_reason="改变主意")
    # A dissent at the workstation needs a written reason; a blank one is no reason.
    for blank in ("", "   \n"):
        with pytest.raises(DomainError, match="第五十三条"):
            reports.report_sign(actor=None, seat=b, agree=False, dissent_reason=blank)
    dissent = reports.report_sign(
        actor=None, seat=b, agree=False, dissent_reason="  对第2名的设计方案评分有保留  "
    )
    assert (dissent.position, dissent.signed) == (P.DISSENT, True)
    assert dissent.dissent_reason == "对第2名的设计方案评分有保留"
    # Refusal without a (non-blank) reason: deemed agreement; with a reason: a dissent.
    deemed = reports.report_record_refusal(actor=admin, report=report, seat=c)
    assert (deemed.position, deemed.signed, deemed.recorded_by) == (P.DEEMED_AGREE, False, admin)
    blank = reports.report_record_refusal(actor=admin, report=report, seat=d, reason="   ")
    assert blank.position == P.DEEMED_AGREE and blank.dissent_reason == ""
    report.refresh_from_db()
    session.refresh_from_db()
    assert report.status == Report.Status.SIGNING and not report.pdf
    assert session.secrecy_lifted_at is None and not Fee.objects.exists()
    refusal = reports.report_record_refusal(
        actor=admin, report=report, seat=e, reason="认为价格分计算口径不当"
    )
    assert (refusal.position, refusal.signed) == (P.DISSENT, False)
    report.refresh_from_db()
    assert report.status == Report.Status.SEALED and report.sealed_at
    assert positions_of(report) == {"agree": 1, "dissent": 2, "deemed_agree": 2}
    actions = list(
        AuditEntry.objects.filter(action__startswith="report.").values_list("action", flat=True)
    )
    assert actions.count("report.sign") == 2 and actions.count("report.refusal") == 3
    with pytest.raises(ConflictError, match="已封存"):
        reports.report_record_refusal(actor=admin, report=report, seat=a)
    if shutil.which("pdftotext"):
        text = _flat(_pdftotext(report.pdf.read(), tmp_path))
        assert "拒签且未说明理由，视为同意" in text
        assert "认为价格分计算口径不当" in text and "对第2名的设计方案评分有保留" in text


def positions_of(report):
    positions = list(report.signatures.values_list("position", flat=True))
    return {p: positions.count(p) for p in set(positions)}


def test_seal_puts_both_hashes_in_the_chain_lifts_secrecy_and_fixes_fees(world):
    session, seats = evaluated(world)
    report = build(world, session)
    draw = Draw.objects.filter(quota__session=session).first()
    assert "server_nonce" not in services.proof(draw)
    report = sign_all(world, session, seats)
    pdf = report.pdf.read()
    assert report.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    seal = AuditEntry.objects.get(action="report.seal")
    assert seal.detail["content_sha256"] == report.content_sha256
    assert seal.detail["pdf_sha256"] == report.pdf_sha256
    assert verify_chain().ok
    session.refresh_from_db()
    assert session.status == EvaluationSession.Status.CLOSED and session.secrecy_lifted_at
    assert AuditEntry.objects.filter(action="session.close").exists()
    for d in Draw.objects.filter(quota__session=session):
        assert services.proof(d)["server_nonce"]  # the full proof is public now
    fees = {f.seat_id: f for f in Fee.objects.filter(session=session)}
    assert len(fees) == 5
    for seat in seats:
        host = seat.seating.centre.code == "whggzy"
        assert fees[seat.pk].amount == (HOST_FEE if host else GUEST_FEE)
    assert "就高不就低" in fees[seats[0].pk].basis
    assert AuditEntry.objects.get(action="fee.fix").detail["total"] == "1700.00"


def test_fee_standard_in_force_on_the_session_date(world):
    session, seats = evaluated(world)
    later = timezone.localdate(session.starts_at) + timedelta(days=1)
    set_standards(world, host=Decimal("900"), guest=Decimal("100"), valid_from=later)
    build(world, session)
    sign_all(world, session, seats)
    assert set(Fee.objects.values_list("amount", flat=True)) == {HOST_FEE, GUEST_FEE}


def test_voided_member_is_not_in_the_committee_and_cannot_sign(world):
    session, seats = evaluated(world)
    ScoreSheet.objects.filter(seat=seats[4], stage=Stage.DETAILED).update(
        status="void", void_reason="身体不适退出（第四十八条）"
    )
    report = build(world, session)
    assert len(report.content["members"]) == 4
    assert report.content["voided"][0]["reason"] == "身体不适退出（第四十八条）"
    with pytest.raises(ConflictError, match="不是本评标委员会成员"):
        reports.report_sign(actor=None, seat=seats[4], agree=True)
    report = sign_all(world, session, seats[:4])
    assert report.status == Report.Status.SEALED
    assert Fee.objects.count() == 4


# --- fees (pure) ----------------------------------------------------------------------------


def test_fee_for_host_and_guest_experts_hand_computed():
    standards = {"wh": Decimal("300.00"), "jk": Decimal("400.00"), "xg": Decimal("250.00")}
    assert fee_for("wh", "wh", standards) == Decimal("300.00")  # host: host standard
    assert fee_for("jk", "wh", standards) == Decimal("400.00")  # guest: max(300, 400)
    assert fee_for("xg", "wh", standards) == Decimal("300.00")  # guest: max(300, 250)
    assert fee_for("wh", "jk", standards) == Decimal("400.00")  # max(400, 300)
    assert fee_for("jk", "jk", {"jk": Decimal("0")}) == Decimal("0")
    with pytest.raises(FeeError, match="xx"):
        fee_for("xx", "wh", standards)
    with pytest.raises(FeeError):
        fee_for("wh", "wh", {"wh": Decimal("-1")})


def test_fee_standard_set_validates_and_audits(world):
    centre = world["orgs"]["whggzy"]
    with pytest.raises(DomainError):
        reports.fee_standard_set(
            actor=world["centre_wh"], centre=centre, amount=Decimal("-1"), valid_from=date.today()
        )
    with pytest.raises(DomainError):  # not a trading centre
        reports.fee_standard_set(
            actor=world["centre_wh"],
            centre=world["orgs"]["hs-zgj"],
            amount=Decimal("1"),
            valid_from=date.today(),
        )
    reports.fee_standard_set(
        actor=world["centre_wh"], centre=centre, amount=Decimal("300"), valid_from=date(2024, 1, 1)
    )
    standard = reports.fee_standard_set(
        actor=world["centre_wh"], centre=centre, amount=Decimal("350"), valid_from=date(2024, 1, 1)
    )
    assert standard.amount == Decimal("350.00")
    entries = AuditEntry.objects.filter(action="fee_standard.set").order_by("seq")
    assert [e.detail["previous"] for e in entries] == [None, "300.00"]


# --- conduct rating -------------------------------------------------------------------------


def test_rating_after_sealing_by_supervisor_and_tenderer(world):
    session, seats = evaluated(world)
    build(world, session)
    with pytest.raises(ConflictError, match="封存后"):
        reports.rating_record(actor=world["supervisor"], seat=seats[0], score=5)
    sign_all(world, session, seats)
    rating = reports.rating_record(actor=world["supervisor"], seat=seats[0], score=5, note="认真")
    assert rating.rater_role == Role.SUPERVISOR
    assert reports.rating_record(actor=world["tenderer"], seat=seats[0], score=4).rater_role == (
        Role.TENDERER
    )
    with pytest.raises(ConflictError, match="已评价"):
        reports.rating_record(actor=world["supervisor"], seat=seats[0], score=3)
    for bad in (0, 6, True):
        with pytest.raises(DomainError, match="1 至 5"):
            reports.rating_record(actor=world["supervisor"], seat=seats[1], score=bad)
    with pytest.raises(DomainError, match="行政监督部门或招标人"):
        reports.rating_record(actor=world["centre_wh"], seat=seats[1], score=3)
    assert AuditEntry.objects.filter(action="rating.record").count() == 2


# --- PDF --------------------------------------------------------------------------------------


@needs_poppler
def test_pdf_is_a_real_pdf_with_the_chinese_report(world, tmp_path):
    session, seats = evaluated(world)
    report = build(world, session)
    draft = reports.render_pdf(report, draft=True)
    assert draft.startswith(b"%PDF-")
    assert "草稿" in _flat(_pdftotext(draft, tmp_path))
    report = sign_all(world, session, seats)
    pdf = report.pdf.read()
    assert pdf.startswith(b"%PDF-")
    raw = _pdftotext(pdf, tmp_path)
    text = _flat(raw)
    for expected in (
        "评标报告",
        "示例学生公寓修缮设计",
        "评标委员会",
        "签到表",
        "初步评审",
        "资质证书已过期",
        "详细评审",
        "评分汇总表",
        "方案亮点突出，评分略高",
        "请澄清项目负责人的社保缴纳证明",
        "客场网络中断约十分钟",
        "中标候选人",
        seats[0].outcome.expert.name,
        "同意",
    ):
        assert expected in text, expected
    assert "尚未审核的问题" not in text and "草稿" not in text
    assert report.content_sha256[:32] in text  # the footer carries the content hash
    pages = [p for p in raw.split("\f") if p.strip()]
    assert len(pages) >= 2
    assert re.search(rf"第\s*1\s*页\s*/\s*共\s*{len(pages)}\s*页", pages[0])


# --- pages ----------------------------------------------------------------------------------


def other_centre_admin(world):
    centre = Organisation.objects.create(
        kind=Organisation.Kind.TRADING_CENTRE, name="其他交易中心", code="other-centre"
    )
    user = type(world["centre_wh"]).objects.create(username="centre_other")
    RoleGrant.objects.create(user=user, role=Role.CENTRE_ADMIN, organisation=centre)
    return user


def test_permission_matrix_of_the_report_pages(client, world):
    session, seats = evaluated(world)
    users = {**world, "centre_other": other_centre_admin(world)}
    base = f"/bidding/sessions/{session.pk}"
    outsiders = {"editor": 403, "judge": 403, "expert": 403, ANONYMOUS: 302}
    check_matrix(
        client,
        {
            f"{base}/report/": {
                "centre_wh": 200,
                "centre_jk": 200,
                "supervisor": 200,
                "tenderer": 200,
                "agent": 200,
                "centre_other": 404,
                **outsiders,
            },
            f"{base}/report/pdf/": {"centre_wh": 404, "centre_other": 404},  # nothing built yet
            # nothing built yet: 404 to its readers, refused to the others
            f"/api/v1/bidding/sessions/{session.pk}/report": {
                "centre_wh": 404,
                "supervisor": 404,
                "tenderer": 404,
                "centre_other": 404,
                "editor": 403,
                "expert": 403,
                ANONYMOUS: 401,
            },
            f"{base}/fees/": {
                "centre_wh": 200,
                "centre_jk": 200,
                "centre_other": 404,
                "supervisor": 403,
                "tenderer": 403,
                ANONYMOUS: 302,
            },
            "/bidding/fees/standards/": {
                "centre_wh": 200,
                "centre_other": 200,
                "supervisor": 403,
                ANONYMOUS: 302,
            },
        },
        users,
    )
    # Only the host centre's admin builds or records refusals.
    check_matrix(
        client,
        {
            f"{base}/report/build/": {
                "centre_jk": 404,
                "centre_other": 404,
                "tenderer": 404,
                "centre_wh": 302,
            }
        },
        users,
        method="post",
    )
    report = Report.objects.get(session=session)
    check_matrix(
        client,
        {
            f"{base}/report/refusal/": {"centre_jk": 404, "centre_other": 404, "supervisor": 404},
            f"{base}/report/rate/": {"centre_wh": 404, "supervisor": 302},  # not sealed: message
        },
        users,
        method="post",
        data={"seat": seats[0].pk, "score": 5},
    )
    assert (
        not report.signatures.exists()
        and not AuditEntry.objects.filter(action="rating.record").exists()
    )
    # Before sealing: a draft for centre admins and supervisors only (each preview audited).
    check_matrix(
        client,
        {
            f"{base}/report/pdf/": {
                "centre_wh": 200,
                "centre_jk": 200,
                "supervisor": 200,
                "tenderer": 403,
                "agent": 403,
                "centre_other": 404,
            }
        },
        users,
    )
    # The draft is rendered on the task queue: until then a "生成中" page, which names no one.
    assert not AuditEntry.objects.filter(action="report.preview").exists()
    assert run_queued_tasks() == 1  # one content, one render, however many asked
    check_matrix(
        client,
        {f"{base}/report/pdf/": {"centre_wh": 200, "centre_jk": 200, "supervisor": 200}},
        users,
    )
    assert AuditEntry.objects.filter(action="report.preview").count() == 3
    sign_all(world, session, seats)
    check_matrix(
        client,
        {
            f"{base}/report/pdf/": {
                "centre_wh": 200,
                "centre_jk": 200,
                "supervisor": 200,
                "tenderer": 200,
                "agent": 403,
                "centre_other": 404,
                ANONYMOUS: 302,
            },
            f"{base}/fees.xlsx": {"centre_wh": 200, "centre_jk": 200, "centre_other": 404},
        },
        users,
    )


def test_the_draft_pdf_is_rendered_on_the_queue_and_offered_when_ready(client, world):
    session, _seats = evaluated(world)
    build(world, session)
    url = f"/bidding/sessions/{session.pk}/report/pdf/"
    client.force_login(world["centre_wh"])
    page = client.get(url)
    assert page["Content-Type"].startswith("text/html")
    assert "生成中" in page.content.decode() and f'hx-get="{url}"' in page.content.decode()
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "生成中" in poll and 'hx-trigger="every 2s"' in poll
    assert run_queued_tasks() == 1
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in poll and f'href="{url}"' in poll  # polling stops: a download
    assert not AuditEntry.objects.filter(action="report.preview").exists()
    pdf = client.get(url)
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="report.preview").count() == 1
    client.get(url)
    assert run_queued_tasks() == 0  # the same content is not rendered twice


def test_sealed_pdf_download_is_the_stored_file(client, world):
    session, seats = evaluated(world)
    build(world, session)
    report = sign_all(world, session, seats)
    client.force_login(world["tenderer"])
    response = client.get(f"/bidding/sessions/{session.pk}/report/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == report.pdf_sha256


def test_report_page_builds_records_a_refusal_and_rates(client, world):
    session, seats = evaluated(world)
    url = f"/bidding/sessions/{session.pk}/report/"
    client.force_login(world["centre_wh"])
    page = client.get(url).content.decode()
    assert "生成评标报告" in page and "评标报告尚未生成" in page
    client.post(url + "build/")
    page = client.get(url).content.decode()
    assert "待签署" in page and "记录拒签" in page and "预览草稿" in page
    assert seats[0].outcome.expert.name not in page  # names only in the report itself
    client.post(url + "refusal/", {"seat": seats[0].pk, "reason": ""})
    assert Signature.objects.get(seat=seats[0]).position == P.DEEMED_AGREE
    for seat in seats[1:]:
        reports.report_sign(actor=None, seat=seat, agree=True)
    page = client.get(url).content.decode()
    assert "已封存" in page and "拒签且未说明理由，视为同意" in page
    client.force_login(world["supervisor"])
    assert "专家履职评价" in client.get(url).content.decode()
    client.post(url + "rate/", {"seat": seats[1].pk, "score": "4", "note": "按时完成"})
    assert seats[1].ratings.get().score == 4
    # The fee sheet and its Excel export.
    client.force_login(world["centre_jk"])
    fees_page = client.get(f"/bidding/sessions/{session.pk}/fees/").content.decode()
    assert "就高不就低" in fees_page and "1,700.00" in fees_page  # grouped (numbers.amount)
    from openpyxl import load_workbook

    book = load_workbook(
        io.BytesIO(client.get(f"/bidding/sessions/{session.pk}/fees.xlsx").content)
    )
    values = [row[6] for row in book.active.iter_rows(min_row=3, values_only=True)]
    assert sum(Decimal(str(v)) for v in values[:-1]) == values[-1] == 1700


def test_fee_standard_page_sets_the_admins_own_centre(client, world):
    client.force_login(world["centre_jk"])
    response = client.post(
        "/bidding/fees/standards/", {"amount": "420.00", "valid_from": "2024-03-01"}
    )
    assert response.status_code == 302
    page = client.get("/bidding/fees/standards/").content.decode()
    assert "420.00" in page
    assert world["orgs"]["jkggzy"].pk == (
        AuditEntry.objects.get(action="fee_standard.set").organisation_id
    )


def test_expert_reads_and_signs_at_the_workstation(world):
    session, seats = evaluated(world)
    terminal = _terminal(seats[0])
    assert "尚未生成" in terminal.get("/bidding/workstation/report/").content.decode()
    build(world, session)
    page = terminal.get("/bidding/workstation/report/").content.decode()
    assert "示例学生公寓修缮设计" in page and seats[0].outcome.expert.name in page
    # the other members only by workstation until the result is final (secrecy)
    other = re.escape(seats[3].outcome.expert.name) + r"(?!\d)"  # 专家1 is not 专家101
    assert not re.search(other, page) and seats[3].workstation.code in page
    assert "同意并签署" in page
    # A dissent without a reason is refused; with one it is recorded.
    page = terminal.post(
        "/bidding/workstation/report/", {"op": "dissent", "dissent_reason": "  "}, follow=True
    ).content.decode()
    assert "第五十三条" in page and not Signature.objects.exists()
    terminal.post("/bidding/workstation/report/", {"op": "dissent", "dissent_reason": "理由甲"})
    signature = Signature.objects.get(seat=seats[0])
    assert signature.position == P.DISSENT and signature.dissent_reason == "理由甲"
    _terminal(seats[1]).post("/bidding/workstation/report/", {"op": "agree"})
    assert Signature.objects.get(seat=seats[1]).position == P.AGREE
    assert AuditEntry.objects.filter(action="report.sign").count() == 2
    assert Client().get("/bidding/workstation/report/").url == "/bidding/signin/"


def test_expert_of_another_session_cannot_sign(world):
    session, _ = evaluated(world)
    build(world, session)
    confirm_all(world, overlapping_quota(world, "whggzy", count=3, backups=0), "2")
    seating_services.seating_assign(
        actor=world["centre_wh"],
        centre=world["orgs"]["whggzy"],
        slot_start=session.starts_at,
        slot_end=session.ends_at + timedelta(hours=1),
    )
    stranger = Seat.objects.exclude(outcome__session=session).first()
    committee.seat_signin_staff(actor=world["centre_wh"], seat=stranger, reason="核对身份证原件")
    terminal = _terminal(stranger)
    page = terminal.get("/bidding/workstation/report/").content.decode()
    assert "示例学生公寓修缮设计" not in page
    assert terminal.post("/bidding/workstation/report/", {"op": "agree"}).status_code == 404
    with pytest.raises(ConflictError):
        reports.report_sign(actor=None, seat=stranger, agree=True)
    with pytest.raises(ConflictError):
        reports.report_record_refusal(
            actor=world["centre_wh"], report=Report.objects.get(session=session), seat=stranger
        )
    assert not Signature.objects.exists()


def test_report_api_signing_at_the_workstation_and_the_board_for_staff(client, world):
    session, seats = evaluated(world)
    build(world, session)
    url = f"/api/v1/bidding/sessions/{session.pk}/report"
    client.force_login(world["supervisor"])
    board = client.get(url).json()
    assert board["status"] == "signing" and {s["position"] for s in board["signatures"]} == {None}
    refused = _terminal(seats[0]).post(
        "/api/v1/bidding/workstation/report/sign",
        {"agree": False, "dissent_reason": " "},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "第五十三条" in refused.json()["detail"]
    for n, seat in enumerate(seats):
        body = {"agree": n != 1, "dissent_reason": "" if n != 1 else "价格分计算口径有异议"}
        signed = _terminal(seat).post(
            "/api/v1/bidding/workstation/report/sign", body, content_type="application/json"
        )
        assert signed.status_code == 200, signed.content
    board = client.get(url).json()
    assert board["status"] == "sealed" and board["pdf_sha256"]
    positions = [s["position"] for s in board["signatures"]]
    assert positions.count("dissent") == 1 and positions.count("agree") == 4
    client.force_login(world["centre_jk"])  # a guest centre admin sees the board
    assert client.get(url).status_code == 200
    client.force_login(world["agent"])  # the agency's role may not see reports at all
    assert client.get(url).status_code == 403
    assert client.get(f"/api/v1/bidding/sessions/{session.pk + 999}/report").status_code == 403
