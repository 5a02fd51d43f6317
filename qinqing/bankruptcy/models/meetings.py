"""Creditors' meetings: agenda items, attendance, ballots and proxies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models.cases import Case
from qinqing.bankruptcy.models.claims import Creditor


class Meeting(models.Model):
    class Kind(models.TextChoices):
        FIRST = "first", _("第一次债权人会议")
        LATER = "later", _("债权人会议")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已通知")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("会议日"))
    notice_date = models.DateField(_("通知日"))
    online = models.BooleanField(_("网络会议（可线上签到表决）"), default=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    results_sent_on = models.DateField(_("表决结果告知日"), null=True, blank=True)

    class Meta:
        verbose_name = _("债权人会议")
        verbose_name_plural = _("债权人会议")
        ordering = ["case", "date"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()} {self.date}"


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        RECONCILIATION = rules.RECONCILIATION, _("表决和解协议（第97条）")
        ORDINARY = rules.ORDINARY, _("一般决议（第64条）")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="items"
    )
    title = models.CharField(_("议题"), max_length=200)
    kind = models.CharField(_("表决规则"), max_length=20, choices=Kind.choices)
    is_open = models.BooleanField(_("表决中"), default=False)
    passed = models.BooleanField(_("通过"), null=True, blank=True)
    result = models.JSONField(_("计票结果"), default=dict, blank=True)
    closed_on = models.DateField(_("表决结束日"), null=True, blank=True)

    class Meta:
        verbose_name = _("表决事项")
        verbose_name_plural = _("表决事项")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="attendances"
    )
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="attendances"
    )
    signed_in_at = models.DateTimeField(_("签到时间"))
    online = models.BooleanField(_("线上签到"), default=True)
    proxy_name = models.CharField(_("委托代理人"), max_length=100, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签到账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "creditor"], name="bk_attendance_once_per_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.creditor} @ {self.meeting}"


class Ballot(models.Model):
    class Vote(models.TextChoices):
        YES = "yes", _("同意")
        NO = "no", _("不同意")
        ABSTAIN = "abstain", _("弃权")

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("表决事项"), on_delete=models.CASCADE, related_name="ballots"
    )
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="ballots"
    )
    vote = models.CharField(_("表决意见"), max_length=10, choices=Vote.choices)
    cast_at = models.DateTimeField(_("表决时间"))
    # A changed vote is a change, not a new ballot: what it replaced, and how often it changed
    # (every change is also in the audit chain with the previous vote).
    previous_vote = models.CharField(
        _("更改前的表决意见"), max_length=10, choices=Vote.choices, blank=True
    )
    changes = models.PositiveSmallIntegerField(_("更改次数"), default=0)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("表决账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        constraints = [
            models.UniqueConstraint(fields=["item", "creditor"], name="bk_ballot_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.creditor} {self.get_vote_display()}"


class Proxy(models.Model):
    """A creditor's authorised agent (委托代理人) with an account: may sign in and vote for it."""

    creditor = models.ForeignKey(
        Creditor, verbose_name=_("债权人"), on_delete=models.CASCADE, related_name="proxies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理人账号"),
        on_delete=models.PROTECT,
        related_name="bankruptcy_proxies",
    )
    name = models.CharField(_("代理人姓名"), max_length=100)
    authorised_on = models.DateField(_("授权委托书日期"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("委托代理人")
        verbose_name_plural = _("委托代理人")
        constraints = [
            models.UniqueConstraint(fields=["creditor", "user"], name="bk_proxy_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.creditor}"
