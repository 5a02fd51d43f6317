"""Bankruptcy reconciliation API (mounted at /api/v1/bankruptcy/): cases, claims, ballots, tally.

The appointed administrator reviews claims, drafts the agreement and records payments; the
court approves the agreement. Errors are 4xx JSON: domain rules 400/409 (``DomainError``),
another party's object 404, a role without the action 403, malformed input 422.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import AgendaItem, Agreement, AgreementTerm, Case, Claim, Meeting
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import idempotent
from qinqing.core.models import Organisation
from qinqing.core.permissions import get_visible_or_404, grants_of, require
from qinqing.core.roles import Role

router = Router(tags=["bankruptcy"])


class DeadlineOut(Schema):
    label: str
    article: str
    due: date
    done_on: date | None
    state: str
    estimated: bool = Field(
        description="期限落在节假日安排尚未录入的年度，按周一至周五估算（录入后自动重算）"
    )


class CaseOut(Schema):
    id: int
    number: str
    debtor: str
    procedure: str
    status: str
    fast_track: bool
    acceptance_date: date
    announcement_date: date | None
    declaration_end: date | None
    approval_date: date | None
    closed_date: date | None


class CaseDetailOut(CaseOut):
    deadlines: list[DeadlineOut]


def _case_out(case: Case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "debtor": case.debtor.name,
        "procedure": case.procedure,
        "status": case.status,
        "fast_track": case.fast_track,
        "acceptance_date": case.acceptance_date,
        "announcement_date": case.announcement_date,
        "declaration_end": case.declaration_end,
        "approval_date": case.approval_date,
        "closed_date": case.closed_date,
    }


class ClaimIn(Schema):
    principal: Decimal
    interest: Decimal = Decimal("0")
    other: Decimal = Decimal("0")
    nature: str = Field(
        "",
        description="债权细分：空 一般；tax_late_fee 税款滞纳金（普通债权）；penalty 罚款、罚金（劣后）",
    )
    secured: bool = False
    collateral_value: Decimal = Decimal("0")
    waived_priority: bool = False
    phone: str = ""


class ClaimOut(Schema):
    id: int
    creditor: str
    rank: str
    principal: Decimal
    interest: Decimal
    other: Decimal
    declared: Decimal
    secured: bool
    nature: str
    status: str
    admitted_amount: Decimal | None
    late: bool
    filed_on: date


def _claim_out(claim) -> dict:
    return {
        "id": claim.pk,
        "creditor": claim.creditor.name,
        "rank": claim.rank,
        "principal": claim.principal,
        "interest": claim.interest,
        "other": claim.other,
        "declared": claim.declared_amount,
        "secured": claim.secured,
        "nature": claim.nature,
        "status": claim.status,
        "admitted_amount": claim.admitted_amount,
        "late": claim.late,
        "filed_on": claim.filed_on,
    }


class BallotIn(Schema):
    vote: str
    creditor_id: int | None = None


class BallotOut(Schema):
    item: int
    creditor: str
    vote: str


class SignInIn(Schema):
    creditor_id: int | None = None
    proxy_name: str = ""


class SignedInOut(Schema):
    creditor: str
    signed_in_at: str = Field(
        description="签到时间（ISO 8601，含微秒）", json_schema_extra={"format": "date-time"}
    )


class VotingBasesOut(Schema):
    item: str
    unsecured_total: str = Field(
        description="无财产担保债权总额：有表决权者（出席与否）计入的金额之和"
    )
    confirmed_part: str = Field(description="其中法院裁定确认的债权")
    provisional_part: str = Field(description="其中法院临时确定的表决额（第59条第2款）")
    present_total: str = Field(description="出席且有表决权的债权人计入的金额")
    secured_shortfall_part: str = Field(description="其中有担保债权的担保物不足清偿部分（第110条）")
    secured_covered_excluded: str = Field(description="不计入：有担保债权的担保物可清偿部分")
    unconfirmed_excluded: str = Field(description="不计入：未确认且无临时表决额的债权")
    voters_with_vote: int
    voters_present: int


class TallyOut(Schema):
    item: str
    passed: bool
    present_voters: int
    yes_voters: int
    heads_required: int
    heads_margin: int
    heads_passed: bool
    yes_amount: str
    unsecured_total: str
    required_share: str
    required_amount_display: str
    amount_margin_display: str
    amount_passed: bool
    excluded: list[list[str]]
    yes_share: str | None = Field(None, description="同意额 ÷ 无财产担保债权总额（分数），不超过 1")
    bases: VotingBasesOut | None = None
    final: bool


class BasisLineOut(Schema):
    key: str
    label: str
    amount: Decimal
    note: str


class CaseBasesOut(Schema):
    case: int
    lines: list[BasisLineOut]
    items: list[dict] = Field(
        description="各表决事项：id、title、kind 与计票基数（同 tally.bases）"
    )


@router.get("/cases", response=list[CaseOut], summary="我可查看的破产案件")
def case_list(request):
    require(request.user, "bankruptcy.view_case")
    return [_case_out(c) for c in selectors.cases(user=request.user)]


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="案件及其法定期限")
def case_detail(request, case_id: int):
    case = get_visible_or_404(
        request.user, "bankruptcy.view_case", Case.objects.select_related("debtor"), pk=case_id
    )
    return {
        **_case_out(case),
        "deadlines": [d.__dict__ for d in selectors.case_deadlines(case)],
    }


@router.get("/cases/{case_id}/claims", response=list[ClaimOut], summary="债权（债权人只见自己的）")
def claim_list(request, case_id: int):
    case = get_visible_or_404(request.user, "bankruptcy.view_case", Case.objects.all(), pk=case_id)
    return [_claim_out(c) for c in selectors.claims_for(user=request.user, case=case)]


def _creditor_org(user) -> Organisation:
    org = Organisation.objects.filter(pk__in=grants_of(user).direct_org_ids(Role.CREDITOR)).first()
    if org is None:
        raise PermissionDenied
    return org


@router.post("/cases/{case_id}/claims", response={201: ClaimOut}, summary="债权人在线申报债权")
def claim_create(request, case_id: int, payload: ClaimIn):
    case = get_visible_or_404(request.user, "bankruptcy.file_claim", Case.objects.all(), pk=case_id)
    org = _creditor_org(request.user)
    claim = services.claim_file(
        actor=request.user,
        case=case,
        creditor_name=org.name,
        organisation=org,
        principal=payload.principal,
        interest=payload.interest,
        other=payload.other,
        nature=payload.nature,
        secured=payload.secured,
        collateral_value=payload.collateral_value,
        waived_priority=payload.waived_priority,
        phone=payload.phone,
    )
    return Status(201, _claim_out(claim))


def _item(request, item_id: int) -> AgendaItem:
    meeting = get_visible_or_404(
        request.user,
        "bankruptcy.view_meeting",
        Meeting.objects.all(),
        pk=AgendaItem.objects.filter(pk=item_id).values("meeting_id")[:1],
    )
    return AgendaItem.objects.select_related("meeting").get(pk=item_id, meeting=meeting)


def _own_creditor(request, case_id: int, creditor_id: int | None):
    own = selectors.own_creditors(user=request.user).filter(case_id=case_id)
    if creditor_id is not None:
        return get_visible_or_404(request.user, "bankruptcy.vote", own, pk=creditor_id)
    require(request.user, "bankruptcy.vote")
    creditors = list(own[:2])
    if len(creditors) != 1:
        raise DomainError(
            "请指定以哪个债权人身份表决" if creditors else "您不是本案债权人",
            field="creditor_id",
            code="creditor",
        )
    return creditors[0]


@router.post("/meetings/{meeting_id}/sign-in", response=SignedInOut, summary="在线签到")
@idempotent
def sign_in(request, meeting_id: int, payload: SignInIn):
    meeting = get_visible_or_404(
        request.user, "bankruptcy.view_meeting", Meeting.objects.all(), pk=meeting_id
    )
    creditor = _own_creditor(request, meeting.case_id, payload.creditor_id)
    attendance = services.attendance_sign_in(
        actor=request.user, meeting=meeting, creditor=creditor, proxy_name=payload.proxy_name
    )
    return {"creditor": creditor.name, "signed_in_at": attendance.signed_in_at.isoformat()}


@router.post("/items/{item_id}/ballots", response={201: BallotOut}, summary="对表决事项投票")
@idempotent
def ballot_create(request, item_id: int, payload: BallotIn):
    item = _item(request, item_id)
    creditor = _own_creditor(request, item.meeting.case_id, payload.creditor_id)
    ballot = services.ballot_cast(
        actor=request.user, item=item, creditor=creditor, vote=payload.vote
    )
    return Status(201, {"item": item.pk, "creditor": creditor.name, "vote": ballot.vote})


@router.get("/items/{item_id}/tally", response=TallyOut, summary="计票结果（两项检验及差额）")
def item_tally(request, item_id: int):
    item = _item(request, item_id)
    if not selectors.is_case_staff(request.user, item.meeting.case) and item.is_open:
        raise DomainError("表决结束后公布结果", code="not_closed", field="item_id")
    return {**selectors.item_result(item), "final": not item.is_open}


@router.get(
    "/cases/{case_id}/bases",
    response=CaseBasesOut,
    summary="金额口径：债权表各项合计与各表决事项的计票基数（与各页面一致）",
)
def case_bases(request, case_id: int):
    case = _staff_case(request, "bankruptcy.assess_case", case_id)
    bases = selectors.case_bases(case)
    return {
        "case": case.pk,
        "lines": [
            {
                "key": line.key,
                "label": str(line.label),
                "amount": line.amount,
                "note": str(line.note),
            }
            for line in bases.lines
        ],
        "items": [
            {"id": item.pk, "title": item.title, "kind": item.kind, "bases": b}
            for item, b in bases.items
        ],
    }


# --------------------------------------------------------------------------------------------
# The administrator's and the court's actions
# --------------------------------------------------------------------------------------------


def _staff_case(request, action: str, case_pk) -> Case:
    """The case for a staff action: 403 for a role without it, 404 for a case not one's own."""
    require(request.user, action)
    return get_visible_or_404(request.user, action, Case.objects.all(), pk=case_pk)


