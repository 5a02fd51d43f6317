"""Evaluation: criteria, isolated score sheets, deviation notes, results, clarifications and
incidents."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.projects.models import Bidder, EvaluationSession, Project
from qinqing.bidding.seating.models import Seat
from qinqing.core.models import Organisation


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
    K_DRAWN = "k_drawn", _("K 值开标抽取基准价法")


class LowBidBasis(models.TextChoices):
    OTHERS = "others", _("其他有效投标报价的平均价")
    ALL = "all", _("全部有效投标报价的平均价")


class TieMethod(models.TextChoices):
    TECHNICAL = "technical", _("技术得分高者优先，仍相同的随机抽签")
    LOT = "lot", _("随机抽签")


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
    k_min = models.DecimalField(
        _("K 值区间下限"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    k_max = models.DecimalField(
        _("K 值区间上限"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    k_step = models.DecimalField(
        _("K 值步长"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    low_bid_share = models.DecimalField(
        _("异常低价比例（低于平均价的该比例）"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("0.80"),
    )
    low_bid_basis = models.CharField(
        _("异常低价平均价口径"),
        max_length=10,
        choices=LowBidBasis.choices,
        default=LowBidBasis.OTHERS,
    )
    low_bid_cost_line = models.DecimalField(
        _("成本警戒线（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    sme_deduction = models.DecimalField(
        _("小微企业价格扣除比例"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    tie_method = models.CharField(
        _("招标文件规定的并列处理方式"),
        max_length=10,
        choices=TieMethod.choices,
        default=TieMethod.TECHNICAL,
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
    due_at = models.DateTimeField(_("答复截止时间"), null=True, blank=True)

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


class CoefficientDraw(models.Model):
    """The K coefficient drawn at the opening from the published range by the verifiable lot
    (QQ-DRAW-1 over the range's values): committed by the host centre, witnessed by the
    supervising department."""

    session = models.OneToOneField(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="coefficient_draw",
    )
    draw_id = models.CharField(_("抽取编号"), max_length=60, unique=True)
    k_min = models.DecimalField(_("K 值区间下限"), max_digits=5, decimal_places=4)
    k_max = models.DecimalField(_("K 值区间上限"), max_digits=5, decimal_places=4)
    k_step = models.DecimalField(_("K 值步长"), max_digits=5, decimal_places=4)
    server_nonce_cipher = models.TextField(_("服务器随机数（密文）"))
    commitment = models.CharField(_("承诺值"), max_length=64)
    committed_at = models.DateTimeField(_("承诺时间"))
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
    k = models.DecimalField(_("抽取的 K 值"), max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("K 值抽取")
        verbose_name_plural = _("K 值抽取")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(k_max__gte=models.F("k_min")),
                name="coefficient_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.draw_id


class LowBidFlag(models.Model):
    """A compliant bid the plan's rule finds abnormally low (暂行规定 Art.21; 87号令 Art.60):
    the committee asks for a written explanation and votes to accept or reject it."""

    class Status(models.TextChoices):
        FLAGGED = "flagged", _("待要求书面说明")
        REQUESTED = "requested", _("已要求书面说明")
        ACCEPTED = "accepted", _("说明已被接受")
        REJECTED = "rejected", _("否决投标（不能合理说明）")

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="low_bids",
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="+"
    )
    price = models.DecimalField(_("投标报价（元）"), max_digits=18, decimal_places=2)
    trips = models.JSONField(_("触发的标准（类型、限额、平均价）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.FLAGGED
    )
    flagged_at = models.DateTimeField(_("发现时间"))
    clarification = models.ForeignKey(
        Clarification,
        verbose_name=_("书面说明（澄清）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("表决结论时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异常低价投标")
        verbose_name_plural = _("异常低价投标")
        ordering = ["session", "price", "bidder"]
        constraints = [
            models.UniqueConstraint(fields=["session", "bidder"], name="low_bid_once_per_bidder")
        ]
        indexes = [models.Index(fields=["session", "status"], name="low_bid_session_status_idx")]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.bidder}"


class LowBidVote(models.Model):
    """One member's vote on a flagged bid's explanation (one vote each, not changed)."""

    flag = models.ForeignKey(
        LowBidFlag, verbose_name=_("异常低价投标"), on_delete=models.CASCADE, related_name="votes"
    )
    seat = models.ForeignKey(
        Seat, verbose_name=_("成员工位"), on_delete=models.PROTECT, related_name="+"
    )
    accept = models.BooleanField(_("接受说明"))
    note = models.CharField(_("理由"), max_length=500, blank=True)
    cast_at = models.DateTimeField(_("表决时间"))

    class Meta:
        verbose_name = _("异常低价表决")
        verbose_name_plural = _("异常低价表决")
        constraints = [
            models.UniqueConstraint(fields=["flag", "seat"], name="low_bid_vote_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.flag_id} · {self.seat_id}"


class TimeExtension(models.Model):
    """The tenderer's extension of the evaluation time once more than a third of the members
    declared it too short (实施条例 Art.48 para.1): the end before and after, and why."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="time_extensions",
    )
    old_ends_at = models.DateTimeField(_("原结束时间"))
    new_ends_at = models.DateTimeField(_("延长后结束时间"))
    reason = models.CharField(_("延长理由"), max_length=500)
    requests = models.PositiveSmallIntegerField(_("提出延长的成员人数"))
    members = models.PositiveSmallIntegerField(_("评标委员会成员人数"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"))

    class Meta:
        verbose_name = _("评标时间延长")
        verbose_name_plural = _("评标时间延长")
        ordering = ["session", "decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(new_ends_at__gt=models.F("old_ends_at")),
                name="time_extension_later",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.new_ends_at:%Y-%m-%d %H:%M}"


class TimeExtensionRequest(models.Model):
    """One member's declaration at the workstation that the evaluation time is too short; it is
    answered by the extension it led to (a member may ask again after an extension)."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="time_requests",
    )
    seat = models.ForeignKey(
        Seat, verbose_name=_("成员工位"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("理由"), max_length=500)
    requested_at = models.DateTimeField(_("提出时间"))
    extension = models.ForeignKey(
        TimeExtension,
        verbose_name=_("所获延长"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered",
    )

    class Meta:
        verbose_name = _("评标时间不够的意见")
        verbose_name_plural = _("评标时间不够的意见")
        ordering = ["session", "requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seat"],
                condition=models.Q(extension__isnull=True),
                name="time_request_one_pending",
            )
        ]
        indexes = [models.Index(fields=["session", "extension"], name="time_request_session_idx")]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.seat_id}"
