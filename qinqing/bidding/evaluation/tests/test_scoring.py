"""The evaluation: isolated sheets, deviation notes, stage closing, aggregation and ranking,
checked against hand-computed figures."""

from decimal import Decimal

import pytest
from django.test import Client

from qinqing.bidding.criteria import standard_template
from qinqing.bidding.draw import rules, services
from qinqing.bidding.evaluation import scoring
from qinqing.bidding.evaluation import selectors as evaluation_selectors
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import (
    BidResult,
    DeviationNote,
    DrawOutcome,
    EvaluationStage,
    Project,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Stage,
)
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.seating import committee
from qinqing.bidding.seating.tests.test_evaluation_day import (
    full_committee,
    prepare_scoring,
    started_committee,
)
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry

D = Decimal
E = scoring.EntryIn

# Per bidder (in pk order): the detailed scores T1 T2 T3 B1 B2 given by members a–d.
COMMON = [
    {"T1": D(16), "T2": D(12), "T3": D(8), "B1": D(8), "B2": D(4)},  # 48, price 1,000,000
    {"T1": D(14), "T2": D(10), "T3": D(7), "B1": D(7), "B2": D(4)},  # 42, price   950,000
    {"T1": D(18), "T2": D(13), "T3": D(9), "B1": D(9), "B2": D(5)},  # 54, price 1,100,000
]
# Member e differs: bidder 1 T2 = 13 (exactly 30 % above the others' 10: no warning),
# bidder 2 T1 = 10 (44.44 % below the others' 18: a warning).
DIFFERENT = {(1, "T2"): D(13), (2, "T1"): D(10)}


@pytest.fixture
def evaluation(world):
    session, seats = started_committee(world)
    committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[0])
    bidders = list(session.section.bidders.order_by("pk"))
    return {"session": session, "seats": seats, "bidders": bidders, **world}


def _review_all(ev, fail=None):
    """Every member passes every item; `fail` = {member index: [(bidder index, item)]}."""
    items = [c.code for c in evaluation_selectors.stage_criteria(ev["session"], Stage.REVIEW)]
    for m, seat in enumerate(ev["seats"]):
        failing = set((fail or {}).get(m, []))
        entries = [
            E(
                b.pk,
                code,
                passed=(i, code) not in failing,
                note="资质证书过期" if (i, code) in failing else "",
            )
            for i, b in enumerate(ev["bidders"])
            for code in items
        ]
        scoring.sheet_save(actor=None, seat=seat, stage=Stage.REVIEW, entries=entries)
        scoring.sheet_submit(actor=None, seat=seat, stage=Stage.REVIEW)


def _detailed_all(ev, submit=True):
    for m, seat in enumerate(ev["seats"]):
        entries = [
            E(b.pk, code, score=DIFFERENT.get((i, code), value) if m == 4 else value)
            for i, b in enumerate(ev["bidders"])
            for code, value in COMMON[i].items()
        ]
        scoring.sheet_save(actor=None, seat=seat, stage=Stage.DETAILED, entries=entries)
        if submit:
            scoring.sheet_submit(actor=None, seat=seat, stage=Stage.DETAILED)


def _chair(ev):
    return ev["seats"][0]


def test_start_opens_the_review_with_a_sheet_per_member(evaluation):
    session = evaluation["session"]
    assert [s.stage for s in session.stages.all()] == ["review"]
    assert ScoreSheet.objects.filter(session=session, stage="review").count() == 5
    codes = set(session.criteria.values_list("code", flat=True))
    assert {"F1", "Q1", "R1", "T1", "B2"} <= codes


def test_a_fail_needs_a_reason_and_scores_respect_max_and_step(evaluation):
    seat, bidder = evaluation["seats"][1], evaluation["bidders"][0]
    with pytest.raises(DomainError, match="理由"):
        scoring.sheet_save(
            actor=None, seat=seat, stage="review", entries=[E(bidder.pk, "F1", passed=False)]
        )
    with pytest.raises(ConflictError, match="尚未开始"):
        scoring.sheet_save(
            actor=None, seat=seat, stage="detailed", entries=[E(bidder.pk, "T1", score=D(5))]
        )
    with pytest.raises(DomainError, match="不属于本阶段"):
        scoring.sheet_save(
            actor=None, seat=seat, stage="review", entries=[E(bidder.pk, "T1", passed=True)]
        )


def test_submit_refuses_an_incomplete_sheet_then_locks(evaluation):
    seat, bidder = evaluation["seats"][1], evaluation["bidders"][0]
    scoring.sheet_save(
        actor=None, seat=seat, stage="review", entries=[E(bidder.pk, "F1", passed=True)]
    )
    with pytest.raises(DomainError, match="尚未填写完整"):
        scoring.sheet_submit(actor=None, seat=seat, stage="review")
    _review_all(evaluation)  # fills and submits everyone (seat 1 too)
    with pytest.raises(ConflictError, match="已提交锁定"):
        scoring.sheet_save(
            actor=None,
            seat=seat,
            stage="review",
            entries=[E(bidder.pk, "F1", passed=False, note="x")],
        )


