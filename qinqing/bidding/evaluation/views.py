"""Pages of the evaluation itself: the expert's sheet at the workstation, the chair's controls,
the committee's view of closed stages, and the host centre's plan and opening record."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bidding.evaluation import (
    low_bids,
    rules,
    scoring,
    selectors,
    services,
    supervision,
    time_extension,
)
from qinqing.bidding.evaluation.forms import TimeExtensionForm, TimeRequestForm
from qinqing.bidding.models import (
    SHEET_STAGES,
    BidderSize,
    BidResult,
    CoefficientDraw,
    CriteriaTemplate,
    DeviationNote,
    EvaluationSession,
    EvaluationStage,
    LowBidBasis,
    LowBidFlag,
    PriceFormula,
    RankingLot,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Stage,
    TieMethod,
)
from qinqing.bidding.projects import selectors as project_selectors
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.bidding.seating.workstation import my_seat
from qinqing.bidding.viewer import selectors as viewer_selectors
from qinqing.core.errors import DomainError
from qinqing.core.http import redirect_back
from qinqing.core.lookups import int_or_404
from qinqing.core.permissions import can
from qinqing.core.rules import is_ascii_digits


def _seat_or_signin(request: HttpRequest) -> Seat | None:
    seat = my_seat(request)
    if seat is not None:
        supervision.seat_seen(seat)
    return seat


def stage_board(session: EvaluationSession) -> list[dict]:
    """The stages in order with their state, for the progress strip."""
    states = {s.stage: s for s in session.stages.all()}
    return [
        {"stage": value, "label": label, "state": states.get(value)}
        for value, label in Stage.choices
        if value != Stage.PRICE
    ]


def _parse_entries(post, stage: str, criteria, bidders) -> list[scoring.EntryIn]:
    entries = []
    for bidder in bidders:
        for criterion in criteria:
            key = f"{bidder.pk}-{criterion.code}"
            raw = (post.get(f"e-{key}") or "").strip()
            note = (post.get(f"n-{key}") or "").strip()
            if stage == Stage.REVIEW:
                passed = {"pass": True, "fail": False}.get(raw)
                entries.append(scoring.EntryIn(bidder.pk, criterion.code, passed=passed, note=note))
                continue
            score = None
            if raw:
                try:
                    score = Decimal(raw)
                except InvalidOperation:
                    raise DomainError(
                        _("%(bidder)s的“%(item)s”分值须为数字")
                        % {"bidder": bidder.name, "item": criterion.name},
                        field=f"e-{key}",
                    ) from None
            entries.append(scoring.EntryIn(bidder.pk, criterion.code, score=score, note=note))
    return entries


def workstation_sheet(request: HttpRequest, stage: str) -> HttpResponse:
    """The expert's own sheet for a stage: fill, save, submit (locked after submitting)."""
    seat = _seat_or_signin(request)
    if seat is None:
        return redirect("bidding:signin")
    if stage not in SHEET_STAGES:
        raise Http404
    sheet = get_object_or_404(
        ScoreSheet.objects.select_related("session__section__project"), seat=seat, stage=stage
    )
    session = sheet.session
    criteria = list(selectors.stage_criteria(session, stage))
    bidders = list(selectors.scored_bidders(session, stage))
    if request.method == "POST":
        actor = seat.member.user
        try:
            entries = _parse_entries(request.POST, stage, criteria, bidders)
            scoring.sheet_save(actor=actor, seat=seat, stage=stage, entries=entries)
            if request.POST.get("op") == "submit":
                scoring.sheet_submit(actor=actor, seat=seat, stage=stage)
                messages.success(request, _("评分表已提交并锁定。"))
                return redirect("bidding:workstation")
            messages.success(request, _("已保存。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("bidding:workstation_sheet", stage=stage)
    values = {(e.bidder_id, e.criterion_id): e for e in sheet.entries.all()}
    # The pages each bidder's response table (响应表) gives for an item: links to the viewer.
    readable = viewer_selectors.is_reader(seat)
    pages = viewer_selectors.response_links(seat, criteria, bidders) if readable else {}
    # One row per item (its full wording), one column per bid: few bids, long item names.
    grid = [
        {
            "criterion": c,
            "cells": [
                {
                    "bidder": b,
                    "entry": values.get((b.pk, c.pk)),
                    "pages": pages.get((b.pk, c.code), []),
                }
                for b in bidders
            ],
        }
        for c in criteria
    ]
    totals = [
        sum(
            (values[(b.pk, c.pk)].score or 0 for c in criteria if (b.pk, c.pk) in values),
            Decimal(0),
        )
        for b in bidders
    ]
    return render(
        request,
        "bidding/workstation_sheet.html",
        {
            "seat": seat,
            "session": session,
            "sheet": sheet,
            "stage": stage,
            "stage_label": Stage(stage).label,
            "bidders": bidders,
            "grid": grid,
            "totals": totals,
            "locked": sheet.status != ScoreSheet.Status.DRAFT,
            "paused": selectors.is_paused(session),
            "missing": scoring.sheet_missing(sheet) if sheet.status == "draft" else [],
            "price_rule": price_rule_context(session) if stage == Stage.DETAILED else None,
            "documents": readable,
        },
    )


def workstation_ping(request: HttpRequest) -> HttpResponse:
    """Heartbeat of an open workstation page (the live board's "idle too long")."""
    if _seat_or_signin(request) is None:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


@require_POST
def workstation_action(request: HttpRequest) -> HttpResponse:
    """Deviation explanations (every member) and the chair's stage closing and reopening."""
    seat = _seat_or_signin(request)
    if seat is None:
        return redirect("bidding:signin")
    actor = seat.member.user
    op = request.POST.get("op")
    try:
        if op == "explain":
            note = get_object_or_404(
                DeviationNote, pk=int_or_404(request.POST.get("note")), sheet__seat=seat
            )
            scoring.deviation_explain(
                actor=actor, seat=seat, note=note, explanation=request.POST.get("explanation", "")
            )
            messages.success(request, _("说明已保存。"))
        elif op == "close":
            scoring.stage_close(actor=actor, seat=seat, stage=request.POST.get("stage", ""))
            messages.success(request, _("本阶段已结束。"))
        elif op == "reopen":
            sheet = get_object_or_404(
                ScoreSheet, pk=int_or_404(request.POST.get("sheet")), session=seat.outcome.session
            )
            scoring.sheet_reopen(
                actor=actor, seat=seat, sheet=sheet, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已退回该成员修改。"))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("bidding:workstation")


def evaluation_context(seat: Seat) -> dict:
    """What the workstation page shows once the evaluation has started."""
    session = seat.outcome.session
    state = selectors.current_stage(session)
    sheets = list(ScoreSheet.objects.filter(seat=seat).order_by("pk"))
    context = {
        "stages": stage_board(session),
        "current": state,
        "my_sheets": sheets,
        "my_notes": list(
            DeviationNote.objects.filter(sheet__seat=seat)
            .exclude(sheet__status=ScoreSheet.Status.VOID)
            .select_related("bidder", "criterion", "sheet")
        ),
        "paused": selectors.is_paused(session),
        "is_chair": session.chair_id == seat.pk,
        "closed_stages": [
            s for s in session.stages.all() if s.status == EvaluationStage.Status.CLOSED
        ],
        "low_bids_waiting": LowBidFlag.objects.filter(
            session=session,
            status__in=(LowBidFlag.Status.FLAGGED, LowBidFlag.Status.REQUESTED),
        ).count(),
        "low_bids_any": LowBidFlag.objects.filter(session=session).exists(),
    }
    if context["is_chair"] and state is not None and state.stage in SHEET_STAGES:
        live = ScoreSheet.objects.filter(session=session, stage=state.stage).exclude(
            status=ScoreSheet.Status.VOID
        )
        context["progress"] = {
            "total": live.count(),
            "submitted": live.filter(status=ScoreSheet.Status.SUBMITTED).count(),
            "submitted_sheets": list(
                live.filter(status=ScoreSheet.Status.SUBMITTED).select_related("seat__workstation")
            ),
            "problems": scoring.close_problems(session, state.stage),
        }
    return context


def committee_stage(request: HttpRequest, stage: str) -> HttpResponse:
    """A closed stage for the committee: every member's sheet side by side, and the results."""
    seat = _seat_or_signin(request)
    if seat is None:
        return redirect("bidding:signin")
    session = seat.outcome.session
    if stage not in Stage.values or not selectors.stage_is_closed(session, stage):
        raise Http404
    return render(
        request,
        "bidding/committee_stage.html",
        {
            "seat": seat,
            "session": session,
            "price_rule": price_rule_context(session),
            **stage_tables(session, stage),
        },
    )


def stage_tables(session: EvaluationSession, stage: str) -> dict:
    """Per-expert tables of a closed stage and the bids' results so far, for the committee."""
    criteria = list(selectors.stage_criteria(session, stage)) if stage in SHEET_STAGES else []
    sheets = list(
        ScoreSheet.objects.filter(session=session, stage=stage)
        .exclude(status=ScoreSheet.Status.VOID)
        .select_related("seat__workstation")
        .prefetch_related("entries")
        .order_by("seat__workstation__code")
    )
    bidders = list(selectors.scored_bidders(session, stage)) if stage in SHEET_STAGES else []
    tables = []
    for sheet in sheets:
        values = {(e.bidder_id, e.criterion_id): e for e in sheet.entries.all()}
        tables.append(
            {
                "sheet": sheet,
                "rows": [
                    {
                        "bidder": b,
                        "cells": [values.get((b.pk, c.pk)) for c in criteria],
                        "total": sum(
                            (
                                values[(b.pk, c.pk)].score or 0
                                for c in criteria
                                if (b.pk, c.pk) in values
                            ),
                            Decimal(0),
                        ),
                    }
                    for b in bidders
                ],
            }
        )
    results = list(
        BidResult.objects.filter(session=session)
        .select_related("bidder")
        .order_by("rank", "bidder__pk")
    )
    return {
        "stage": stage,
        "stage_label": Stage(stage).label,
        "criteria": criteria,
        "tables": tables,
        "results": results,
        "notes": list(
            DeviationNote.objects.filter(sheet__session=session, sheet__stage=stage)
            .exclude(sheet__status=ScoreSheet.Status.VOID)
            .select_related("bidder", "criterion", "sheet__seat__workstation")
        ),
        "rejected_low": set(
            LowBidFlag.objects.filter(
                session=session, status=LowBidFlag.Status.REJECTED
            ).values_list("bidder_id", flat=True)
        ),
    }


def k_text(value: Decimal | None) -> str | None:
    """A K value as the tender documents write it: 0.9500 → "0.95", 1 → "1.00"."""
    if value is None:
        return None
    number = Decimal(value).normalize()
    if number.as_tuple().exponent > -2:
        number = number.quantize(Decimal("0.01"))
    return str(number)


def price_rule_context(session: EvaluationSession) -> dict | None:
    """The tender documents' price rule as the score sheet shows it: the method, the formula
    and its parameters (K drawn at the opening, the slopes), the abnormally-low-bid rule, the
    SME deduction and the tie order."""
    plan = ScoringPlan.objects.filter(session=session).first()
    if plan is None:
        return None
    project = session.section.project
    coefficient = CoefficientDraw.objects.filter(session=session).first()
    return {
        "plan": plan,
        "lowest_price": project.method != "comprehensive",
        "procurement": scoring.is_procurement(project),
        "k_formula": plan.price_formula in (PriceFormula.K_FACTOR, PriceFormula.K_DRAWN),
        "k_drawn": plan.price_formula == PriceFormula.K_DRAWN,
        "k": k_text(
            plan.k
            if plan.price_formula == PriceFormula.K_FACTOR
            else (coefficient.k if coefficient else None)
        ),
        "k_min": k_text(plan.k_min),
        "k_max": k_text(plan.k_max),
        "k_step": k_text(plan.k_step),
        "coefficient": coefficient,
        "category": project.get_procurement_category_display(),
    }


# --- the host centre: opening record and plan ------------------------------------------------


def _posted_int(post, name: str, label: str) -> int | None:
    """An optional whole number from a form; anything else is a clear error, not ignored."""
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    if not is_ascii_digits(raw):
        raise DomainError(_("%(label)s须为整数") % {"label": label}, field=name)
    return int(raw)


@login_required
def session_scoring(request: HttpRequest, pk: int) -> HttpResponse:
    """The host centre records the bid prices read at the opening and sets the plan; after
    the start, everyone who may see the session follows the stages (no scores)."""
    session = project_selectors.session(user=request.user, pk=pk)
    manage = can(request.user, "bidding.manage_session", session)
    plan = ScoringPlan.objects.filter(session=session).first()
    bidders = list(session.section.bidders.in_evaluation().order_by("pk"))
    editable = manage and session.status not in (
        EvaluationSession.Status.IN_PROGRESS,
        EvaluationSession.Status.CLOSED,
    )
    # prices of a section with sealed bids come from the opening's decrypted schedules
    sealed = session.section.bids.exists()
    if request.method == "POST":
        if not editable:
            raise Http404
        op = request.POST.get("op")
        try:
            if op == "prices":
                prices = {}
                for b in bidders:
                    raw = (request.POST.get(f"price-{b.pk}") or "").replace(",", "").strip()
                    if not raw:
                        continue
                    try:
                        prices[b.pk] = Decimal(raw)
                    except InvalidOperation:
                        raise DomainError(
                            _("%(bidder)s的投标报价须为金额") % {"bidder": b.name},
                            field=f"price-{b.pk}",
                        ) from None
                project_services.bid_prices_record(
                    actor=request.user, section=session.section, prices=prices
                )
                sizes = {
                    b.pk: request.POST.get(f"size-{b.pk}", "")
                    for b in bidders
                    if f"size-{b.pk}" in request.POST
                }
                if sizes:
                    project_services.bidder_sizes_record(
                        actor=request.user, section=session.section, sizes=sizes
                    )
                messages.success(request, _("开标记录已保存。"))
            elif op == "plan":
                template = get_object_or_404(
                    CriteriaTemplate, pk=int_or_404(request.POST.get("template"))
                )
                post = request.POST
                services.plan_set(
                    actor=request.user,
                    session=session,
                    template=template,
                    price_formula=post.get("price_formula") or PriceFormula.LOW_PRICE,
                    price_weight=post.get("price_weight") or None,
                    k=post.get("k") or None,
                    deduct_above=post.get("deduct_above") or None,
                    deduct_below=post.get("deduct_below") or None,
                    drop_price_extremes_from=_posted_int(
                        post, "drop_price_extremes_from", _("去掉最高最低报价的最少投标数")
                    ),
                    drop_score_extremes=post.get("drop_score_extremes") == "on",
                    deviation_basis=post.get("deviation_basis") or "item",
                    deviation_mean_of=post.get("deviation_mean_of") or "others",
                    deviation_threshold=post.get("deviation_threshold") or None,
                    candidate_count=_posted_int(post, "candidate_count", _("推荐中标候选人数"))
                    or rules.MAX_CANDIDATES,
                    k_min=post.get("k_min") or None,
                    k_max=post.get("k_max") or None,
                    k_step=post.get("k_step") or None,
                    low_bid_share=post.get("low_bid_share") or None,
                    low_bid_basis=post.get("low_bid_basis") or LowBidBasis.OTHERS,
                    low_bid_cost_line=(post.get("low_bid_cost_line") or "").replace(",", "")
                    or None,
                    sme_deduction=post.get("sme_deduction") or None,
                    tie_method=post.get("tie_method") or TieMethod.TECHNICAL,
                )
                messages.success(request, _("评标方案已保存。"))
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("bidding:session_scoring", pk=session.pk)
    method = session.section.project.method
    sheets = ScoreSheet.objects.filter(session=session).exclude(status=ScoreSheet.Status.VOID)
    lot = RankingLot.objects.filter(session=session).first()
    coefficient = CoefficientDraw.objects.filter(session=session).first()
    return render(
        request,
        "bidding/session_scoring.html",
        {
            "session": session,
            "plan": plan,
            "bidders": bidders,
            "editable": editable,
            "sealed": sealed,
            "manage": manage,
            "templates": CriteriaTemplate.objects.filter(method=method),
            "formulas": PriceFormula.choices,
            "bases": ScoringPlan.DeviationBasis.choices,
            "means": ScoringPlan.MeanOf.choices,
            "stages": stage_board(session),
            "criteria": list(session.criteria.all()),
            "stage_counts": [
                {
                    "stage": Stage(value).label,
                    "total": sheets.filter(stage=value).count(),
                    "submitted": sheets.filter(stage=value, status="submitted").count(),
                }
                for value in SHEET_STAGES
            ],
            "lot": lot,
            "lot_proof": scoring.lot_proof(lot) if lot else None,
            "can_witness": can(request.user, "bidding.witness_lot", session),
            "sizes": BidderSize.choices,
            "procurement": scoring.is_procurement(session.section.project),
            "low_bid_bases": LowBidBasis.choices,
            "tie_methods": TieMethod.choices,
            "default_low_bid_share": rules.DEFAULT_LOW_BID_SHARE,
            "sme_ranges": services.sme_deduction_ranges(),
            "coefficient": coefficient,
            "coefficient_proof": scoring.coefficient_proof(coefficient) if coefficient else None,
            "coefficient_k": k_text(coefficient.k) if coefficient else None,
            "can_draw_coefficient": can(request.user, "bidding.draw_coefficient", session)
            and plan is not None
            and plan.price_formula == PriceFormula.K_DRAWN
            and coefficient is None
            and editable,
            "can_witness_coefficient": can(request.user, "bidding.witness_coefficient", session)
            and coefficient is not None
            and coefficient.witnessed_at is None,
            "low_bids": [
                {"flag": f, "trips": [low_bids.trip_label(t) for t in f.trips]}
                for f in LowBidFlag.objects.filter(session=session).select_related("bidder")
            ],
            "price_rule": price_rule_context(session),
        },
    )


@login_required
@require_POST
def lot_witness(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.witness_lot", session):
        raise Http404
    lot = get_object_or_404(RankingLot, session=session)
    try:
        scoring.lot_witness(
            actor=request.user, lot=lot, witness_entropy=request.POST.get("witness_entropy", "")
        )
        messages.success(request, _("已见证抽签，排名已确定。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("bidding:session_scoring", pk=session.pk)


@login_required
@require_POST
def member_withdraw(request: HttpRequest, pk: int, seat_pk: int) -> HttpResponse:
    """The host centre records that a member leaves or falls ill (实施条例 Art.48)."""
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_session", session):
        raise Http404
    seat = get_object_or_404(seating_selectors.committee_seats(session), pk=seat_pk)
    try:
        services.member_withdraw(
            actor=request.user, seat=seat, reason=request.POST.get("reason", "")
        )
        messages.success(
            request,
            _("该成员的评审结论已作废，已按顺序通知下一位备选专家；确认后请重新分配工位。"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("bidding:session_detail", pk=session.pk)


@login_required
@require_POST
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_session", session):
        raise Http404
    try:
        services.session_start(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评标已开始，请评标委员会推举负责人。"))
    return redirect("bidding:session_detail", pk=session.pk)


# --- abnormally low bids at the workstation (暂行规定 Art.21; 87号令 Art.60) -------------------


def workstation_low_bids(request: HttpRequest) -> HttpResponse:
    """The flagged bids for every member: the figure that tripped each, the request for a
    written explanation (the chair), the published answer and the vote."""
    seat = _seat_or_signin(request)
    if seat is None:
        return redirect("bidding:signin")
    session = seat.outcome.session
    if not seating_selectors.committee_seats(session).filter(pk=seat.pk).exists():
        return redirect("bidding:workstation")
    if request.method == "POST":
        actor = seat.member.user
        flag = get_object_or_404(
            LowBidFlag, pk=int_or_404(request.POST.get("flag")), session=session
        )
        op = request.POST.get("op")
        try:
            if op == "request":
                minutes = _posted_int(request.POST, "minutes", _("答复期限（分钟）"))
                low_bids.low_bid_request(actor=actor, seat=seat, flag=flag, minutes=minutes or 0)
                messages.success(request, _("书面说明要求已提交，待行政监督部门审核后送达投标人。"))
            elif op == "vote":
                decision = request.POST.get("decision")
                if decision not in ("accept", "reject"):
                    raise DomainError(_("请选择接受或不接受说明"), field="decision")
                low_bids.low_bid_vote(
                    actor=actor,
                    seat=seat,
                    flag=flag,
                    accept=decision == "accept",
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("表决已记录。"))
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("bidding:workstation_low_bids")
    return render(
        request,
        "bidding/workstation_low_bids.html",
        {
            "seat": seat,
            "session": session,
            "project": session.section.project,
            "is_chair": session.chair_id == seat.pk,
            "rows": low_bids.for_committee(session, seat),
            "rule": session.plan,
            "min_minutes": low_bids.MIN_MINUTES,
            "max_minutes": low_bids.MAX_MINUTES,
        },
    )


@login_required
@require_POST
def session_coefficient(request: HttpRequest, pk: int) -> HttpResponse:
    """The K draw at the opening: the host centre commits, the supervising department
    witnesses (QQ-DRAW-1 over the published range)."""
    session = project_selectors.session(user=request.user, pk=pk)
    op = request.POST.get("op")
    try:
        if op == "commit":
            if not can(request.user, "bidding.draw_coefficient", session):
                raise Http404
            scoring.coefficient_commit(actor=request.user, session=session)
            messages.success(request, _("已承诺 K 值抽取，请行政监督部门见证。"))
        elif op == "witness":
            if not can(request.user, "bidding.witness_coefficient", session):
                raise Http404
            draw = get_object_or_404(CoefficientDraw, session=session)
            draw = scoring.coefficient_witness(
                actor=request.user,
                draw=draw,
                witness_entropy=request.POST.get("witness_entropy", ""),
            )
            messages.success(request, _("已见证，抽取的 K 值为 %(k)s。") % {"k": draw.k})
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    # from the opening hall (opening/views.py) the draw returns there
    return redirect_back(request, reverse("bidding:session_scoring", args=[session.pk]))


# --- the evaluation time extended (实施条例 Art.48 para.1) -----------------------------------


def workstation_time(request: HttpRequest) -> HttpResponse:
    """A member declares the evaluation time too short (with a reason) and sees how many
    members have, against the committee."""
    seat = _seat_or_signin(request)
    if seat is None:
        return redirect("bidding:signin")
    session = seat.outcome.session
    if not seating_selectors.committee_seats(session).filter(pk=seat.pk).exists():
        return redirect("bidding:workstation")
    form = TimeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            time_extension.time_extension_request(
                actor=seat.member.user, seat=seat, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            if exc.field == "reason":
                form.add_error("reason", exc.message)
            else:
                messages.error(request, exc.message)
                return redirect("bidding:workstation_time")
        else:
            messages.success(request, _("已提出评标时间不够的意见。"))
            return redirect("bidding:workstation_time")
    state = time_extension.status(session)
    return render(
        request,
        "bidding/workstation_time.html",
        {
            "seat": seat,
            "session": session,
            "project": session.section.project,
            "state": state,
            "mine": next((r for r in state["requests"] if r.seat_id == seat.pk), None),
            "form": form,
        },
    )


@login_required
def session_time(request: HttpRequest, pk: int) -> HttpResponse:
    """The members' declarations (by workstation) and the extensions, for everyone who sees
    the session; the tenderer or its agency sets the new end once more than a third declared."""
    session = project_selectors.session(user=request.user, pk=pk)
    may_extend = can(request.user, "bidding.extend_time", session)
    form = TimeExtensionForm(request.POST or None)
    if request.method == "POST":
        if not may_extend:
            raise Http404
        if form.is_valid():
            try:
                time_extension.time_extension_decide(
                    actor=request.user,
                    session=session,
                    new_ends_at=form.cleaned_data["new_ends_at"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    messages.error(request, exc.message)
                    return redirect("bidding:session_time", pk=session.pk)
            else:
                messages.success(request, _("评标时间已延长。"))
                return redirect("bidding:session_time", pk=session.pk)
    session.refresh_from_db(fields=["ends_at", "status"])
    return render(
        request,
        "bidding/session_time.html",
        {
            "session": session,
            "project": session.section.project,
            "state": time_extension.status(session),
            "may_extend": may_extend,
            "form": form,
        },
    )
