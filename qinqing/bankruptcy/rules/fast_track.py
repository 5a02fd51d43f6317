"""Fast track (破产快审 / 简化审理): the court's profile, triggers and exclusions, deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from qinqing.bankruptcy.rules.common import NextWorkingDay, RuleError, _money
from qinqing.bankruptcy.rules.deadlines import month_period_end, working_days_after

#
# 湖北省高级人民法院《关于规范破产案件简化审理服务法治化营商环境的工作指引（试行）》(2021)
# names seven situations in which the simplified procedure **shall** apply and four in which it
# is unsuitable (湖北日报, 2021-11-19). The guide's full text was not available here: verified
# from the press report are the first trigger (fewer than 20 creditors, and claims or the
# debtor's assets below 5,000,000 yuan), the first exclusion (pending litigation or arbitration,
# complex debt relations), the 6-month limit without extension and the ruling within 5 working
# days. The other triggers and exclusions below are those that comparable court guides name
# (遂川县人民法院 2022, 井冈山市人民法院 2022, 营口 指引); each is a switch of the court's
# profile, so a court whose guide differs turns it off (docs/bankruptcy.md "Fast track").

# key → (label, source): the triggers, any one of which puts a case on the fast track.
FAST_TRACK_TRIGGERS: dict[str, tuple[str, str]] = {
    "few_and_small": ("债权人人数少、债权总额或资产总额小", "湖北指引（已核实）"),
    "no_assets": ("债务人无财产或财产不足以支付破产费用", "同类指引（待核实）"),
    "enforcement_transfer": ("执行程序终结本次执行后移送破产", "同类指引（待核实）"),
    "licence_revoked": ("被吊销营业执照未清算、债权债务关系简单", "同类指引（待核实）"),
    "forced_liquidation_done": ("经强制清算、资产和负债均已确认", "同类指引（待核实）"),
    "parties_agree": ("申请人、债务人及主要债权人协商一致同意简化审理", "同类指引（待核实）"),
}
# key → (label, source): the exclusions, any one of which keeps a case off the fast track.
FAST_TRACK_EXCLUSIONS: dict[str, tuple[str, str]] = {
    "pending_proceedings": ("存在未结诉讼、仲裁，债权债务关系复杂", "湖北指引（已核实）"),
    "books_not_taken_over": ("未能接管债务人账册", "设计说明（待核实）"),
    "assets_hard_to_realise": ("财产管理、变价、分配期限长或困难较大", "同类指引（待核实）"),
    "special_debtor": ("上市公司、金融机构或关联企业合并破产", "同类指引（待核实）"),
    "stability_risk": ("职工安置等可能影响社会稳定", "同类指引（待核实）"),
}


@dataclass(frozen=True)
class FastTrackProfile:
    """A court's fast-track rules (SPC 法发〔2020〕14号 as implemented by local guides; the
    Hubei guide of 2021 is the default).

    ``triggers`` and ``exclusions`` are the keys of ``FAST_TRACK_TRIGGERS`` /
    ``FAST_TRACK_EXCLUSIONS`` the court applies. The first trigger's thresholds are exclusive:
    fewer than ``max_creditors`` creditors, and claims total or assets total (either suffices)
    below ``max_amount``. The time limit in months from acceptance, whether it may be extended,
    and the working days within which the ruling follows once its conditions are met are per
    profile.
    """

    name: str
    max_creditors: int = 20
    max_amount: Decimal = Decimal("5000000")
    triggers: frozenset[str] = frozenset(FAST_TRACK_TRIGGERS)
    exclusions: frozenset[str] = frozenset(FAST_TRACK_EXCLUSIONS)
    time_limit_months: int = 6
    extension_allowed: bool = False
    ruling_working_days: int = 5

    def __post_init__(self) -> None:
        if self.max_creditors < 1 or self.time_limit_months < 1 or self.ruling_working_days < 1:
            raise RuleError("快审配置的人数、期限和工作日数须为正整数")
        if _money(self.max_amount, "快审金额上限") == 0:
            raise RuleError("快审金额上限须为正数")
        unknown = (set(self.triggers) - set(FAST_TRACK_TRIGGERS)) | (
            set(self.exclusions) - set(FAST_TRACK_EXCLUSIONS)
        )
        if unknown:
            raise RuleError(f"未知的快审条件：{', '.join(sorted(unknown))}")
        if not self.triggers:
            raise RuleError("快审配置至少须有一项适用情形")


HUBEI_FAST_TRACK = FastTrackProfile(
    name="湖北示例：破产案件简化审理（湖北高院2021年指引，部分情形待核实，可按法院配置）"
)


@dataclass(frozen=True)
class FastTrackFacts:
    """The facts of a case that the fast-track profile looks at."""

    acceptance_date: date
    creditor_count: int
    claims_total: Decimal
    assets_total: Decimal
    pending_proceedings: bool  # litigation or arbitration involving the debtor still pending
    books_taken_over: bool  # the administrator has taken over the books and records
    assets_liquidation: Decimal | None = None  # free assets' liquidation value (assessment)
    costs_estimate: Decimal | None = None  # estimated bankruptcy costs (Art.41)
    enforcement_transfer: bool = False  # 执转破: sent from enforcement after 终结本次执行
    licence_revoked: bool = False  # business licence revoked, not liquidated
    forced_liquidation_done: bool = False  # after 强制清算, assets and debts confirmed
    parties_agree: bool = False  # petitioner, debtor and main creditors agree
    assets_hard_to_realise: bool = False
    special_debtor: bool = False  # listed company, financial institution, consolidation
    stability_risk: bool = False


@dataclass(frozen=True)
class FastTrackCheck:
    """One trigger or exclusion: its key and label, whether it applies, the finding."""

    key: str
    label: str
    source: str
    applies: bool
    finding: str


@dataclass(frozen=True)
class FastTrackResult:
    """Eligibility, the reasons (the unmet conditions, or all met ones), the time limit, and
    every trigger and exclusion of the profile with whether it applied."""

    eligible: bool
    reasons: tuple[str, ...]
    deadline: date
    triggers: tuple[FastTrackCheck, ...] = ()
    exclusions: tuple[FastTrackCheck, ...] = ()


def _no_assets(facts: FastTrackFacts) -> tuple[bool, str]:
    if facts.assets_total == 0:
        return True, "债务人无财产（资产总额 0 元）"
    free, costs = facts.assets_liquidation, facts.costs_estimate
    if free is None or costs is None:
        return False, "未评估清算价值与破产费用"
    if free < costs:
        return True, f"无担保财产清算价值 {free} 元，不足以支付预计破产费用 {costs} 元"
    return False, f"无担保财产清算价值 {free} 元，足以支付预计破产费用 {costs} 元"


def _fast_track_trigger(key: str, profile: FastTrackProfile, facts: FastTrackFacts):
    if key == "few_and_small":
        count, most = facts.creditor_count, profile.max_creditors
        claims, assets, limit = facts.claims_total, facts.assets_total, profile.max_amount
        few, small = count < most, claims < limit or assets < limit
        return few and small, (
            f"债权人 {count} 人，{'少于' if few else '不少于'} {most} 人；"
            f"债权总额 {claims} 元、资产总额 {assets} 元，"
            + (f"至少一项低于 {limit} 元" if small else f"均不低于 {limit} 元")
        )
    if key == "no_assets":
        return _no_assets(facts)
    flag = getattr(facts, key)
    label = FAST_TRACK_TRIGGERS[key][0]
    return flag, label if flag else f"非“{label}”情形"


def _fast_track_exclusion(key: str, facts: FastTrackFacts):
    label = FAST_TRACK_EXCLUSIONS[key][0]
    if key == "pending_proceedings":
        pending = facts.pending_proceedings
        return pending, "存在未决诉讼或仲裁" if pending else "无未决诉讼或仲裁"
    if key == "books_not_taken_over":
        taken = facts.books_taken_over
        return not taken, "已接管债务人账册" if taken else "未能接管债务人账册"
    flag = getattr(facts, key)
    return flag, label if flag else f"无“{label}”情形"


def fast_track_checks(
    profile: FastTrackProfile, facts: FastTrackFacts
) -> tuple[tuple[FastTrackCheck, ...], tuple[FastTrackCheck, ...]]:
    """Every trigger and every exclusion of the profile, with whether it applies.

    湖北省高级人民法院 简化审理工作指引（试行）(2021) and comparable guides; see
    ``FAST_TRACK_TRIGGERS`` for which are verified.
    """
    triggers = tuple(
        FastTrackCheck(key, label, source, *_fast_track_trigger(key, profile, facts))
        for key, (label, source) in FAST_TRACK_TRIGGERS.items()
        if key in profile.triggers
    )
    exclusions = tuple(
        FastTrackCheck(key, label, source, *_fast_track_exclusion(key, facts))
        for key, (label, source) in FAST_TRACK_EXCLUSIONS.items()
        if key in profile.exclusions
    )
    return triggers, exclusions


def fast_track_assessment(
    profile: FastTrackProfile,
    facts: FastTrackFacts,
    *,
    next_working_day: NextWorkingDay | None = None,
) -> FastTrackResult:
    """Whether a case falls under the profile's mandatory fast track, and its time limit.

    湖北省高级人民法院 简化审理工作指引（试行）(2021; SPC 法发〔2020〕14号 via local guides):
    eligible when at least one trigger applies and no exclusion does. ``reasons`` lists, when
    not eligible, every trigger's negative finding (if none applied) and the exclusions that
    apply; otherwise the triggers that applied and the exclusions that did not. ``deadline``
    is the time limit counted from acceptance (``time_limit_months``, no extension).
    """
    if facts.creditor_count < 0:
        raise RuleError(f"债权人人数不能为负数：{facts.creditor_count}")
    _money(facts.claims_total, "债权总额")
    _money(facts.assets_total, "资产总额")
    for value, what in ((facts.assets_liquidation, "清算价值"), (facts.costs_estimate, "破产费用")):
        if value is not None:
            _money(value, what)
    triggers, exclusions = fast_track_checks(profile, facts)
    met = tuple(c.finding for c in triggers if c.applies)
    barred = tuple(c.finding for c in exclusions if c.applies)
    eligible = bool(met) and not barred
    if eligible:
        reasons = met + tuple(c.finding for c in exclusions)
    else:
        reasons = (() if met else tuple(c.finding for c in triggers)) + barred
    return FastTrackResult(
        eligible=eligible,
        reasons=reasons,
        deadline=fast_track_deadline(
            profile, facts.acceptance_date, next_working_day=next_working_day
        ),
        triggers=triggers,
        exclusions=exclusions,
    )


def fast_track_deadline(
    profile: FastTrackProfile,
    acceptance: date,
    *,
    extension_months: int = 0,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """Last day of the fast-track time limit, counted in months from acceptance.

    Fast-track profile (SPC 法发〔2020〕14号 via local guides): Hubei example 6 months, no
    extension; an extension on a profile that forbids it raises ``RuleError``.
    """
    if extension_months < 0 or (extension_months and not profile.extension_allowed):
        raise RuleError(f"{profile.name}的审理期限不得延长")
    months = profile.time_limit_months + extension_months
    return month_period_end(acceptance, months, next_working_day=next_working_day)


def fast_track_ruling_due(
    profile: FastTrackProfile,
    conditions_met: date,
    *,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """The ruling is due within the profile's working days (Hubei: 5) once conditions are met.

    Fast-track profile (SPC 法发〔2020〕14号 via local guides); see ``working_days_after``.
    """
    return working_days_after(
        conditions_met, profile.ruling_working_days, next_working_day=next_working_day
    )