def test_sheets_are_private_until_the_stage_closes(evaluation):
    a, b = evaluation["seats"][0], evaluation["seats"][1]
    session = evaluation["session"]
    b_sheet = ScoreSheet.objects.get(seat=b, stage="review")
    assert list(
        evaluation_selectors.visible_sheets(seat=a, session=session).values_list("seat", flat=True)
    ) == [a.pk]
    _review_all(evaluation)
    # all submitted, still private until the chair closes the stage
    assert b_sheet not in evaluation_selectors.visible_sheets(seat=a, session=session)
    scoring.stage_close(actor=None, seat=a, stage="review")
    assert b_sheet in evaluation_selectors.visible_sheets(seat=a, session=session)
    detailed_b = ScoreSheet.objects.get(seat=b, stage="detailed")
    assert detailed_b not in evaluation_selectors.visible_sheets(seat=a, session=session)


def test_only_the_chair_closes_and_only_when_all_submitted(evaluation):
    seats = evaluation["seats"]
    with pytest.raises(ConflictError, match="负责人"):
        scoring.stage_close(actor=None, seat=seats[2], stage="review")
    with pytest.raises(ConflictError, match="未提交"):
        scoring.stage_close(actor=None, seat=seats[0], stage="review")


def test_review_majority_fails_a_bid_and_a_minority_does_not(evaluation):
    # bidder 0 failed on Q1 by 3 of 5 (fails); bidder 1 failed on F2 by 2 of 5 (passes)
    _review_all(
        evaluation, fail={0: [(0, "Q1"), (1, "F2")], 1: [(0, "Q1"), (1, "F2")], 2: [(0, "Q1")]}
    )
    scoring.stage_close(actor=None, seat=_chair(evaluation), stage="review")
    results = {r.bidder_id: r for r in BidResult.objects.filter(session=evaluation["session"])}
    b0, b1, b2 = evaluation["bidders"]
    assert results[b0.pk].passed_review is False and results[b0.pk].review["Q1"] is False
    assert results[b1.pk].passed_review is True and results[b1.pk].review["F2"] is True
    # the detailed review covers only the passing bids
    assert list(evaluation_selectors.scored_bidders(evaluation["session"], "detailed")) == [b1, b2]


def test_full_comprehensive_evaluation_with_a_deviation(evaluation):
    session, seats = evaluation["session"], evaluation["seats"]
    _review_all(evaluation)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    _detailed_all(evaluation)
    notes = list(DeviationNote.objects.filter(sheet__session=session))
    assert len(notes) == 1  # exactly 30 % is not a deviation; 44.44 % is
    note = notes[0]
    assert note.sheet.seat == seats[4] and note.criterion.code == "T1"
    assert (note.score, note.mean, note.ratio) == (D("10.00"), D("18.00"), D("0.4444"))
    with pytest.raises(ConflictError, match="书面说明"):
        scoring.stage_close(actor=None, seat=seats[0], stage="detailed")
    with pytest.raises(DomainError, match="本人"):
        scoring.deviation_explain(
            actor=None, seat=seats[1], note=note, explanation="我认为偏低是合理的"
        )
    scoring.deviation_explain(
        actor=None, seat=seats[4], note=note, explanation="方案未响应节能要求，扣分较多"
    )
    scoring.stage_close(actor=None, seat=seats[0], stage="detailed")

    results = {
        r.bidder.name: r for r in BidResult.objects.filter(session=session).select_related("bidder")
    }
    b0, b1, b2 = (b.name for b in evaluation["bidders"])
    # price: benchmark 950,000, weight 40 → 38.00, 40.00, 34.55 (34.5454… rounded half up)
    assert [results[b].price_score for b in (b0, b1, b2)] == [D("38.00"), D("40.00"), D("34.55")]
    # subjective means: 48; (42×4 + 45)/5 = 42.60; (54×4 + 46)/5 = 52.40
    assert [results[b].subjective for b in (b0, b1, b2)] == [D("48.00"), D("42.60"), D("52.40")]
    assert [results[b].total for b in (b0, b1, b2)] == [D("86.00"), D("82.60"), D("86.95")]
    assert results[b2].technical == D("38.40")  # (40×4 + 32)/5
    assert [results[b].rank for b in (b2, b0, b1)] == [1, 2, 3]
    assert all(results[b].candidate for b in (b0, b1, b2))
    summary = EvaluationStage.objects.get(session=session, stage="summary")
    assert summary.status == "closed"
    assert AuditEntry.objects.filter(action="results.rank").count() == 1
    assert verify_chain().ok


