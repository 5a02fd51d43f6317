"""Writes of the bankruptcy module: every state change, validated, saved and audited.

The law and the maths are in ``rules``; these functions check the state, call the rules, save
and append to the audit chain in one transaction. Dates of facts are parameters (``on=``) so a
court can record what happened on the day it happened (and the demo can record history).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from qinqing.bankruptcy import rules, selectors
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Art69Report,
    Assessment,
    Attendance,
    Ballot,
    Case,
    CaseDecision,
    Claim,
    ClaimEvidence,
    Committee,
    CommitteeDecision,
    CommitteeMember,
    CommitteeVote,
    Creditor,
    FastTrackProfile,
    Installment,
    Meeting,
    Payment,
    Proxy,
    normalise_case_number,
    validate_case_number,
)
from qinqing.core import calendar, otp
from qinqing.core.audit import audit_log
from qinqing.core.calendar import next_working_day
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Notification, OneTimeCode, Organisation, RoleGrant
from qinqing.core.notifier import notification_send
from qinqing.core.permissions import grants_of
from qinqing.core.roles import Role

ZERO = Decimal("0.00")
REVIEWED_STATUSES = (Claim.Status.ADMITTED, Claim.Status.CONFIRMED, Claim.Status.DISPUTED)
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


# The case's facts the fast-track profile looks at, recorded with the assessment.
CASE_FAST_TRACK_FACTS = (
    "pending_proceedings",
    "books_taken_over",
    "enforcement_transfer",
    "licence_revoked",
    "forced_liquidation_done",
    "parties_agree",
    "assets_hard_to_realise",
    "special_debtor",
    "stability_risk",
)


def _today() -> date:
    return timezone.localdate()


# What a money column holds (`models.money_field`: 18 digits, 2 of them after the point).
MONEY_LIMIT = Decimal(10) ** 16


def money(value, field: str, *, allow_zero: bool = True) -> Decimal:
    """Parse a money amount (yuan, at most two decimals, below `MONEY_LIMIT`) or raise
    ``DomainError`` on ``field``."""
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise DomainError("金额格式不正确", field=field)
    if abs(amount) >= MONEY_LIMIT:  # also keeps the quantize below within decimal's precision
        raise DomainError("金额超出可登记的范围", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError("金额必须大于零" if not allow_zero else "金额不能为负数", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("金额最多精确到分", field=field)
    return amount.quantize(Decimal("0.01"))


def _rule(fn, *args, field: str | None = None, **kwargs):
    try:
        return fn(*args, **kwargs)
    except rules.RuleError as exc:
        raise DomainError(str(exc), field=field) from None


def _audit(actor, action: str, obj, case: Case, **detail) -> None:
    audit_log(actor=actor, action=action, obj=obj, organisation=case.court, detail=detail)


def _locked(obj):
    """Re-read ``obj`` in place under a row lock held until the transaction ends (call it
    inside ``transaction.atomic()``): what a service checks (a state, a sum, a limit) is then
    what it changes. Returns ``obj``."""
    obj.refresh_from_db(from_queryset=type(obj).objects.select_for_update())
    return obj


def _require_open(case: Case) -> None:
    if case.closed_date is not None:
        raise ConflictError("案件已结案，不能再变更", code="closed")


def creditor_users(creditor: Creditor) -> list:
    """The accounts that speak for a creditor: its filing account and its organisation's creditors."""
    users = {}
    if creditor.user_id:
        users[creditor.user_id] = creditor.user
    if creditor.organisation_id:
        for grant in RoleGrant.objects.filter(
            organisation_id=creditor.organisation_id, role=Role.CREDITOR
        ).select_related("user"):
            users[grant.user_id] = grant.user
    return list(users.values())


def _notify_creditor(actor, creditor: Creditor, subject: str, body: str) -> int:
    sent = 0
    for user in creditor_users(creditor):
        notification_send(actor=actor, channel="in_app", subject=subject, body=body, recipient=user)
        sent += 1
    if not sent and creditor.phone:
        notification_send(
            actor=actor, channel="sms", subject=subject, body=body, address=creditor.phone
        )
        sent += 1
    return sent


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


def fast_track_profile_default(*, actor, court: Organisation) -> FastTrackProfile:
    """The court's default fast-track profile, created from the Hubei example on first use."""
    profile = FastTrackProfile.objects.filter(court=court, is_default=True).first()
    if profile is None:
        hubei = rules.HUBEI_FAST_TRACK
        with transaction.atomic():
            profile = FastTrackProfile.objects.create(
                court=court,
                name=hubei.name,
                max_creditors=hubei.max_creditors,
                max_amount=hubei.max_amount,
                **{f"trigger_{key}": key in hubei.triggers for key in rules.FAST_TRACK_TRIGGERS},
                **{
                    f"exclude_{key}": key in hubei.exclusions for key in rules.FAST_TRACK_EXCLUSIONS
                },
                time_limit_months=hubei.time_limit_months,
                extension_allowed=hubei.extension_allowed,
                ruling_working_days=hubei.ruling_working_days,
                is_default=True,
            )
            audit_log(
                actor=actor,
                action="fast_track_profile.create",
                obj=profile,
                organisation=court,
                detail={"name": profile.name},
            )
    return profile


def case_create(
    *,
    actor,
    number: str,
    court: Organisation,
    debtor: Organisation,
    judge,
    petition_date: date,
    acceptance_date: date,
    petitioner: str = Case.Petitioner.DEBTOR,
    procedure: str = Case.Procedure.RECONCILIATION,
    administrator: Organisation | None = None,
    clerk=None,
    is_demo: bool = False,
) -> Case:
    """Register an accepted case. ``is_demo``: a fictional case recorded by the demo loader
    (``demo.py``), marked as such wherever its figures are shown."""
    number = normalise_case_number(number)
    try:
        validate_case_number(number)
    except ValidationError:
        raise DomainError("案号格式应为“（2024）鄂0111破1号”", field="number") from None
    if Case.objects.filter(number=number).exists():
        raise DomainError("该案号已登记", field="number")
    if court.kind != Organisation.Kind.COURT:
        raise DomainError("受理机构必须是法院", field="court")
    if debtor.kind != Organisation.Kind.FIRM:
        raise DomainError("债务人必须是企业", field="debtor")
    if administrator is not None and administrator.kind not in (
        Organisation.Kind.FIRM,
        Organisation.Kind.AGENCY,
    ):
        raise DomainError("管理人应为律师事务所、会计师事务所等中介机构", field="administrator")
    if acceptance_date < petition_date:
        raise DomainError("受理日不能早于申请日", field="acceptance_date")
    if procedure not in Case.Procedure.values:
        raise DomainError("未知的程序", field="procedure")
    if petitioner not in Case.Petitioner.values:
        raise DomainError("未知的申请人类型", field="petitioner")
    if procedure == Case.Procedure.RECONCILIATION and petitioner != Case.Petitioner.DEBTOR:
        raise DomainError("破产和解只能由债务人申请（第95条）", field="petitioner")
    if Case.objects.filter(debtor=debtor, closed_date=None).exists():
        raise DomainError("该债务人已有未结的破产案件", field="debtor")
    profile = fast_track_profile_default(actor=actor, court=court)
    try:
        with transaction.atomic():
            return _case_insert(
                actor,
                profile,
                number=number,
                court=court,
                debtor=debtor,
                judge=judge,
                clerk=clerk,
                administrator=administrator,
                procedure=procedure,
                petitioner=petitioner,
                petition_date=petition_date,
                acceptance_date=acceptance_date,
                is_demo=bool(is_demo),
            )
    except IntegrityError:  # a concurrent request registered the same number
        raise DomainError("该案号已登记", field="number") from None


def _case_insert(actor, profile: FastTrackProfile, **fields) -> Case:
    case = Case.objects.create(status=Case.Status.ACCEPTED, fast_track_profile=profile, **fields)
    administrator = fields.get("administrator")
    _audit(
        actor,
        "case.create",
        case,
        case,
        number=case.number,
        debtor=case.debtor.name,
        acceptance_date=case.acceptance_date,
        administrator=administrator.name if administrator else None,
        **({"demo": True} if case.is_demo else {}),
    )
    return case


def case_appoint_administrator(*, actor, case: Case, administrator: Organisation) -> Case:
    """Art.13: the court appoints the administrator when it accepts the case."""
    _require_open(case)
    with transaction.atomic():
        case.administrator = administrator
        case.save(update_fields=["administrator"])
        _audit(actor, "case.appoint_administrator", case, case, administrator=administrator.name)
    return case


def case_announce(*, actor, case: Case, announcement_date: date, declaration_end: date) -> Case:
    """Art.14 announcement and Art.45 declaration period (30 days to 3 months)."""
    if announcement_date < case.acceptance_date:
        raise DomainError("公告日不能早于受理日", field="announcement_date")
    _rule(
        rules.validate_declaration_period_end,
        announcement_date,
        declaration_end,
        field="declaration_end",
    )
    notice_due = rules.creditor_notification_due(
        case.acceptance_date, next_working_day=next_working_day
    )
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        if case.announcement_date is not None:
            raise ConflictError("本案已公告", code="announced")
        case.announcement_date = announcement_date
        case.declaration_end = declaration_end
        case.status = Case.Status.DECLARING
        case.save(update_fields=["announcement_date", "declaration_end", "status"])
        _audit(
            actor,
            "case.announce",
            case,
            case,
            announcement_date=announcement_date,
            declaration_end=declaration_end,
            art14_due=notice_due,
            art14_late=announcement_date > notice_due,
        )
    return case


