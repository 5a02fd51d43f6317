"""The evaluation report (招标投标法实施条例 Art.53): a frozen snapshot, the members' signatures,
sealing (PDF, hash in the audit chain, secrecy lifted), conduct ratings and fees.

The snapshot (`Report.content`) is plain JSON — strings for money, scores and times — so its
canonical form (sorted keys, no spaces, UTF-8) and therefore `content_sha256` survive the
database round trip on SQLite and PostgreSQL alike. It is the one place where expert names
appear; until the result is final only the centre admins and the supervisors read it whole, the
committee reads it with the other members as 评委N (`unidentified`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from qinqing.bidding.evaluation import rules as evaluation_rules
from qinqing.bidding.models import (
    BidResult,
    ChairMethod,
    Clarification,
    CoefficientDraw,
    ConductRating,
    Criterion,
    DeviationNote,
    DrawOutcome,
    EvaluationSession,
    EvaluationStage,
    Fee,
    FeeStandard,
    Incident,
    LowBidFlag,
    Report,
    ScoreEntry,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Signature,
    Stage,
)
from qinqing.bidding.report import rules, signing
from qinqing.bidding.report.selectors import members, signature_board, standard_in_force
from qinqing.core.audit import audit_log
from qinqing.core.documents import document_request
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import GeneratedDocument, Organisation
from qinqing.core.permissions import grants_of
from qinqing.core.roles import Role

SCHEMA = "qinqing.bidding.report/1"
MAX_FEE = Decimal("99999999.99")  # FeeStandard.amount: 10 digits, 2 places

# --- helpers --------------------------------------------------------------------------------


def canonical_json(content: dict) -> bytes:
    """The canonical form the hash covers: sorted keys, no spaces, UTF-8, non-ASCII kept."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value else ""


