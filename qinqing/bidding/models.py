"""Remote cross-site evaluation: expert databases, projects, sessions and verifiable draws."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qinqing.bidding import rules
from qinqing.core.models import Organisation
from qinqing.core.rules import mask_resident_id


class Speciality(models.Model):
    """A speciality of the evaluation-expert classification; a code covers its sub-codes."""

    code = models.CharField(_("专业代码"), max_length=20, primary_key=True)
    name = models.CharField(_("专业名称"), max_length=100)

    class Meta:
        verbose_name = _("评标专业")
        verbose_name_plural = _("评标专业")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


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


class Expert(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在库可用")
        SUSPENDED = "suspended", _("暂停")
        RETIRED = "retired", _("退出")
        REMOVED = "removed", _("除名")

    class Title(models.TextChoices):
        SENIOR_FULL = "senior_full", _("正高级")
        SENIOR = "senior", _("副高级")
        INTERMEDIATE = "intermediate", _("中级")

    database = models.ForeignKey(
        Organisation,
        verbose_name=_("所属专家库"),
        on_delete=models.PROTECT,
        related_name="experts",
        limit_choices_to={"kind": Organisation.Kind.EXPERT_DATABASE},
    )
    code = models.CharField(_("专家编号"), max_length=30, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    id_number_cipher = models.TextField(_("身份证号（密文）"))
    id_number_hash = models.CharField(_("身份证号（keyed hash）"), max_length=64, unique=True)
    id_last4 = models.CharField(_("身份证号后四位"), max_length=4)
    phone = models.CharField(_("手机号"), max_length=20)
    employer_uscc = models.CharField(_("工作单位统一社会信用代码"), max_length=18, blank=True)
    employer_name = models.CharField(_("工作单位"), max_length=200, blank=True)
    region_code = models.CharField(_("所在地区代码"), max_length=6)
    title = models.CharField(_("职称"), max_length=20, choices=Title.choices)
    birth_date = models.DateField(_("出生日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    ban_until = models.DateField(_("禁入期至"), null=True, blank=True)
    specialities = models.ManyToManyField(
        Speciality, verbose_name=_("评标专业"), through="ExpertSpeciality", related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expert_profile",
    )
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评标专家")
        verbose_name_plural = _("评标专家")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["database", "status"], name="expert_db_status_idx"),
            models.Index(fields=["database", "name"], name="expert_db_name_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_last4)


class ExpertSpeciality(models.Model):
    expert = models.ForeignKey(
        Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="speciality_links"
    )
    speciality = models.ForeignKey(
        Speciality, verbose_name=_("专业"), on_delete=models.PROTECT, related_name="expert_links"
    )

    class Meta:
        verbose_name = _("专家专业")
        verbose_name_plural = _("专家专业")
        constraints = [
            models.UniqueConstraint(fields=["expert", "speciality"], name="expertspec_unique")
        ]
        # Pools are found by speciality prefix: the index leads with the speciality code.
        indexes = [models.Index(fields=["speciality", "expert"], name="expertspec_spec_idx")]

    def __str__(self) -> str:
        return f"{self.expert_id} · {self.speciality_id}"


class ExpertRelation(models.Model):
    """Employment, directorship or shareholding, past or present (回避: 3-year look-back)."""

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("任职")
        DIRECTOR = "director", _("董事/监事")
        SHAREHOLDER = "shareholder", _("控股股东")

    expert = models.ForeignKey(
        Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="relations"
    )
    org_uscc = models.CharField(_("单位统一社会信用代码"), max_length=18)
    org_name = models.CharField(_("单位名称"), max_length=200)
    kind = models.CharField(_("关系"), max_length=12, choices=Kind.choices)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("任职经历")
        verbose_name_plural = _("任职经历")
        indexes = [models.Index(fields=["org_uscc"], name="exprel_uscc_idx")]

    def __str__(self) -> str:
        return f"{self.org_name} · {self.get_kind_display()}"


class ExpertDeclaredRelation(models.Model):
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("专家"),
        on_delete=models.CASCADE,
        related_name="declared_relations",
    )
    org_uscc = models.CharField(_("关联单位统一社会信用代码"), max_length=18)
    org_name = models.CharField(_("关联单位名称"), max_length=200)

    class Meta:
        verbose_name = _("申报关联单位")
        verbose_name_plural = _("申报关联单位")
        constraints = [
            models.UniqueConstraint(fields=["expert", "org_uscc"], name="expdecl_unique")
        ]
        indexes = [models.Index(fields=["org_uscc"], name="expdecl_uscc_idx")]

    def __str__(self) -> str:
        return self.org_name


class ExpertLeave(models.Model):
    expert = models.ForeignKey(
        Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="leaves"
    )
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("专家请假")
        verbose_name_plural = _("专家请假")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="expleave_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"


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

    class Meta:
        verbose_name = _("标段")
        verbose_name_plural = _("标段")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="section_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project.name}（{self.name}）"


class Bidder(models.Model):
    section = models.ForeignKey(
        Section, verbose_name=_("标段"), on_delete=models.CASCADE, related_name="bidders"
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    name = models.CharField(_("投标人名称"), max_length=200)
    bid_price = models.DecimalField(
        _("投标报价（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )

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


class DrawQuota(models.Model):
    """How many experts one centre draws from its own database for a session."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="quotas",
    )
    centre = models.ForeignKey(
        Organisation, verbose_name=_("交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    database = models.ForeignKey(
        Organisation, verbose_name=_("专家库"), on_delete=models.PROTECT, related_name="+"
    )
    speciality_codes = models.JSONField(_("专业代码"))
    count = models.PositiveSmallIntegerField(_("抽取人数"))
    backups = models.PositiveSmallIntegerField(_("备选人数"))
    requires_other_region = models.BooleanField(_("须异地专家"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抽取需求")
        verbose_name_plural = _("抽取需求")
        constraints = [
            models.UniqueConstraint(fields=["session", "centre"], name="quota_one_per_centre"),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="quota_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.count}+{self.backups}"

    def to_rules(self) -> rules.QuotaFacts:
        return rules.QuotaFacts(
            speciality_codes=tuple(self.speciality_codes),
            requires_other_region=self.requires_other_region,
        )


class ManualExclusion(models.Model):
    """A supervisor's written exclusion of one expert from one quota (reason code MANUAL)."""

    quota = models.ForeignKey(
        DrawQuota, verbose_name=_("抽取需求"), on_delete=models.CASCADE, related_name="exclusions"
    )
    expert = models.ForeignKey(Expert, verbose_name=_("专家"), on_delete=models.PROTECT)
    reason = models.CharField(_("书面理由"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("排除人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人工排除")
        verbose_name_plural = _("人工排除")
        constraints = [
            models.UniqueConstraint(fields=["quota", "expert"], name="manualexcl_unique")
        ]

    def __str__(self) -> str:
        return f"{self.expert} · {self.reason}"


class CodeLinesField(models.TextField):
    """A list of codes kept as one text value, the codes joined by line feeds: for a frozen
    pool, exactly the text QQ-DRAW-1 digests (`rules.canonical_pool` refuses codes holding a
    line feed). Cheaper to write and read than a JSON array, and compressed as text."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, str):
            return value.split("\n") if value else []
        return value

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return "\n".join(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class CompactJSONField(models.TextField):
    """A JSON value kept as compact text (no spaces, UTF-8 as is): written and read back
    without the database parsing it, for documents that are stored and shown whole."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class Draw(models.Model):
    """One run of QQ-DRAW-1 for a quota: frozen pool, commitment, witness entropy, result."""

    class Status(models.TextChoices):
        COMMITTED = "committed", _("已承诺，待见证")
        DRAWN = "drawn", _("已抽取")
        FAILED = "failed", _("抽取失败")

    quota = models.ForeignKey(
        DrawQuota, verbose_name=_("抽取需求"), on_delete=models.PROTECT, related_name="draws"
    )
    draw_id = models.CharField(_("抽取编号"), max_length=60, unique=True)
    supplementary = models.BooleanField(_("补抽"), default=False)
    quota_count = models.PositiveSmallIntegerField(_("本次抽取人数"))
    backups = models.PositiveSmallIntegerField(_("本次备选人数"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.COMMITTED
    )
    pool = CodeLinesField(_("冻结的候选池（专家编号）"))
    pool_digest = models.CharField(_("候选池摘要"), max_length=64)
    pool_size = models.PositiveIntegerField(_("候选池人数"))
    exclusion_report = CompactJSONField(_("回避与排除报告"))
    server_nonce_cipher = models.TextField(_("服务器随机数（密文）"))
    commitment = models.CharField(_("承诺值"), max_length=64)
    witness_entropy = models.CharField(_("见证人输入"), max_length=200, blank=True)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("见证人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    witnessed_at = models.DateTimeField(_("见证时间"), null=True, blank=True)
    drawn = models.JSONField(_("抽取顺序"), default=list)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    committed_at = models.DateTimeField(_("承诺时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专家抽取")
        verbose_name_plural = _("专家抽取")
        ordering = ["-committed_at"]

    def __str__(self) -> str:
        return self.draw_id


class DrawOutcome(models.Model):
    """One drawn expert's place in the sequence and what became of it."""

    class Role(models.TextChoices):
        PRINCIPAL = "principal", _("正选")
        BACKUP = "backup", _("备选")

    class Status(models.TextChoices):
        WAITING = "waiting", _("备选待递补")
        NOTIFIED = "notified", _("已通知")
        CONFIRMED = "confirmed", _("已确认参加")
        DECLINED = "declined", _("拒绝参加")
        NO_ANSWER = "no_answer", _("未答复")
        RECUSED = "recused", _("主动回避")
        UNAVAILABLE = "unavailable", _("已被其他场次占用")
        UNUSED = "unused", _("未递补")

    # An expert in one of these states holds the session's time slot.
    HOLDING = (Status.NOTIFIED, Status.CONFIRMED)

    draw = models.ForeignKey(
        Draw, verbose_name=_("抽取"), on_delete=models.CASCADE, related_name="outcomes"
    )
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="outcomes",
        db_index=False,  # outcome_expert_seat_idx starts with it
    )
    session = models.ForeignKey(
        EvaluationSession, verbose_name=_("评标场次"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("抽取序位"))
    role = models.CharField(_("身份"), max_length=10, choices=Role.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    respond_by = models.DateTimeField(_("答复期限"), null=True, blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    response_channel = models.CharField(_("答复方式"), max_length=10, blank=True)
    token_hash = models.CharField(_("确认链接令牌哈希"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("抽取结果")
        verbose_name_plural = _("抽取结果")
        ordering = ["draw", "position"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="outcome_position_unique"),
            models.UniqueConstraint(fields=["draw", "expert"], name="outcome_expert_unique"),
        ]
        indexes = [
            # An expert's seats (pools._seats, the eligibility triggers) from the index alone.
            models.Index(fields=["expert", "status", "session"], name="outcome_expert_seat_idx"),
            models.Index(fields=["token_hash"], name="outcome_token_idx"),
            models.Index(fields=["status", "respond_by"], name="outcome_status_due_idx"),
            models.Index(fields=["session", "status"], name="outcome_session_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.draw.draw_id} #{self.position + 1} {self.expert.code}"


# --------------------------------------------------------------------------------------------
# Evaluation day: rooms, workstations, seating, sign-in, chair
# --------------------------------------------------------------------------------------------


class InService(models.TextChoices):
    IN_SERVICE = "in_service", _("在用")
    OUT_OF_SERVICE = "out_of_service", _("停用")


class CentreNumbering(models.Model):
    """A trading centre's own workstation prefix (e.g. H for 武汉市, G for 经开区)."""

    centre = models.OneToOneField(
        Organisation,
        verbose_name=_("交易中心"),
        on_delete=models.PROTECT,
        related_name="workstation_numbering",
        limit_choices_to={"kind": Organisation.Kind.TRADING_CENTRE},
    )
    prefix = models.CharField(_("工位编号前缀"), max_length=3, unique=True)

    class Meta:
        verbose_name = _("工位编号规则")
        verbose_name_plural = _("工位编号规则")

    def __str__(self) -> str:
        return f"{self.centre} · {self.prefix}"


class Room(models.Model):
    centre = models.ForeignKey(
        Organisation,
        verbose_name=_("交易中心"),
        on_delete=models.PROTECT,
        related_name="evaluation_rooms",
        limit_choices_to={"kind": Organisation.Kind.TRADING_CENTRE},
    )
    number = models.CharField(_("评标室编号"), max_length=10)
    name = models.CharField(_("评标室名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=15, choices=InService.choices, default=InService.IN_SERVICE
    )

    class Meta:
        verbose_name = _("评标室")
        verbose_name_plural = _("评标室")
        ordering = ["centre", "number"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="room_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"


class Workstation(models.Model):
    room = models.ForeignKey(
        Room, verbose_name=_("评标室"), on_delete=models.PROTECT, related_name="workstations"
    )
    seat = models.PositiveSmallIntegerField(_("座位号"))
    code = models.CharField(_("工位编号"), max_length=20, unique=True)
    status = models.CharField(
        _("状态"), max_length=15, choices=InService.choices, default=InService.IN_SERVICE
    )

    class Meta:
        verbose_name = _("评标工位")
        verbose_name_plural = _("评标工位")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seat"], name="workstation_seat_unique")
        ]

    def __str__(self) -> str:
        return self.code


class Seating(models.Model):
    """One run of the seating for one centre and one time slot (seed audited)."""

    centre = models.ForeignKey(
        Organisation, verbose_name=_("交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    slot_start = models.DateTimeField(_("时段开始"))
    slot_end = models.DateTimeField(_("时段结束"))
    seed_hex = models.CharField(_("随机种子"), max_length=64)
    collisions = models.PositiveIntegerField(_("同标同室人对数"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("空：替补专家确认参加时自动分配"),
    )
    at = models.DateTimeField(_("分配时间"))

    class Meta:
        verbose_name = _("工位分配")
        verbose_name_plural = _("工位分配")
        ordering = ["-slot_start", "-pk"]
        indexes = [
            models.Index(fields=["centre", "slot_start", "slot_end"], name="seating_slot_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_end__gt=models.F("slot_start")),
                name="seating_slot_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.slot_start:%Y-%m-%d %H:%M}"


class Seat(models.Model):
    """One confirmed expert's workstation, and their sign-in there."""

    class Method(models.TextChoices):
        CODE = "code", _("短信验证码+身份证后四位")
        STAFF = "staff", _("工作人员核验身份")

    seating = models.ForeignKey(
        Seating, verbose_name=_("工位分配"), on_delete=models.PROTECT, related_name="seats"
    )
    outcome = models.OneToOneField(
        DrawOutcome, verbose_name=_("抽取结果"), on_delete=models.PROTECT, related_name="seat"
    )
    workstation = models.ForeignKey(
        Workstation, verbose_name=_("工位"), on_delete=models.PROTECT, related_name="seats"
    )
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    sign_in_method = models.CharField(
        _("签到方式"), max_length=10, choices=Method.choices, blank=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verify_reason = models.CharField(_("人工核验原因"), max_length=500, blank=True)
    terminal_code_hash = models.CharField(_("工位启用码哈希"), max_length=64, blank=True)
    declared_at = models.DateTimeField(_("无需回避声明时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("工位最近活动时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专家工位")
        verbose_name_plural = _("专家工位")
        ordering = ["workstation__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["seating", "workstation"], name="seat_workstation_unique"
            )
        ]
        indexes = [models.Index(fields=["terminal_code_hash"], name="seat_terminal_idx")]

    def __str__(self) -> str:
        return f"{self.workstation.code} · {self.outcome.expert.code}"


class ChairVote(models.Model):
    """One member's vote in one round of the chair election (equal vote)."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="chair_votes",
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    voter = models.ForeignKey(
        Seat, verbose_name=_("投票人"), on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        Seat, verbose_name=_("被推举人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("投票时间"))

    class Meta:
        verbose_name = _("负责人推举票")
        verbose_name_plural = _("负责人推举票")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "round", "voter"], name="chairvote_one_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.round}"


# --------------------------------------------------------------------------------------------
# Evaluation: criteria, isolated score sheets, deviation notes, results, clarifications,
# incidents, the signed report, conduct ratings and fees
# --------------------------------------------------------------------------------------------


class Stage(models.TextChoices):
    REVIEW = "review", _("初步评审")
    DETAILED = "detailed", _("详细评审")
    PRICE = "price", _("价格评审")
    SUMMARY = "summary", _("汇总")


# Stages in which experts fill sheets, in order; price and summary are computed.
SHEET_STAGES = (Stage.REVIEW, Stage.DETAILED)


class PriceFormula(models.TextChoices):
    LOW_PRICE = "low_price", _("低价优先法（最低有效报价为基准）")
    K_FACTOR = "k_factor", _("K 值基准价法")


class CriteriaTemplate(models.Model):
    """A reusable set of review and scoring items for one evaluation method."""

    name = models.CharField(_("模板名称"), max_length=100, unique=True)
    method = models.CharField(_("评标办法"), max_length=20, choices=Project.Method.choices)
    price_weight = models.DecimalField(
        _("价格分权重（分）"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("评审标准模板")
        verbose_name_plural = _("评审标准模板")
        ordering = ["method", "name"]

    def __str__(self) -> str:
        return self.name


class TemplateItem(models.Model):
    """One item of a template: pass/fail in the preliminary review, scored in the detailed one."""

    template = models.ForeignKey(
        CriteriaTemplate, verbose_name=_("模板"), on_delete=models.CASCADE, related_name="items"
    )
    stage = models.CharField(_("评审阶段"), max_length=10, choices=Stage.choices)
    group = models.CharField(_("分组"), max_length=20, blank=True)
    code = models.CharField(_("评审项编号"), max_length=20)
    name = models.CharField(_("评审项"), max_length=200)
    max_score = models.DecimalField(
        _("满分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    step = models.DecimalField(
        _("最小分值单位"), max_digits=4, decimal_places=2, default=Decimal("0.5")
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评审项模板")
        verbose_name_plural = _("评审项模板")
        ordering = ["template", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="template_item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ScoringPlan(models.Model):
    """How one session is evaluated; fixed when the evaluation starts."""

    class DeviationBasis(models.TextChoices):
        ITEM = "item", _("按评审项")
        TOTAL = "total", _("按总分")

    class MeanOf(models.TextChoices):
        OTHERS = "others", _("其他专家平均分")
        ALL = "all", _("全体专家平均分（含本人）")

    session = models.OneToOneField(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="plan",
    )
    template = models.ForeignKey(
        CriteriaTemplate, verbose_name=_("评审标准模板"), on_delete=models.PROTECT, related_name="+"
    )
    price_formula = models.CharField(
        _("价格分计算方法"),
        max_length=10,
        choices=PriceFormula.choices,
        default=PriceFormula.LOW_PRICE,
    )
    price_weight = models.DecimalField(_("价格分权重（分）"), max_digits=6, decimal_places=2)
    k = models.DecimalField(_("K 值"), max_digits=5, decimal_places=4, null=True, blank=True)
    deduct_above = models.DecimalField(
        _("高于基准价每 1% 扣分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    deduct_below = models.DecimalField(
        _("低于基准价每 1% 扣分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    drop_price_extremes_from = models.PositiveSmallIntegerField(
        _("去掉最高最低报价的最少投标数"), null=True, blank=True
    )
    drop_score_extremes = models.BooleanField(_("7 人以上去掉最高最低评分"), default=False)
    deviation_basis = models.CharField(
        _("偏离计算口径"),
        max_length=10,
        choices=DeviationBasis.choices,
        default=DeviationBasis.ITEM,
    )
    deviation_mean_of = models.CharField(
        _("偏离参照平均分"), max_length=10, choices=MeanOf.choices, default=MeanOf.OTHERS
    )
    deviation_threshold = models.DecimalField(
        _("偏离阈值"), max_digits=4, decimal_places=2, default=Decimal("0.30")
    )
    candidate_count = models.PositiveSmallIntegerField(_("推荐中标候选人数"), default=3)

    class Meta:
        verbose_name = _("评标方案")
        verbose_name_plural = _("评标方案")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(candidate_count__gte=1, candidate_count__lte=3),
                name="plan_candidates_at_most_3",
            ),
            models.CheckConstraint(
                condition=models.Q(deviation_threshold__gt=0), name="plan_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.template}"


class Criterion(models.Model):
    """A session's own copy of a template item (later template edits do not change it)."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    stage = models.CharField(_("评审阶段"), max_length=10, choices=Stage.choices)
    group = models.CharField(_("分组"), max_length=20, blank=True)
    code = models.CharField(_("评审项编号"), max_length=20)
    name = models.CharField(_("评审项"), max_length=200)
    max_score = models.DecimalField(
        _("满分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    step = models.DecimalField(_("最小分值单位"), max_digits=4, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("顺序"))

    class Meta:
        verbose_name = _("评审项")
        verbose_name_plural = _("评审项")
        ordering = ["session", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="criterion_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EvaluationStage(models.Model):
    """The state of one stage of one session: sheets are private until it closes."""

    class Status(models.TextChoices):
        OPEN = "open", _("评审中")
        CLOSED = "closed", _("已结束")

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="stages",
    )
    stage = models.CharField(_("评审阶段"), max_length=10, choices=Stage.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("开始时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评审阶段")
        verbose_name_plural = _("评审阶段")
        ordering = ["session", "opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "stage"], name="stage_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.get_stage_display()}"


class ScoreSheet(models.Model):
    """One expert's sheet for one stage: private, locked when submitted (背靠背)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("填写中")
        SUBMITTED = "submitted", _("已提交")
        VOID = "void", _("已作废")

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="sheets",
    )
    seat = models.ForeignKey(
        Seat, verbose_name=_("专家工位"), on_delete=models.PROTECT, related_name="sheets"
    )
    stage = models.CharField(_("评审阶段"), max_length=10, choices=Stage.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    updated_at = models.DateTimeField(_("最后保存时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("退回修改次数"), default=0)
    void_reason = models.CharField(_("作废原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("评分表")
        verbose_name_plural = _("评分表")
        ordering = ["session", "stage", "seat"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "stage"], name="sheet_one_per_seat_stage")
        ]
        indexes = [models.Index(fields=["session", "stage", "status"], name="sheet_stage_idx")]

    def __str__(self) -> str:
        return f"{self.seat} · {self.get_stage_display()}"


class ScoreEntry(models.Model):
    """One expert's judgement of one bidder on one item: a score, or pass/fail with a reason."""

    # No index of its own: entry_once_per_item (sheet, bidder, criterion) serves every lookup
    # by sheet, and the submit path writes 18 entries a sheet.
    sheet = models.ForeignKey(
        ScoreSheet,
        verbose_name=_("评分表"),
        on_delete=models.CASCADE,
        related_name="entries",
        db_index=False,
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="+"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("评审项"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("是否通过"), null=True, blank=True)
    note = models.CharField(_("评审意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "bidder", "criterion"], name="entry_once_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id} · {self.bidder_id} · {self.criterion_id}"


class DeviationNote(models.Model):
    """A score outside the allowed deviation; its expert must explain it before the stage closes."""

    sheet = models.ForeignKey(
        ScoreSheet, verbose_name=_("评分表"), on_delete=models.CASCADE, related_name="deviations"
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="+"
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("评审项（按总分时为空）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    score = models.DecimalField(_("本人分值"), max_digits=8, decimal_places=2)
    mean = models.DecimalField(_("参照平均分"), max_digits=8, decimal_places=2)
    ratio = models.DecimalField(
        _("偏离比例"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    explanation = models.TextField(_("书面说明"), blank=True)
    explained_at = models.DateTimeField(_("说明时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评分偏离说明")
        verbose_name_plural = _("评分偏离说明")
        ordering = ["sheet", "bidder", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "bidder", "criterion"],
                condition=models.Q(criterion__isnull=False),
                name="deviation_once_per_item",
            ),
            models.UniqueConstraint(
                fields=["sheet", "bidder"],
                condition=models.Q(criterion__isnull=True),
                name="deviation_once_per_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id} · {self.bidder_id}"


class BidResult(models.Model):
    """The committee's result for one bid, written when the summary stage closes."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="results",
    )
    bidder = models.OneToOneField(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="result"
    )
    passed_review = models.BooleanField(_("通过初步评审"))
    review = models.JSONField(_("初步评审结论（评审项→是否通过）"), default=dict)
    subjective = models.DecimalField(
        _("详细评审平均分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    technical = models.DecimalField(
        _("技术部分平均分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    price_score = models.DecimalField(
        _("价格分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    total = models.DecimalField(
        _("综合得分"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    evaluated_price = models.DecimalField(
        _("评审价（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    candidate = models.BooleanField(_("中标候选人"), default=False)

    class Meta:
        verbose_name = _("评标结果")
        verbose_name_plural = _("评标结果")
        ordering = ["session", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "rank"],
                name="result_rank_unique",
                condition=models.Q(rank__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.bidder} · {self.rank or '-'}"


class RankingLot(models.Model):
    """The verifiable lot (QQ-DRAW-1) that orders bidders still tied after every rule."""

    session = models.OneToOneField(
        EvaluationSession, verbose_name=_("评标场次"), on_delete=models.CASCADE, related_name="lot"
    )
    draw_id = models.CharField(_("抽签编号"), max_length=60, unique=True)
    tied = models.JSONField(_("并列投标人（投标人编号分组）"))
    server_nonce_cipher = models.TextField(_("服务器随机数（密文）"))
    commitment = models.CharField(_("承诺值"), max_length=64)
    witness_entropy = models.CharField(_("见证人输入"), max_length=200, blank=True)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("见证人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    witnessed_at = models.DateTimeField(_("见证时间"), null=True, blank=True)
    committed_at = models.DateTimeField(_("承诺时间"))

    class Meta:
        verbose_name = _("并列排名抽签")
        verbose_name_plural = _("并列排名抽签")

    def __str__(self) -> str:
        return self.draw_id


class Clarification(models.Model):
    """A written clarification (实施条例 Art.52): committee asks → supervisor approves →
    bidder answers → supervisor approves → the committee sees it."""

    class Status(models.TextChoices):
        QUESTION_PENDING = "q_pending", _("问题待监督审核")
        QUESTION_REJECTED = "q_rejected", _("问题未获批准")
        AWAITING_ANSWER = "awaiting", _("待投标人答复")
        ANSWER_PENDING = "a_pending", _("答复待监督审核")
        ANSWER_REJECTED = "a_rejected", _("答复退回")
        PUBLISHED = "published", _("已送达评标委员会")

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="clarifications",
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="clarifications"
    )
    question = models.TextField(_("澄清问题"))
    asked_by = models.ForeignKey(
        Seat, verbose_name=_("提出工位"), on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(_("提出时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUESTION_PENDING
    )
    question_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("问题审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    question_reviewed_at = models.DateTimeField(_("问题审核时间"), null=True, blank=True)
    answer = models.TextField(_("投标人答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answer_reviewed_at = models.DateTimeField(_("答复审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("澄清")
        verbose_name_plural = _("澄清")
        ordering = ["session", "asked_at"]
        indexes = [models.Index(fields=["bidder", "status"], name="clarification_bidder_idx")]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.bidder}"


class Incident(models.Model):
    """A failure or pause during a session (network, power, device), with the 2 h / 4 h rules."""

    class Kind(models.TextChoices):
        NETWORK = "network", _("网络故障")
        POWER = "power", _("电力故障")
        DEVICE = "device", _("设备故障")
        PAUSE = "pause", _("暂停评标")
        OTHER = "other", _("其他")

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="incidents",
    )
    centre = models.ForeignKey(
        Organisation, verbose_name=_("发生地交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    during_evaluation = models.BooleanField(_("发生于评标开始后"))
    pauses = models.BooleanField(_("暂停评标"), default=True)
    description = models.TextField(_("情况说明"))
    started_at = models.DateTimeField(_("发生时间"))
    resolved_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("恢复登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("异常情况")
        verbose_name_plural = _("异常情况")
        ordering = ["session", "started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.get_kind_display()}"


class Report(models.Model):
    """The evaluation report: a frozen snapshot, signed by every member, then sealed."""

    class Status(models.TextChoices):
        SIGNING = "signing", _("待签署")
        SEALED = "sealed", _("已封存")

    session = models.OneToOneField(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.PROTECT,
        related_name="report",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SIGNING
    )
    content = models.JSONField(_("报告内容（快照）"))
    content_sha256 = models.CharField(_("内容摘要"), max_length=64)
    built_at = models.DateTimeField(_("生成时间"))
    sealed_at = models.DateTimeField(_("封存时间"), null=True, blank=True)
    pdf = models.FileField(_("报告 PDF"), upload_to="bidding/reports/", blank=True)
    pdf_sha256 = models.CharField(_("PDF 摘要"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("评标报告")
        verbose_name_plural = _("评标报告")

    def __str__(self) -> str:
        return f"{self.session} · {self.get_status_display()}"


class Signature(models.Model):
    """A member's position on the report (实施条例 Art.53)."""

    class Position(models.TextChoices):
        AGREE = "agree", pgettext_lazy("report signature", "同意")
        DISSENT = "dissent", _("保留意见")
        DEEMED_AGREE = "deemed_agree", _("拒签且未说明理由，视为同意")

    report = models.ForeignKey(
        Report, verbose_name=_("评标报告"), on_delete=models.CASCADE, related_name="signatures"
    )
    seat = models.ForeignKey(
        Seat, verbose_name=_("专家工位"), on_delete=models.PROTECT, related_name="+"
    )
    signed = models.BooleanField(_("已签字"))
    position = models.CharField(_("意见"), max_length=15, choices=Position.choices)
    dissent_reason = models.TextField(_("不同意见及理由"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人（拒签时）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("报告签署")
        verbose_name_plural = _("报告签署")
        ordering = ["report", "at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "seat"], name="signature_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.get_position_display()}"


class ConductRating(models.Model):
    """The supervisor's or tenderer's rating of one expert's conduct after the session."""

    seat = models.ForeignKey(
        Seat, verbose_name=_("专家工位"), on_delete=models.PROTECT, related_name="ratings"
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rater_role = models.CharField(_("评价人身份"), max_length=20)
    score = models.PositiveSmallIntegerField(_("评价（1–5）"))
    note = models.CharField(_("评价说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("专家履职评价")
        verbose_name_plural = _("专家履职评价")
        constraints = [
            models.UniqueConstraint(fields=["seat", "rater"], name="rating_once_per_rater"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat_id} · {self.score}"


class FeeStandard(models.Model):
    """A centre's expert fee per session (half day), effective from a date."""

    centre = models.ForeignKey(
        Organisation, verbose_name=_("交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("每场次评审费（元）"), max_digits=10, decimal_places=2)
    valid_from = models.DateField(_("执行日期"))

    class Meta:
        verbose_name = _("专家评审费标准")
        verbose_name_plural = _("专家评审费标准")
        ordering = ["centre", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "valid_from"], name="fee_standard_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fee_standard_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.amount}"


class Fee(models.Model):
    """One member's fee, fixed when the report is sealed (guest experts: the higher standard)."""

    seat = models.OneToOneField(
        Seat, verbose_name=_("专家工位"), on_delete=models.PROTECT, related_name="fee"
    )
    session = models.ForeignKey(
        EvaluationSession, verbose_name=_("评标场次"), on_delete=models.PROTECT, related_name="fees"
    )
    centre = models.ForeignKey(
        Organisation, verbose_name=_("专家所在交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("应付评审费（元）"), max_digits=10, decimal_places=2)
    basis = models.CharField(_("计算依据"), max_length=200)

    class Meta:
        verbose_name = _("专家评审费")
        verbose_name_plural = _("专家评审费")
        ordering = ["session", "centre"]

    def __str__(self) -> str:
        return f"{self.seat_id} · {self.amount}"


class NotInBackups(models.Manager):
    """The default manager of derived tables: `dumpdata` (hence `qinqing backup`) reads
    through it and finds nothing, so a restore never loads rows its triggers already made."""

    def get_queryset(self):
        return super().get_queryset().none()


class EligibilityEntry(models.Model):
    """What eligibility reads about one expert, once per speciality held (a derived copy).

    One row per (expert, speciality), clustered by the index on (database, speciality, ...)
    so the candidates of a quota are one index-only range scan instead of one random heap
    page per expert (`pools.py`). Database triggers (migration `draw_eligibility_index`)
    keep it equal to its sources on every write, whichever code makes it (services, imports,
    `bulk_create`, `update()`): `ExpertSpeciality` rows add and remove entries; the expert's
    columns are copied on every change; `leave_from` and `leave_until` are the first day of
    the expert's earliest leave and the last day of the latest, and `seat_until` the latest
    start of a session the expert has any outcome in (all None when there is none). The dates
    only tell which experts need their leave and seats loaded (no leave covers a day outside
    [leave_from, leave_until]; with `seat_before` and `seat_end`, the second latest start and
    the latest end of those sessions, none of an expert's seats but the latest can fall inside
    a window starting after `seat_before`, and none can overlap a session starting at or after
    `seat_end`); the rules always read the leave and seats themselves.
    `eligibility_index.mismatches()` compares the table with its sources. It is left out of
    backups: restoring the experts, leave and outcomes fills it again through the triggers.
    """

    database = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("所属专家库"),
    )
    speciality = models.ForeignKey(
        Speciality,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("评标专业"),
    )
    expert = models.ForeignKey(
        Expert, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("专家")
    )
    code = models.CharField(_("专家编号"), max_length=30)
    birth_date = models.DateField(_("出生日期"))
    status = models.CharField(_("状态"), max_length=10)
    ban_until = models.DateField(_("禁入期至"), null=True)
    employer_uscc = models.CharField(_("工作单位统一社会信用代码"), max_length=18)
    region_code = models.CharField(_("所在地区代码"), max_length=6)
    leave_from = models.DateField(_("最早请假首日"), null=True)
    leave_until = models.DateField(_("最晚请假末日"), null=True)
    seat_before = models.DateTimeField(_("次晚评标场次开始时间"), null=True)
    seat_until = models.DateTimeField(_("最晚评标场次开始时间"), null=True)
    seat_end = models.DateTimeField(_("最晚评标场次结束时间"), null=True)

    objects = models.Manager()
    in_backups = NotInBackups()

    class Meta:
        default_manager_name = "in_backups"
        verbose_name = _("抽取资格索引")
        verbose_name_plural = _("抽取资格索引")
        constraints = [
            models.UniqueConstraint(fields=["expert", "speciality"], name="elig_expert_spec_unique")
        ]
        # Every column is a key column, so the pool query never visits the table (SQLite has
        # no INCLUDE columns).
        indexes = [
            models.Index(
                fields=[
                    "database",
                    "speciality",
                    "expert",
                    "code",
                    "birth_date",
                    "status",
                    "ban_until",
                    "employer_uscc",
                    "region_code",
                    "leave_from",
                    "leave_until",
                    "seat_before",
                    "seat_until",
                    "seat_end",
                ],
                name="elig_pool_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} · {self.speciality_id}"
