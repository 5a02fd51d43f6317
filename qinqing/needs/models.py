"""Enterprise needs as work orders (诉求工单), their catalogue, QR codes, ratings and
rectification orders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.core.models import Organisation
from qinqing.needs import rules


class Category(models.Model):
    """The catalogue: category → lead department (+ assisting) and default SLA."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    lead_department = models.ForeignKey(
        Organisation, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="+"
    )
    assisting = models.ManyToManyField(
        Organisation, verbose_name=_("协办部门"), blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class QrCode(models.Model):
    """A needs QR code (问需二维码): a channel origin; its URL carries an unguessable key."""

    class Origin(models.TextChoices):
        CLUSTER = "cluster", _("集聚区综合党委")
        ASSOCIATION = "association", _("行业协会")
        CHAMBER = "chamber", _("街道商会")
        EVENT = "event", _("活动现场")
        GENERIC = "generic", _("通用")

    key = models.CharField(_("二维码密钥"), max_length=40, unique=True)
    origin = models.CharField(_("来源"), max_length=20, choices=Origin.choices)
    label = models.CharField(_("名称"), max_length=100)
    cluster = models.ForeignKey(
        "enterprises.Cluster",
        verbose_name=_("集聚区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问需二维码")
        verbose_name_plural = _("问需二维码")
        ordering = ["origin", "label"]

    def __str__(self) -> str:
        return self.label


class Need(models.Model):
    class Channel(models.TextChoices):
        QR = "qr", _("问需二维码")
        VISIT = "visit", _("走访")
        HOTLINE = "hotline", _("热线")
        EVENT_QA = "event_qa", _("活动答疑")
        SUPERVISION = "supervision", _("监督员反映")
        PORTAL = "portal", _("网上提交")

    class State(models.TextChoices):
        PENDING_DISPATCH = rules.PENDING_DISPATCH, _("待派单")
        PENDING_SIGN = rules.PENDING_SIGN, _("待签收")
        IN_PROGRESS = rules.IN_PROGRESS, _("办理中")
        REPLIED = rules.REPLIED, _("已答复（待回访）")
        CLOSED = rules.CLOSED, _("已办结")

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("咨询类")
        PROBLEM = "problem", _("问题类")
        COMPLEX = "complex", _("复杂类")

    class Extension(models.TextChoices):
        NONE = "", _("无")
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    token = models.CharField(_("查询令牌"), max_length=40, unique=True)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    qr_code = models.ForeignKey(
        QrCode,
        verbose_name=_("二维码"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    company_name = models.CharField(_("企业名称"), max_length=200, blank=True)
    firm = models.ForeignKey(
        "enterprises.Firm",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
    )
    firm_org = models.ForeignKey(
        Organisation,
        verbose_name=_("企业机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs_raised",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    submitted_ip = models.GenericIPAddressField(_("提交地址"), null=True, blank=True)
    category_hint = models.CharField(_("企业选择的类别"), max_length=20, blank=True)
    text = models.TextField(_("诉求内容"))
    kind = models.CharField(
        _("诉求性质"), max_length=20, choices=Kind.choices, default=Kind.PROBLEM
    )
    # Not indexed on its own: 11 categories; lists and figures select by time first.
    category = models.ForeignKey(
        Category,
        verbose_name=_("类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        db_index=False,
    )
    routed_category = models.CharField(_("规则判断类别"), max_length=20, blank=True)
    routing_confidence = models.DecimalField(
        _("分类置信度"), max_digits=3, decimal_places=2, default=0
    )
    routed_by = models.CharField(_("派单方式"), max_length=20, blank=True)
    # Indexed by need_dept_state_idx (department, state).
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("承办部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs_handled",
        db_index=False,
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=State.choices, default=State.PENDING_DISPATCH
    )
    received_at = models.DateTimeField(_("受理时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    due_date = models.DateField(_("办理时限"), null=True, blank=True)
    # What the deadline is computed from (the day of dispatch or reopening, not counted, and
    # the working days with approved extensions), so that a holiday notice entered later
    # moves it (`services.needs_deadlines_recompute`).
    due_from = models.DateField(_("时限起算日"), null=True, blank=True)
    due_days = models.PositiveSmallIntegerField(_("时限工作日数"), default=0)
    extension_state = models.CharField(
        _("延期"), max_length=10, choices=Extension.choices, default="", blank=True
    )
    extension_days = models.PositiveSmallIntegerField(_("延期工作日"), default=0)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    reply = models.TextField(_("答复内容"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_note = models.TextField(_("回访记录"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时办结"), null=True, blank=True)
    reminded = models.BooleanField(_("已提醒"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    # Indexed by need_entered_by_idx, only where set (staff entries, not the public form).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("诉求工单")
        verbose_name_plural = _("诉求工单")
        ordering = ["-received_at"]
        # Every public submission writes each index of this table: only those a query uses
        # are kept (migration 0002; number and token are looked up by equality only, so
        # PostgreSQL's extra `LIKE` indexes of the two unique columns are dropped there).
        indexes = [
            models.Index(fields=["received_at"], name="need_received_idx"),
            # covers needs_closed and on_time_rate (index-only scans)
            models.Index(fields=["closed_at", "state", "on_time"], name="need_closed_idx"),
            models.Index(fields=["state", "due_date"], name="need_state_due_idx"),
            models.Index(fields=["department", "state"], name="need_dept_state_idx"),
            models.Index(fields=["submitted_ip", "received_at"], name="need_ip_at_idx"),
            models.Index(fields=["contact_phone", "received_at"], name="need_phone_at_idx"),
            models.Index(
                fields=["entered_by"],
                name="need_entered_by_idx",
                condition=models.Q(entered_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def routed_label(self) -> str:
        entry = rules.DEFAULT_CATALOGUE.get(self.routed_category)
        return entry[0] if entry else "—"

    @property
    def phone_masked(self) -> str:
        p = self.contact_phone
        return p[:3] + "****" + p[-4:] if len(p) >= 8 else "****"


class NeedAttachment(models.Model):
    need = models.ForeignKey(
        Need, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to="needs/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    content_type = models.CharField(_("类型"), max_length=100)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


class NeedStep(models.Model):
    """One step of an order's history, shown to the firm on its progress page."""

    need = models.ForeignKey(
        Need, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="steps"
    )
    at = models.DateTimeField(_("时间"))
    action = models.CharField(_("操作"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, blank=True)
    by_label = models.CharField(_("办理单位"), max_length=100, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.need} {self.action}"

    @property
    def action_label(self) -> str:
        return rules.ACTION_LABELS.get(self.action, self.action)

    @property
    def state_label(self) -> str:
        return rules.STATE_LABELS.get(self.to_state, self.to_state)


class RoutingExample(models.Model):
    """A dispatcher's correction, kept as a labelled example for the routing rules/model."""

    need = models.OneToOneField(
        Need, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="routing_example"
    )
    text = models.TextField(_("内容"))
    predicted = models.CharField(_("规则判断"), max_length=20)
    label = models.CharField(_("人工判断"), max_length=20)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("分类样本")
        verbose_name_plural = _("分类样本")

    def __str__(self) -> str:
        return f"{self.predicted}→{self.label}"


class Rating(models.Model):
    """好差评: five levels, after a closed need or an event."""

    class Appeal(models.TextChoices):
        NONE = "", _("无")
        PENDING = "pending", _("申诉中")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉驳回")

    need = models.OneToOneField(
        Need,
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rating",
    )
    # An event of the activities module (kept as an id: needs does not depend on activities).
    event_id = models.PositiveBigIntegerField(_("活动"), null=True, blank=True)
    rater_key = models.CharField(_("评价人标识"), max_length=64, blank=True)
    department = models.ForeignKey(
        Organisation, verbose_name=_("被评价部门"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("评价等级"))
    comment = models.TextField(_("评价内容"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"))
    appeal_state = models.CharField(
        _("申诉"), max_length=10, choices=Appeal.choices, default="", blank=True
    )
    appeal_reason = models.TextField(_("申诉理由"), blank=True)

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["-rated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="rating_level_1_5"
            ),
            models.UniqueConstraint(
                fields=["event_id", "rater_key"],
                condition=models.Q(event_id__isnull=False),
                name="rating_event_rater_unique",
            ),
        ]
        indexes = [models.Index(fields=["rated_at"], name="rating_at_idx")]

    def __str__(self) -> str:
        return f"{rules.RATING_LABELS.get(self.level, self.level)}"

    @property
    def is_bad(self) -> bool:
        return self.level <= 2


class Rectification(models.Model):
    """An internal rectification order (整改单): from a 差评 or a supervision finding."""

    class Source(models.TextChoices):
        RATING = "rating", _("差评")
        SUPERVISION = "supervision", _("监督发现")

    class State(models.TextChoices):
        OPEN = "open", _("整改中")
        DONE = "done", _("已整改")
        CANCELLED = "cancelled", _("已撤销")

    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    rating = models.OneToOneField(
        Rating,
        verbose_name=_("差评"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectification",
    )
    department = models.ForeignKey(
        Organisation, verbose_name=_("整改部门"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("整改事项"))
    opened_at = models.DateTimeField(_("下达时间"))
    due_date = models.DateField(_("整改时限"))
    due_from = models.DateField(_("时限起算日"), null=True, blank=True)
    due_days = models.PositiveSmallIntegerField(_("时限工作日数"), default=0)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default="open")
    result = models.TextField(_("整改结果"), blank=True)
    callback_required = models.BooleanField(_("须回访"), default=True)
    callback_note = models.TextField(_("回访记录"), blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改单")
        verbose_name_plural = _("整改单")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.get_source_display()}：{self.description[:20]}"


class CommonSummary(models.Model):
    """The common needs of the last `window_days` days (共性需求), computed on the task queue
    — every hour by the `needs_common` tick, or when staff ask — and read by the page, which
    no longer reads the needs themselves. One row per window; its items are the result."""

    class State(models.TextChoices):
        IDLE = "idle", _("空闲")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        FAILED = "failed", _("失败")

    window_days = models.PositiveSmallIntegerField(_("统计窗口（天）"), unique=True)
    computed_at = models.DateTimeField(_("统计时间"), null=True, blank=True)
    window_end = models.DateField(_("窗口截止日"), null=True, blank=True)
    needs_in_window = models.PositiveIntegerField(_("窗口内诉求数"), default=0)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default="idle")
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    requested_at = models.DateTimeField(_("请求时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("共性需求统计")
        verbose_name_plural = _("共性需求统计")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="common_summary_progress_max"
            )
        ]

    def __str__(self) -> str:
        return f"{self.window_days}"


class CommonSummaryItem(models.Model):
    """One common need of a summary: a category raised by enough firms, or a group of
    near-duplicate texts."""

    class Kind(models.TextChoices):
        CATEGORY = "category", _("同类诉求")
        SIMILAR = "similar", _("相似诉求")

    summary = models.ForeignKey(
        CommonSummary, verbose_name=_("统计"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    category = models.CharField(_("类别代码"), max_length=20, blank=True)
    position = models.PositiveIntegerField(_("序号"))
    need_count = models.PositiveIntegerField(_("诉求数"))
    firm_count = models.PositiveIntegerField(_("企业数"))
    # Every need of the item, ascending; the page reads only the most recent few (`recent`).
    need_ids = models.JSONField(_("诉求"), default=list)
    recent_ids = models.JSONField(_("最近的诉求"), default=list)

    class Meta:
        verbose_name = _("共性需求")
        verbose_name_plural = _("共性需求")
        ordering = ["summary", "kind", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "kind", "position"], name="common_item_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.category}"