_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def display(value):
    """The snapshot for templates: ISO times become 'YYYY-MM-DD HH:MM' (local time)."""
    if isinstance(value, dict):
        return {k: display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [display(v) for v in value]
    if isinstance(value, str) and _ISO_RE.match(value):
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    return value


def member_labels(content: dict) -> dict[str, str]:
    """Workstation code -> 评委N, in the report's member order (host centre first)."""
    return {m["workstation"]: f"评委{n}" for n, m in enumerate(content["members"], start=1)}


def unidentified(content: dict, *, own_workstation: str | None = None) -> dict:
    """The snapshot for a reader who may not identify the committee yet: every member is
    评委N at their workstation, with no code or name (a member whose sheets were voided has
    neither), and the staff's sign-in notes, which may name the expert, are left out.
    `own_workstation` (the member reading at the workstation) keeps their own identity."""
    labels = member_labels(content)

    def hide(row: dict) -> dict:
        if row.get("workstation") == own_workstation:
            return row
        row = {**row, "expert_code": ""}
        if "name" in row:
            row["name"] = labels.get(row["workstation"], "")
        if "verify_reason" in row:
            row["verify_reason"] = ""
        return row

    hidden = dict(content)
    for part in ("members", "sign_in", "scores", "deviations", "voided"):
        hidden[part] = [hide(row) for row in content.get(part) or []]
    if content.get("chair"):
        hidden["chair"] = hide(content["chair"])
    return hidden


# --- the snapshot ---------------------------------------------------------------------------


def _project_part(session: EvaluationSession) -> dict:
    project = session.section.project
    return {
        "project": {
            "code": project.code,
            "name": project.name,
            "method": project.method,
            "method_label": project.get_method_display(),
            "budget": _dec(project.budget),
            "region_code": project.region_code,
            "rule_set": project.rule_set.name,
        },
        "section": {"code": session.section.code, "name": session.section.name},
        "tenderer": project.tenderer.name,
        "agency": project.agency.name if project.agency else None,
        "supervisor": project.supervising_department.name,
        "session": {
            "id": session.pk,
            "starts_at": _iso(session.starts_at),
            "ends_at": _iso(session.ends_at),
            "started_at": _iso(session.started_at),
            "host_centre": session.host_centre.name,
            "guest_centres": [c.name for c in session.guest_centres.order_by("name")],
        },
    }


def _plan_part(session: EvaluationSession) -> dict | None:
    plan = ScoringPlan.objects.filter(session=session).select_related("template").first()
    if plan is None:
        return None
    return {
        "template": plan.template.name,
        "price_formula": plan.price_formula,
        "price_formula_label": plan.get_price_formula_display(),
        "price_weight": _dec(plan.price_weight),
        "k": _dec(plan.k),
        "deduct_above": _dec(plan.deduct_above),
        "deduct_below": _dec(plan.deduct_below),
        "drop_price_extremes_from": plan.drop_price_extremes_from,
        "drop_score_extremes": plan.drop_score_extremes,
        "deviation_basis_label": plan.get_deviation_basis_display(),
        "deviation_mean_of_label": plan.get_deviation_mean_of_display(),
        "deviation_threshold": _dec(plan.deviation_threshold),
        "candidate_count": plan.candidate_count,
        "k_range": [_dec(plan.k_min), _dec(plan.k_max), _dec(plan.k_step)]
        if plan.k_min is not None
        else None,
        "k_drawn": _dec(session.coefficient_draw.k)
        if CoefficientDraw.objects.filter(session=session).exists()
        else None,
        "low_bid_share": _dec(plan.low_bid_share),
        "low_bid_basis_label": plan.get_low_bid_basis_display(),
        "low_bid_cost_line": _dec(plan.low_bid_cost_line),
        "sme_deduction": _dec(plan.sme_deduction),
        "tie_method_label": plan.get_tie_method_display(),
    }


def _low_bids_part(session: EvaluationSession) -> list[dict]:
    """The abnormally low bids and the committee's conclusion on each (暂行规定 Art.21; 87号令
    Art.60): the figure that tripped it, the explanation and the vote."""
    rows = []
    for flag in (
        LowBidFlag.objects.filter(session=session)
        .select_related("bidder", "clarification")
        .prefetch_related("votes")
    ):
        c = flag.clarification
        votes = list(flag.votes.all())
        rows.append(
            {
                "bidder": flag.bidder.name,
                "price": _dec(flag.price),
                "trips": flag.trips,
                "status": flag.status,
                "status_label": flag.get_status_display(),
                "explanation": c.answer
                if c is not None and c.status == Clarification.Status.PUBLISHED
                else "",
                "accept": sum(1 for v in votes if v.accept),
                "reject": sum(1 for v in votes if not v.accept),
                "reasons": [v.note for v in votes if v.note],
            }
        )
    return rows


def _member_parts(session: EvaluationSession, seats: list[Seat]) -> dict:
    host = session.host_centre_id
    rows, sign_in = [], []
    for seat in seats:
        expert = seat.member
        rows.append(
            {
                "seat": seat.pk,
                "workstation": seat.workstation.code,
                "room": seat.workstation.room.name,
                "centre": seat.seating.centre.name,
                "site": "host" if seat.seating.centre_id == host else "guest",
                "site_label": "主场" if seat.seating.centre_id == host else "客场",
                "expert_code": expert.code,
                "name": expert.name,
                "chair": seat.pk == session.chair_id,
                # 招标投标法 Art.37: the tenderer's representatives sit beside the experts
                "role": "招标人代表" if seat.is_representative else "评标专家",
            }
        )
        sign_in.append(
            {
                "workstation": seat.workstation.code,
                "expert_code": expert.code,
                "name": expert.name,
                "signed_in_at": _iso(seat.signed_in_at),
                "method": seat.sign_in_method,
                "method_label": _label(Seat.Method, seat.sign_in_method),
                "verified_by": _person(seat.verified_by),
                "verify_reason": seat.verify_reason,
                "declared_at": _iso(seat.declared_at),
            }
        )
    chair = next((r for r in rows if r["chair"]), None)
    return {
        "members": rows,
        "sign_in": sign_in,
        "chair": (
            {
                "workstation": chair["workstation"],
                "expert_code": chair["expert_code"],
                "name": chair["name"],
                "method": session.chair_method,
                "method_label": _label(ChairMethod, session.chair_method),
            }
            if chair
            else None
        ),
    }


def _criterion_row(c: Criterion) -> dict:
    return {"code": c.code, "name": c.name, "group": c.group, "max_score": _dec(c.max_score)}


def _review_outcome(result: BidResult | None, criterion: Criterion, votes: list) -> bool | None:
    """The committee's conclusion on one item: as the summary stored it, else the majority."""
    if result is not None:
        for key in (criterion.code, str(criterion.pk)):
            if key in (result.review or {}):
                return bool(result.review[key])
    cast = {str(i): v for i, v in enumerate(votes) if v is not None}
    if not cast:
        return None
    return evaluation_rules.review_outcomes({"b": {"i": cast}})["b"]["i"]


def _evaluation_parts(session: EvaluationSession, seats: list[Seat]) -> dict:
    bidders = list(session.section.bidders.in_evaluation().order_by("pk"))
    results = {r.bidder_id: r for r in BidResult.objects.filter(session=session)}
    criteria = list(Criterion.objects.filter(session=session).order_by("order", "code"))
    review_items = [c for c in criteria if c.stage == Stage.REVIEW]
    detailed_items = [c for c in criteria if c.stage == Stage.DETAILED]
    entries = ScoreEntry.objects.filter(
        sheet__session=session, sheet__seat__in=[s.pk for s in seats]
    ).exclude(sheet__status=ScoreSheet.Status.VOID)
    judged: dict[tuple[int, int, int], ScoreEntry] = {
        (e.sheet.seat_id, e.bidder_id, e.criterion_id): e for e in entries.select_related("sheet")
    }

    review = []
    for bidder in bidders:
        result = results.get(bidder.pk)
        rows = []
        for item in review_items:
            votes = []
            for seat in seats:
                entry = judged.get((seat.pk, bidder.pk, item.pk))
                votes.append(
                    {
                        "workstation": seat.workstation.code,
                        "passed": entry.passed if entry else None,
                        "note": entry.note if entry else "",
                    }
                )
            rows.append(
                {
                    "code": item.code,
                    "name": item.name,
                    "votes": votes,
                    "passed": _review_outcome(result, item, [v["passed"] for v in votes]),
                }
            )
        review.append(
            {
                "bidder": bidder.name,
                "rows": rows,
                "passed_review": result.passed_review if result else None,
            }
        )

    per_expert, totals = [], {}
    for seat in seats:
        rows = []
        for bidder in bidders:
            scores = [judged.get((seat.pk, bidder.pk, c.pk)) for c in detailed_items]
            values = [e.score for e in scores if e is not None and e.score is not None]
            total = sum(values, Decimal("0")) if values else None
            totals[(seat.pk, bidder.pk)] = total
            rows.append(
                {
                    "bidder": bidder.name,
                    "scores": [_dec(e.score) if e else None for e in scores],
                    "total": _dec(total),
                }
            )
        if detailed_items:
            per_expert.append(
                {
                    "workstation": seat.workstation.code,
                    "expert_code": seat.member.code,
                    "name": seat.member.name,
                    "rows": rows,
                }
            )

    def rank_key(bidder):
        result = results.get(bidder.pk)
        rank = result.rank if result and result.rank is not None else 10**6
        return (rank, bidder.pk)

    ranked = sorted(bidders, key=rank_key)
    summary, price, ranking = [], [], []
    for bidder in ranked:
        result = results.get(bidder.pk)
        row = {
            "bidder": bidder.name,
            "uscc": bidder.uscc,
            "passed_review": result.passed_review if result else None,
            "per_expert": [_dec(totals.get((s.pk, bidder.pk))) for s in seats]
            if detailed_items
            else [],
            "subjective": _dec(result.subjective) if result else None,
            "technical": _dec(result.technical) if result else None,
            "price_score": _dec(result.price_score) if result else None,
            "total": _dec(result.total) if result else None,
            "evaluated_price": _dec(result.evaluated_price) if result else None,
            "rank": result.rank if result else None,
            "candidate": bool(result and result.candidate),
        }
        summary.append(row)
        price.append(
            {
                "bidder": bidder.name,
                "bid_price": _dec(bidder.bid_price),
                "price_score": row["price_score"],
                "evaluated_price": row["evaluated_price"],
            }
        )
        if row["rank"] is not None:
            ranking.append(
                {
                    "rank": row["rank"],
                    "bidder": bidder.name,
                    "uscc": bidder.uscc,
                    "total": row["total"],
                    "evaluated_price": row["evaluated_price"],
                    "candidate": row["candidate"],
                }
            )
    candidates = [r for r in ranking if r["candidate"]]
    if len(candidates) > evaluation_rules.MAX_CANDIDATES:
        raise ConflictError("中标候选人不得超过 3 名（实施条例第五十三条），请核对汇总结果")
    return {
        "bidders": [
            {"name": b.name, "uscc": b.uscc, "bid_price": _dec(b.bid_price)} for b in bidders
        ],
        "criteria": {
            "review": [_criterion_row(c) for c in review_items],
            "detailed": [_criterion_row(c) for c in detailed_items],
        },
        "review": review,
        "scores": per_expert,
        "summary": summary,
        "price": price,
        "ranking": ranking,
        "candidates": candidates,
    }


def _notes_parts(session: EvaluationSession, seats: list[Seat]) -> dict:
    codes = {s.pk: (s.workstation.code, s.member.code) for s in seats}
    deviations = []
    for note in (
        DeviationNote.objects.filter(sheet__session=session, sheet__seat__in=list(codes))
        .exclude(sheet__status=ScoreSheet.Status.VOID)
        .select_related("sheet", "bidder", "criterion")
        .order_by("sheet__stage", "bidder_id", "criterion__order", "sheet__seat__workstation__code")
    ):
        workstation, expert_code = codes[note.sheet.seat_id]
        deviations.append(
            {
                "workstation": workstation,
                "expert_code": expert_code,
                "stage_label": _label(Stage, note.sheet.stage),
                "bidder": note.bidder.name,
                "criterion": f"{note.criterion.code} {note.criterion.name}"
                if note.criterion
                else "总分",
                "score": _dec(note.score),
                "mean": _dec(note.mean),
                "ratio": _dec(note.ratio),
                "explanation": note.explanation,
                "explained_at": _iso(note.explained_at),
            }
        )
    clarifications = [
        {
            "bidder": c.bidder.name,
            "asked_by": c.asked_by.workstation.code,
            "question": c.question,
            "asked_at": _iso(c.asked_at),
            "answer": c.answer,
            "answered_at": _iso(c.answered_at),
            "published_at": _iso(c.answer_reviewed_at),
        }
        for c in Clarification.objects.filter(
            session=session, status=Clarification.Status.PUBLISHED
        )
        .select_related("bidder", "asked_by__workstation")
        .order_by("asked_at", "pk")
    ]
    incidents = [
        {
            "centre": i.centre.name,
            "kind_label": i.get_kind_display(),
            "during_evaluation": i.during_evaluation,
            "pauses": i.pauses,
            "description": i.description,
            "started_at": _iso(i.started_at),
            "resolved_at": _iso(i.resolved_at),
            "resolution": i.resolution,
        }
        for i in Incident.objects.filter(session=session)
        .select_related("centre")
        .order_by("started_at", "pk")
    ]
    voided = [
        {
            "workstation": sheet.seat.workstation.code,
            "expert_code": sheet.seat.member.code,
            "stage_label": _label(Stage, sheet.stage),
            "reason": sheet.void_reason,
        }
        for sheet in ScoreSheet.objects.filter(session=session, status=ScoreSheet.Status.VOID)
        .select_related(
            "seat__workstation", "seat__outcome__expert", "seat__outcome__representative"
        )
        .order_by("seat__workstation__code", "stage")
    ]
    return {
        "deviations": deviations,
        "clarifications": clarifications,
        "incidents": incidents,
        "voided": voided,
    }


def build_snapshot(session: EvaluationSession) -> dict:
    """The report's content: plain JSON, in Chinese whatever the request's language."""
    seats = members(session)
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "schema": SCHEMA,
            **_project_part(session),
            "plan": _plan_part(session),
            **_member_parts(session, seats),
            **_evaluation_parts(session, seats),
            **_notes_parts(session, seats),
            "low_bids": _low_bids_part(session),
        }


