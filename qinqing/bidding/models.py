"""Remote cross-site evaluation: expert databases, projects, sessions and verifiable draws."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    pool = models.JSONField(_("冻结的候选池（专家编号）"))
    pool_digest = models.CharField(_("候选池摘要"), max_length=64)
    pool_size = models.PositiveIntegerField(_("候选池人数"))
    exclusion_report = models.JSONField(_("回避与排除报告"))
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
        Expert, verbose_name=_("专家"), on_delete=models.PROTECT, related_name="outcomes"
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
            models.Index(fields=["expert", "status"], name="outcome_expert_status_idx"),
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


class SignInChallenge(models.Model):
    """A one-time sign-in code sent to an expert's phone (stored hashed, attempt-limited)."""

    phone = models.CharField(_("手机号"), max_length=20)
    seat = models.ForeignKey(
        Seat,
        verbose_name=_("专家工位"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    code_hash = models.CharField(_("验证码哈希"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签到验证码")
        verbose_name_plural = _("签到验证码")
        indexes = [
            models.Index(fields=["phone", "created_at"], name="signin_phone_idx"),
            models.Index(fields=["ip", "created_at"], name="signin_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


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
