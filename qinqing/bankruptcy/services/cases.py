"""Writes on cases: creation, the administrator, the announcement, decisions, settings, the
impact assessment and the fast-track profile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from qinqing.bankruptcy import rules, selectors
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    Assessment,
    Case,
    CaseDecision,
    FastTrackProfile,
    normalise_case_number,
    validate_case_number,
)
from qinqing.bankruptcy.services.common import _audit, _locked, _require_open, _rule, _today, money
from qinqing.core.audit import audit_log
from qinqing.core.calendar import next_working_day
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation

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