# --- fees -----------------------------------------------------------------------------------


def _session_day(session: EvaluationSession) -> date:
    return timezone.localdate(session.starts_at)


def _fee_plan(session: EvaluationSession, seats: list[Seat]) -> list[Fee]:
    """Each member's fee (rules.fee_for, 就高不就低) with the standards in force on the session
    date; a missing standard is a ConflictError naming the centres."""
    day = _session_day(session)
    centres = {session.host_centre_id: session.host_centre}
    for seat in seats:
        centres.setdefault(seat.seating.centre_id, seat.seating.centre)
    standards, missing = {}, []
    for centre in centres.values():
        standard = standard_in_force(centre, day)
        if standard is None:
            missing.append(centre.name)
        else:
            standards[centre.code] = standard.amount
    if missing:
        raise ConflictError(
            f"以下交易中心尚未设置 {day:%Y-%m-%d} 适用的专家评审费标准：{'、'.join(missing)}。"
            "请先设置评审费标准，再生成或封存评标报告",
            code="fee_standard_missing",
        )
    host = session.host_centre
    rows = []
    for seat in seats:
        if seat.is_representative:
            continue  # paid by the tenderer, not an expert's fee (招标投标法 Art.37)
        centre = seat.seating.centre
        amount = rules.fee_for(centre.code, host.code, standards)
        if centre.pk == host.pk:
            basis = f"主场专家，按主场标准 {standards[host.code]} 元"
        else:
            basis = (
                f"客场专家，就高不就低：主场标准 {standards[host.code]} 元、"
                f"本中心标准 {standards[centre.code]} 元，取 {amount} 元"
            )
        rows.append(Fee(seat=seat, session=session, centre=centre, amount=amount, basis=basis))
    return rows


