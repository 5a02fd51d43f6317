"""Projects, their sections and bidders, and the evaluation session of a section."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.projects import rules
from qinqing.core.models import Organisation
from qinqing.core.rules import mask_resident_id


class RuleSet(models.Model):
    """The configurable numbers of one kind of tender (see rules.RuleSet)."""

    class Kind(models.TextChoices):
        CONSTRUCTION = "construction", _("工程建设项目招标")
        PROCUREMENT = "procurement", _("政府采购")

    name = models.CharField(_("规则集名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    max_age = models.PositiveSmallIntegerField(_("专家年龄上限（周岁）"), default=70)
    frequency_count = models.PositiveSmallIntegerField(_("频次上限（次）"), default=4)
    frequency_days = models.PositiveSmallIntegerField(_("频次统计天数"), default=30)
    per_tenderer_count = models.PositiveSmallIntegerField(_("同一招标人频次上限"), default=2)
    past_relation_years = models.PositiveSmallIntegerField(_("任职回避年限"), default=3)
    committee_min_size = models.PositiveSmallIntegerField(_("评标委员会最少人数"), default=5)
    committee_odd = models.BooleanField(_("人数须为单数"), default=True)
    expert_share_num = models.PositiveSmallIntegerField(_("专家占比分子"), default=2)
    expert_share_den = models.PositiveSmallIntegerField(_("专家占比分母"), default=3)
    large_budget = models.DecimalField(
        _("大额项目预算线（元）"), max_digits=18, decimal_places=2, default=Decimal("10000000")
    )
    large_budget_min_size = models.PositiveSmallIntegerField(_("大额项目最少人数"), default=7)
    deviation_threshold = models.DecimalField(
        _("评分偏离阈值"), max_digits=4, decimal_places=2, default=Decimal("0.30")
    )
    response_minutes = models.PositiveSmallIntegerField(_("专家答复时限（分钟）"), default=120)

    class Meta:
        verbose_name = _("评标规则集")
        verbose_name_plural = _("评标规则集")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expert_share_den__gt=0)
                & models.Q(expert_share_num__lte=models.F("expert_share_den")),
                name="ruleset_expert_share_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def to_rules(self) -> rules.RuleSet:
        return rules.RuleSet(
            name=self.name,
            kind=self.kind,
            max_age=self.max_age,
            frequency_count=self.frequency_count,
            frequency_days=self.frequency_days,
            per_tenderer_count=self.per_tenderer_count,
            past_relation_years=self.past_relation_years,
            committee_min_size=self.committee_min_size,
            committee_odd=self.committee_odd,
            expert_share=Fraction(self.expert_share_num, self.expert_share_den),
            large_budget=self.large_budget,
            large_budget_min_size=self.large_budget_min_size,
            deviation_threshold=self.deviation_threshold,
        )


class ProcurementCategory(models.TextChoices):
    GOODS = "goods", _("货物")
    SERVICES = "services", _("服务")
    WORKS = "works", _("工程")


class Project(models.Model):
    class Method(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("综合评估法")
        LOWEST_PRICE = "lowest_price", _("经评审的最低投标价法")

    code = models.CharField(_("项目编号"), max_length=50, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    tenderer = models.ForeignKey(
        Organisation, verbose_name=_("招标人"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Organisation,
        verbose_name=_("招标代理机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supervising_department = models.ForeignKey(
        Organisation, verbose_name=_("行政监督部门"), on_delete=models.PROTECT, related_name="+"
    )
    host_centre = models.ForeignKey(
        Organisation,
        verbose_name=_("主场交易中心"),
        on_delete=models.PROTECT,
        related_name="hosted_projects",
        limit_choices_to={"kind": Organisation.Kind.TRADING_CENTRE},
    )
    region_code = models.CharField(_("项目所在地区代码"), max_length=6)
    method = models.CharField(_("评标办法"), max_length=20, choices=Method.choices)
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("规则集"), on_delete=models.PROTECT)
    budget = models.DecimalField(
        _("预算金额（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    procurement_category = models.CharField(
        _("采购项目类别"),
        max_length=10,
        choices=ProcurementCategory.choices,
        blank=True,
        help_text=_("政府采购项目：货物、服务或工程（决定小微企业价格扣除比例的范围）"),
    )
    complex_or_significant = models.BooleanField(
        _("技术复杂或社会影响较大"),
        default=False,
        help_text=_("政府采购项目：评标委员会须为 7 人以上单数（87号令第四十七条）"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("招标项目")
        verbose_name_plural = _("招标项目")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="sections"
    )
    code = models.CharField(_("标段编号"), max_length=50)
    name = models.CharField(_("标段名称"), max_length=200)
    bid_deadline = models.DateTimeField(
        _("投标截止时间"),
        null=True,
        blank=True,
        help_text=_("招标文件规定的投标截止时间，也是开标时间（招标投标法第三十四条）"),
    )

    class Meta:
        verbose_name = _("标段")
        verbose_name_plural = _("标段")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="section_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project.name}（{self.name}）"


class BidderSize(models.TextChoices):
    LARGE = "large", _("大型企业")
    MEDIUM = "medium", _("中型企业")
    SMALL = "small", _("小型企业")
    MICRO = "micro", _("微型企业")


class BidderQuerySet(models.QuerySet):
    def in_evaluation(self) -> BidderQuerySet:
        """The bidders the committee evaluates. In a section opened online (sealed bids,
        不见面开标) only those whose bid was decrypted at the opening: a bid withdrawn, replaced
        by nothing, or not decrypted in the window (视为撤回 / 投标无效) is not evaluated.
        Elsewhere every registered bidder, its price typed from the paper opening record."""
        from django.apps import apps

        opening_bid = apps.get_model("bidding", "OpeningBid")
        opening = apps.get_model("bidding", "Opening")
        decrypted = opening_bid.objects.filter(status="decrypted").values("bidder_id")
        opened = opening.objects.values("section_id")
        return self.exclude(models.Q(section_id__in=opened) & ~models.Q(pk__in=decrypted))


class Bidder(models.Model):
    section = models.ForeignKey(
        Section, verbose_name=_("标段"), on_delete=models.CASCADE, related_name="bidders"
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    name = models.CharField(_("投标人名称"), max_length=200)
    bid_price = models.DecimalField(
        _("投标报价（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    size = models.CharField(
        _("企业规模（中小企业声明函）"), max_length=10, choices=BidderSize.choices, blank=True
    )

    objects = BidderQuerySet.as_manager()

    class Meta:
        verbose_name = _("投标人")
        verbose_name_plural = _("投标人")
        constraints = [
            models.UniqueConstraint(fields=["section", "uscc"], name="bidder_unique_in_section")
        ]

    def __str__(self) -> str:
        return self.name


class ChairMethod(models.TextChoices):
    ELECTED = "elected", _("成员推举")
    APPOINTED = "appointed", _("招标人确定")


class EvaluationSession(models.Model):
    """One section evaluated at a host centre and guest centres in one time slot."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("待抽取")
        DRAWING = "drawing", _("抽取中")
        READY = "ready", _("专家已确认")
        IN_PROGRESS = "evaluating", _("评标中")
        CLOSED = "closed", _("已结束")

    section = models.OneToOneField(
        Section, verbose_name=_("标段"), on_delete=models.PROTECT, related_name="session"
    )
    host_centre = models.ForeignKey(
        Organisation, verbose_name=_("主场"), on_delete=models.PROTECT, related_name="+"
    )
    guest_centres = models.ManyToManyField(
        Organisation, verbose_name=_("客场"), related_name="guest_sessions", blank=True
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    secrecy_lifted_at = models.DateTimeField(_("解密时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("评标开始时间"), null=True, blank=True)
    chair = models.ForeignKey(
        "Seat",
        verbose_name=_("评标委员会负责人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    chair_method = models.CharField(
        _("负责人产生方式"), max_length=10, choices=ChairMethod.choices, blank=True
    )
    chair_round = models.PositiveSmallIntegerField(_("负责人推举轮次"), default=1)
    chair_candidates = models.JSONField(_("本轮候选人（工位席位）"), default=list, blank=True)

    class Meta:
        verbose_name = _("评标场次")
        verbose_name_plural = _("评标场次")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="session_time_idx")]

    def __str__(self) -> str:
        return f"{self.section} · {self.starts_at:%Y-%m-%d %H:%M}"


class TendererRepresentative(models.Model):
    """A representative of the tenderer named to sit on a session's committee (招标投标法 Art.37
    para.2; the purchaser's representative, 87号令 Art.47): named, not drawn, at most the
    share the experts leave (`rules.representatives_max`), paid by the tenderer (no expert fee).
    Their name is as secret as the experts' until the result is final; the code is the
    pseudonym the pages show."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="representatives",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位（招标人）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    code = models.CharField(_("代表编号"), max_length=30, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20)
    id_last4 = models.CharField(_("身份证号后四位"), max_length=4)
    named_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指派人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    named_at = models.DateTimeField(_("指派时间"))

    # Representatives sign in without an account (like experts at the workstation).
    user = None

    class Meta:
        verbose_name = _("招标人代表")
        verbose_name_plural = _("招标人代表")
        ordering = ["session", "code"]
        constraints = [
            models.UniqueConstraint(fields=["session", "phone"], name="representative_phone_unique")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_last4)
