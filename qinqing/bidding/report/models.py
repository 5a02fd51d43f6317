"""The signed report, conduct ratings and fees."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qinqing.bidding.projects.models import EvaluationSession
from qinqing.bidding.seating.models import Seat
from qinqing.core.models import Organisation


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