def fee_standard_set(
    *, actor, centre: Organisation, amount: Decimal, valid_from: date
) -> FeeStandard:
    """A centre's expert fee per session, effective from `valid_from` (set by that centre's
    admin; the view checks `bidding.set_fee_standard`). Fees already fixed do not change."""
    if centre.kind != Organisation.Kind.TRADING_CENTRE:
        raise DomainError("评审费标准只能由公共资源交易中心设置", field="centre")
    try:
        amount = Decimal(amount).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError("请填写金额", field="amount") from None
    if amount < 0 or amount > MAX_FEE:
        raise DomainError("评审费标准应在 0 至 99,999,999.99 元之间", field="amount")
    with transaction.atomic():
        previous = FeeStandard.objects.filter(centre=centre, valid_from=valid_from).first()
        standard, _ = FeeStandard.objects.update_or_create(
            centre=centre, valid_from=valid_from, defaults={"amount": amount}
        )
        audit_log(
            actor=actor,
            action="fee_standard.set",
            obj=standard,
            organisation=centre,
            detail={
                "amount": amount,
                "valid_from": valid_from,
                "previous": previous.amount if previous else None,
            },
        )
    return standard


# --- build, sign, seal ----------------------------------------------------------------------


def report_build(*, actor, session: EvaluationSession) -> Report:
    """Freeze the snapshot once the summary stage is closed and results exist (the view checks
    `bidding.manage_session`: host centre admin). Rebuilding replaces the snapshot until the
    first member has signed; after that it is a ConflictError."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        existing = Report.objects.select_for_update().filter(session=session).first()
        if existing is not None and (
            existing.status == Report.Status.SEALED or existing.signatures.exists()
        ):
            raise ConflictError("评标报告已开始签署，不能重新生成")
        if session.status != EvaluationSession.Status.IN_PROGRESS:
            raise ConflictError("评标未在进行中，不能生成评标报告")
        if not EvaluationStage.objects.filter(
            session=session, stage=Stage.SUMMARY, status=EvaluationStage.Status.CLOSED
        ).exists():
            raise ConflictError("汇总阶段尚未结束，不能生成评标报告")
        if not BidResult.objects.filter(session=session).exists():
            raise ConflictError("尚无评标结果，不能生成评标报告")
        seats = members(session)
        if not seats:
            raise ConflictError("评标委员会没有成员")
        _fee_plan(session, seats)  # fail now rather than at the last signature
        content = build_snapshot(session)
        digest = content_hash(content)
        now = timezone.now()
        if existing is None:
            report = Report.objects.create(
                session=session, content=content, content_sha256=digest, built_at=now
            )
            action, detail = "report.build", {"content_sha256": digest}
        else:
            report = existing
            previous = report.content_sha256
            report.content, report.content_sha256, report.built_at = content, digest, now
            report.save(update_fields=["content", "content_sha256", "built_at"])
            action, detail = "report.rebuild", {"content_sha256": digest, "previous": previous}
        detail["members"] = len(seats)
        audit_log(
            actor=actor,
            action=action,
            obj=report,
            organisation=session.host_centre,
            detail=detail,
        )
    return report


def _position_text(signature: Signature) -> str:
    return str(Signature.Position(signature.position).label)


def _record(
    *,
    actor,
    report: Report,
    seat: Seat,
    signed: bool,
    reason: str,
    recorded_by,
    action: str,
) -> Signature:
    """Record one member's position under the report's row lock; seal when it is the last."""
    if report.status != Report.Status.SIGNING:
        raise ConflictError("评标报告已封存")
    seats = members(report.session)
    if seat.pk not in {s.pk for s in seats}:
        raise ConflictError("该专家不是本评标委员会成员（或其评审结论已作废）")
    if Signature.objects.filter(report=report, seat=seat).exists():
        raise ConflictError("该成员已签署或已记录拒签")
    position = rules.signature_outcome(signed, reason)
    signature = Signature.objects.create(
        report=report,
        seat=seat,
        signed=signed,
        position=position,
        dissent_reason=reason if position == Signature.Position.DISSENT else "",
        recorded_by=recorded_by,
        at=timezone.now(),
    )
    audit_log(
        actor=actor,
        action=action,
        obj=report,
        organisation=report.session.host_centre,
        detail={
            "workstation": seat.workstation.code,
            "signed": signed,
            "position": position,
            "reason": signature.dissent_reason,
            "content_sha256": report.content_sha256,
        },
    )
    positioned = set(report.signatures.values_list("seat_id", flat=True))
    if positioned >= {s.pk for s in seats}:
        _seal(actor=actor, report=report, seats=seats)
    return signature


def _lock(report_filter: dict) -> Report:
    report = (
        Report.objects.select_for_update()
        .select_related("session__host_centre", "session__section__project")
        .filter(**report_filter)
        .first()
    )
    if report is None:
        raise ConflictError("评标报告尚未生成")
    return report


def report_sign(*, actor, seat: Seat, agree: bool, dissent_reason: str = "") -> Signature:
    """The member at the workstation signs: agreeing, or dissenting with written reasons
    (实施条例 Art.53); a dissent without a reason is refused."""
    reason = (dissent_reason or "").strip()
    if not agree and not reason:
        raise DomainError(
            "不同意评标结论的，须书面说明不同意见和理由（实施条例第五十三条）",
            field="dissent_reason",
        )
    with transaction.atomic():
        report = _lock({"session_id": seat.outcome.session_id})
        return _record(
            actor=actor,
            report=report,
            seat=seat,
            signed=True,
            reason="" if agree else reason,
            recorded_by=None,
            action="report.sign",
        )


def report_record_refusal(*, actor, report: Report, seat: Seat, reason: str = "") -> Signature:
    """The host centre admin records that a member refuses to sign (实施条例 Art.53): with a
    written reason it is a dissent; without one (a blank one is none) it counts as agreement,
    recorded as DEEMED_AGREE (拒签且未说明理由，视为同意)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        report = _lock({"pk": report.pk})
        if seat.outcome.session_id != report.session_id:
            raise ConflictError("该专家不是本评标委员会成员（或其评审结论已作废）")
        return _record(
            actor=actor,
            report=report,
            seat=seat,
            signed=False,
            reason=reason,
            recorded_by=actor,
            action="report.refusal",
        )


