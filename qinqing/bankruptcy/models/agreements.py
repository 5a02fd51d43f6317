"""Reconciliation agreements: terms, instalments and payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy.models.cases import Case
from qinqing.bankruptcy.models.claims import Creditor
from qinqing.bankruptcy.models.common import money_field


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