class ReviewIn(Schema):
    admitted_amount: Decimal | None  # None: not admitted (rejected), with the reason
    reason: str


@router.post("/claims/{claim_id}/review", response=ClaimOut, summary="管理人审查债权")
def claim_review(request, claim_id: int, payload: ReviewIn):
    case_pk = Claim.objects.filter(pk=claim_id).values("case_id")[:1]
    case = _staff_case(request, "bankruptcy.administer_case", case_pk)
    claim = Claim.objects.select_related("creditor", "case").get(pk=claim_id, case=case)
    claim = services.claim_review(
        actor=request.user,
        claim=claim,
        admitted_amount=payload.admitted_amount,
        reason=payload.reason,
    )
    return _claim_out(claim)


class PlanIn(Schema):
    rate: Decimal
    paid_in_full_up_to: Decimal | None = None
    progressive: bool = True
    kind: str = Agreement.Kind.COURT
    summary: str = ""


class TermOut(Schema):
    id: int
    creditor: str
    confirmed_amount: Decimal
    agreed_amount: Decimal
    tier: str
    paid: Decimal


class AgreementOut(Schema):
    id: int
    case: int
    kind: str
    status: str
    approved_on: date | None
    completed_on: date | None
    terms: list[TermOut]


def _agreement_out(request, agreement: Agreement) -> dict:
    terms = selectors.terms_for(user=request.user, agreement=agreement)
    return {
        "id": agreement.pk,
        "case": agreement.case_id,
        "kind": agreement.kind,
        "status": agreement.status,
        "approved_on": agreement.approved_on,
        "completed_on": agreement.completed_on,
        "terms": [
            {
                "id": t.pk,
                "creditor": t.creditor.name,
                "confirmed_amount": t.confirmed_amount,
                "agreed_amount": t.agreed_amount,
                "tier": t.tier,
                "paid": sum((p.amount for p in t.payments.all()), Decimal("0.00")),
            }
            for t in terms
        ],
    }


