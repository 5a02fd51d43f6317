"""The documents at the workstation: which opened bid file each committee member opened
(`DocumentAccess`, audited once per member and file) and which pages they read, for how long
(`PageRead`, batched from the viewer; not in the audit chain: docs/bidding.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.opening.models import OpenedFile
from qinqing.bidding.seating.models import Seat


class DocumentAccess(models.Model):
    """A committee member at a signed-in workstation opened one decrypted bid file."""

    seat = models.ForeignKey(
        Seat, verbose_name=_("专家工位"), on_delete=models.PROTECT, related_name="document_access"
    )
    opened_file = models.ForeignKey(
        OpenedFile, verbose_name=_("投标文件"), on_delete=models.PROTECT, related_name="access"
    )
    workstation_code = models.CharField(_("工位编号"), max_length=20)
    first_opened_at = models.DateTimeField(_("首次打开时间"))
    last_opened_at = models.DateTimeField(_("最近打开时间"))
    fetches = models.PositiveIntegerField(_("打开次数"), default=1)
    page_count = models.PositiveIntegerField(_("总页数"), null=True, blank=True)

    class Meta:
        verbose_name = _("投标文件查阅")
        verbose_name_plural = _("投标文件查阅")
        ordering = ["seat", "opened_file"]
        constraints = [
            models.UniqueConstraint(
                fields=["seat", "opened_file"], name="documentaccess_one_per_seat_file"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workstation_code} · {self.opened_file}"


class PageRead(models.Model):
    """One page of a bid file on a member's screen: when first and last, for how long."""

    access = models.ForeignKey(
        DocumentAccess, verbose_name=_("文件查阅"), on_delete=models.CASCADE, related_name="pages"
    )
    page = models.PositiveIntegerField(_("页码"))
    first_seen_at = models.DateTimeField(_("首次阅读时间"))
    last_seen_at = models.DateTimeField(_("最近阅读时间"))
    seconds = models.PositiveIntegerField(_("阅读时长（秒）"), default=0)
    views = models.PositiveIntegerField(_("报送次数"), default=1)

    class Meta:
        verbose_name = _("逐页阅读记录")
        verbose_name_plural = _("逐页阅读记录")
        ordering = ["access", "page"]
        constraints = [
            models.UniqueConstraint(fields=["access", "page"], name="pageread_one_per_page"),
            models.CheckConstraint(condition=models.Q(page__gte=1), name="pageread_page_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.access} · p.{self.page}"