def test_candidates_follow_the_plan(world):
    session, seats = full_committee(world)
    prepare_scoring(world, session, candidate_count=1)
    session = evaluation_services.session_start(actor=world["centre_wh"], session=session)
    committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[0])
    ev = {
        "session": session,
        "seats": seats,
        "bidders": list(session.section.bidders.order_by("pk")),
    }
    _review_all(ev)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    _detailed_all(ev)
    note = DeviationNote.objects.get()
    scoring.deviation_explain(
        actor=None, seat=note.sheet.seat, note=note, explanation="理由充分的说明"
    )
    scoring.stage_close(actor=None, seat=seats[0], stage="detailed")
    assert list(
        BidResult.objects.filter(session=session, candidate=True).values_list("rank", flat=True)
    ) == [1]
    with pytest.raises(ConflictError, match="评标已开始"):
        evaluation_services.plan_set(
            actor=world["centre_wh"], session=session, template=session.plan.template
        )


def test_reopen_by_the_chair_with_a_reason(evaluation):
    seats = evaluation["seats"]
    _review_all(evaluation)
    sheet = ScoreSheet.objects.get(seat=seats[3], stage="review")
    with pytest.raises(ConflictError, match="负责人"):
        scoring.sheet_reopen(actor=None, seat=seats[1], sheet=sheet, reason="笔误")
    with pytest.raises(DomainError, match="理由"):
        scoring.sheet_reopen(actor=None, seat=seats[0], sheet=sheet, reason=" ")
    scoring.sheet_reopen(actor=None, seat=seats[0], sheet=sheet, reason="成员申请更正笔误")
    sheet.refresh_from_db()
    assert sheet.status == "draft" and sheet.reopen_count == 1
    entry = AuditEntry.objects.filter(action="sheet.reopen").get()
    assert entry.detail["reason"] == "成员申请更正笔误"
    with pytest.raises(ConflictError, match="未提交"):
        scoring.stage_close(actor=None, seat=seats[0], stage="review")


def test_a_member_who_leaves_is_void_and_the_next_backup_is_called(evaluation):
    seats = evaluation["seats"]
    _review_all(evaluation)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    _detailed_all(evaluation, submit=False)
    leaving = seats[4]  # the deviating member
    evaluation_services.member_withdraw(
        actor=evaluation["centre_wh"], seat=leaving, reason="突发疾病"
    )
    assert set(ScoreSheet.objects.filter(seat=leaving).values_list("status", flat=True)) == {"void"}
    leaving.outcome.refresh_from_db()
    assert leaving.outcome.status == DrawOutcome.Status.RECUSED
    called = DrawOutcome.objects.filter(
        draw=leaving.outcome.draw, status=DrawOutcome.Status.NOTIFIED
    )
    assert called.count() == 1
    for seat in seats[:4]:
        scoring.sheet_submit(actor=None, seat=seat, stage="detailed")
    # without the void sheet there is no deviation left
    assert not DeviationNote.objects.exists()
    assert AuditEntry.objects.get(action="member.withdraw").detail["voided_sheets"] == 2


def test_lowest_price_method_with_a_tie_needs_the_witnessed_lot(world):
    session, seats = full_committee(world)
    Project.objects.filter(pk=session.section.project_id).update(method="lowest_price")
    session.refresh_from_db()
    prepare_scoring(world, session)
    b0, b1, b2 = session.section.bidders.order_by("pk")
    project_services.bid_prices_record(
        actor=world["centre_wh"],
        section=session.section,
        prices={b0.pk: D("1000000.00"), b1.pk: D("950000.00"), b2.pk: D("950000.00")},
    )
    session = evaluation_services.session_start(actor=world["centre_wh"], session=session)
    committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[0])
    ev = {"session": session, "seats": seats, "bidders": [b0, b1, b2]}
    _review_all(ev)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    # no detailed stage in the lowest-price method: straight to the summary, which waits
    assert not ScoreSheet.objects.filter(session=session, stage="detailed").exists()
    lot = session.lot
    assert lot.tied == [sorted([str(b1.pk), str(b2.pk)])]
    assert EvaluationStage.objects.get(session=session, stage="summary").status == "open"
    lot = scoring.lot_witness(actor=world["supervisor"], lot=lot, witness_entropy="4-2-6")
    expected = rules.qq_draw_1(
        lot.tied[0],
        server_nonce=bytes.fromhex(scoring.lot_proof(lot)["server_nonce"]),
        witness_entropy="4-2-6",
        draw_id=f"{lot.draw_id}#1",
        quota=2,
        backups=0,
    )
    ranked = list(
        BidResult.objects.filter(session=session)
        .order_by("rank")
        .values_list("bidder_id", flat=True)
    )
    assert [str(pk) for pk in ranked] == [*expected, str(b0.pk)]
    with pytest.raises(ConflictError):
        scoring.lot_witness(actor=world["supervisor"], lot=lot, witness_entropy="again")
    client = Client()
    client.force_login(world["supervisor"])
    page = client.get(f"/bidding/sessions/{session.pk}/scoring/").content.decode()
    assert scoring.lot_proof(lot)["server_nonce"] in page and "4-2-6" in page