def case_decide(*, actor, case: Case, kind: str, decided_on: date, reason: str) -> CaseDecision:
    """Record a track or procedure decision; earlier steps stay valid."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明决定理由", field="reason")
    if kind not in CaseDecision.Kind.values:
        raise DomainError("未知的决定类型", field="kind")
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        fields: list[str] = []
        if kind == CaseDecision.Kind.FAST_TRACK_ON:
            if case.fast_track:
                raise ConflictError("本案已适用快审")
            result = selectors.fast_track_result(case)
            if result is None:
                raise DomainError("请先完成涉企经济影响评估，再决定是否适用快审", field="kind")
            if not result.eligible:
                raise DomainError("不符合快审条件：" + "；".join(result.reasons), field="kind")
            case.fast_track, fields = True, ["fast_track"]
        elif kind == CaseDecision.Kind.FAST_TRACK_OFF:
            if not case.fast_track:
                raise ConflictError("本案未适用快审")
            case.fast_track, fields = False, ["fast_track"]
        elif kind == CaseDecision.Kind.TO_LIQUIDATION:
            # Art.99: the agreement is not adopted or not approved → the procedure ends and the
            # debtor is declared bankrupt (an approved agreement in default goes through Art.104).
            if case.procedure == Case.Procedure.LIQUIDATION:
                raise ConflictError("本案已是破产清算程序")
            if case.agreements.filter(status=Agreement.Status.APPROVED).exists():
                raise ConflictError("和解协议执行中，不执行协议的应依第104条终止协议")
            case.procedure, case.status = Case.Procedure.LIQUIDATION, Case.Status.BANKRUPT
            fields = ["procedure", "status"]
        else:
            if case.procedure == Case.Procedure.RECONCILIATION:
                raise ConflictError("本案已是破产和解程序")
            case.procedure, fields = Case.Procedure.RECONCILIATION, ["procedure"]
        case.save(update_fields=fields)
        if kind == CaseDecision.Kind.TO_LIQUIDATION:
            case.agreements.filter(status=Agreement.Status.DRAFT).update(
                status=Agreement.Status.TERMINATED,
                terminated_on=decided_on,
                termination_reason=f"第99条：{reason}",
            )
        decision = CaseDecision.objects.create(
            case=case, kind=kind, decided_on=decided_on, reason=reason, decided_by=actor or None
        )
        _audit(
            actor, "case.decide", decision, case, kind=kind, decided_on=decided_on, reason=reason
        )
        return decision


SETTINGS = ("secured_shortfall_votes", "priority_claims", "administrator_fee_rate")
PRIORITY_CHOICES = ("outside", "inside")


def case_settings_update(*, actor, case: Case, **values) -> Case:
    """The court's per-case readings (docs/bankruptcy.md "Settings"), audited with the old and
    new values:

    - ``secured_shortfall_votes`` (default False, the literal Art.59 para.3): whether a secured
      creditor that has not waived votes on the agreement with the part its collateral will not
      cover (Art.110). Fixed once a reconciliation vote has opened.
    - ``priority_claims`` ("outside", default: employee and tax claims are paid in full outside
      the agreement, checked at approval; "inside": the agreement pays them in full). Fixed
      once a draft exists.
    - ``administrator_fee_rate`` (default None: the upper limits of SPC 管理人报酬规定 Art.2):
      the percentage the court fixed, 0 to 12.
    """
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise DomainError(f"未知的设置项：{', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    changes: dict = {}
    if "secured_shortfall_votes" in values:
        changes["secured_shortfall_votes"] = bool(values["secured_shortfall_votes"])
    if "priority_claims" in values:
        if values["priority_claims"] not in PRIORITY_CHOICES:
            raise DomainError("未知的职工和税款债权处理方式", field="priority_claims")
        changes["priority_claims"] = values["priority_claims"]
    if "administrator_fee_rate" in values:
        raw = values["administrator_fee_rate"]
        rate = None if raw in (None, "") else money(raw, "administrator_fee_rate")
        if rate is not None and rate > Decimal("12"):
            raise DomainError(
                "管理人报酬比例不能超过12%（规定第2条的最高档）", field="administrator_fee_rate"
            )
        changes["administrator_fee_rate"] = rate
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        changed = {k: v for k, v in changes.items() if getattr(case, k) != v}
        if not changed:
            return case
        if (
            "secured_shortfall_votes" in changed
            and AgendaItem.objects.filter(meeting__case=case, kind=AgendaItem.Kind.RECONCILIATION)
            .filter(Q(is_open=True) | Q(closed_on__isnull=False))
            .exists()
        ):
            raise ConflictError(
                "和解协议已开始表决，不能再变更有担保债权人的表决口径", code="vote_started"
            )
        if (
            "priority_claims" in changed
            and case.agreements.exclude(status__in=Agreement.ENDED).exists()
        ):
            raise ConflictError(
                "已有和解协议草案，不能再变更职工和税款债权的处理方式", code="agreement_exists"
            )
        before = {k: _plain(getattr(case, k)) for k in changed}
        for key, value in changed.items():
            setattr(case, key, value)
        case.save(update_fields=list(changed))
        _audit(
            actor,
            "case.settings",
            case,
            case,
            before=before,
            after={k: _plain(v) for k, v in changed.items()},
        )
    return case


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


ASSESSMENT_MONEY = (
    "tax_paid_last_year",
    "average_monthly_wage",
    "assets_book",
    "assets_appraised",
    "assets_liquidation",
    "costs_estimate",
    "common_benefit_estimate",
)


def assessment_record(
    *, actor, case: Case, assessed_on: date | None = None, **values
) -> Assessment:
    """涉企经济影响评估: record the structured facts; the report is computed from them."""
    _require_open(case)
    data = {}
    for name in ASSESSMENT_MONEY:
        data[name] = money(values.get(name, 0), name)
    try:
        data["employees"] = int(values.get("employees", 0))
    except (TypeError, ValueError):
        raise DomainError("职工人数须为整数", field="employees") from None
    if data["employees"] < 0:
        raise DomainError("职工人数不能为负数", field="employees")
    trend = values.get("revenue_trend", Assessment.Trend.STABLE)
    if trend not in Assessment.Trend.values:
        raise DomainError("未知的营业收入趋势", field="revenue_trend")
    facts = {name: bool(values.get(name, getattr(case, name))) for name in CASE_FAST_TRACK_FACTS}
    with transaction.atomic():
        assessment = Assessment.objects.create(
            case=case,
            revenue_trend=trend,
            guarantees=str(values.get("guarantees", "")),
            industry_role=str(values.get("industry_role", "")),
            assessed_on=assessed_on or _today(),
            assessed_by=actor if getattr(actor, "is_authenticated", False) else None,
            **data,
        )
        for name, value in facts.items():
            setattr(case, name, value)
        case.save(update_fields=list(facts))
        _audit(
            actor,
            "assessment.record",
            assessment,
            case,
            **{k: str(v) for k, v in data.items()},
            **facts,
        )
    return assessment


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


def _creditor_for(case: Case, *, name: str, organisation=None, user=None, phone="") -> Creditor:
    """The case's creditor row for this filer: by organisation, else by exact name. A row
    recorded by name only (paper or Excel filing) is linked to the organisation whose official
    name it bears, so the organisation's creditor accounts then see it."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写债权人名称", field="creditor_name")
    creditor = None
    if organisation is not None:
        creditor = Creditor.objects.filter(case=case, organisation=organisation).first()
    if creditor is None:
        creditor = Creditor.objects.filter(case=case, name=name).first()
        if creditor is not None and organisation is not None:
            if creditor.organisation_id is not None:
                raise DomainError("同名债权人已由其他机构申报", field="creditor_name")
            creditor.organisation = organisation
            creditor.save(update_fields=["organisation"])
    if creditor is None:
        try:
            with transaction.atomic():
                creditor = Creditor.objects.create(
                    case=case, name=name, organisation=organisation, user=user, phone=phone
                )
        except IntegrityError:  # a concurrent filing created it first
            creditor = Creditor.objects.get(case=case, name=name)
    if user is not None and creditor.user_id is None:
        creditor.user = user
        creditor.save(update_fields=["user"])
    if phone and not creditor.phone:
        creditor.phone = phone
        creditor.save(update_fields=["phone"])
    return creditor


def _check_evidence(files: Iterable) -> list:
    """Evidence files within 10 MB whose content is what their name says (PDF, JPEG, PNG by
    their first bytes, ``rules.evidence_check``): a text file named ``.pdf`` is refused."""
    checked = []
    for upload in files or ():
        if upload.size > MAX_EVIDENCE_BYTES:
            raise DomainError("证据文件不能超过 10 MB", field="evidence")
        content_type = getattr(upload, "content_type", "") or ""
        if content_type and content_type not in EVIDENCE_TYPES:
            raise DomainError("证据文件只接受 PDF、JPG、PNG", field="evidence")
        upload.seek(0)
        head = upload.read(rules.EVIDENCE_HEAD_BYTES)
        upload.seek(0)
        _rule(rules.evidence_check, upload.name or "", head, field="evidence")
        checked.append(upload)
    return checked


def _refuse_duplicate(creditor: Creditor, claim: rules.FiledClaim) -> None:
    """Refuse a claim that repeats one of the creditor's claims still under review
    (``rules.duplicate_of``); the creditor row is locked, so two identical filings at once
    cannot both pass."""
    earlier = {
        c.pk: c
        for c in Claim.objects.filter(creditor=creditor, status=Claim.Status.FILED).order_by("pk")
    }
    filed = {
        pk: rules.FiledClaim(
            c.principal, c.interest, c.other, c.rank, c.nature, c.secured, pending=True
        )
        for pk, c in earlier.items()
    }
    repeated = rules.duplicate_of(claim, filed.values())
    if repeated is None:
        return
    first = earlier[next(pk for pk, f in filed.items() if f is repeated)]
    raise ConflictError(
        f"{creditor.name}已于{first.filed_on.year}年{first.filed_on.month}月{first.filed_on.day}日申报过金额相同的同一笔债权"
        f"（{first.declared_amount} 元），正在审查中，请勿重复申报。"
        "如需补充证据或更正金额，请联系管理人。",
        code="duplicate_claim",
    )


def claim_file(
    *,
    actor,
    case: Case,
    creditor_name: str,
    principal,
    interest=0,
    other=0,
    rank: str = Claim.Rank.ORDINARY,
    nature: str = Claim.Nature.GENERAL,
    secured: bool = False,
    collateral_value=0,
    waived_priority: bool = False,
    organisation: Organisation | None = None,
    phone: str = "",
    filed_on: date | None = None,
    evidence: Sequence = (),
) -> Claim:
    """Art.49 declaration (amount split, secured or not, evidence); late ones flagged (Art.56).
    None once the court has approved an agreement (Art.98, Art.100(3), Art.105:
    `selectors.filing_bar`). Refused: the same claim again while the first is under review,
    evidence whose content is not the PDF/JPEG/PNG its name says, a secured claim without a
    collateral value above zero. A tax late fee is filed as an ordinary claim
    (``rules.liquidation_class``)."""
    bar = selectors.filing_bar(case)
    if bar is not None:
        raise ConflictError(bar, code="agreement_approved")
    _require_open(case)
    if case.announcement_date is None:
        raise ConflictError("本案尚未公告，暂不能申报债权", code="not_announced")
    if rank not in Claim.Rank.values:
        raise DomainError("未知的债权性质", field="rank")
    if rank == Claim.Rank.EMPLOYEE:
        raise DomainError("职工债权无需申报，由管理人调查后列出（第48条）", field="rank")
    if nature not in Claim.Nature.values or nature == Claim.Nature.COURT_SUBORDINATED:
        raise DomainError("未知的债权细分（法院裁定劣后的债权由法院标注）", field="nature")
    if nature == Claim.Nature.TAX_LATE_FEE:
        rank = Claim.Rank.ORDINARY  # 法释〔2012〕9号: late fees are ordinary claims
    amounts = {
        "principal": money(principal, "principal"),
        "interest": money(interest, "interest"),
        "other": money(other, "other"),
    }
    if sum(amounts.values()) <= 0:
        raise DomainError("申报金额必须大于零", field="principal")
    collateral = ZERO
    if secured:
        if collateral_value in (None, "") or money(collateral_value, "collateral_value") <= 0:
            raise DomainError(
                "有财产担保的债权须填写担保物的价值（大于零）；没有担保物的请取消“有财产担保”",
                field="collateral_value",
            )
        collateral = money(collateral_value, "collateral_value")
    filed_on = filed_on or _today()
    if filed_on < case.announcement_date:
        raise DomainError("申报日不能早于公告日", field="filed_on")
    evidence = _check_evidence(evidence)
    user = actor if getattr(actor, "is_authenticated", False) else None
    # the filing account speaks for the creditor only when it is a creditor's own account
    speaker = user if user is not None and grants_of(user).has(Role.CREDITOR) else None
    late = bool(case.declaration_end and filed_on > case.declaration_end)
    with transaction.atomic():
        creditor = _locked(
            _creditor_for(
                case, name=creditor_name, organisation=organisation, user=speaker, phone=phone
            )
        )
        _refuse_duplicate(
            creditor,
            rules.FiledClaim(
                amounts["principal"],
                amounts["interest"],
                amounts["other"],
                rank,
                nature,
                bool(secured),
                pending=True,
            ),
        )
        claim = Claim.objects.create(
            case=case,
            creditor=creditor,
            rank=rank,
            nature=nature,
            secured=bool(secured),
            collateral_value=collateral,
            waived_priority=bool(secured and waived_priority),
            late=late,
            filed_on=filed_on,
            filed_by=user,
            **amounts,
        )
        for upload in evidence:
            ClaimEvidence.objects.create(claim=claim, file=upload, name=upload.name[:200])
        _audit(
            actor,
            "claim.file",
            claim,
            case,
            creditor=creditor.name,
            declared=claim.declared_amount,
            secured=claim.secured,
            late=late,
            evidence=len(evidence),
        )
    return claim


