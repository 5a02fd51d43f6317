"""Creditors, their claims and the claims' evidence."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy.models.cases import Case
from qinqing.bankruptcy.models.common import money_field
from qinqing.core.models import Organisation


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