def _lift_secrecy(*, actor, session: EvaluationSession) -> None:
    """The sealed report settles the result: the session closes, the member list is no longer
    secret and the draw proofs are published (`draw.services.proof_is_public`)."""
    session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
    if session.secrecy_lifted_at is not None and session.status == EvaluationSession.Status.CLOSED:
        return
    session.status = EvaluationSession.Status.CLOSED
    session.secrecy_lifted_at = session.secrecy_lifted_at or timezone.now()
    session.save(update_fields=["status", "secrecy_lifted_at"])
    DrawOutcome.objects.filter(session=session, status=DrawOutcome.Status.WAITING).update(
        status=DrawOutcome.Status.UNUSED
    )
    audit_log(
        actor=actor,
        action="session.close",
        obj=session,
        organisation=session.host_centre,
        detail={"by": "report.seal", "secrecy_lifted_at": session.secrecy_lifted_at},
    )


def _seal(*, actor, report: Report, seats: list[Seat]) -> None:
    """Every member has a position: fix the fees (checked first), render the PDF and sign it
    (each member who signed, then the centre's seal: `signing.signed_pdf`), store it, put both
    hashes in the audit chain, lift secrecy (draw proofs become public)."""
    session = report.session
    fee_rows = _fee_plan(session, seats)
    report.status = Report.Status.SEALED
    report.sealed_at = timezone.now()
    pdf = signing.signed_pdf(actor=actor, report=report, html=render_html(report, seal=True))
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.pdf.save(
        f"report-{session.pk}-{report.content_sha256[:12]}.pdf", ContentFile(pdf), save=False
    )
    report.save(update_fields=["status", "sealed_at", "pdf", "pdf_sha256"])
    positions = Counter(report.signatures.values_list("position", flat=True))
    audit_log(
        actor=actor,
        action="report.seal",
        obj=report,
        organisation=session.host_centre,
        detail={
            "content_sha256": report.content_sha256,
            "pdf_sha256": report.pdf_sha256,
            "positions": dict(sorted(positions.items())),
            "members": len(seats),
            "pdf_signatures": report.signatures.filter(signed=True).count() + 1,
        },
    )
    _lift_secrecy(actor=actor, session=session)
    Fee.objects.bulk_create(fee_rows)
    audit_log(
        actor=actor,
        action="fee.fix",
        obj=session,
        organisation=session.host_centre,
        detail={
            "fees": [
                {
                    "workstation": f.seat.workstation.code,
                    "centre": f.centre.code,
                    "amount": f.amount,
                }
                for f in fee_rows
            ],
            "total": sum((f.amount for f in fee_rows), Decimal("0")),
        },
    )