def claim_list_employee(
    *,
    actor,
    case: Case,
    employee_name: str,
    amount,
    listed_on: date | None = None,
    senior_manager: bool = False,
    wage_months=None,
) -> Claim:
    """Art.48: the administrator lists employee claims (no declaration); employees may object.
    A director's, supervisor's or senior manager's wages (``senior_manager``) are listed with
    the months owed: in liquidation only the wage at the firm's average counts as an employee
    claim, the rest is ordinary (Art.113 para.3, ``rules.senior_manager_wage_split``)."""
    _require_open(case)
    value = money(amount, "amount", allow_zero=False)
    months = None
    if senior_manager:
        try:
            months = Decimal(str(wage_months).strip()) if wage_months not in (None, "") else None
        except (InvalidOperation, ValueError):
            months = None
        if months is None or not months.is_finite() or not 0 < months <= 999:
            raise DomainError(
                "董事、监事和高级管理人员的工资须填写欠薪月数（大于零），"
                "以便按职工平均工资计算（第113条第3款）",
                field="wage_months",
            )
        if months != months.quantize(Decimal("0.1")):
            raise DomainError("欠薪月数最多保留一位小数", field="wage_months")
    with transaction.atomic():
        creditor = _creditor_for(case, name=employee_name)
        claim = Claim.objects.create(
            case=case,
            creditor=creditor,
            rank=Claim.Rank.EMPLOYEE,
            principal=value,
            status=Claim.Status.ADMITTED,
            admitted_amount=value,
            review_reason="管理人调查后列出（第48条）",
            senior_manager=bool(senior_manager),
            wage_months=months,
            filed_on=listed_on or _today(),
            filed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "claim.list_employee",
            claim,
            case,
            employee=creditor.name,
            amount=value,
            senior_manager=bool(senior_manager),
            wage_months=months,
        )
    return claim