def test_plan_validation(world):
    session = world["session"]
    template = standard_template("comprehensive")
    with pytest.raises(DomainError, match="100 分"):
        evaluation_services.plan_set(
            actor=world["centre_wh"], session=session, template=template, price_weight=D(30)
        )
    with pytest.raises(DomainError, match="K 值"):
        evaluation_services.plan_set(
            actor=world["centre_wh"], session=session, template=template, price_formula="k_factor"
        )
    with pytest.raises(DomainError, match="第五十三条"):
        evaluation_services.plan_set(
            actor=world["centre_wh"], session=session, template=template, candidate_count=4
        )
    lowest = standard_template("lowest_price")
    with pytest.raises(DomainError, match="不一致"):
        evaluation_services.plan_set(actor=world["centre_wh"], session=session, template=lowest)


def test_bid_prices_are_validated(world):
    section = world["session"].section
    bidder = section.bidders.first()
    with pytest.raises(DomainError, match="大于零"):
        project_services.bid_prices_record(
            actor=world["centre_wh"], section=section, prices={bidder.pk: D(0)}
        )
    with pytest.raises(DomainError, match="两位小数"):
        project_services.bid_prices_record(
            actor=world["centre_wh"], section=section, prices={bidder.pk: D("1.001")}
        )


# --- the workstation API --------------------------------------------------------------------


def _terminal(seat) -> Client:
    terminal = Client(enforce_csrf_checks=False)
    session = terminal.session
    session["bidding_seat"] = seat.pk
    session.save()
    return terminal


API = "/api/v1/bidding/workstation"