@router.post(
    "/cases/{case_id}/agreements",
    response={201: AgreementOut},
    summary="管理人录入和解协议草案（统一比例，或小额债权全额清偿档）",
)
def agreement_create(request, case_id: int, payload: PlanIn):
    case = _staff_case(request, "bankruptcy.administer_case", case_id)
    agreement = services.agreement_draft_by_plan(
        actor=request.user,
        case=case,
        plan=rules.OfferPlan(
            rate=payload.rate,
            paid_in_full_up_to=payload.paid_in_full_up_to,
            progressive=payload.progressive,
        ),
        summary=payload.summary[:2000],
        kind=payload.kind,
    )
    return Status(201, _agreement_out(request, agreement))


@router.get("/agreements/{agreement_id}", response=AgreementOut, summary="和解协议及条款")
def agreement_detail(request, agreement_id: int):
    agreement = get_visible_or_404(
        request.user, "bankruptcy.view_agreement", Agreement.objects.all(), pk=agreement_id
    )
    return _agreement_out(request, agreement)


class ApproveIn(Schema):
    on: date


@router.post(
    "/agreements/{agreement_id}/approve", response=AgreementOut, summary="法院裁定认可和解协议"
)
def agreement_approve(request, agreement_id: int, payload: ApproveIn):
    case_pk = Agreement.objects.filter(pk=agreement_id).values("case_id")[:1]
    case = _staff_case(request, "bankruptcy.manage_case", case_pk)
    agreement = Agreement.objects.get(pk=agreement_id, case=case)
    agreement = services.agreement_approve(actor=request.user, agreement=agreement, on=payload.on)
    return _agreement_out(request, agreement)


class PaymentIn(Schema):
    amount: Decimal
    paid_on: date
    reference: str = ""


