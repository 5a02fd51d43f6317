"""From the sealed report to the award: the candidates' publication (实施条例 Art.54), the
bidders' objections during it, complaints to the supervising department (Art.60-62) and the
award and result notices (招标投标法 Art.45)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.projects.models import Bidder, Section
from qinqing.bidding.report.models import Report


class Publication(models.Model):
    """The public notice of the candidates (中标候选人公示), one per section."""

    section = models.OneToOneField(
        Section, verbose_name=_("标段"), on_delete=models.PROTECT, related_name="publication"
    )
    report = models.OneToOneField(
        Report, verbose_name=_("评标报告"), on_delete=models.PROTECT, related_name="publication"
    )
    candidates = models.JSONField(_("中标候选人（按评标报告）"))
    received_on = models.DateField(_("收到评标报告日期"))
    published_at = models.DateTimeField(_("公示开始时间"))
    period_days = models.PositiveSmallIntegerField(_("公示期（日）"))
    ends_at = models.DateTimeField(_("公示结束时间"))
    late = models.BooleanField(_("逾期公示"), default=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("公示说明"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("中标候选人公示")
        verbose_name_plural = _("中标候选人公示")
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_days__gte=3), name="publication_period_min_3"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("published_at")),
                name="publication_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["-published_at"], name="publication_published_idx")]

    def __str__(self) -> str:
        return f"{self.section} · 中标候选人公示"


class ResultObjection(models.Model):
    """A bidder's objection to the evaluation result during the publication (实施条例 Art.54
    para.2): answered within 3 days, the procedure paused until then."""

    publication = models.ForeignKey(
        Publication,
        verbose_name=_("中标候选人公示"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("提出异议的投标人"), on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("异议内容"), max_length=2000)
    raised_at = models.DateTimeField(_("提出时间"))
    answer_due = models.DateTimeField(_("答复期限"))
    answer = models.TextField(_("答复"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评标结果异议")
        verbose_name_plural = _("评标结果异议")
        ordering = ["publication", "raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | ~models.Q(answer=""),
                name="resultobjection_answer_text",
            )
        ]
        indexes = [
            models.Index(fields=["publication", "answered_at"], name="resultobj_open_idx"),
            models.Index(fields=["answered_at", "answer_due"], name="resultobj_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.raised_at:%Y-%m-%d}"


class Complaint(models.Model):
    """A complaint to the supervising department (实施条例 Art.60-62)."""

    class Status(models.TextChoices):
        LODGED = "lodged", _("待受理")
        ACCEPTED = "accepted", _("已受理")
        REFUSED = "refused", _("不予受理")
        DECIDED = "decided", _("已作出处理决定")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("投诉成立")
        DISMISSED = "dismissed", _("投诉不成立，驳回")

    section = models.ForeignKey(
        Section, verbose_name=_("标段"), on_delete=models.PROTECT, related_name="complaints"
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投诉人"), on_delete=models.PROTECT, related_name="+"
    )
    objection = models.ForeignKey(
        ResultObjection,
        verbose_name=_("先行提出的异议"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("投诉事项、请求和理由"), max_length=2000)
    knew_on = models.DateField(_("知道或者应当知道之日"))
    lodged_at = models.DateTimeField(_("投诉时间"))
    accept_due = models.DateField(_("受理决定期限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.LODGED
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("受理或不予受理时间"), null=True, blank=True)
    refusal_reason = models.TextField(_("不予受理的理由"), max_length=2000, blank=True)
    decision_due = models.DateField(_("处理决定期限"), null=True, blank=True)
    suspended = models.BooleanField(_("责令暂停招标投标活动"), default=False)
    suspended_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, blank=True)
    decision = models.TextField(_("处理决定"), max_length=2000, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["section", "lodged_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="decided") | ~models.Q(decision=""),
                name="complaint_decided_has_text",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""),
                name="complaint_refused_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["section", "status"], name="complaint_status_idx"),
            models.Index(fields=["status", "suspended"], name="complaint_suspended_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.get_status_display()}"


class AwardNotice(models.Model):
    """The award notice (中标通知书) to the winner or the result notice (中标结果通知书) to
    another bidder (招标投标法 Art.45), a PDF sealed by the host centre."""

    class Kind(models.TextChoices):
        AWARD = "award", _("中标通知书")
        RESULT = "result", _("中标结果通知书")

    publication = models.ForeignKey(
        Publication,
        verbose_name=_("中标候选人公示"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("文号"), max_length=60)
    price = models.DecimalField(
        _("中标价（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    issued_at = models.DateTimeField(_("发出时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    pdf = models.FileField(_("通知书 PDF（已签章）"), upload_to="bidding/notices/")
    pdf_sha256 = models.CharField(_("PDF 摘要"), max_length=64)
    superseded_at = models.DateTimeField(
        _("作废时间"),
        null=True,
        blank=True,
        help_text=_("中标人放弃中标或不符合中标条件后，原通知书作废（实施条例第五十五条）"),
    )

    class Meta:
        verbose_name = _("中标（结果）通知书")
        verbose_name_plural = _("中标（结果）通知书")
        ordering = ["publication", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "bidder"],
                condition=models.Q(superseded_at__isnull=True),
                name="awardnotice_once_per_bidder",
            ),
            models.UniqueConstraint(
                fields=["publication"],
                condition=models.Q(kind="award", superseded_at__isnull=True),
                name="awardnotice_one_winner",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="award") | models.Q(price__isnull=False),
                name="awardnotice_award_has_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.get_kind_display()}"


class Contract(models.Model):
    """The written contract the tenderer and the winner signed (招标投标法 Art.46), as the
    tenderer records it: number, day signed, price (equal to the winning bid's, 实施条例
    Art.57); `late` when signed after the 30 days."""

    notice = models.OneToOneField(
        AwardNotice,
        verbose_name=_("中标通知书"),
        on_delete=models.PROTECT,
        related_name="contract",
    )
    number = models.CharField(_("合同编号"), max_length=60)
    signed_on = models.DateField(_("签订日期"))
    amount = models.DecimalField(_("合同金额（元）"), max_digits=18, decimal_places=2)
    late = models.BooleanField(_("逾期签订"), default=False)
    recorded_at = models.DateTimeField(_("登记时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("中标合同")
        verbose_name_plural = _("中标合同")
        ordering = ["notice"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="contract_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.notice.bidder.name}"


class AwardSuccession(models.Model):
    """The winner fell away (实施条例 Art.55: gave up, could not perform for force majeure, no
    performance bond, unlawful conduct found; Art.74: refused to sign): the tenderer's decision
    with its reason — the next candidate in the committee's order, or a new tender. The notices
    issued before are superseded; with the next candidate a new set is issued."""

    class Reason(models.TextChoices):
        GAVE_UP = "gave_up", _("放弃中标")
        FORCE_MAJEURE = "force_majeure", _("因不可抗力不能履行合同")
        NO_BOND = "no_bond", _("不按照招标文件要求提交履约保证金")
        UNLAWFUL = "unlawful", _("被查实存在影响中标结果的违法行为")
        NOT_SIGNED = "not_signed", _("无正当理由不与招标人订立合同")

    class Decision(models.TextChoices):
        NEXT = "next", _("依次确定下一名中标候选人为中标人")
        RETENDER = "retender", _("重新招标")

    publication = models.ForeignKey(
        Publication,
        verbose_name=_("中标候选人公示"),
        on_delete=models.PROTECT,
        related_name="successions",
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("原中标人"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("情形"), max_length=20, choices=Reason.choices)
    explanation = models.TextField(_("事实和理由"))
    decision = models.CharField(_("招标人的决定"), max_length=10, choices=Decision.choices)
    next_bidder = models.ForeignKey(
        Bidder,
        verbose_name=_("新确定的中标人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("决定时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("中标人变更")
        verbose_name_plural = _("中标人变更")
        ordering = ["publication", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "bidder"], name="awardsuccession_once_per_bidder"
            ),
            models.CheckConstraint(
                condition=models.Q(decision="retender", next_bidder__isnull=True)
                | models.Q(decision="next", next_bidder__isnull=False),
                name="awardsuccession_next_named_iff_next",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.get_reason_display()}"