def test_api_isolation_another_members_sheet_is_404_until_the_stage_closes(evaluation):
    a, b = evaluation["seats"][0], evaluation["seats"][1]
    bidder = evaluation["bidders"][0]
    a_api, b_api = _terminal(a), _terminal(b)
    saved = b_api.put(
        f"{API}/sheets/review",
        {
            "entries": [
                {"bidder_id": bidder.pk, "criterion": "F1", "passed": False, "note": "未盖章"}
            ]
        },
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    b_sheet = saved.json()["id"]
    # a tries to read b's sheet in every way the API offers
    assert a_api.get(f"{API}/committee/sheets/{b_sheet}").status_code == 404
    own = a_api.get(f"{API}/sheets/review").json()
    assert own["id"] != b_sheet and own["entries"] == []
    assert "未盖章" not in a_api.get(API).content.decode()
    assert Client().get(f"{API}/sheets/review").status_code == 401
    _review_all(evaluation)
    a_api.post(f"{API}/stages/review/close")
    opened = a_api.get(f"{API}/committee/sheets/{b_sheet}")
    assert opened.status_code == 200 and "deviations" not in opened.json()


def test_api_errors_are_json_4xx(evaluation):
    seat = evaluation["seats"][1]
    api = _terminal(seat)
    bad = api.put(
        f"{API}/sheets/review",
        {"entries": [{"bidder_id": 999999, "criterion": "F1", "passed": True}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "评审范围" in bad.json()["detail"]
    assert api.post(f"{API}/sheets/review/submit").status_code == 400
    assert api.post(f"{API}/stages/review/close").status_code == 409
    assert api.get(f"{API}/sheets/nonsense").status_code == 404


def test_api_writes_need_the_csrf_token(evaluation):
    seat = evaluation["seats"][1]
    terminal = Client(enforce_csrf_checks=True)
    session = terminal.session
    session["bidding_seat"] = seat.pk
    session.save()
    response = terminal.post(f"{API}/sheets/review/submit")
    assert response.status_code in (401, 403)
    assert ScoreSheet.objects.get(seat=seat, stage="review").status == "draft"


# --- pages ----------------------------------------------------------------------------------


def test_the_sheet_page_saves_submits_and_locks(evaluation):
    seat = evaluation["seats"][1]
    terminal = _terminal(seat)
    page = terminal.get("/bidding/workstation/").content.decode()
    assert "填写评分表" in page
    form = {
        f"e-{b.pk}-{c.code}": "pass"
        for b in evaluation["bidders"]
        for c in evaluation_selectors.stage_criteria(evaluation["session"], "review")
    }
    first = evaluation["bidders"][0]
    form[f"e-{first.pk}-Q1"] = "fail"  # no reason given
    terminal.post("/bidding/workstation/sheet/review/", {**form, "op": "submit"})
    sheet = ScoreSheet.objects.get(seat=seat, stage="review")
    assert sheet.status == "draft"
    page = terminal.get("/bidding/workstation/sheet/review/").content.decode()
    assert "须写明理由" in page
    form[f"n-{first.pk}-Q1"] = "资质证书已过期"
    terminal.post("/bidding/workstation/sheet/review/", {**form, "op": "submit"})
    sheet.refresh_from_db()
    assert sheet.status == "submitted"
    assert (
        "已提交，评分表已锁定"
        in terminal.get("/bidding/workstation/sheet/review/").content.decode()
    )
    # another member cannot see this choice anywhere on their pages
    other = _terminal(evaluation["seats"][2])
    assert "资质证书已过期" not in other.get("/bidding/workstation/").content.decode()
    assert other.get("/bidding/workstation/committee/review/").status_code == 404


def test_the_chair_closes_from_the_workstation_and_the_committee_sees_all(evaluation):
    _review_all(evaluation, fail={1: [(0, "F1")]})
    chair = _terminal(evaluation["seats"][0])
    assert "结束本阶段" in chair.get("/bidding/workstation/").content.decode()
    chair.post("/bidding/workstation/action/", {"op": "close", "stage": "review"})
    page = _terminal(evaluation["seats"][3]).get("/bidding/workstation/committee/review/")
    assert page.status_code == 200 and "资质证书过期" in page.content.decode()


def test_scoring_page_permissions_and_plan_form(client, evaluation, world):
    url = f"/bidding/sessions/{evaluation['session'].pk}/scoring/"
    client.force_login(world["centre_wh"])
    page = client.get(url).content.decode()
    assert "综合评估法标准模板" in page and "背靠背" in page
    assert client.post(url, {"op": "prices"}).status_code == 404  # started: read-only
    for account in ("centre_jk", "supervisor", "tenderer"):
        client.force_login(world[account])
        assert client.get(url).status_code == 200
    for outsider in ("enterprise", "judge", "expert"):  # no bidding role at all
        client.force_login(world[outsider])
        assert client.get(url).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_last_submits_at_once_compute_the_deviation_notes_once(evaluation):
    """The stage row is locked by each submit, so one of two simultaneous last submits sees
    itself as the last one and computes the notes (neither may miss the other)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("true concurrency is exercised on PostgreSQL")
    seats = evaluation["seats"]
    _review_all(evaluation)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    _detailed_all(evaluation, submit=False)
    for seat in seats[:3]:
        scoring.sheet_submit(actor=None, seat=seat, stage="detailed")
    barrier, errors = threading.Barrier(2), []

    def submit(seat):
        try:
            barrier.wait()
            scoring.sheet_submit(actor=None, seat=seat, stage="detailed")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(s,)) for s in seats[3:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEntry.objects.filter(action="deviation.compute").count() == 1
    assert DeviationNote.objects.filter(sheet__session=evaluation["session"]).count() == 1


def test_malformed_ids_in_workstation_posts_are_404_not_500(evaluation):
    chair = _terminal(evaluation["seats"][0])
    for op, field in (("explain", "note"), ("reopen", "sheet")):
        response = chair.post("/bidding/workstation/action/", {"op": op, field: "x1"})
        assert response.status_code == 404
    assert chair.post("/bidding/workstation/", {"op": "vote", "candidate": "x"}).status_code == 404


def test_replacing_a_member_from_the_session_page_and_the_backup_joining(client, evaluation):
    """Art.48 end to end: the host centre replaces a member; the next backup confirms, is
    seated, signs in and declares, and gets a sheet for the stage under way."""
    from qinqing.bidding.models import Seat

    session, seats = evaluation["session"], evaluation["seats"]
    _review_all(evaluation)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    leaving = seats[2]
    url = f"/bidding/sessions/{session.pk}/members/{leaving.pk}/withdraw/"
    client.force_login(evaluation["tenderer"])
    assert client.post(url, {"reason": "突发疾病"}).status_code == 404
    client.force_login(evaluation["centre_wh"])
    assert "更换成员" in client.get(f"/bidding/sessions/{session.pk}/").content.decode()
    client.post(url, {"reason": "突发疾病"})
    assert set(ScoreSheet.objects.filter(seat=leaving).values_list("status", flat=True)) == {"void"}
    backup = DrawOutcome.objects.get(draw=leaving.outcome.draw, status=DrawOutcome.Status.NOTIFIED)
    services.outcome_respond(actor=None, outcome=backup, answer="confirm", channel="phone")
    centre = leaving.seating.centre
    admin = evaluation["centre_wh"] if centre.code == "whggzy" else evaluation["centre_jk"]
    new_seat = Seat.objects.get(outcome=backup)  # seated on confirming: the session was seated
    assert new_seat.seating.centre == centre and new_seat.seating_id != leaving.seating_id
    committee.seat_signin_staff(actor=admin, seat=new_seat, reason="核对身份证原件")
    committee.seat_declare(actor=None, seat=Seat.objects.get(pk=new_seat.pk))
    sheet = ScoreSheet.objects.get(seat=new_seat)
    assert sheet.stage == "detailed" and sheet.status == "draft"
    assert not ScoreSheet.objects.filter(seat=new_seat, stage="review").exists()


def test_api_schema_errors_name_the_field(evaluation):
    api = _terminal(evaluation["seats"][1])
    bad = api.put(
        f"{API}/sheets/review",
        {"entries": [{"bidder_id": "x", "criterion": "F1", "passed": True}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    body = bad.json()
    assert "entries.0.bidder_id" in body["detail"]
    assert body["errors"][0]["field"] == "entries.0.bidder_id"


def test_plan_form_rejects_a_malformed_number_with_a_message(client, world):
    session = world["session"]
    url = f"/bidding/sessions/{session.pk}/scoring/"
    client.force_login(world["centre_wh"])
    template = standard_template("comprehensive")
    response = client.post(
        url,
        {"op": "plan", "template": template.pk, "candidate_count": "三"},
        follow=True,
    )
    assert "推荐中标候选人数须为整数" in response.content.decode()
    assert not ScoringPlan.objects.filter(session=session).exists()
    client.post(url, {"op": "plan", "template": template.pk, "candidate_count": "2"})
    assert ScoringPlan.objects.get(session=session).candidate_count == 2


def test_api_submit_with_the_final_entries_is_all_or_nothing(evaluation):
    seat = evaluation["seats"][2]
    api = _terminal(seat)
    bidders = evaluation["bidders"]
    codes = [
        c.code for c in evaluation_selectors.stage_criteria(seat.outcome.session, Stage.REVIEW)
    ]
    every = [{"bidder_id": b.pk, "criterion": c, "passed": True} for b in bidders for c in codes]
    sheet = ScoreSheet.objects.get(seat=seat, stage=Stage.REVIEW)
    # One pair left out: nothing is saved and the sheet stays a draft.
    short = api.post(
        f"{API}/sheets/review/submit", {"entries": every[1:]}, content_type="application/json"
    )
    assert short.status_code == 400 and "尚未填写完整" in short.json()["detail"]
    sheet.refresh_from_db()
    assert sheet.status == ScoreSheet.Status.DRAFT and not sheet.entries.exists()
    assert not AuditEntry.objects.filter(action="sheet.submit", object_id=str(sheet.pk)).exists()
    # A repeated entry: 400 naming it, nothing saved.
    bad = api.post(
        f"{API}/sheets/review/submit",
        {"entries": [*every, every[0]]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "重复" in bad.json()["detail"]
    assert not sheet.entries.exists()
    # Complete: saved and submitted in one request, one audit row with the entries' count.
    done = api.post(
        f"{API}/sheets/review/submit", {"entries": every}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == ScoreSheet.Status.SUBMITTED
    assert sheet.entries.filter(passed=True).count() == len(every)
    entry = AuditEntry.objects.get(action="sheet.submit", object_id=str(sheet.pk))
    assert entry.detail["entries"] == len(every) and len(entry.detail["content_sha256"]) == 64
    assert not AuditEntry.objects.filter(action="sheet.save", object_id=str(sheet.pk)).exists()
    again = api.post(
        f"{API}/sheets/review/submit", {"entries": every}, content_type="application/json"
    )
    assert again.status_code == 409


def test_the_signed_in_seat_loader_reads_what_the_orm_would(evaluation):
    from django.contrib.auth import get_user_model

    from qinqing.bidding.models import TendererRepresentative
    from qinqing.bidding.seating.selectors import _SEAT_GRAPH, signed_in_seat

    User = get_user_model()
    expert = evaluation["seats"][1].outcome.expert
    expert.user = User.objects.create_user(username="loader-check")
    expert.save(update_fields=["user"])

    paths = {
        "workstation": "workstation",
        "room": "workstation__room",
        "seating": "seating",
        "centre": "seating__centre",
        "outcome": "outcome",
        "expert": "outcome__expert",
        "user": "outcome__expert__user",
        "session": "outcome__session",
        "section": "outcome__session__section",
        "project": "outcome__session__section__project",
        "representative": "outcome__representative",
    }
    for seat in evaluation["seats"]:
        loaded = signed_in_seat(seat.pk)
        orm = Seat.objects.select_related(*paths.values()).get(pk=seat.pk)
        for model, attr, _parent, _outer in _SEAT_GRAPH:
            a, b = loaded, orm
            for step in paths[attr].split("__") if attr else []:
                a, b = getattr(a, step), getattr(b, step)
            if b is None:  # an expert without a login, or no representative (LEFT JOIN)
                assert a is None and model in (User, TendererRepresentative)
                continue
            assert type(a) is model
            for field in model._meta.concrete_fields:
                assert getattr(a, field.attname) == getattr(b, field.attname), (attr, field)
                assert type(getattr(a, field.attname)) is type(getattr(b, field.attname))
    assert signed_in_seat(evaluation["seats"][1].pk).outcome.expert.user.username == "loader-check"
    unsigned = evaluation["seats"][0]
    Seat.objects.filter(pk=unsigned.pk).update(signed_in_at=None)
    assert signed_in_seat(unsigned.pk) is None
    assert signed_in_seat(10**9) is None


# --- the submit's statements (one per step on SQLite, the writes in one on PostgreSQL) -----


def _review_entries(ev, note="") -> list:
    codes = [c.code for c in evaluation_selectors.stage_criteria(ev["session"], Stage.REVIEW)]
    return [
        E(b.pk, code, passed=(i, n) != (0, 0), note=note if (i, n) == (0, 0) else "合格")
        for i, b in enumerate(ev["bidders"])
        for n, code in enumerate(codes)
    ]


def _submitted_digest(sheet: ScoreSheet) -> str:
    return AuditEntry.objects.get(action="sheet.submit", object_id=str(sheet.pk)).detail[
        "content_sha256"
    ]


def test_the_submit_digest_is_that_of_the_rows_as_stored(evaluation):
    """Whether the submit carries every entry (the rows are not read back), a part of them
    over a saved draft (read and merged), or none, the audit row's digest is that of the
    sheet's rows as stored; a note with quotes, backslashes, braces and new lines is kept."""
    seats = evaluation["seats"]
    tricky = '不通过：“资质”"quoted", back\\slash {brace} 逗号，\n换行 ✓'
    every = _review_entries(evaluation, note=tricky)
    scoring.sheet_submit(actor=None, seat=seats[0], stage=Stage.REVIEW, entries=every)
    changed = [E(e.bidder_id, e.criterion, passed=False, note="先判不通过") for e in every[:6]]
    scoring.sheet_save(actor=None, seat=seats[1], stage=Stage.REVIEW, entries=changed)
    scoring.sheet_submit(actor=None, seat=seats[1], stage=Stage.REVIEW, entries=every[3:])
    scoring.sheet_save(actor=None, seat=seats[2], stage=Stage.REVIEW, entries=every)
    scoring.sheet_submit(actor=None, seat=seats[2], stage=Stage.REVIEW, entries=[])
    scoring.sheet_save(actor=None, seat=seats[3], stage=Stage.REVIEW, entries=every)
    scoring.sheet_submit(actor=None, seat=seats[3], stage=Stage.REVIEW)
    sheets = [ScoreSheet.objects.get(seat=s, stage=Stage.REVIEW) for s in seats[:4]]
    for sheet in sheets:
        assert sheet.status == ScoreSheet.Status.SUBMITTED and sheet.submitted_at is not None
        assert _submitted_digest(sheet) == scoring._rows_digest(scoring._entry_rows(sheet))
    # Seats 0, 2 and 3 hold the same content; seat 1 kept three of its draft's fails.
    digests = [_submitted_digest(s) for s in sheets]
    assert digests[0] == digests[2] == digests[3] != digests[1]
    assert sheets[1].entries.filter(passed=False, note="先判不通过").count() == 3
    first = sheets[0].entries.get(bidder_id=every[0].bidder_id, criterion__code=every[0].criterion)
    assert first.note == tricky and first.passed is False
    counts = [
        AuditEntry.objects.get(action="sheet.submit", object_id=str(s.pk)).detail.get("entries")
        for s in sheets
    ]
    assert counts == [len(every), len(every) - 3, 0, None]
    assert verify_chain().ok


def test_the_submit_digest_of_scores_is_that_of_the_stored_decimals(evaluation):
    """Scores typed as integers, with more decimals than the column keeps, or as JSON numbers
    through the API are digested as the column stores them (two decimals)."""
    seats = evaluation["seats"]
    _review_all(evaluation)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    with pytest.raises(ConflictError, match="该评审阶段已结束"):
        scoring.sheet_submit(actor=None, seat=seats[0], stage=Stage.REVIEW, entries=[])
    bidders = list(evaluation_selectors.scored_bidders(evaluation["session"], Stage.DETAILED))
    index = {b.pk: i for i, b in enumerate(evaluation["bidders"])}
    plain = [E(b.pk, c, score=int(v)) for b in bidders for c, v in COMMON[index[b.pk]].items()]
    scoring.sheet_submit(actor=None, seat=seats[0], stage=Stage.DETAILED, entries=plain)
    longer = [E(e.bidder_id, e.criterion, score=D(f"{e.score}.000")) for e in plain]
    scoring.sheet_submit(actor=None, seat=seats[1], stage=Stage.DETAILED, entries=longer)
    body = {
        "entries": [
            {"bidder_id": e.bidder_id, "criterion": e.criterion, "score": float(e.score)}
            for e in plain
        ]
    }
    answer = _terminal(seats[2]).post(
        f"{API}/sheets/detailed/submit", body, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    sheets = [ScoreSheet.objects.get(seat=s, stage=Stage.DETAILED) for s in seats[:3]]
    digests = {_submitted_digest(s) for s in sheets}
    assert digests == {scoring._rows_digest(scoring._entry_rows(sheets[0]))}
    assert {str(v) for v in sheets[1].entries.values_list("score", flat=True)} >= {"16.00"}


def test_submit_refusals_keep_their_messages_and_change_nothing(evaluation):
    seats = evaluation["seats"]
    every = _review_entries(evaluation, note="资质证书过期")
    with pytest.raises(ConflictError, match="该评审阶段尚未开始"):
        scoring.sheet_submit(actor=None, seat=seats[1], stage=Stage.DETAILED, entries=[])
    with pytest.raises(DomainError, match="不属于本阶段"):
        scoring.sheet_submit(
            actor=None, seat=seats[1], stage=Stage.REVIEW, entries=[*every, E(1, "T1", score=1)]
        )
    ScoreSheet.objects.filter(seat=seats[2], stage=Stage.REVIEW).update(
        status=ScoreSheet.Status.VOID
    )
    with pytest.raises(ConflictError, match="您的评分表已作废"):
        scoring.sheet_submit(actor=None, seat=seats[2], stage=Stage.REVIEW, entries=every)
    ScoreSheet.objects.filter(seat=seats[3], stage=Stage.REVIEW).delete()
    with pytest.raises(ConflictError, match="您在该阶段没有评分表"):
        scoring.sheet_submit(actor=None, seat=seats[3], stage=Stage.REVIEW, entries=every)
    scoring.sheet_submit(actor=None, seat=seats[1], stage=Stage.REVIEW, entries=every)
    with pytest.raises(ConflictError, match=r"^评分表已提交$"):
        scoring.sheet_submit(actor=None, seat=seats[1], stage=Stage.REVIEW, entries=every)
    assert not ScoreSheet.objects.get(seat=seats[2], stage=Stage.REVIEW).entries.exists()
    assert AuditEntry.objects.filter(action="sheet.submit").count() == 1
    assert verify_chain().ok


def test_sheet_writes_wait_while_an_incident_pauses_the_session(evaluation):
    from qinqing.bidding.evaluation import supervision

    session, seat = evaluation["session"], evaluation["seats"][1]
    every = _review_entries(evaluation, note="资质证书过期")
    incident = supervision.incident_open(
        actor=evaluation["centre_wh"],
        session=session,
        centre=session.host_centre,
        kind="network",
        description="主场专线中断",
    )
    for write in (scoring.sheet_save, scoring.sheet_submit):
        with pytest.raises(ConflictError, match="评标已暂停"):
            write(actor=None, seat=seat, stage=Stage.REVIEW, entries=every)
    sheet = ScoreSheet.objects.get(seat=seat, stage=Stage.REVIEW)
    assert sheet.status == ScoreSheet.Status.DRAFT and not sheet.entries.exists()
    supervision.incident_resolve(
        actor=evaluation["centre_wh"], incident=incident, resolution="恢复"
    )
    supervision.incident_open(  # an incident that does not pause does not stop the sheets
        actor=evaluation["centre_wh"],
        session=session,
        centre=session.host_centre,
        kind="device",
        description="备用显示器已启用",
        pauses=False,
    )
    scoring.sheet_submit(actor=None, seat=seat, stage=Stage.REVIEW, entries=every)
    assert ScoreSheet.objects.get(pk=sheet.pk).status == ScoreSheet.Status.SUBMITTED


@pytest.mark.django_db(transaction=True)
def test_every_member_submitting_at_once_computes_the_deviation_notes_once(evaluation):
    """All five detailed sheets submitted with their entries at the same moment (on
    PostgreSQL, the writes in one statement after the lock): exactly one submit sees itself as
    the last, the notes are computed once, every sheet is stored and the chain verifies."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("true concurrency is exercised on PostgreSQL")
    seats = evaluation["seats"]
    _review_all(evaluation)
    scoring.stage_close(actor=None, seat=seats[0], stage="review")
    bidders = evaluation["bidders"]
    barrier, errors = threading.Barrier(len(seats)), []

    def submit(m, seat):
        entries = [
            E(b.pk, code, score=DIFFERENT.get((i, code), value) if m == 4 else value)
            for i, b in enumerate(bidders)
            for code, value in COMMON[i].items()
        ]
        try:
            barrier.wait()
            scoring.sheet_submit(actor=None, seat=seat, stage="detailed", entries=entries)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(m, s)) for m, s in enumerate(seats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    session = evaluation["session"]
    sheets = ScoreSheet.objects.filter(session=session, stage="detailed")
    assert {s.status for s in sheets} == {ScoreSheet.Status.SUBMITTED}
    submits = AuditEntry.objects.filter(
        action="sheet.submit", object_id__in=[str(s.pk) for s in sheets]
    )
    assert submits.count() == len(seats)
    assert AuditEntry.objects.filter(action="deviation.compute").count() == 1
    assert DeviationNote.objects.filter(sheet__session=session).count() == 1
    assert verify_chain().ok


def test_a_submit_recreates_a_missing_chain_head(evaluation):
    """The head row is made from the last entry when missing (e.g. after a restore), before the
    submit's own append (which, on PostgreSQL, needs it)."""
    from qinqing.core.models import AuditChainHead

    AuditChainHead.objects.all().delete()
    seat = evaluation["seats"][1]
    every = _review_entries(evaluation, note="资质证书过期")
    scoring.sheet_submit(actor=None, seat=seat, stage=Stage.REVIEW, entries=every)
    assert ScoreSheet.objects.get(seat=seat, stage=Stage.REVIEW).status == "submitted"
    assert AuditChainHead.objects.get().seq == AuditEntry.objects.count()
    assert verify_chain().ok


@pytest.mark.parametrize("raw", ["²", "①", "-1", "3.5"])
def test_a_posted_whole_number_of_other_digits_is_a_field_error_not_a_500(raw):
    """str.isdigit() takes '²', which int() refuses: the plan form answered 500."""
    from qinqing.bidding.evaluation.views import _posted_int
    from qinqing.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        _posted_int({"candidate_count": raw}, "candidate_count", "推荐中标候选人数")
    assert refused.value.field == "candidate_count"
    assert _posted_int({"candidate_count": " 3 "}, "candidate_count", "推荐中标候选人数") == 3
