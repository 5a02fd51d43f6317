"""Cases, the court's fast-track profile, the court's decisions and the impact assessment."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models.common import money_field, validate_case_number
from qinqing.core.models import Organisation


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