# --- PDF ------------------------------------------------------------------------------------


def render_html(
    report: Report, *, draft: bool = False, identify: bool = True, seal: bool = False
) -> str:
    """The report's printed form; `identify=False` for a reader who may not identify the
    committee (`unidentified`: 评委N instead of code and name); `seal` reserves the slot where
    the centre's seal is drawn (the signed file, `signing.signed_pdf`)."""
    content = report.content if identify else unidentified(report.content)
    labels = member_labels(report.content)
    board = [
        {
            "workstation": row["seat"].workstation.code,
            "name": row["seat"].member.name
            if identify
            else labels.get(row["seat"].workstation.code, ""),
            "centre": row["seat"].seating.centre.name,
            "signature": row["signature"],
            "position": _position_text(row["signature"]) if row["signature"] else "",
            "recorded_by": _person(row["signature"].recorded_by) if row["signature"] else None,
        }
        for row in signature_board(report)
    ]
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "bidding/report_print.html",
            {
                "r": display(content),
                "report": report,
                "board": board,
                "draft": draft,
                "seal_anchor": signing.SEAL_ANCHOR if seal else "",
            },
        )


def render_pdf(report: Report, *, draft: bool = False, identify: bool = True) -> bytes:
    """The report in the official look (A4; 仿宋/宋体 falling back to the Noto CJK fonts)."""
    from weasyprint import HTML

    return HTML(string=render_html(report, draft=draft, identify=identify)).write_pdf()


