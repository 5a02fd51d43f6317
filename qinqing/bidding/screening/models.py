"""Collusion screening (清标) of a section's unsealed bids: the report (one per section, the
last run), each signal with its bidders, evidence and article, and each file as the screening
read it. The committee decides on the signals; nothing is rejected by the screening."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.opening.models import OpenedFile
from qinqing.bidding.projects.models import Section


class Screening(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("清标中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    section = models.OneToOneField(
        Section, verbose_name=_("标段"), on_delete=models.PROTECT, related_name="screening"
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    requested_at = models.DateTimeField(_("请求时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("请求人（空为开标结束时自动）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    seconds = models.DecimalField(
        _("用时（秒）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    bids_screened = models.PositiveIntegerField(_("清标的投标文件数"), default=0)
    files_screened = models.PositiveIntegerField(_("清标的文件数"), default=0)
    pages_screened = models.PositiveIntegerField(_("读取的页数"), default=0)
    runs = models.PositiveIntegerField(_("运行次数"), default=0)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("清标")
        verbose_name_plural = _("清标")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="screening_progress_max"
            )
        ]
        indexes = [models.Index(fields=["state", "requested_at"], name="screening_state_idx")]

    def __str__(self) -> str:
        return f"{self.section} · 清标"


class ScreeningSignal(models.Model):
    """One sign of deemed collusion (实施条例 Art.40) with its evidence, for the committee."""

    class Kind(models.TextChoices):
        SAME_AUTHOR = "same_author", _("文件作者相同")
        SAME_TOOL_TIME = "same_tool_time", _("制作工具相同且创建时间接近")
        SAME_IP = "same_ip", _("上传地址（IP）相同")
        SAME_DEVICE = "same_device", _("上传设备相同")
        IDENTICAL_FILE = "identical_file", _("文件完全相同")
        SIMILAR_TEXT = "similar_text", _("文本异常相似")
        SAME_MANAGER = "same_manager", _("项目经理为同一人")
        PRICE_PATTERN = "price_pattern", _("报价呈规律性差异")
        MIXED_DOCUMENTS = "mixed_documents", _("投标文件相互混装")

    screening = models.ForeignKey(
        Screening, verbose_name=_("清标"), on_delete=models.CASCADE, related_name="signals"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    article = models.CharField(_("法律依据"), max_length=100)
    bidders = models.JSONField(_("涉及的投标人"))
    evidence = models.JSONField(_("证据"))
    found_at = models.DateTimeField(_("清标时间"))

    class Meta:
        verbose_name = _("清标发现")
        verbose_name_plural = _("清标发现")
        ordering = ["screening", "pk"]
        indexes = [models.Index(fields=["screening", "kind"], name="screening_signal_kind_idx")]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class ScreenedFile(models.Model):
    """An opened file as the screening read it: metadata and pages, or why it was unreadable."""

    screening = models.ForeignKey(
        Screening, verbose_name=_("清标"), on_delete=models.CASCADE, related_name="files"
    )
    opened_file = models.ForeignKey(
        OpenedFile, verbose_name=_("解密后的文件"), on_delete=models.CASCADE, related_name="+"
    )
    bidder_uscc = models.CharField(_("投标人统一社会信用代码"), max_length=18)
    bidder_name = models.CharField(_("投标人"), max_length=200)
    name = models.CharField(_("文件名"), max_length=200)
    readable = models.BooleanField(_("可读取"))
    reason = models.CharField(_("无法读取的原因"), max_length=300, blank=True)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    author = models.CharField(_("作者（PDF Author）"), max_length=300, blank=True)
    creator = models.CharField(_("创建工具（PDF Creator）"), max_length=300, blank=True)
    producer = models.CharField(_("生成工具（PDF Producer）"), max_length=300, blank=True)
    created = models.DateTimeField(_("文件创建时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("清标读取的文件")
        verbose_name_plural = _("清标读取的文件")
        ordering = ["screening", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(readable=True) | ~models.Q(reason=""),
                name="screenedfile_unreadable_has_reason",
            )
        ]

    def __str__(self) -> str:
        return self.name
