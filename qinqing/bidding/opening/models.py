"""The remote opening (不见面开标) of a section: the hall opened at the bid deadline, each sealed
bid decrypted by its bidder within the window, the opening schedules read out (唱标), the
objections raised and answered on the spot, and the opening record (开标记录)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.bids.models import Bid, BidFile
from qinqing.bidding.projects.models import Bidder, Section

DEFAULT_WINDOW_MINUTES = 30


class Opening(models.Model):
    class Status(models.TextChoices):
        DECRYPTING = "decrypting", _("解密中")
        READING = "reading", _("唱标中")
        CLOSED = "closed", _("开标结束")
        FAILED = "failed", _("不予开标")

    class LateTreatment(models.TextChoices):
        WITHDRAWN = "withdrawn", _("视为撤回投标文件")
        REJECTED = "rejected", _("视为投标无效（否决）")

    section = models.OneToOneField(
        Section, verbose_name=_("标段"), on_delete=models.PROTECT, related_name="opening"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DECRYPTING
    )
    window_minutes = models.PositiveSmallIntegerField(
        _("解密时限（分钟）"),
        default=DEFAULT_WINDOW_MINUTES,
        help_text=_("招标文件规定的投标人远程解密时限，未规定的为 30 分钟"),
    )
    late_treatment = models.CharField(
        _("逾期未解密的处理"),
        max_length=10,
        choices=LateTreatment.choices,
        default=LateTreatment.WITHDRAWN,
        help_text=_("招标文件规定的逾期未解密投标文件的处理方式，未规定的视为撤回"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开标主持人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开标时间"))
    decrypt_until = models.DateTimeField(_("解密截止时间"), null=True, blank=True)
    reading_at = models.DateTimeField(_("唱标开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("开标结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束开标的人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    failure_reason = models.TextField(_("不予开标的原因"), blank=True)
    record = models.JSONField(_("开标记录（封存内容）"), null=True, blank=True)
    record_sha256 = models.CharField(_("开标记录 SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("开标")
        verbose_name_plural = _("开标")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_minutes__gte=1) & models.Q(window_minutes__lte=240),
                name="opening_window_bounds",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="failed") | ~models.Q(failure_reason=""),
                name="opening_failed_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "decrypt_until"], name="opening_status_until_idx")
        ]

    def __str__(self) -> str:
        return f"{self.section} · 开标"


class OpeningBid(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待解密")
        DECRYPTED = "decrypted", _("已解密")
        WITHDRAWN = "withdrawn", _("逾期未解密，视为撤回")
        REJECTED = "rejected", _("逾期未解密，投标无效")

    opening = models.ForeignKey(
        Opening, verbose_name=_("开标"), on_delete=models.CASCADE, related_name="bids"
    )
    bid = models.OneToOneField(
        Bid, verbose_name=_("密封投标文件"), on_delete=models.PROTECT, related_name="opening_bid"
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("唱标顺序"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    failed_attempts = models.PositiveIntegerField(_("解密失败次数"), default=0)
    decrypted_at = models.DateTimeField(_("解密时间"), null=True, blank=True)
    decrypted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解密人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("处理原因"), max_length=300, blank=True)
    price = models.DecimalField(
        _("投标报价（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    duration_days = models.PositiveSmallIntegerField(_("工期（日历天）"), null=True, blank=True)
    quality = models.CharField(_("质量"), max_length=100, blank=True)
    project_manager = models.CharField(_("项目经理"), max_length=50, blank=True)
    declared_items = models.JSONField(_("声明事项"), default=list, blank=True)
    responses = models.JSONField(
        _("响应表（评审项→文件、页码）"),
        default=list,
        blank=True,
        help_text=_("开标一览表中可选的响应表：[{criterion, file, page}]"),
    )

    class Meta:
        verbose_name = _("开标中的投标文件")
        verbose_name_plural = _("开标中的投标文件")
        ordering = ["opening", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["opening", "position"], name="openingbid_position_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="decrypted") | models.Q(price__isnull=False),
                name="openingbid_decrypted_has_price",
            ),
        ]
        indexes = [models.Index(fields=["opening", "status"], name="openingbid_status_idx")]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.get_status_display()}"


class OpenedFile(models.Model):
    """A bid file decrypted at the opening, kept for the evaluation; its plaintext SHA-256
    equals the receipt's."""

    opening_bid = models.ForeignKey(
        OpeningBid,
        verbose_name=_("开标中的投标文件"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    bid_file = models.OneToOneField(
        BidFile, verbose_name=_("密封文件"), on_delete=models.PROTECT, related_name="opened"
    )
    file = models.FileField(_("解密后的文件"), upload_to="bidding/opened/%Y/%m/")
    size = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("解密后的投标文件")
        verbose_name_plural = _("解密后的投标文件")
        ordering = ["opening_bid", "bid_file__position"]

    def __str__(self) -> str:
        return self.bid_file.name


class Objection(models.Model):
    """A bidder's objection at the opening, answered on the spot (实施条例 Art.44)."""

    opening = models.ForeignKey(
        Opening, verbose_name=_("开标"), on_delete=models.CASCADE, related_name="objections"
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
        verbose_name = _("开标异议")
        verbose_name_plural = _("开标异议")
        ordering = ["opening", "raised_at"]
        indexes = [models.Index(fields=["opening", "raised_at"], name="objection_time_idx")]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.raised_at:%H:%M}"