# --- conduct rating -------------------------------------------------------------------------


def _rater_role(actor, session: EvaluationSession) -> str:
    project = session.section.project
    grants = grants_of(actor)
    if project.supervising_department_id in grants.org_ids(Role.SUPERVISOR):
        return Role.SUPERVISOR
    if project.tenderer_id in grants.org_ids(Role.TENDERER):
        return Role.TENDERER
    raise DomainError("只有本项目的行政监督部门或招标人可以评价专家履职", code="forbidden")


def rating_record(*, actor, seat: Seat, score: int, note: str = "") -> ConductRating:
    """The supervising department's supervisor or the tenderer rates one member's conduct
    (1–5) after the report is sealed; one rating per rater per member."""
    session = seat.outcome.session
    note = (note or "").strip()
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError("评价应为 1 至 5 的整数", field="score")
    if len(note) > 500:
        raise DomainError("评价说明不能超过500个字", field="note")
    role = _rater_role(actor, session)
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(session=session).first()
        if report is None or report.status != Report.Status.SEALED:
            raise ConflictError("评标报告封存后才能评价专家履职")
        if seat.pk not in set(report.signatures.values_list("seat_id", flat=True)):
            raise ConflictError("该专家不是本评标委员会成员")
        if ConductRating.objects.filter(seat=seat, rater=actor).exists():
            raise ConflictError("您已评价过该专家")
        rating = ConductRating.objects.create(
            seat=seat, rater=actor, rater_role=role, score=score, note=note, at=timezone.now()
        )
        project = session.section.project
        audit_log(
            actor=actor,
            action="rating.record",
            obj=rating,
            organisation=project.supervising_department
            if role == Role.SUPERVISOR
            else project.tenderer,
            detail={"workstation": seat.workstation.code, "score": score, "role": role},
        )
    return rating


def report_preview_document(*, actor, report: Report, identify: bool = True) -> GeneratedDocument:
    """The draft PDF (watermarked 草稿) before sealing, rendered on the task queue: the one of
    the report's current content, ready or being made (`qinqing.core.documents`); with
    `identify` false, members as 评委N (a reader who may not identify the committee yet)."""
    if report.status == Report.Status.SEALED:
        raise ConflictError("评标报告已封存，请下载封存版")
    return document_request(
        actor=actor,
        renderer="qinqing.core.documents.pdf_from_html",
        params={"html": render_html(report, draft=True, identify=identify)},
        filename=f"evaluation-report-{report.session_id}-draft"
        f"{'' if identify else '-unidentified'}.pdf",
        content_type="application/pdf",
    )


def report_preview_audit(*, actor, report: Report) -> None:
    """Names appear in the draft, so every draft handed out is audited (the view lets only
    centre admins and supervisors preview)."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="report.preview",
            obj=report,
            organisation=report.session.host_centre,
            detail={"content_sha256": report.content_sha256},
        )