def claim_subordinate(*, actor, claim: Claim, reason: str) -> Claim:
    """The court orders an ordinary claim subordinated (劣后债权, 法〔2018〕53号 §28: e.g. a
    claim of a related party that abused its control): paid only after every ordinary claim,
    no vote on the agreement and no term in it."""
    _require_open(claim.case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明裁定劣后清偿的理由", field="reason")
    with transaction.atomic():
        _locked(claim)
        if claim.rank != Claim.Rank.ORDINARY:
            raise ConflictError("只有普通债权可以裁定劣后清偿")
        if claim.nature == Claim.Nature.COURT_SUBORDINATED:
            raise ConflictError("该债权已裁定劣后清偿")
        if claim.case.agreements.exclude(status__in=Agreement.ENDED).exists():
            raise ConflictError("已有和解协议（草案），请先终止草案再裁定劣后清偿")
        previous = claim.nature
        claim.nature = Claim.Nature.COURT_SUBORDINATED
        claim.review_reason = (claim.review_reason + f"；法院裁定劣后清偿：{reason}").strip("；")
        claim.save(update_fields=["nature", "review_reason"])
        _audit(actor, "claim.subordinate", claim, claim.case, reason=reason, previous=previous)
    return claim


def claim_object(*, actor, claim: Claim, text: str, via: str = "") -> Claim:
    """An objection to a reviewed claim (Art.48 for employees, Art.58 for the claims table);
    `via` as for `payment_confirm_receipt`."""
    _require_open(claim.case)
    text = (text or "").strip()
    if not text:
        raise DomainError("请写明异议内容", field="objection")
    with transaction.atomic():
        _locked(claim)
        if claim.status not in (Claim.Status.ADMITTED, Claim.Status.REJECTED):
            raise ConflictError("只能对已审查的债权提出异议")
        claim.objection = text[:2000]
        claim.save(update_fields=["objection"])
        detail = {"via": via} if via else {}
        _audit(actor, "claim.object", claim, claim.case, objection=claim.objection, **detail)
    return claim


def claim_review(*, actor, claim: Claim, admitted_amount, reason: str) -> Claim:
    """Art.57: the administrator reviews a declared claim, with reasons (``None`` = rejected)."""
    _require_open(claim.case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明审查理由", field="reason")
    if admitted_amount in (None, ""):
        status, amount = Claim.Status.REJECTED, None
    else:
        amount = money(admitted_amount, "admitted_amount")
        if amount > claim.declared_amount:
            raise DomainError("确认金额不能超过申报金额", field="admitted_amount")
        status = Claim.Status.ADMITTED if amount > 0 else Claim.Status.REJECTED
    with transaction.atomic():
        _locked(claim)  # the court's confirmation (`claims_confirm`) is not overwritten
        if claim.status not in (Claim.Status.FILED, Claim.Status.ADMITTED, Claim.Status.REJECTED):
            raise ConflictError("法院已裁定的债权不能再审查")
        claim.status, claim.admitted_amount, claim.review_reason = status, amount, reason
        claim.save(update_fields=["status", "admitted_amount", "review_reason"])
        _audit(
            actor, "claim.review", claim, claim.case, status=status, amount=amount, reason=reason
        )
        _notify_creditor(
            actor,
            claim.creditor,
            f"{claim.case.number} 债权审查结果",
            f"您申报的债权 {claim.declared_amount} 元："
            + (f"确认 {amount} 元" if status == Claim.Status.ADMITTED else "不予确认")
            + f"。理由：{reason}。如有异议，可向管理人提出（第58条）。",
        )
    return claim


def claims_table_publish(*, actor, case: Case, on: date | None = None) -> Case:
    """Art.57: the claims table is drawn up once every declared claim has been reviewed."""
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        pending = case.claims.filter(status=Claim.Status.FILED).count()
        if pending:
            raise ConflictError(f"尚有 {pending} 笔债权未审查，不能编制债权表")
        case.claims_table_published_on = on or _today()
        case.save(update_fields=["claims_table_published_on"])
        _audit(actor, "case.claims_table", case, case, on=case.claims_table_published_on)
    return case


def claim_set_provisional(*, actor, claim: Claim, amount) -> Claim:
    """Art.59 para.2: the court fixes a provisional amount for voting on an unconfirmed claim."""
    _require_open(claim.case)
    value = None if amount in (None, "") else money(amount, "provisional_amount")
    with transaction.atomic():
        _locked(claim)
        if claim.status == Claim.Status.CONFIRMED:
            raise ConflictError("已确认的债权按确认金额表决，无需临时确定")
        claim.provisional_amount = value
        claim.save(update_fields=["provisional_amount"])
        _audit(actor, "claim.provisional", claim, claim.case, amount=value)
    return claim


def claims_confirm(*, actor, case: Case, on: date | None = None) -> dict[str, int]:
    """Art.58: the claims table checked at the first meeting; undisputed claims confirmed by the
    court, claims with an objection marked disputed (the objector may sue)."""
    admitted = case.claims.filter(status=Claim.Status.ADMITTED)
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        if case.claims_table_published_on is None:
            raise ConflictError("尚未编制债权表")
        disputed = admitted.exclude(objection="").update(status=Claim.Status.DISPUTED)
        confirmed = admitted.filter(objection="").update(status=Claim.Status.CONFIRMED)
        _audit(
            actor,
            "case.claims_confirm",
            case,
            case,
            on=on or _today(),
            confirmed=confirmed,
            disputed=disputed,
        )
    return {"confirmed": confirmed, "disputed": disputed}


# --------------------------------------------------------------------------------------------
# Creditors' meetings
# --------------------------------------------------------------------------------------------


def meeting_schedule(
    *,
    actor,
    case: Case,
    date: date,
    notice_date: date,
    items: Sequence[tuple[str, str]],
    kind: str = Meeting.Kind.FIRST,
    online: bool = True,
) -> Meeting:
    """Call a meeting with 15 days' notice (Art.63); the first within 15 days after the
    declaration period ends (Art.62). Known creditors are notified."""
    _require_open(case)
    if case.declaration_end is None:
        raise ConflictError("本案尚未公告债权申报期限")
    if not rules.meeting_notice_sufficient(notice_date, date):
        raise DomainError(
            f"应于会议召开十五日前通知债权人（最迟 {rules.latest_meeting_notice_date(date)}，第63条）",
            field="notice_date",
        )
    if kind == Meeting.Kind.FIRST:
        due = rules.first_meeting_due(case.declaration_end, next_working_day=next_working_day)
        if not case.declaration_end < date <= due:
            raise DomainError(
                f"第一次债权人会议应在债权申报期限届满后十五日内召开（{case.declaration_end} 之后、"
                f"{due} 之前，第62条）",
                field="date",
            )
    if not items:
        raise DomainError("请至少列出一项表决事项", field="items")
    for title, item_kind in items:
        if item_kind not in AgendaItem.Kind.values or not title.strip():
            raise DomainError("表决事项不完整或表决规则未知", field="items")
    with transaction.atomic():
        _locked(case)
        if kind == Meeting.Kind.FIRST and case.meetings.filter(kind=Meeting.Kind.FIRST).exists():
            raise ConflictError("第一次债权人会议已召集")
        meeting = Meeting.objects.create(
            case=case, kind=kind, date=date, notice_date=notice_date, online=online
        )
        for title, item_kind in items:
            AgendaItem.objects.create(meeting=meeting, title=title.strip(), kind=item_kind)
        case.status = Case.Status.MEETING
        case.save(update_fields=["status"])
        _audit(
            actor,
            "meeting.schedule",
            meeting,
            case,
            date=date,
            notice_date=notice_date,
            items=[title for title, _ in items],
        )
        for creditor in case.creditors.exclude(claims__rank=Claim.Rank.EMPLOYEE).distinct():
            _notify_creditor(
                actor,
                creditor,
                f"{case.number} 债权人会议通知",
                f"{meeting.get_kind_display()}定于 {date} 召开，"
                + ("可在线签到和表决。" if online else "请按时参会。"),
            )
    return meeting


def meeting_request(*, actor, case: Case, creditors: Sequence[Creditor]) -> Decimal:
    """Creditors holding at least 1/4 of all claims require a further meeting (Art.62 para.2).

    The total counts every reviewed claim, secured included. The request is audited and the
    administrator notified; returns the requesting creditors' claims.
    """

    _require_open(case)
    claims = [
        c for c in case.claims.filter(status__in=REVIEWED_STATUSES) if selectors.claim_basis(c)
    ]
    ids = {c.pk for c in creditors if c.case_id == case.pk}
    if not ids:
        raise DomainError("请指定提议的债权人", field="creditors")
    requesting = sum((selectors.claim_basis(c) for c in claims if c.creditor_id in ids), ZERO)
    total = sum((selectors.claim_basis(c) for c in claims), ZERO)
    if not _rule(rules.meeting_request_sufficient, requesting, total):
        raise DomainError(
            f"提议债权人的债权额 {requesting} 元不足债权总额 {total} 元的四分之一（第62条）",
            field="creditors",
        )
    with transaction.atomic():
        _audit(
            actor,
            "meeting.request",
            case,
            case,
            creditors=sorted(ids),
            requesting=requesting,
            total=total,
        )
        if case.administrator_id:
            for grant in RoleGrant.objects.filter(
                organisation_id=case.administrator_id, role=Role.ADMINISTRATOR
            ).select_related("user"):
                notification_send(
                    actor=actor,
                    channel="in_app",
                    recipient=grant.user,
                    subject=f"{case.number} 债权人提议召开债权人会议",
                    body=f"提议债权人合计债权 {requesting} 元，占债权总额 {total} 元的四分之一以上。",
                )
    return requesting


def meeting_open(*, actor, meeting: Meeting) -> Meeting:
    with transaction.atomic():
        _locked(meeting)
        if meeting.status != Meeting.Status.SCHEDULED:
            raise ConflictError("会议不在待召开状态")
        meeting.status = Meeting.Status.OPEN
        meeting.save(update_fields=["status"])
        meeting.items.update(is_open=True)
        _audit(actor, "meeting.open", meeting, meeting.case)
    return meeting


def proxy_register(
    *, actor, creditor: Creditor, user, name: str, authorised_on: date | None = None
) -> Proxy:
    """Register a creditor's agent (power of attorney received by the administrator). The
    agent's account needs the creditor role (at its own organisation, e.g. a law firm)."""
    _require_open(creditor.case)
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写代理人姓名", field="name")
    if user is None or not grants_of(user).has(Role.CREDITOR):
        raise DomainError("代理人须持有债权人角色的账号", field="username")
    with transaction.atomic():
        _locked(creditor)
        if Proxy.objects.filter(creditor=creditor, user=user).exists():
            raise ConflictError("该代理人已登记")
        proxy = Proxy.objects.create(
            creditor=creditor,
            user=user,
            name=name[:100],
            authorised_on=authorised_on or _today(),
            registered_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "proxy.register",
            proxy,
            creditor.case,
            creditor=creditor.name,
            proxy=proxy.name,
            username=user.get_username(),
        )
    return proxy


def attendance_sign_in(
    *,
    actor,
    meeting: Meeting,
    creditor: Creditor,
    proxy_name: str = "",
    online: bool = True,
    at=None,
    via: str = "",
) -> Attendance:
    """Sign in (in person or online, SPC Interp. III Art.11), optionally through a proxy.
    ``via`` records how an account-less creditor was identified (e.g. a masked phone).
    A repeated (or concurrent) sign-in returns the first: the meeting row is locked, so the
    check and the insert are one step, and the close waits for it."""
    if creditor.case_id != meeting.case_id:
        raise DomainError("该债权人不属于本案", field="creditor")
    proxy = (
        Proxy.objects.filter(creditor=creditor, user=actor).first()
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if proxy is not None and not proxy_name:
        proxy_name = proxy.name
    with transaction.atomic():
        _locked(meeting)
        if meeting.status != Meeting.Status.OPEN:
            raise ConflictError("会议未开始或已结束，不能签到")
        existing = Attendance.objects.filter(meeting=meeting, creditor=creditor).first()
        if existing is not None:
            return existing
        attendance = Attendance.objects.create(
            meeting=meeting,
            creditor=creditor,
            signed_in_at=at or timezone.now(),
            online=online,
            proxy_name=(proxy_name or "").strip()[:100],
            signed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "meeting.sign_in",
            attendance,
            meeting.case,
            creditor=creditor.name,
            proxy=attendance.proxy_name,
            online=online,
            via=via,
        )
    return attendance


def ballot_cast(
    *, actor, item: AgendaItem, creditor: Creditor, vote: str, at=None, via: str = ""
) -> Ballot:
    """A signed-in creditor with a vote on the item casts (or changes) its ballot. The item's
    row is locked while the ballot is checked and stored, and the close takes the same lock:
    a ballot is either in the stored result or refused, never accepted after the close."""

    if vote not in Ballot.Vote.values:
        raise DomainError("表决意见应为同意、不同意或弃权", field="vote")
    with transaction.atomic():
        # only the item's row: the close locks the meeting first, then its items
        item = (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .get(pk=item.pk)
        )
        meeting = item.meeting
        if meeting.status != Meeting.Status.OPEN or not item.is_open:
            raise ConflictError("该事项不在表决中", code="not_open")
        if creditor.case_id != meeting.case_id:
            raise DomainError("该债权人不属于本案", field="creditor")
        if not Attendance.objects.filter(meeting=meeting, creditor=creditor).exists():
            raise ConflictError("请先签到再表决", code="not_signed_in")
        voter = selectors.voter_for(creditor, present=True, vote=None)
        reason = (
            None
            if voter is None
            else rules.exclusion_reason(
                item.kind,
                voter,
                secured_votes_shortfall=meeting.case.secured_shortfall_votes,
            )
        )
        if voter is None or reason is not None:
            messages = {
                rules.SECURED_NOT_WAIVED: "有财产担保且未放弃优先受偿权的债权人对和解协议不享有表决权（第59条）",
                rules.SECURED_FULLY_COVERED: "担保物足以清偿您的有财产担保债权，没有不足清偿的部分可以对和解协议表决（第59条、第110条）",
                rules.UNCONFIRMED_NO_PROVISIONAL: "债权尚未确定且法院未临时确定债权额，不享有表决权（第59条）",
            }
            raise DomainError(messages.get(reason, "该债权人对本事项不享有表决权"), field="vote")
        cast_by = actor if getattr(actor, "is_authenticated", False) else None
        ballot = Ballot.objects.filter(item=item, creditor=creditor).first()
        previous = ballot.vote if ballot is not None else ""
        if previous == vote:  # the same vote again changes nothing
            return ballot
        if ballot is None:
            ballot = Ballot.objects.create(
                item=item,
                creditor=creditor,
                vote=vote,
                cast_at=at or timezone.now(),
                cast_by=cast_by,
            )
        else:
            ballot.previous_vote, ballot.vote = ballot.vote, vote
            ballot.changes += 1
            ballot.cast_at, ballot.cast_by = at or timezone.now(), cast_by
            ballot.save(update_fields=["previous_vote", "vote", "changes", "cast_at", "cast_by"])
        _audit(
            actor,
            "meeting.vote",
            ballot,
            meeting.case,
            item=item.pk,
            creditor=creditor.name,
            vote=vote,
            changed=bool(previous),
            previous=previous,
            via=via,
        )
    return ballot


def item_close(*, actor, item: AgendaItem, on: date | None = None) -> AgendaItem:
    """Close the vote and store the statutory tally (Art.97 or Art.64), counted under the
    item's row lock (see `ballot_cast`)."""

    with transaction.atomic():
        _locked(item)
        if not item.is_open:
            raise ConflictError("该事项已结束表决")
        result = selectors.item_tally(item)
        item.is_open = False
        item.passed = result.passed
        item.result = selectors.tally_as_dict(result)
        item.closed_on = on or item.meeting.date
        item.save(update_fields=["is_open", "passed", "result", "closed_on"])
        _audit(actor, "meeting.item_close", item, item.meeting.case, **item.result)
    return item


def meeting_close(*, actor, meeting: Meeting, on: date | None = None) -> Meeting:
    with transaction.atomic():
        _locked(meeting)  # waits for sign-ins in progress
        if meeting.status != Meeting.Status.OPEN:
            raise ConflictError("会议不在进行中")
        # Every open item is locked before the first audit entry (which locks the chain's
        # head): a ballot holding an item's lock then waits for nothing the close holds.
        items = list(meeting.items.select_for_update().filter(is_open=True).order_by("pk"))
        for item in items:
            item_close(actor=actor, item=item, on=on)
        meeting.status = Meeting.Status.CLOSED
        meeting.save(update_fields=["status"])
        _audit(actor, "meeting.close", meeting, meeting.case)
    return meeting


def meeting_results_send(*, actor, meeting: Meeting, on: date | None = None) -> int:
    """Tell every creditor that took part the results within 3 days (SPC Interp. III Art.11)."""
    on = on or _today()
    due = rules.results_due(meeting.date, next_working_day=next_working_day)
    with transaction.atomic():
        _locked(meeting)
        if meeting.status != Meeting.Status.CLOSED:
            raise ConflictError("会议结束后才能告知表决结果")
        if meeting.results_sent_on is not None:
            raise ConflictError("表决结果已告知")
        lines = []
        for item in meeting.items.all():
            result = item.result or {}
            lines.append(
                f"{item.title}：{'通过' if item.passed else '未通过'}（出席有表决权 "
                f"{result.get('present_voters', 0)} 人，同意 {result.get('yes_voters', 0)} 人；"
                f"同意债权额 {result.get('yes_amount', '0')} 元，应达 "
                f"{result.get('required_amount_display', '0')} 元）"
            )
        body = "\n".join(lines)
        creditors = Creditor.objects.filter(attendances__meeting=meeting).distinct()
        sent = sum(
            _notify_creditor(actor, c, f"{meeting.case.number} 表决结果", body) for c in creditors
        )
        meeting.results_sent_on = on
        meeting.save(update_fields=["results_sent_on"])
        _audit(
            actor,
            "meeting.results_send",
            meeting,
            meeting.case,
            on=on,
            due=due,
            late=on > due,
            sent=sent,
        )
    return sent


# --------------------------------------------------------------------------------------------
# Agreements
# --------------------------------------------------------------------------------------------


def agreement_draft(
    *,
    actor,
    case: Case,
    offers: Sequence[tuple[Creditor, object, str]],
    summary: str = "",
    kind: str = Agreement.Kind.COURT,
) -> Agreement:
    """A draft agreement (Art.95) with each creditor's agreed amount against its confirmed
    unsecured claim (computed from the claims table)."""

    _require_open(case)
    if kind not in Agreement.Kind.values:
        raise DomainError("未知的协议类型", field="kind")
    if not offers:
        raise DomainError("请为每个债权人列明清偿额", field="offers")
    rows = []
    for creditor, amount, tier in offers:
        if creditor.case_id != case.pk:
            raise DomainError("债权人不属于本案", field="offers")
        confirmed = selectors.agreement_claim(creditor)
        agreed = money(amount, "offers")
        if agreed > confirmed:
            raise DomainError(
                f"{creditor.name} 的清偿额 {agreed} 超过其确认的无财产担保债权 {confirmed}",
                field="offers",
            )
        priority = selectors.priority_amount(creditor) if case.priority_claims == "inside" else ZERO
        if agreed < priority:
            raise DomainError(
                f"{creditor.name} 的职工债权和税款 {priority} 元须全额列入协议", field="offers"
            )
        rows.append((creditor, confirmed, agreed, tier, priority))
    with transaction.atomic():
        _locked(case)  # one agreement in force at a time
        if case.agreements.exclude(status__in=Agreement.ENDED).exists():
            raise ConflictError("本案已有和解协议")
        agreement = Agreement.objects.create(case=case, kind=kind, summary=summary)
        for creditor, confirmed, agreed, tier, priority in rows:
            AgreementTerm.objects.create(
                agreement=agreement,
                creditor=creditor,
                confirmed_amount=confirmed,
                agreed_amount=agreed,
                priority_amount=priority,
                tier=tier,
            )
        _audit(
            actor,
            "agreement.draft",
            agreement,
            case,
            kind=kind,
            confirmed=sum((r[1] for r in rows), ZERO),
            agreed=sum((r[2] for r in rows), ZERO),
        )
    return agreement


def agreement_draft_by_plan(
    *,
    actor,
    case: Case,
    plan: rules.OfferPlan,
    summary: str = "",
    kind: str = Agreement.Kind.COURT,
) -> Agreement:
    """A draft whose offers follow `plan` (`rules.draft_offers`: one rate, or a small-claims
    tier paid in full) over every creditor's confirmed unsecured claim. A self-settlement
    needs every creditor's consent (Art.105), so there a creditor with nothing unsecured gets
    a term of zero to consent to."""
    creditors = {str(c.pk): c for c in case.creditors.prefetch_related("claims")}
    claims = {key: selectors.unsecured_confirmed(c) for key, c in creditors.items()}
    offers = _rule(rules.draft_offers, claims, plan, field="rate")
    rows = [(creditors[key], offer.amount, offer.tier) for key, offer in offers.items()]
    if case.priority_claims == "inside":  # employee and tax claims paid in full in the agreement
        priority = {key: selectors.priority_amount(c) for key, c in creditors.items()}
        rows = [
            (
                c,
                amount + priority[str(c.pk)],
                tier + ("；职工债权、税款全额" if priority[str(c.pk)] else ""),
            )
            for c, amount, tier in rows
        ]
        rows += [
            (creditors[key], amount, "职工债权、税款全额清偿")
            for key, amount in priority.items()
            if amount and key not in offers
        ]
    if kind == Agreement.Kind.SELF_SETTLEMENT:
        covered = {str(c.pk) for c, _amount, _tier in rows}
        rows += [
            (c, ZERO, "无无财产担保债权") for key, c in creditors.items() if key not in covered
        ]
    return agreement_draft(actor=actor, case=case, offers=rows, summary=summary, kind=kind)


def term_consent(*, actor, term: AgreementTerm, on: date | None = None) -> AgreementTerm:
    """A creditor consents to an out-of-court settlement (Art.105)."""
    if term.agreement.kind != Agreement.Kind.SELF_SETTLEMENT:
        raise ConflictError("只有自行和解需要逐一同意")
    with transaction.atomic():
        if _locked(term.agreement).status != Agreement.Status.DRAFT:
            raise ConflictError("协议已生效")
        term.consented_on = on or _today()
        term.save(update_fields=["consented_on"])
        _audit(actor, "agreement.consent", term, term.agreement.case, creditor=term.creditor.name)
    return term


def agreement_approve(*, actor, agreement: Agreement, on: date) -> Agreement:
    """Art.98: the court approves an adopted agreement (Art.97 tally passed); Art.105: a
    self-settlement needs every creditor's consent."""
    case = agreement.case
    if on < case.acceptance_date:
        raise DomainError("裁定日不能早于受理日", field="on")
    with transaction.atomic():
        _locked(case)
        _locked(agreement)  # the consents (`term_consent`) are counted under this lock
        _require_open(case)
        if agreement.status != Agreement.Status.DRAFT:
            raise ConflictError("协议不在草案状态")
        if agreement.kind == Agreement.Kind.COURT:
            adopted = AgendaItem.objects.filter(
                meeting__case=case, kind=AgendaItem.Kind.RECONCILIATION, passed=True
            ).exists()
            if not adopted:
                raise ConflictError(
                    "和解协议尚未经债权人会议表决通过（第97条）", code="not_adopted"
                )
        else:
            all_ids = [str(pk) for pk in case.creditors.values_list("pk", flat=True)]
            consenting = [
                str(pk)
                for pk in agreement.terms.exclude(consented_on=None).values_list(
                    "creditor_id", flat=True
                )
            ]
            if not _rule(rules.self_settlement_valid, all_ids, consenting):
                raise ConflictError("自行和解须经全体债权人同意（第105条）", code="not_unanimous")
        _check_priority_claims(case, agreement)
        agreement.status, agreement.approved_on = Agreement.Status.APPROVED, on
        agreement.save(update_fields=["status", "approved_on"])
        case.status, case.approval_date = Case.Status.EXECUTING, on
        case.save(update_fields=["status", "approval_date"])
        _audit(actor, "agreement.approve", agreement, case, on=on, kind=agreement.kind)
    return agreement


def _check_priority_claims(case: Case, agreement: Agreement) -> None:
    """Employee and tax claims are not reconciliation claims (Art.100 binds the unsecured
    creditors only) and come before them (Art.113 para.1): under the case's setting they are
    paid in full before the court approves the agreement ("outside", the default), or the
    agreement pays each of them in full ("inside"). A director's, supervisor's or senior
    manager's wage is due in full only up to the firm's average wage; the rest is an ordinary
    claim in the agreement (Art.113 para.3, ``selectors.priority_parts``)."""
    due = [(claim, part) for claim, part in selectors.priority_parts(case) if part > 0]
    if case.priority_claims == "inside":
        terms = {t.creditor_id: t for t in agreement.terms.all()}
        owed: dict[int, Decimal] = {}
        for claim, part in due:
            owed[claim.creditor_id] = owed.get(claim.creditor_id, ZERO) + part
        short = [
            claim.creditor.name
            for claim, _part in due
            if claim.creditor_id not in terms
            or terms[claim.creditor_id].priority_amount < owed[claim.creditor_id]
        ]
        if short:
            raise ConflictError(
                "本案职工债权和税款债权列入和解协议，须全额清偿，协议未全额列明："
                + "、".join(dict.fromkeys(short)),
                code="priority_not_in_agreement",
            )
        return
    unpaid = [(c, part) for c, part in due if c.paid_in_full_on is None]
    if unpaid:
        total = sum((part for _c, part in unpaid), ZERO)
        raise ConflictError(
            f"本案职工债权和税款债权在协议外全额清偿，认可和解协议前须付清：尚有 {len(unpaid)} 笔"
            f"未清偿，合计 {total} 元（"
            + "、".join(dict.fromkeys(c.creditor.name for c, _part in unpaid))
            + "）",
            code="priority_unpaid",
        )


def claim_priority_paid(*, actor, claim: Claim, on: date | None = None) -> Claim:
    """The administrator records that an employee or tax claim was paid in full outside the
    agreement (the case's default setting; checked at approval). For a director's,
    supervisor's or senior manager's wage "in full" is the part up to the firm's average wage
    (Art.113 para.3, ``selectors.priority_part``, the amount audited); the rest is an ordinary
    claim paid at the agreement's rate."""
    on = on or _today()
    if on > _today():
        raise DomainError("清偿日不能晚于今天", field="on")
    with transaction.atomic():
        _locked(claim)
        _require_open(claim.case)
        if claim.rank not in selectors.PRIORITY_RANKS or claim.status not in REVIEWED_STATUSES:
            raise ConflictError("只有已审查的职工债权和社会保险费用、税款债权可登记协议外清偿")
        if claim.paid_in_full_on is not None:
            raise ConflictError("已登记全额清偿", code="paid")
        part = selectors.priority_part(claim, selectors.latest_assessment(claim.case))
        claim.paid_in_full_on = on
        claim.save(update_fields=["paid_in_full_on"])
        _audit(
            actor,
            "claim.priority_paid",
            claim,
            claim.case,
            creditor=claim.creditor.name,
            amount=part,
            ordinary_part=(claim.admitted_amount or ZERO) - part,
            on=on,
        )
    return claim


def installments_set(
    *, actor, term: AgreementTerm, schedule: Sequence[tuple[date, object]]
) -> list[Installment]:
    """The creditor's payment schedule; it must add up to the agreed amount. It replaces the
    term's schedule under the term's row lock (two at once would leave both)."""
    rows = [(due, money(amount, "schedule", allow_zero=False)) for due, amount in schedule]
    if sum((a for _, a in rows), ZERO) != term.agreed_amount:
        raise DomainError("还款计划合计须等于协议清偿额", field="schedule")
    with transaction.atomic():
        if _locked(term.agreement).status not in (
            Agreement.Status.DRAFT,
            Agreement.Status.APPROVED,
        ):
            raise ConflictError("协议已结束")
        _locked(term)
        term.installments.all().delete()
        created = [
            Installment.objects.create(term=term, due_date=due, amount=amount)
            for due, amount in sorted(rows)
        ]
        _audit(
            actor,
            "agreement.schedule",
            term,
            term.agreement.case,
            creditor=term.creditor.name,
            schedule=[[d.isoformat(), str(a)] for d, a in sorted(rows)],
        )
    return created


def agreement_schedule_equal(
    *, actor, agreement: Agreement, first: date, count: int, interval: int
) -> int:
    """Equal instalments for every term with an agreed amount: ``count`` payments every
    ``interval`` months from ``first`` (the agreed amount split pro rata, cents exact);
    all terms or none. Returns the number of terms scheduled."""
    if not 1 <= count <= 60:
        raise DomainError("期数应为 1 至 60", field="count")
    if not 1 <= interval <= 24:
        raise DomainError("间隔月数应为 1 至 24", field="interval")
    scheduled = 0
    with transaction.atomic():
        for term in agreement.terms.all():
            if term.agreed_amount <= 0:
                continue
            parts = rules.pro_rata(
                {str(i): term.agreed_amount for i in range(count)}, term.agreed_amount
            )
            schedule = [
                (rules.add_months(first, i * interval), parts[str(i)])
                for i in range(count)
                if parts[str(i)] > 0
            ]
            installments_set(actor=actor, term=term, schedule=schedule)
            scheduled += 1
    return scheduled


def payment_record(
    *, actor, term: AgreementTerm, amount, paid_on: date, reference: str = ""
) -> Payment:
    """The administrator records a payment made under the agreement. The agreement and the
    term are locked, so concurrent payments never add up to more than the agreed amount (and
    the term's paid total, kept here, is bounded by a database constraint)."""
    if term.agreement.status != Agreement.Status.APPROVED:
        raise ConflictError("协议未在执行中")
    value = money(amount, "amount", allow_zero=False)
    today = _today()
    if paid_on > today:
        raise DomainError(f"支付日不能晚于今天（{today}），请登记已经支付的款项", field="paid_on")
    with transaction.atomic():
        agreement = _locked(term.agreement)
        if agreement.status != Agreement.Status.APPROVED:
            raise ConflictError("协议未在执行中")
        _locked(term)
        if term.paid_amount + value > term.agreed_amount:
            raise DomainError(
                f"累计清偿额将超过协议清偿额 {term.agreed_amount}（已清偿 {term.paid_amount}）",
                field="amount",
            )
        if agreement.approved_on and paid_on < agreement.approved_on:
            raise DomainError("支付日不能早于协议认可日", field="paid_on")
        AgreementTerm.objects.filter(pk=term.pk).update(paid_amount=F("paid_amount") + value)
        term.paid_amount += value
        payment = Payment.objects.create(
            term=term,
            amount=value,
            paid_on=paid_on,
            reference=reference[:100],
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "payment.record",
            payment,
            term.agreement.case,
            creditor=term.creditor.name,
            amount=value,
        )
        _notify_creditor(
            actor,
            term.creditor,
            f"{term.agreement.case.number} 和解协议清偿款",
            f"管理人登记向您支付 {value} 元（{paid_on}），请在“我的债权”中确认收款。",
        )
    return payment


def payment_confirm_receipt(
    *, actor, payment: Payment, on: date | None = None, via: str = ""
) -> Payment:
    """The creditor confirms it received a payment; `via` records how an account-less
    creditor was identified (a masked phone). One conditional update: of concurrent or
    repeated confirmations exactly one is applied and audited, the others are refused."""
    on = on or _today()
    with transaction.atomic():
        confirmed = Payment.objects.filter(pk=payment.pk, receipt_confirmed_on=None).update(
            receipt_confirmed_on=on
        )
        if not confirmed:
            payment.refresh_from_db(fields=["receipt_confirmed_on"])
            raise ConflictError("已确认收款", code="confirmed")
        payment.receipt_confirmed_on = on
        detail = {"via": via} if via else {}
        _audit(actor, "payment.confirm_receipt", payment, payment.term.agreement.case, **detail)
    return payment


def agreement_complete(*, actor, agreement: Agreement, on: date) -> Agreement:
    """Every term paid in full: execution ends, the reduced debts are discharged (Art.106)."""
    case = agreement.case
    with transaction.atomic():
        _locked(case)
        _locked(agreement)  # payments (`payment_record`) wait, or have been counted
        if agreement.status != Agreement.Status.APPROVED:
            raise ConflictError("协议未在执行中")
        for term in agreement.terms.all():
            if term.paid_amount != term.agreed_amount:
                raise ConflictError(
                    f"{term.creditor.name} 尚未足额清偿"
                    f"（已付 {term.paid_amount}，应付 {term.agreed_amount}）"
                )
        agreement.status, agreement.completed_on = Agreement.Status.COMPLETED, on
        agreement.save(update_fields=["status", "completed_on"])
        case.status = (
            Case.Status.SETTLED
            if agreement.kind == Agreement.Kind.SELF_SETTLEMENT
            else Case.Status.COMPLETED
        )
        case.closed_date = on
        case.save(update_fields=["status", "closed_date"])
        _audit(actor, "agreement.complete", agreement, case, on=on)
    return agreement


def _terms_and_payments(agreement: Agreement):
    """(terms, creditor id → confirmed claim, creditor id → paid so far) of an agreement, for
    the Art.103 and Art.104 settlements (creditors without a confirmed claim left out)."""
    terms = list(agreement.terms.select_related("creditor"))
    claims = {str(t.creditor_id): t.confirmed_amount for t in terms if t.confirmed_amount > 0}
    received = {str(t.creditor_id): t.paid_amount for t in terms if str(t.creditor_id) in claims}
    return terms, claims, received


def agreement_terminate(
    *,
    actor,
    agreement: Agreement,
    on: date,
    reason: str,
    requested_by: Creditor | None = None,
    distributable=0,
) -> dict[str, Decimal]:
    """Art.104: on default the court, at the request of a reconciliation creditor
    (``requested_by``: one with a term in the agreement, recorded), terminates the agreement and
    declares bankruptcy; the concessions lapse, payments received stay, and the further
    distribution of ``distributable`` (the estate after secured claims, costs and common-benefit
    debts) goes class by class in the Art.113 order, equalising within each class the
    reconciliation creditors' receipts with the other creditors of the class
    (``selectors.art104_claims``, ``rules.art104_distribution``; per class in the audit
    detail). Returns creditor name → share of ``distributable``."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明终止原因", field="reason")
    if requested_by is None:
        raise DomainError(
            "请选择请求终止和解协议执行的和解债权人（第104条：经和解债权人请求）",
            field="requested_by",
        )
    if not agreement.terms.filter(creditor=requested_by, confirmed_amount__gt=0).exists():
        raise DomainError("请求人不是本和解协议的和解债权人", field="requested_by")
    available = money(distributable, "distributable")
    case = agreement.case
    with transaction.atomic():
        _locked(case)
        _locked(agreement)  # the payments counted are all there are
        if agreement.status != Agreement.Status.APPROVED:
            raise ConflictError("协议未在执行中")
        rows, names = selectors.art104_claims(agreement)
        result = _rule(rules.art104_distribution, rows, available, field="distributable")
        shares = {key: result.shares.get(key, ZERO) for key in names}
        received = {
            key: sum((r.received for r in rows if r.creditor == key), ZERO) for key in names
        }
        agreement.status, agreement.terminated_on = Agreement.Status.TERMINATED, on
        agreement.termination_reason = reason
        agreement.termination_requested_by = requested_by
        agreement.save(
            update_fields=[
                "status",
                "terminated_on",
                "termination_reason",
                "termination_requested_by",
            ]
        )
        case.status, case.procedure = Case.Status.TERMINATED, Case.Procedure.LIQUIDATION
        case.save(update_fields=["status", "procedure"])
        _audit(
            actor,
            "agreement.terminate",
            agreement,
            case,
            on=on,
            reason=reason,
            requested_by=requested_by.name,
            distributable=available,
            art104_shares={names[k]: v for k, v in shares.items()},
            art104_classes={
                rank: {names[k]: v for k, v in part.items()}
                for rank, part in result.by_class.items()
            },
            art104_levels=result.levels,
            left_over=result.left_over,
            received={names[k]: v for k, v in received.items()},
        )
    return {names[k]: v for k, v in shares.items()}


def agreement_void(
    *, actor, agreement: Agreement, on: date, reason: str, distributable=0
) -> rules.Art103Settlement:
    """Art.103: an agreement reached by the debtor's fraud or another unlawful act is ruled
    void, during its execution or after it, and the debtor is declared bankrupt. Creditors
    keep what they received only up to the common percentage (``rules.art103_settlement``):
    the excess is returned to the estate, the others are topped up from ``distributable``.
    Returns the settlement (keyed by creditor name)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明欺诈或其他违法行为的事实", field="reason")
    available = money(distributable, "distributable")
    case = agreement.case
    with transaction.atomic():
        _locked(case)
        _locked(agreement)
        if agreement.status not in (Agreement.Status.APPROVED, Agreement.Status.COMPLETED):
            raise ConflictError("只有已认可（执行中或执行完毕）的和解协议可以裁定无效")
        terms, claims, received = _terms_and_payments(agreement)
        settled = _rule(rules.art103_settlement, claims, received, available, field="distributable")
        names = {str(t.creditor_id): t.creditor.name for t in terms}
        by_name = rules.Art103Settlement(
            level=settled.level,
            to_pay={names[k]: v for k, v in settled.to_pay.items()},
            to_return={names[k]: v for k, v in settled.to_return.items()},
        )
        was = agreement.status
        agreement.status, agreement.terminated_on = Agreement.Status.VOID, on
        agreement.termination_reason = reason
        agreement.save(update_fields=["status", "terminated_on", "termination_reason"])
        case.status, case.procedure = Case.Status.TERMINATED, Case.Procedure.LIQUIDATION
        case.closed_date = None  # a completed agreement had closed the case: bankruptcy reopens it
        case.save(update_fields=["status", "procedure", "closed_date"])
        _audit(
            actor,
            "agreement.void",
            agreement,
            case,
            on=on,
            reason=reason,
            previous_status=was,
            distributable=available,
            art103_level=settled.level,
            art103_to_pay=by_name.to_pay,
            art103_to_return={k: v for k, v in by_name.to_return.items() if v},
            received={names[k]: v for k, v in received.items()},
        )
    return by_name


# --------------------------------------------------------------------------------------------
# Time-based work (run by the ``bankruptcy_tick`` management command)
# --------------------------------------------------------------------------------------------


def reminders_send(*, actor=None, today: date | None = None, days_ahead: int = 3) -> dict[str, int]:
    """Remind creditors and the administrator of instalments due soon or overdue (once per
    instalment per day), and send meeting results that fall due (3 days, Interp. III Art.11)."""

    today = today or _today()
    counts = {"due_soon": 0, "overdue": 0, "results": 0}
    installments = (
        Installment.objects.filter(term__agreement__status=Agreement.Status.APPROVED)
        .exclude(reminded_on=today)
        .select_related("term__creditor", "term__agreement__case")
    )
    for installment in installments:
        term = installment.term
        position = selectors.term_position(term, today)
        if position["paid"] >= position["due_cumulative_by"](installment.due_date):
            continue
        days = (installment.due_date - today).days
        if days < 0:
            kind, subject = "overdue", f"{term.agreement.case.number} 和解协议清偿逾期"
        elif days <= days_ahead:
            kind, subject = "due_soon", f"{term.agreement.case.number} 和解协议清偿即将到期"
        else:
            continue
        body = f"{term.creditor.name}：应于 {installment.due_date} 支付 {installment.amount} 元。"
        with transaction.atomic():
            _notify_creditor(actor, term.creditor, subject, body)
            case = term.agreement.case
            if case.administrator_id:
                for grant in RoleGrant.objects.filter(
                    organisation_id=case.administrator_id, role=Role.ADMINISTRATOR
                ).select_related("user"):
                    notification_send(
                        actor=actor,
                        channel="in_app",
                        subject=subject,
                        body=body,
                        recipient=grant.user,
                    )
            installment.reminded_on = today
            installment.save(update_fields=["reminded_on"])
            _audit(actor, f"agreement.reminder_{kind}", installment, case, due=installment.due_date)
        counts[kind] += 1
    for meeting in Meeting.objects.filter(status=Meeting.Status.CLOSED, results_sent_on=None):
        meeting_results_send(actor=actor, meeting=meeting, on=today)
        counts["results"] += 1
    counts["deadlines"] = deadline_alerts_send(actor=actor, today=today)
    return counts


def deadline_alerts_send(*, actor=None, today: date | None = None) -> int:
    """Tell the judge and the administrator of statutory deadlines due soon or missed, once a
    day per case and deadline (the case list shows the same alerts)."""

    today = today or _today()
    sent = 0
    for case in Case.objects.filter(closed_date=None).select_related("judge", "clerk"):
        alerts = selectors.case_alerts(case, today)
        if not alerts:
            continue
        recipients = _case_officers(case)
        for deadline in alerts:
            state = "已逾期" if deadline.state == "bad" else "即将到期"
            subject = f"{case.number} 期限{state}：{deadline.label}"
            estimate = f"（{calendar.ESTIMATE_LABEL}）" if deadline.estimated else ""
            for user in recipients:
                if Notification.objects.filter(
                    recipient=user, subject=subject, created_at__date=timezone.localdate()
                ).exists():
                    continue
                notification_send(
                    actor=actor,
                    channel="in_app",
                    recipient=user,
                    subject=subject,
                    body=f"{deadline.label}（{deadline.article}）期限：{deadline.due}{estimate}。",
                )
                sent += 1
    return sent


def _case_officers(case: Case) -> list:
    """Who answers for a case's statutory deadlines: its judge, its clerk, the administrator's
    people."""
    people = {case.judge_id: case.judge}
    if case.clerk_id:
        people[case.clerk_id] = case.clerk
    if case.administrator_id:
        for grant in RoleGrant.objects.filter(
            organisation_id=case.administrator_id, role=Role.ADMINISTRATOR
        ).select_related("user"):
            people[grant.user_id] = grant.user
    return list(people.values())


def case_deadlines_recompute(change: calendar.CalendarChange) -> int:
    """A holiday notice entered later moves the statutory deadlines of open cases whose last day
    it shifts (they are computed, never stored): each move not yet met is audited and the
    judge, the clerk and the administrator are told."""
    moved = 0
    for case in (
        Case.objects.filter(closed_date=None)
        .select_related("judge", "clerk", "fast_track_profile")
        .prefetch_related("meetings")
    ):
        before = {d.label: d for d in selectors.case_deadlines(case, cal=change.old)}
        for after in selectors.case_deadlines(case, cal=change.new):
            old = before.get(after.label)
            if old is None or old.due == after.due or after.done_on is not None:
                continue
            body = (
                f"依据{change.notice}，{after.label}（{after.article}）期限由 {old.due} "
                f"调整为 {after.due}。"
            )
            _audit(
                change.actor,
                "case.deadline_recompute",
                case,
                case,
                label=str(after.label),
                article=str(after.article),
                **{"from": old.due, "to": after.due},
            )
            for user in _case_officers(case):
                notification_send(
                    actor=change.actor,
                    channel="in_app",
                    recipient=user,
                    subject=f"{case.number} 期限调整：{after.label}",
                    body=body,
                )
            moved += 1
    return moved


# --------------------------------------------------------------------------------------------
# Filing without an account: a verified phone (SMS one-time code)
# --------------------------------------------------------------------------------------------

PHONE = otp.Policy(
    purpose="bankruptcy.phone",  # subject: the Case
    ttl=timedelta(minutes=10),
    max_attempts=5,
    window=timedelta(hours=1),
    per_phone=5,
    per_ip=20,
    throttled_message="验证码发送过于频繁，请一小时后再试",
    locked_message="尝试次数过多，请重新获取验证码",
    phone_pattern=re.compile(r"^1[3-9]\d{9}$"),
    phone_message="请填写 11 位中国大陆手机号",
)
MAX_ATTEMPTS = PHONE.max_attempts
MAX_SENDS_PER_PHONE_HOUR = PHONE.per_phone


# What the SMS code is for (its text names it); filing is refused once an agreement is in
# force, a look-up is allowed in a closed case too.
FILING = "申报债权"
MEETING = "参加债权人会议"
LOOKUP = "查询本人债权"


def phone_challenge_send(
    *, case: Case, phone: str, ip: str | None = None, purpose: str = FILING
) -> OneTimeCode:
    """Send a 6-digit code by SMS to prove the phone (the declaration itself is Art.49)."""
    phone = otp.phone_clean(policy=PHONE, phone=phone)
    if purpose == FILING and (bar := selectors.filing_bar(case)) is not None:
        raise ConflictError(bar, code="agreement_approved")
    # A creditor may look up its own claims and payments after the case is closed, too.
    if case.announcement_date is None or (case.closed_date is not None and purpose != LOOKUP):
        raise ConflictError("该案件当前不接受债权申报")
    with transaction.atomic():
        challenge = otp.code_send(
            policy=PHONE,
            phone=phone,
            ip=ip,
            subject_id=case.pk,
            sms_subject=f"{purpose}验证码",
            sms_body=f"您正在{purpose}（{case.number}），验证码 {{code}}，10 分钟内有效。",
        )
        _audit(None, "claim.phone_challenge", challenge, case, phone=str(challenge))
    return challenge


def phone_challenge_verify(*, challenge: OneTimeCode, code: str) -> OneTimeCode:
    """Check the code; a wrong code counts an attempt (kept), too many lock the challenge.
    Does not consume it: ``claim_file_by_phone`` does, together with the claim."""
    return otp.code_check(policy=PHONE, challenge=challenge, code=code, use=False)


def claim_file_by_phone(*, challenge: OneTimeCode, code: str, creditor_name: str, **claim) -> Claim:
    """A creditor without an account files with a verified phone. The code is consumed in the
    same transaction as the claim, so a claim the rules reject leaves the code usable."""
    challenge = phone_challenge_verify(challenge=challenge, code=code)
    case = Case.objects.get(pk=challenge.subject_id)
    taken = Creditor.objects.filter(case=case, name=(creditor_name or "").strip())
    # a phone joins only a creditor row of its own (no account, no organisation, same phone)
    if taken.exclude(organisation=None, user=None, phone=challenge.phone).exists():
        raise DomainError(
            "该债权人已由其他账号或手机号申报，请登录账号或联系管理人", field="creditor_name"
        )
    with transaction.atomic():
        otp.code_use(policy=PHONE, challenge=challenge)
        return claim_file(
            actor=None,
            case=case,
            creditor_name=creditor_name,
            phone=challenge.phone,
            **claim,
        )


def phone_creditors(
    *, challenge: OneTimeCode, code: str, audit_action: str = "meeting.phone_identify"
) -> list[Creditor]:
    """Identify the account-less creditors of a case by a verified phone, for online sign-in
    and voting (SPC Interp. III Art.11) or for their own claims and payments (`audit_action`
    "claim.phone_lookup"). Consumes the code; audited."""
    challenge = phone_challenge_verify(challenge=challenge, code=code)
    case = Case.objects.select_related("court").get(pk=challenge.subject_id)
    with transaction.atomic():
        otp.code_use(policy=PHONE, challenge=challenge)
        creditors = list(
            Creditor.objects.filter(case=case, phone=challenge.phone, organisation=None, user=None)
        )
        if not creditors:
            raise DomainError("该手机号在本案没有申报记录", field="phone", code="no_creditor")
        _audit(
            None,
            audit_action,
            challenge,
            case,
            phone=str(challenge),
            creditors=[c.name for c in creditors],
        )
    return creditors


FAST_TRACK_FIELDS = (
    "name",
    "max_creditors",
    "max_amount",
    *(f"trigger_{key}" for key in rules.FAST_TRACK_TRIGGERS),
    *(f"exclude_{key}" for key in rules.FAST_TRACK_EXCLUSIONS),
    "time_limit_months",
    "extension_allowed",
    "ruling_working_days",
)


def fast_track_profile_update(*, actor, profile: FastTrackProfile, **values) -> FastTrackProfile:
    """A court adjusts its fast-track profile (the Hubei example is only the default). Cases
    keep following the court's profile; the change is audited with the old and new values."""
    unknown = set(values) - set(FAST_TRACK_FIELDS)
    if unknown:
        raise DomainError(f"未知的配置项：{', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    changed = {k: v for k, v in values.items() if getattr(profile, k) != v}
    candidate = {**{k: getattr(profile, k) for k in FAST_TRACK_FIELDS}, **changed}
    if not str(candidate["name"]).strip():
        raise DomainError("请填写配置名称", field="name")
    candidate["max_amount"] = money(candidate["max_amount"], "max_amount", allow_zero=False)
    try:
        rules.FastTrackProfile(
            name=candidate["name"],
            max_creditors=candidate["max_creditors"],
            max_amount=candidate["max_amount"],
            triggers=frozenset(k for k in rules.FAST_TRACK_TRIGGERS if candidate[f"trigger_{k}"]),
            exclusions=frozenset(
                k for k in rules.FAST_TRACK_EXCLUSIONS if candidate[f"exclude_{k}"]
            ),
            time_limit_months=candidate["time_limit_months"],
            extension_allowed=candidate["extension_allowed"],
            ruling_working_days=candidate["ruling_working_days"],
        )
    except (rules.RuleError, TypeError) as exc:
        raise DomainError(str(exc), field="max_creditors") from None
    if not changed:
        return profile
    before = {k: str(getattr(profile, k)) for k in changed}
    with transaction.atomic():
        for key in changed:
            setattr(profile, key, candidate[key])
        profile.save(update_fields=list(changed))
        audit_log(
            actor=actor,
            action="fast_track_profile.update",
            obj=profile,
            organisation=profile.court,
            detail={"before": before, "after": {k: str(candidate[k]) for k in changed}},
        )
    return profile


# --------------------------------------------------------------------------------------------
# Creditors' committee (Art.67–69)
# --------------------------------------------------------------------------------------------


def committee_create(*, actor, case: Case, chosen_on: date, meeting: Meeting | None = None):
    """The administrator records the creditors' meeting's decision to set up a committee
    (Art.67 para.1: 债权人会议可以决定设立债权人委员会; Art.61(8))."""
    if chosen_on > _today():
        raise DomainError("决定日不能晚于今天", field="chosen_on")
    if meeting is not None and meeting.case_id != case.pk:
        raise DomainError("该债权人会议不属于本案", field="meeting")
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        if Committee.objects.filter(case=case).exists():
            raise ConflictError("本案已设立债权人委员会", code="committee_exists")
        committee = Committee.objects.create(case=case, chosen_on=chosen_on, meeting=meeting)
        _audit(actor, "committee.create", committee, case, chosen_on=chosen_on)
    return committee


def committee_member_add(
    *,
    actor,
    committee: Committee,
    kind: str,
    name: str,
    added_on: date,
    creditor: Creditor | None = None,
) -> CommitteeMember:
    """Record a member the creditors' meeting chose (a creditor's representative) or the
    debtor's employee or union representative (Art.67 para.1: at most nine in all, one
    employee or union representative). A change to an approved committee needs the court's
    approval again (Art.67 para.2): the approval is withdrawn and the audit entry says so."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写委员姓名", field="name")
    if kind not in CommitteeMember.Kind.values:
        raise DomainError("未知的委员类别", field="kind")
    if kind == CommitteeMember.Kind.CREDITOR:
        if creditor is None or creditor.case_id != committee.case_id:
            raise DomainError("债权人代表须代表本案的一名债权人", field="creditor")
    elif creditor is not None:
        raise DomainError("职工代表或工会代表不代表债权人", field="creditor")
    case = committee.case
    with transaction.atomic():
        _locked(committee)
        _require_open(case)
        kinds = [*committee.members.in_office().values_list("kind", flat=True), kind]
        problems = rules.committee_composition_problems(kinds, complete=False)
        if problems:
            raise ConflictError("；".join(problems), code="committee_composition")
        if (
            creditor is not None
            and committee.members.in_office().filter(creditor=creditor).exists()
        ):
            raise ConflictError("该债权人已有代表在委员会中", code="committee_seat")
        member = CommitteeMember.objects.create(
            committee=committee, kind=kind, name=name, creditor=creditor, added_on=added_on
        )
        reset = committee.approved_on is not None
        if reset:
            committee.approved_on, committee.approved_by = None, None
            committee.save(update_fields=["approved_on", "approved_by"])
        _audit(
            actor,
            "committee.member_add",
            member,
            case,
            kind=kind,
            name=name,
            creditor=creditor.name if creditor else None,
            approval_withdrawn=reset,
        )
    return member


def committee_member_remove(
    *,
    actor,
    member: CommitteeMember,
    removed_by: str,
    reason: str,
    on: date,
    replacement: dict | None = None,
) -> CommitteeMember | None:
    """Remove a member, or replace it (``replacement``: ``kind``, ``name`` and, for a
    creditors' representative, ``creditor``), on the decision of the creditors' meeting
    (``removed_by="meeting"``, Art.61 para.1(8): 选任和更换债权人委员会成员; the administrator
    records it) or of the court withdrawing its approval of the member (``"court"``, Art.67
    para.2; the judge records it, and cannot name a replacement). ``rules.committee_change``
    keeps the committee within Art.67 para.1 and says whether the court's approval stands: a
    replacement, or a committee left without its employee representative or its creditors'
    representatives, needs approval again (until then Art.69 reports go to the court). The
    member's row stays (its votes stay on the minutes), marked with the date, the body and the
    reason; audited ``committee.member_remove``. Returns the new member, if any."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明更换或撤销的理由", field="reason")
    if removed_by not in CommitteeMember.RemovedBy.values:
        raise DomainError("未知的决定机关", field="removed_by")
    if on > _today():
        raise DomainError("决定日不能晚于今天", field="on")
    if on < member.added_on:
        raise DomainError("决定日不能早于该委员的选任日", field="on")
    committee = member.committee
    case = committee.case
    new_kind = new_name = new_creditor = None
    if replacement is not None:
        if removed_by == CommitteeMember.RemovedBy.COURT:
            raise DomainError(
                "接替的委员由债权人会议选任（第61条第1款第8项），法院只作认可",
                field="removed_by",
            )
        new_kind = replacement.get("kind")
        new_name = (replacement.get("name") or "").strip()
        new_creditor = replacement.get("creditor")
        if not new_name:
            raise DomainError("请填写接替委员的姓名", field="name")
        if new_kind not in CommitteeMember.Kind.values:
            raise DomainError("未知的委员类别", field="kind")
        if new_kind == CommitteeMember.Kind.CREDITOR:
            if new_creditor is None or new_creditor.case_id != case.pk:
                raise DomainError("债权人代表须代表本案的一名债权人", field="creditor")
        elif new_creditor is not None:
            raise DomainError("职工代表或工会代表不代表债权人", field="creditor")
    with transaction.atomic():
        _locked(committee)
        _require_open(case)
        member = _locked(member)
        if member.removed_on is not None:
            raise ConflictError("该委员已被更换或撤销", code="member_removed")
        kinds = list(committee.members.in_office().values_list("kind", flat=True))
        change = _rule(rules.committee_change, kinds, member.kind, new_kind, removed_by=removed_by)
        if change.problems:
            raise ConflictError("；".join(change.problems), code="committee_composition")
        if (
            new_creditor is not None
            and new_creditor.pk != member.creditor_id
            and committee.members.in_office().filter(creditor=new_creditor).exists()
        ):
            raise ConflictError("该债权人已有代表在委员会中", code="committee_seat")
        member.removed_on, member.removed_by, member.removal_reason = on, removed_by, reason
        member.save(update_fields=["removed_on", "removed_by", "removal_reason"])
        successor = None
        if replacement is not None:
            successor = CommitteeMember.objects.create(
                committee=committee,
                kind=new_kind,
                name=new_name,
                creditor=new_creditor,
                added_on=on,
                replaces=member,
            )
        withdrawn = committee.approved_on is not None and not change.approval_stands
        if withdrawn:
            committee.approved_on, committee.approved_by = None, None
            committee.save(update_fields=["approved_on", "approved_by"])
        _audit(
            actor,
            "committee.member_remove",
            member,
            case,
            member=str(member),
            removed_by=removed_by,
            reason=reason,
            on=on,
            replaced_by=str(successor) if successor else None,
            approval_withdrawn=withdrawn,
        )
    return successor


def committee_approve(*, actor, committee: Committee, on: date) -> Committee:
    """The court approves the membership in writing (Art.67 para.2: 债权人委员会成员应当经人民
    法院书面决定认可), once it is complete: at least one creditors' representative, exactly one
    employee or union representative, at most nine members."""
    if on > _today():
        raise DomainError("认可日不能晚于今天", field="on")
    with transaction.atomic():
        _locked(committee)
        _require_open(committee.case)
        if committee.approved_on is not None:
            raise ConflictError("委员会成员已经认可", code="approved")
        kinds = list(committee.members.in_office().values_list("kind", flat=True))
        problems = rules.committee_composition_problems(kinds, complete=True)
        if problems:
            raise ConflictError("；".join(problems), code="committee_composition")
        committee.approved_on, committee.approved_by = on, actor
        committee.save(update_fields=["approved_on", "approved_by"])
        _audit(
            actor,
            "committee.approve",
            committee,
            committee.case,
            on=on,
            members=[str(m) for m in committee.members.in_office()],
        )
    return committee


def committee_decision_record(
    *,
    actor,
    committee: Committee,
    subject: str,
    matter: str,
    decided_on: date,
    votes: dict[int, tuple[str, str]],
) -> CommitteeDecision:
    """Record a committee decision with each member's vote and dissent (Art.68; Interp. III
    Art.14: decided by a majority of all members, minuted, dissent recorded). ``votes`` maps a
    member's id to (vote, dissent); members without a vote count against."""
    matter = (matter or "").strip()
    if not matter:
        raise DomainError("请写明所议事项", field="matter")
    if subject not in CommitteeDecision.Subject.values:
        raise DomainError("请选择第68条规定的职权事项", field="subject")
    if decided_on > _today():
        raise DomainError("表决日不能晚于今天", field="decided_on")
    with transaction.atomic():
        _locked(committee)
        if not committee.in_office:
            raise ConflictError("委员会成员尚未经法院认可，不能议事", code="not_in_office")
        members = {m.pk: m for m in committee.members.in_office()}
        strangers = set(votes) - set(members)
        if strangers:
            raise DomainError("表决人不是本委员会成员", field="votes")
        for vote, _dissent in votes.values():
            if vote not in CommitteeVote.Vote.values:
                raise DomainError("未知的表决意见", field="votes")
        tally = _rule(
            rules.committee_decision, len(members), [v for v, _ in votes.values()], field="votes"
        )
        decision = CommitteeDecision.objects.create(
            committee=committee,
            subject=subject,
            matter=matter,
            decided_on=decided_on,
            members_in_office=tally.members,
            yes=tally.yes,
            no=tally.no,
            abstain=tally.abstain,
            passed=tally.passed,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        CommitteeVote.objects.bulk_create(
            CommitteeVote(
                decision=decision, member=members[pk], vote=vote, dissent=(dissent or "").strip()
            )
            for pk, (vote, dissent) in votes.items()
        )
        _audit(
            actor,
            "committee.decide",
            decision,
            committee.case,
            subject=subject,
            members=tally.members,
            yes=tally.yes,
            no=tally.no,
            needed=tally.needed,
            passed=tally.passed,
            votes={members[pk].name: vote for pk, (vote, _d) in votes.items()},
        )
    return decision


def committee_vote_sign(*, actor, vote: CommitteeVote) -> CommitteeVote:
    """A member signs the minutes of a decision it voted on (Interp. III Art.14: the record is
    signed by the members who voted). One conditional update: a second signature is a 409."""
    now = timezone.now()
    with transaction.atomic():
        done = CommitteeVote.objects.filter(pk=vote.pk, signed_at=None).update(
            signed_at=now, signed_by=actor
        )
        if not done:
            raise ConflictError("已签名", code="signed")
        vote.refresh_from_db()
        _audit(
            actor,
            "committee.sign",
            vote,
            vote.decision.committee.case,
            decision=vote.decision_id,
            member=vote.member.name,
        )
    return vote


def art69_report(
    *,
    actor,
    case: Case,
    act: str,
    description: str,
    act_date: date,
    reported_on: date | None = None,
) -> Art69Report:
    """The administrator reports an act listed in Art.69 para.1 to the creditors' committee, or
    to the court where none is in office (para.2). A report less than ten days before the act
    is recorded as late (Interp. III Art.15: 提前十日书面报告), not refused: the report is owed
    all the same."""
    description = (description or "").strip()
    if not description:
        raise DomainError("请说明拟实施的行为（标的、对方、价格等）", field="description")
    if act not in rules.ART69_ACTS:
        raise DomainError("请选择第69条规定的行为", field="act")
    reported_on = reported_on or _today()
    if reported_on > _today():
        raise DomainError("报告日不能晚于今天", field="reported_on")
    late = rules.art69_report_late(act, act_date, reported_on)
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        committee = Committee.objects.filter(case=case).first()
        to = rules.art69_reported_to(committee is not None and committee.in_office)
        report = Art69Report.objects.create(
            case=case,
            act=act,
            description=description,
            act_date=act_date,
            reported_on=reported_on,
            reported_to=to,
            late=late,
            reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "art69.report",
            report,
            case,
            act=act,
            act_date=act_date,
            reported_on=reported_on,
            reported_to=to,
            late=late,
        )
        subject = f"{case.number} 管理人报告：{rules.ART69_ACTS[act]}（第69条）"
        body = f"拟于 {act_date} 实施：{description}"
        if to == rules.REPORT_TO_COMMITTEE:
            for member in (
                committee.members.in_office().exclude(creditor=None).select_related("creditor")
            ):
                _notify_creditor(actor, member.creditor, subject, body)
        else:
            notification_send(
                actor=actor, channel="in_app", subject=subject, body=body, recipient=case.judge
            )
    return report


def art69_acknowledge(*, actor, report: Art69Report, on: date | None = None) -> Art69Report:
    """The committee (a member) or the court acknowledges an Art.69 report it received. One
    conditional update: a second acknowledgement is a 409."""
    on = on or _today()
    with transaction.atomic():
        done = Art69Report.objects.filter(pk=report.pk, acknowledged_on=None).update(
            acknowledged_on=on, acknowledged_by=actor
        )
        if not done:
            raise ConflictError("已确认收悉", code="acknowledged")
        report.refresh_from_db()
        _audit(actor, "art69.acknowledge", report, report.case, on=on, to=report.reported_to)
    return report
