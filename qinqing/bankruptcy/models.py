"""Bankruptcy reconciliation (破产和解): cases, claims, meetings, agreements, figures.

Amounts are yuan with two decimals. Statutory deadlines are never stored: they are computed from
the recorded dates by ``qinqing.bankruptcy.rules`` (see ``selectors.case_deadlines``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy import rules
from qinqing.core.models import Organisation

CASE_NUMBER_RE = re.compile(
    r"^（(?P<year>\d{4})）(?P<court>[\u4e00-\u9fff]\d{4})破(?:申)?(?P<n>[1-9]\d*)号$"
)


def normalise_case_number(value: str) -> str:
    """Half-width parentheses and spaces are accepted and normalised to the court's form."""
    return value.strip().replace(" ", "").replace("(", "（").replace(")", "）")


def validate_case_number(value: str) -> None:
    match = CASE_NUMBER_RE.match(value)
    if not match or not 1990 <= int(match.group("year")) <= 2100:
        raise ValidationError(_("案号格式应为“（2024）鄂0111破1号”"), code="invalid_case_number")


def money_field(verbose: str, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(verbose, max_digits=18, decimal_places=2, **kwargs)


class FastTrackProfile(models.Model):
    """A court's fast-track rules (破产快审); the Hubei example is the default values."""

    court = models.ForeignKey(
        Organisation, verbose_name=_("法院"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=120)
    max_creditors = models.PositiveIntegerField(_("债权人人数上限（不含）"), default=20)
    max_amount = money_field(_("债权或资产总额上限（不含）"), default=Decimal("5000000.00"))
    exclude_pending_proceedings = models.BooleanField(_("有未决诉讼或仲裁的不适用"), default=True)
    exclude_books_not_taken_over = models.BooleanField(_("未能接管账册的不适用"), default=True)
    # The other triggers and exclusions (rules.FAST_TRACK_TRIGGERS / FAST_TRACK_EXCLUSIONS);
    # all on by default, each off for a court whose guide does not name it.
    trigger_few_and_small = models.BooleanField(
        _("适用情形：债权人人数少且债权或资产总额小（湖北指引）"), default=True
    )
    trigger_no_assets = models.BooleanField(
        _("适用情形：无财产或财产不足以支付破产费用"), default=True
    )
    trigger_enforcement_transfer = models.BooleanField(
        _("适用情形：终结本次执行后移送破产"), default=True
    )
    trigger_licence_revoked = models.BooleanField(
        _("适用情形：被吊销营业执照未清算、债权债务简单"), default=True
    )
    trigger_forced_liquidation_done = models.BooleanField(
        _("适用情形：经强制清算、资产负债已确认"), default=True
    )
    trigger_parties_agree = models.BooleanField(
        _("适用情形：申请人、债务人及主要债权人同意简化审理"), default=True
    )
    exclude_assets_hard_to_realise = models.BooleanField(
        _("财产管理、变价、分配困难的不适用"), default=True
    )
    exclude_special_debtor = models.BooleanField(
        _("上市公司、金融机构、关联企业合并破产的不适用"), default=True
    )
    exclude_stability_risk = models.BooleanField(_("可能影响社会稳定的不适用"), default=True)
    time_limit_months = models.PositiveIntegerField(_("审理期限（月）"), default=6)
    extension_allowed = models.BooleanField(_("可以延长"), default=False)
    ruling_working_days = models.PositiveIntegerField(_("条件具备后裁定期限（工作日）"), default=5)
    is_default = models.BooleanField(_("本院默认"), default=True)

    class Meta:
        verbose_name = _("快审配置")
        verbose_name_plural = _("快审配置")
        constraints = [
            models.UniqueConstraint(
                fields=["court"],
                condition=models.Q(is_default=True),
                name="bk_fasttrack_one_default_per_court",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> rules.FastTrackProfile:
        return rules.FastTrackProfile(
            name=self.name,
            max_creditors=self.max_creditors,
            max_amount=self.max_amount,
            triggers=frozenset(
                key for key in rules.FAST_TRACK_TRIGGERS if getattr(self, f"trigger_{key}")
            ),
            exclusions=frozenset(
                key for key in rules.FAST_TRACK_EXCLUSIONS if getattr(self, f"exclude_{key}")
            ),
            time_limit_months=self.time_limit_months,
            extension_allowed=self.extension_allowed,
            ruling_working_days=self.ruling_working_days,
        )


class Case(models.Model):
    class Procedure(models.TextChoices):
        RECONCILIATION = "reconciliation", _("破产和解")
        LIQUIDATION = "liquidation", _("破产清算")

    class Petitioner(models.TextChoices):
        DEBTOR = "debtor", _("债务人申请")
        CREDITOR = "creditor", _("债权人申请")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("已受理")
        DECLARING = "declaring", _("债权申报中")
        MEETING = "meeting", _("债权人会议")
        EXECUTING = "executing", _("和解协议执行中")
        COMPLETED = "completed", _("执行完毕")
        TERMINATED = "terminated", _("协议终止（宣告破产）")
        BANKRUPT = "bankrupt", _("宣告破产")
        SETTLED = "settled", _("自行和解终结")

    number = models.CharField(
        _("案号"), max_length=40, unique=True, validators=[validate_case_number]
    )
    court = models.ForeignKey(
        Organisation, verbose_name=_("法院"), on_delete=models.PROTECT, related_name="+"
    )
    debtor = models.ForeignKey(
        Organisation,
        verbose_name=_("债务人"),
        on_delete=models.PROTECT,
        related_name="bankruptcy_cases",
    )
    procedure = models.CharField(
        _("程序"), max_length=20, choices=Procedure.choices, default=Procedure.RECONCILIATION
    )
    petitioner = models.CharField(
        _("申请人"), max_length=10, choices=Petitioner.choices, default=Petitioner.DEBTOR
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办法官"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("书记员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    administrator = models.ForeignKey(
        Organisation,
        verbose_name=_("管理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    fast_track = models.BooleanField(_("适用快审"), default=False)
    fast_track_profile = models.ForeignKey(
        FastTrackProfile,
        verbose_name=_("快审配置"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    pending_proceedings = models.BooleanField(_("存在未决诉讼或仲裁"), default=False)
    books_taken_over = models.BooleanField(_("已接管账册"), default=True)
    # The other facts the fast-track profile looks at (rules.FastTrackFacts).
    enforcement_transfer = models.BooleanField(_("终结本次执行后移送破产"), default=False)
    licence_revoked = models.BooleanField(_("被吊销营业执照未经清算"), default=False)
    forced_liquidation_done = models.BooleanField(_("经强制清算、资产负债已确认"), default=False)
    parties_agree = models.BooleanField(_("申请人、债务人及主要债权人同意简化审理"), default=False)
    assets_hard_to_realise = models.BooleanField(_("财产管理、变价、分配困难"), default=False)
    special_debtor = models.BooleanField(_("上市公司、金融机构或关联企业合并破产"), default=False)
    stability_risk = models.BooleanField(_("职工安置等可能影响社会稳定"), default=False)
    petition_date = models.DateField(_("申请日"))
    acceptance_date = models.DateField(_("受理日"))
    announcement_date = models.DateField(_("公告日"), null=True, blank=True)
    declaration_end = models.DateField(_("债权申报期限届满日"), null=True, blank=True)
    claims_table_published_on = models.DateField(_("债权表编制日"), null=True, blank=True)
    approval_date = models.DateField(_("认可和解协议裁定日"), null=True, blank=True)
    closed_date = models.DateField(_("结案日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Per-case readings of the law (docs/bankruptcy.md "Settings"); defaults: the literal one.
    secured_shortfall_votes = models.BooleanField(
        _("未放弃优先受偿权的有财产担保债权人以担保物不足清偿部分对和解协议表决（第110条）"),
        default=False,
        help_text=_("默认不勾选：按第59条第3款字面含义，其全部债权不参加和解协议表决"),
    )
    priority_claims = models.CharField(
        _("职工债权和税款债权的处理"),
        max_length=12,
        choices=[
            ("outside", _("协议外全额清偿（认可前须已付清）")),
            ("inside", _("列入和解协议")),
        ],
        default="outside",
    )
    administrator_fee_rate = models.DecimalField(
        _("管理人报酬比例（%，法院确定）"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("空：按《关于审理企业破产案件确定管理人报酬的规定》第2条各档上限计算"),
    )
    is_demo = models.BooleanField(
        _("演示数据"),
        default=False,
        help_text=_("由演示数据加载程序登记的虚构案件（债务人名称含“示例”），统计页据此标注"),
    )

    class Meta:
        verbose_name = _("破产案件")
        verbose_name_plural = _("破产案件")
        ordering = ["-acceptance_date", "-pk"]
        indexes = [
            models.Index(fields=["court", "status"], name="bk_case_court_status_idx"),
            models.Index(fields=["administrator"], name="bk_case_admin_idx"),
            models.Index(fields=["approval_date"], name="bk_case_approval_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.debtor}"


class CaseDecision(models.Model):
    """A recorded decision on the track or the procedure (快审转普通、和解转清算 …)."""

    class Kind(models.TextChoices):
        FAST_TRACK_ON = "fast_track_on", _("适用快审")
        FAST_TRACK_OFF = "fast_track_off", _("快审转普通程序")
        TO_LIQUIDATION = "to_liquidation", _("和解转破产清算")
        TO_RECONCILIATION = "to_reconciliation", _("清算转破产和解")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="decisions"
    )
    kind = models.CharField(_("决定类型"), max_length=20, choices=Kind.choices)
    decided_on = models.DateField(_("决定日"))
    reason = models.TextField(_("理由"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("程序决定")
        verbose_name_plural = _("程序决定")
        ordering = ["decided_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()}"


class Assessment(models.Model):
    """涉企经济影响评估: the structured form; the report is computed (selectors.assessment_report)."""

    class Trend(models.TextChoices):
        RISING = "rising", _("上升")
        STABLE = "stable", _("平稳")
        FALLING = "falling", _("下降")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="assessments"
    )
    employees = models.PositiveIntegerField(_("职工人数"), default=0)
    tax_paid_last_year = money_field(_("上年纳税额"))
    revenue_trend = models.CharField(
        _("营业收入趋势"), max_length=10, choices=Trend.choices, default=Trend.STABLE
    )
    assets_book = money_field(_("资产账面价值"))
    assets_appraised = money_field(_("资产评估价值"))
    assets_liquidation = money_field(_("无担保财产清算价值"))
    average_monthly_wage = money_field(_("职工月平均工资（第113条第3款）"))
    costs_estimate = money_field(_("预计破产费用"))
    common_benefit_estimate = money_field(_("预计共益债务"))
    guarantees = models.TextField(_("担保情况"), blank=True)
    industry_role = models.TextField(_("产业地位与社会影响"), blank=True)
    assessed_on = models.DateField(_("评估日"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评估人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("涉企经济影响评估")
        verbose_name_plural = _("涉企经济影响评估")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.assessed_on}"


class Creditor(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="creditors"
    )
    name = models.CharField(_("债权人名称"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("债权人机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("债权人")
        verbose_name_plural = _("债权人")
        ordering = ["case", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="bk_creditor_unique_name")
        ]
        indexes = [models.Index(fields=["organisation"], name="bk_creditor_org_idx")]

    def __str__(self) -> str:
        return self.name


class Claim(models.Model):
    class Rank(models.TextChoices):
        ORDINARY = "ordinary", _("普通债权")
        EMPLOYEE = "employee", _("职工债权")
        TAX_SOCIAL = "tax_social", _("社会保险费用和税款")

    class Nature(models.TextChoices):
        GENERAL = "", _("一般")
        TAX_LATE_FEE = "tax_late_fee", _("税款滞纳金（普通债权）")
        PENALTY = "penalty", _("罚款、罚金等惩罚性债权（劣后）")
        COURT_SUBORDINATED = "court_subordinated", _("法院裁定劣后的债权")

    class Status(models.TextChoices):
        FILED = "filed", _("已申报待审查")
        ADMITTED = "admitted", _("审查确认（列入债权表）")
        REJECTED = "rejected", _("审查不予确认")
        CONFIRMED = "confirmed", _("法院裁定确认")
        DISPUTED = "disputed", _("有异议（待诉讼）")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="claims"
    )
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="claims"
    )
    rank = models.CharField(_("债权性质"), max_length=12, choices=Rank.choices)
    nature = models.CharField(
        _("债权细分"), max_length=20, choices=Nature.choices, default="", blank=True
    )
    senior_manager = models.BooleanField(
        _("董事、监事或高级管理人员的工资（第113条第3款）"), default=False
    )
    wage_months = models.DecimalField(
        _("欠薪月数"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    paid_in_full_on = models.DateField(_("协议外全额清偿日"), null=True, blank=True)
    principal = money_field(_("本金"))
    interest = money_field(_("利息（计至受理日）"))
    other = money_field(_("其他"))
    secured = models.BooleanField(_("有财产担保"), default=False)
    collateral_value = money_field(_("担保物清算价值"))
    waived_priority = models.BooleanField(_("放弃优先受偿权"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.FILED
    )
    admitted_amount = money_field(_("确认金额"), null=True, blank=True, default=None)
    provisional_amount = money_field(_("临时确定的表决额"), null=True, blank=True, default=None)
    review_reason = models.TextField(_("审查理由"), blank=True)
    objection = models.TextField(_("异议"), blank=True)
    late = models.BooleanField(_("逾期申报（第56条）"), default=False)
    filed_on = models.DateField(_("申报日"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报人账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("债权")
        verbose_name_plural = _("债权")
        ordering = ["case", "pk"]
        indexes = [models.Index(fields=["case", "status"], name="bk_claim_case_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(principal__gte=0, interest__gte=0, other__gte=0),
                name="bk_claim_amounts_nonnegative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.creditor} {self.declared_amount}"

    @property
    def declared_amount(self) -> Decimal:
        return self.principal + self.interest + self.other


class ClaimEvidence(models.Model):
    claim = models.ForeignKey(
        Claim, verbose_name=_("债权"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(
        _("证据文件"),
        upload_to="bankruptcy/evidence/%Y/%m/",
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"])],
    )
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    class Kind(models.TextChoices):
        FIRST = "first", _("第一次债权人会议")
        LATER = "later", _("债权人会议")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已通知")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("会议日"))
    notice_date = models.DateField(_("通知日"))
    online = models.BooleanField(_("网络会议（可线上签到表决）"), default=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    results_sent_on = models.DateField(_("表决结果告知日"), null=True, blank=True)

    class Meta:
        verbose_name = _("债权人会议")
        verbose_name_plural = _("债权人会议")
        ordering = ["case", "date"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()} {self.date}"


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        RECONCILIATION = rules.RECONCILIATION, _("表决和解协议（第97条）")
        ORDINARY = rules.ORDINARY, _("一般决议（第64条）")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="items"
    )
    title = models.CharField(_("议题"), max_length=200)
    kind = models.CharField(_("表决规则"), max_length=20, choices=Kind.choices)
    is_open = models.BooleanField(_("表决中"), default=False)
    passed = models.BooleanField(_("通过"), null=True, blank=True)
    result = models.JSONField(_("计票结果"), default=dict, blank=True)
    closed_on = models.DateField(_("表决结束日"), null=True, blank=True)

    class Meta:
        verbose_name = _("表决事项")
        verbose_name_plural = _("表决事项")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="attendances"
    )
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="attendances"
    )
    signed_in_at = models.DateTimeField(_("签到时间"))
    online = models.BooleanField(_("线上签到"), default=True)
    proxy_name = models.CharField(_("委托代理人"), max_length=100, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签到账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "creditor"], name="bk_attendance_once_per_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.creditor} @ {self.meeting}"


class Ballot(models.Model):
    class Vote(models.TextChoices):
        YES = "yes", _("同意")
        NO = "no", _("不同意")
        ABSTAIN = "abstain", _("弃权")

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("表决事项"), on_delete=models.CASCADE, related_name="ballots"
    )
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="ballots"
    )
    vote = models.CharField(_("表决意见"), max_length=10, choices=Vote.choices)
    cast_at = models.DateTimeField(_("表决时间"))
    # A changed vote is a change, not a new ballot: what it replaced, and how often it changed
    # (every change is also in the audit chain with the previous vote).
    previous_vote = models.CharField(
        _("更改前的表决意见"), max_length=10, choices=Vote.choices, blank=True
    )
    changes = models.PositiveSmallIntegerField(_("更改次数"), default=0)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("表决账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        constraints = [
            models.UniqueConstraint(fields=["item", "creditor"], name="bk_ballot_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.creditor} {self.get_vote_display()}"


class Agreement(models.Model):
    class Kind(models.TextChoices):
        COURT = "court", _("和解协议（第97条）")
        SELF_SETTLEMENT = "self_settlement", _("自行和解（第105条）")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        APPROVED = "approved", _("已认可，执行中")
        COMPLETED = "completed", _("执行完毕")
        TERMINATED = "terminated", _("已终止")
        VOID = "void", _("裁定无效")

    # Agreements that no longer bind anyone: terminated (Art.99 / Art.104) or void (Art.103).
    ENDED = (Status.TERMINATED, Status.VOID)

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="agreements"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.COURT)
    summary = models.TextField(_("协议要点"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    approved_on = models.DateField(_("认可日"), null=True, blank=True)
    completed_on = models.DateField(_("执行完毕日"), null=True, blank=True)
    terminated_on = models.DateField(_("终止日（或裁定无效日）"), null=True, blank=True)
    termination_reason = models.TextField(_("终止或无效的原因"), blank=True)
    termination_requested_by = models.ForeignKey(
        "Creditor",
        verbose_name=_("请求终止的和解债权人（第104条）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("和解协议")
        verbose_name_plural = _("和解协议")
        ordering = ["case", "pk"]
        indexes = [models.Index(fields=["status", "approved_on"], name="bk_agree_status_idx")]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()}"


class AgreementTerm(models.Model):
    """One creditor's terms: its confirmed unsecured claim and what the agreement pays it."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("和解协议"), on_delete=models.CASCADE, related_name="terms"
    )
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="terms"
    )
    confirmed_amount = money_field(_("确认的无财产担保债权额"))
    agreed_amount = money_field(_("协议清偿额"))
    # The sum of the term's payments, kept by `services.payment_record` in the payment's own
    # transaction, so the database itself refuses a total above the agreed amount.
    paid_amount = money_field(_("已清偿额"))
    # The part of the confirmed (and agreed) amount that is employee and tax claims paid in full
    # inside the agreement (the case's setting "inside"): not a reconciliation claim, so the
    # court's figures leave it out.
    priority_amount = money_field(_("其中职工债权和税款（全额清偿）"))
    tier = models.CharField(_("清偿档次"), max_length=50, blank=True)
    consented_on = models.DateField(_("同意日（自行和解）"), null=True, blank=True)

    class Meta:
        verbose_name = _("协议条款")
        verbose_name_plural = _("协议条款")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "creditor"], name="bk_term_once_per_creditor"
            ),
            models.CheckConstraint(
                condition=models.Q(agreed_amount__lte=models.F("confirmed_amount")),
                name="bk_term_agreed_le_confirmed",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0, paid_amount__lte=models.F("agreed_amount")),
                name="bk_term_paid_within_agreed",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    priority_amount__gte=0, priority_amount__lte=models.F("agreed_amount")
                ),
                name="bk_term_priority_within_agreed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creditor} {self.agreed_amount}"


class Installment(models.Model):
    term = models.ForeignKey(
        AgreementTerm,
        verbose_name=_("协议条款"),
        on_delete=models.CASCADE,
        related_name="installments",
    )
    due_date = models.DateField(_("应付日"))
    amount = money_field(_("应付金额"))
    reminded_on = models.DateField(_("提醒日"), null=True, blank=True)

    class Meta:
        verbose_name = _("还款计划")
        verbose_name_plural = _("还款计划")
        ordering = ["term", "due_date"]
        indexes = [models.Index(fields=["due_date"], name="bk_installment_due_idx")]

    def __str__(self) -> str:
        return f"{self.term.creditor} {self.due_date} {self.amount}"


class Payment(models.Model):
    term = models.ForeignKey(
        AgreementTerm, verbose_name=_("协议条款"), on_delete=models.CASCADE, related_name="payments"
    )
    paid_on = models.DateField(_("支付日"))
    amount = money_field(_("金额"))
    reference = models.CharField(_("凭证号"), max_length=100, blank=True)
    receipt_confirmed_on = models.DateField(_("债权人确认收款日"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("清偿款")
        verbose_name_plural = _("清偿款")
        ordering = ["term", "paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="bk_payment_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term.creditor} {self.paid_on} {self.amount}"


class Proxy(models.Model):
    """A creditor's authorised agent (委托代理人) with an account: may sign in and vote for it."""

    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="proxies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理人账号"),
        on_delete=models.PROTECT,
        related_name="bankruptcy_proxies",
    )
    name = models.CharField(_("代理人姓名"), max_length=100)
    authorised_on = models.DateField(_("授权委托书日期"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("委托代理人")
        verbose_name_plural = _("委托代理人")
        constraints = [
            models.UniqueConstraint(fields=["creditor", "user"], name="bk_proxy_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.creditor}"


class Committee(models.Model):
    """债权人委员会 (Art.67): chosen by the creditors' meeting, approved by the court."""

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="committee"
    )
    chosen_on = models.DateField(_("债权人会议决定设立日"))
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("选任的债权人会议"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_on = models.DateField(_("法院书面决定认可日（第67条第2款）"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认可法官"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("债权人委员会")
        verbose_name_plural = _("债权人委员会")

    def __str__(self) -> str:
        return f"{self.case.number} {self._meta.verbose_name}"

    @property
    def in_office(self) -> bool:
        return self.approved_on is not None


class CommitteeMemberQuerySet(models.QuerySet):
    def in_office(self):
        """Members not removed or replaced (Art.61(8), Art.67)."""
        return self.filter(removed_on=None)


class CommitteeMember(models.Model):
    """A member of the committee; one removed or replaced keeps its row (its votes stay on the
    minutes) with the date, the body that decided (the creditors' meeting, Art.61 para.1(8),
    or the court, Art.67 para.2) and the reason."""

    class Kind(models.TextChoices):
        CREDITOR = rules.COMMITTEE_CREDITOR, _("债权人代表")
        EMPLOYEE = rules.COMMITTEE_EMPLOYEE, _("职工代表")
        UNION = rules.COMMITTEE_UNION, _("工会代表")

    class RemovedBy(models.TextChoices):
        MEETING = rules.REMOVED_BY_MEETING, _("债权人会议决议更换（第61条第1款第8项）")
        COURT = rules.REMOVED_BY_COURT, _("人民法院决定撤销认可（第67条第2款）")

    committee = models.ForeignKey(
        Committee, verbose_name=_("债权人委员会"), on_delete=models.CASCADE, related_name="members"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    creditor = models.ForeignKey(
        Creditor,
        verbose_name=_("所代表的债权人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee_seats",
    )
    name = models.CharField(_("委员姓名"), max_length=100)
    added_on = models.DateField(_("选任日"))
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("接替的委员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
    )
    removed_on = models.DateField(_("更换或撤销日"), null=True, blank=True)
    removed_by = models.CharField(
        _("更换或撤销的决定机关"), max_length=8, choices=RemovedBy.choices, blank=True
    )
    removal_reason = models.TextField(_("更换或撤销的理由"), blank=True)

    objects = CommitteeMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("债权人委员会成员")
        verbose_name_plural = _("债权人委员会成员")
        ordering = ["committee", "pk"]
        indexes = [
            models.Index(fields=["committee", "removed_on"], name="bk_member_in_office"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "creditor"],
                condition=models.Q(creditor__isnull=False, removed_on__isnull=True),
                name="bk_member_one_seat_per_creditor",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(removed_on__isnull=True, removed_by="", removal_reason="")
                    | (
                        models.Q(removed_on__isnull=False)
                        & ~models.Q(removed_by="")
                        & ~models.Q(removal_reason="")
                    )
                ),
                name="bk_member_removal_recorded_whole",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=rules.COMMITTEE_CREDITOR, creditor__isnull=False)
                    | (~models.Q(kind=rules.COMMITTEE_CREDITOR) & models.Q(creditor__isnull=True))
                ),
                name="bk_member_creditor_iff_creditor_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class CommitteeDecision(models.Model):
    """A committee decision (Art.68; Interp. III Art.14: majority of all members, minuted)."""

    class Subject(models.TextChoices):
        SUPERVISE_ADMINISTRATION = "administration", _("监督债务人财产的管理和处分")
        SUPERVISE_DISTRIBUTION = "distribution", _("监督破产财产分配")
        PROPOSE_MEETING = "meeting", _("提议召开债权人会议")
        ENTRUSTED = "entrusted", _("债权人会议委托的其他职权")

    committee = models.ForeignKey(
        Committee,
        verbose_name=_("债权人委员会"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    subject = models.CharField(_("职权事项（第68条）"), max_length=14, choices=Subject.choices)
    matter = models.TextField(_("所议事项"))
    decided_on = models.DateField(_("表决日"))
    members_in_office = models.PositiveSmallIntegerField(_("全体委员人数"))
    yes = models.PositiveSmallIntegerField(_("同意"))
    no = models.PositiveSmallIntegerField(_("反对"))
    abstain = models.PositiveSmallIntegerField(_("弃权或未表决"))
    passed = models.BooleanField(_("通过"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("债权人委员会决议")
        verbose_name_plural = _("债权人委员会决议")
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.decided_on}"


class CommitteeVote(models.Model):
    """A member's vote on a decision, with its dissent (Interp. III Art.14: 不同意见载明) and
    the member's signature of the minutes."""

    class Vote(models.TextChoices):
        YES = "yes", _("同意")
        NO = "no", _("反对")
        ABSTAIN = "abstain", _("弃权")

    decision = models.ForeignKey(
        CommitteeDecision, verbose_name=_("决议"), on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        CommitteeMember, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="votes"
    )
    vote = models.CharField(_("意见"), max_length=8, choices=Vote.choices)
    dissent = models.TextField(_("不同意见"), blank=True)
    signed_at = models.DateTimeField(_("签名时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签名账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("委员表决")
        verbose_name_plural = _("委员表决")
        constraints = [
            models.UniqueConstraint(fields=["decision", "member"], name="bk_cvote_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_vote_display()}"


class Art69Report(models.Model):
    """The administrator's report of an act listed in Art.69 (to the committee, or to the court
    where there is none in office)."""

    class Act(models.TextChoices):
        REAL_PROPERTY = "real_property", _("涉及土地、房屋等不动产权益的转让")
        MINING_IP = "mining_ip", _("探矿权、采矿权、知识产权等财产权的转让")
        INVENTORY_BUSINESS = "inventory_business", _("全部库存或者营业的转让")
        BORROWING = "borrowing", _("借款")
        SECURITY = "security", _("设定财产担保")
        CLAIMS_SECURITIES = "claims_securities", _("债权和有价证券的转让")
        CONTRACTS = "contracts", _("履行债务人和对方当事人均未履行完毕的合同")
        WAIVER = "waiver", _("放弃权利")
        COLLATERAL_RECOVERY = "collateral_recovery", _("担保物的取回")
        OTHER_MAJOR = "other_major", _("对债权人利益有重大影响的其他财产处分行为")

    class To(models.TextChoices):
        COMMITTEE = rules.REPORT_TO_COMMITTEE, _("债权人委员会")
        COURT = rules.REPORT_TO_COURT, _("人民法院")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="art69_reports"
    )
    act = models.CharField(_("行为（第69条）"), max_length=20, choices=Act.choices)
    description = models.TextField(_("行为说明"))
    act_date = models.DateField(_("拟实施日"))
    reported_on = models.DateField(_("报告日"))
    reported_to = models.CharField(_("报告对象"), max_length=10, choices=To.choices)
    late = models.BooleanField(_("未提前十日报告（司法解释三第15条）"), default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_on = models.DateField(_("收悉日"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收悉人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("第69条行为报告")
        verbose_name_plural = _("第69条行为报告")
        ordering = ["-reported_on", "-pk"]
        indexes = [models.Index(fields=["case", "reported_on"], name="bk_art69_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_act_display()} {self.act_date}"
