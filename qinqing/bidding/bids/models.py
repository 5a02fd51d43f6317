"""Sealed electronic bids (QQ-SEAL-1, docs/sealed-bids.md): a bidder's bid for a section, its
encrypted files and the receipts (回执) issued for each submission and withdrawal.

The platform holds only ciphertext, the manifest (the wrapped content key, the KDF's salt and
iterations, the nonces, the plaintext and ciphertext SHA-256 of every file, the encrypted
opening schedule): what the opening needs to decrypt once the bidder gives its passphrase."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.projects.models import Bidder, Section
from qinqing.core.models import Organisation


class Bid(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已递交")
        REPLACED = "replaced", _("已被新递交的投标文件替换")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Source(models.TextChoices):
        BROWSER = "browser", _("浏览器加密上传")
        API = "api", _("接口上传")

    section = models.ForeignKey(
        Section, verbose_name=_("标段"), on_delete=models.PROTECT, related_name="bids"
    )
    bidder = models.ForeignKey(
        Bidder, verbose_name=_("投标人（报名）"), on_delete=models.PROTECT, related_name="bids"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("投标单位"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("递交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    source = models.CharField(_("递交方式"), max_length=10, choices=Source.choices)
    client_ip = models.GenericIPAddressField(_("上传地址"), null=True, blank=True)
    user_agent = models.CharField(_("上传设备（浏览器标识）"), max_length=300, blank=True)
    manifest = models.JSONField(_("密封清单（QQ-SEAL-1）"))
    manifest_sha256 = models.CharField(_("密封清单 SHA-256"), max_length=64)
    submitted_at = models.DateTimeField(_("递交时间"))
    closed_at = models.DateTimeField(_("替换或撤回时间"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("替换它的投标文件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("密封投标文件")
        verbose_name_plural = _("密封投标文件")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bidder"],
                condition=models.Q(status="submitted"),
                name="bid_one_live_per_bidder",
            ),
            models.CheckConstraint(
                condition=models.Q(status="submitted") | models.Q(closed_at__isnull=False),
                name="bid_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["section", "status"], name="bid_section_status_idx"),
            models.Index(fields=["organisation", "-submitted_at"], name="bid_org_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bidder.name} · {self.section}"


class BidFile(models.Model):
    class Role(models.TextChoices):
        COMMERCIAL = "商务标", _("商务标")
        TECHNICAL = "技术标", _("技术标")
        QUALIFICATION = "资格审查资料", _("资格审查资料")

    bid = models.ForeignKey(
        Bid, verbose_name=_("投标文件"), on_delete=models.CASCADE, related_name="files"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    role = models.CharField(_("类别"), max_length=10, choices=Role.choices)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.BigIntegerField(_("明文大小（字节）"))
    sha256 = models.CharField(_("明文 SHA-256"), max_length=64)
    nonce = models.CharField(_("GCM 随机数（Base64）"), max_length=16)
    ciphertext = models.FileField(_("密文"), upload_to="bidding/bids/%Y/%m/")
    ciphertext_size = models.BigIntegerField(_("密文大小（字节）"))
    ciphertext_sha256 = models.CharField(_("密文 SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("密封投标文件的文件")
        verbose_name_plural = _("密封投标文件的文件")
        ordering = ["bid", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "position"], name="bidfile_position_unique"),
            # QQ-SEAL-1: size + 16; QQ-SEAL-2: size + 16 per 1 MiB chunk (seal.manifest_check)
            models.CheckConstraint(
                condition=models.Q(ciphertext_size__gte=models.F("size") + 16),
                name="bidfile_ciphertext_size_min",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.name}"


class BidReceipt(models.Model):
    """回执 (电子招标投标办法 Art.26): what was received, when, with the hashes — frozen text,
    so the receipt reads the same whatever changes later."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("递交回执")
        WITHDRAWN = "withdrawn", _("撤回回执")

    number = models.CharField(_("回执编号"), max_length=40, unique=True)
    bid = models.ForeignKey(
        Bid, verbose_name=_("投标文件"), on_delete=models.PROTECT, related_name="receipts"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    issued_at = models.DateTimeField(_("时间"))
    project_code = models.CharField(_("项目编号"), max_length=50)
    project_name = models.CharField(_("项目名称"), max_length=200)
    section_code = models.CharField(_("标段编号"), max_length=50)
    section_name = models.CharField(_("标段名称"), max_length=200)
    bidder_name = models.CharField(_("投标人名称"), max_length=200)
    bidder_uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    files = models.JSONField(_("文件及哈希"))
    manifest_sha256 = models.CharField(_("密封清单 SHA-256"), max_length=64)
    audit_seq = models.BigIntegerField(_("审计链序号"), null=True, blank=True)
    audit_hash = models.CharField(_("审计链哈希"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("投标回执")
        verbose_name_plural = _("投标回执")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["bid", "issued_at"], name="bidreceipt_bid_time_idx")]

    def __str__(self) -> str:
        return self.number


class BidUpload(models.Model):
    """A chunked upload of a sealed bid's ciphertexts in progress (QQ-SEAL-2 §6): the browser
    sends each file in pieces, in order, to temporary files on disk (`part_path`); `finish`
    hands them with the manifest to the same checks and the same submission as the one-shot
    upload, then deletes them. Only the account that created it may add to it; it expires
    (`bids.services.uploads_expire`). It holds no plaintext."""

    id = models.UUIDField(_("编号"), primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(
        Section, verbose_name=_("标段"), on_delete=models.CASCADE, related_name="bid_uploads"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传账号"),
        on_delete=models.CASCADE,
        related_name="bid_uploads",
    )
    created_at = models.DateTimeField(_("开始时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    sizes = models.JSONField(_("各文件密文大小（字节）"))
    received = models.JSONField(_("各文件已收到的块数与字节数"))

    class Meta:
        verbose_name = _("分块上传中的投标文件")
        verbose_name_plural = _("分块上传中的投标文件")
        indexes = [
            models.Index(fields=["expires_at"], name="bidupload_expires_idx"),
            models.Index(fields=["created_by", "section"], name="bidupload_user_section_idx"),
        ]

    def __str__(self) -> str:
        return str(self.id)