class PaymentOut(Schema):
    id: int
    term: int
    amount: Decimal
    paid_on: date
    reference: str


@router.post(
    "/terms/{term_id}/payments", response={201: PaymentOut}, summary="管理人登记和解协议清偿款"
)
@idempotent
def payment_create(request, term_id: int, payload: PaymentIn):
    case_pk = AgreementTerm.objects.filter(pk=term_id).values("agreement__case_id")[:1]
    case = _staff_case(request, "bankruptcy.administer_case", case_pk)
    term = AgreementTerm.objects.select_related("agreement__case", "creditor").get(
        pk=term_id, agreement__case=case
    )
    payment = services.payment_record(
        actor=request.user,
        term=term,
        amount=payload.amount,
        paid_on=payload.paid_on,
        reference=payload.reference,
    )
    return Status(
        201,
        {
            "id": payment.pk,
            "term": term.pk,
            "amount": payment.amount,
            "paid_on": payment.paid_on,
            "reference": payment.reference,
        },
    )


class CommitteeMemberOut(Schema):
    id: int
    name: str
    kind: str = Field(description="creditor 债权人代表；employee 职工代表；union 工会代表")
    creditor: str | None


class FormerMemberOut(CommitteeMemberOut):
    removed_on: date
    removed_by: str = Field(
        description="meeting 债权人会议决议更换（第61条第1款第8项）；court 法院撤销认可（第67条第2款）"
    )
    reason: str
    replaced_by: str | None


class CommitteeVoteOut(Schema):
    member: str
    vote: str
    dissent: str
    signed: bool


class CommitteeDecisionOut(Schema):
    id: int
    subject: str
    matter: str
    decided_on: date
    members_in_office: int
    yes: int
    no: int
    abstain: int
    passed: bool = Field(description="同意票多于全体委员的一半（司法解释三第14条）")
    votes: list[CommitteeVoteOut]


class Art69ReportOut(Schema):
    id: int
    act: str
    act_label: str
    description: str
    act_date: date
    reported_on: date
    reported_to: str = Field(description="committee 债权人委员会；court 人民法院（第69条第2款）")
    late: bool = Field(description="未提前十日书面报告（司法解释三第15条）")
    acknowledged_on: date | None


class CommitteeOut(Schema):
    case: int
    exists: bool
    chosen_on: date | None
    approved_on: date | None = Field(description="法院书面决定认可日（第67条第2款）")
    members: list[CommitteeMemberOut] = Field(description="现任委员")
    former_members: list[FormerMemberOut] = Field(description="已更换或撤销的委员")
    decisions: list[CommitteeDecisionOut]
    reports: list[Art69ReportOut]


@router.get(
    "/cases/{case_id}/committee",
    response=CommitteeOut,
    summary="债权人委员会：成员、决议与管理人报告的第69条行为（法官、管理人、委员）",
)
def case_committee(request, case_id: int):
    require(request.user, "bankruptcy.view_committee")
    case = selectors.committee_case(request.user, case_id)
    view = selectors.committee_view(request.user, case)
    c = view.committee
    return {
        "case": case.pk,
        "exists": c is not None,
        "chosen_on": c.chosen_on if c else None,
        "approved_on": c.approved_on if c else None,
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "kind": m.kind,
                "creditor": m.creditor.name if m.creditor else None,
            }
            for m in view.members
        ],
        "former_members": [
            {
                "id": m.pk,
                "name": m.name,
                "kind": m.kind,
                "creditor": m.creditor.name if m.creditor else None,
                "removed_on": m.removed_on,
                "removed_by": m.removed_by,
                "reason": m.removal_reason,
                "replaced_by": getattr(getattr(m, "replacement", None), "name", None),
            }
            for m in view.former
        ],
        "decisions": [
            {
                "id": d.pk,
                "subject": d.subject,
                "matter": d.matter,
                "decided_on": d.decided_on,
                "members_in_office": d.members_in_office,
                "yes": d.yes,
                "no": d.no,
                "abstain": d.abstain,
                "passed": d.passed,
                "votes": [
                    {
                        "member": v.member.name,
                        "vote": v.vote,
                        "dissent": v.dissent,
                        "signed": v.signed_at is not None,
                    }
                    for v in d.votes.all()
                ],
            }
            for d in view.decisions
        ],
        "reports": [
            {
                "id": r.pk,
                "act": r.act,
                "act_label": r.get_act_display(),
                "description": r.description,
                "act_date": r.act_date,
                "reported_on": r.reported_on,
                "reported_to": r.reported_to,
                "late": r.late,
                "acknowledged_on": r.acknowledged_on,
            }
            for r in view.reports
        ],
    }
