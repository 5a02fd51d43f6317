from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.core.roles import Role
from qinqing.core.rules import uscc_is_valid


def validate_uscc(value: str) -> None:
    if not uscc_is_valid(value):
        raise ValidationError(_("统一社会信用代码格式或校验位不正确"), code="invalid_uscc")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        DISTRICT = "district", _("区政府")
        DEPARTMENT = "department", _("政府部门")
        OFFICE = "office", _("内设机构")
        TRADING_CENTRE = "trading_centre", _("公共资源交易中心")
        COURT = "court", _("法院")
        INSTITUTION = "institution", _("事业单位")
        BANK = "bank", _("银行")
        AGENCY = "agency", _("代理机构")
        FIRM = "firm", _("企业")
        EXPERT_DATABASE = "expert_database", _("专家库")

    # Kinds that have a Unified Social Credit Code which must be given.
    USCC_REQUIRED = frozenset({Kind.BANK, Kind.AGENCY, Kind.FIRM})

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # NULL, not "", for organisations without a USCC, so that the unique constraint holds.
    uscc = models.CharField(  # noqa: DJ001
        _("统一社会信用代码"),
        max_length=18,
        null=True,
        blank=True,
        validators=[validate_uscc],
    )
    code = models.SlugField(_("机构代码"), max_length=50, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["uscc"], name="org_uscc_unique"),
            models.UniqueConstraint(fields=["parent", "name"], name="org_name_unique_in_parent"),
        ]
        indexes = [models.Index(fields=["kind", "name"], name="org_kind_name_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in self.USCC_REQUIRED and not self.uscc:
            raise ValidationError({"uscc": _("此类机构必须填写统一社会信用代码")})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("上级机构不能是自身")})


class RoleGrant(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("所属机构"), on_delete=models.PROTECT, related_name="grants"
    )
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"], name="rolegrant_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "role"], name="rolegrant_user_role_idx")]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name} · {self.get_role_display()} · {self.organisation}"


class AuditChainHead(models.Model):
    """The single row that serialises appends to the audit chain (locked FOR UPDATE)."""

    seq = models.BigIntegerField(_("最新序号"), default=0)
    hash = models.CharField(_("最新哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditEntry(models.Model):
    """One append-only row of the hash chain: hash = SHA-256(prev_hash || canonical JSON)."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    action = models.CharField(_("操作代码"), max_length=80)
    object_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=80, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # audit_org_seq_idx leads with it
    )
    detail = models.JSONField(_("详情"), default=dict)
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
            models.Index(fields=["organisation", "seq"], name="audit_org_seq_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),  # the log's jump to a day
        ]
        constraints = [
            # A constraint, not unique=True: on PostgreSQL that would add a second, LIKE-ready
            # index that no query uses, paid for on every audited write.
            models.UniqueConstraint(fields=["hash"], name="audit_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class Notification(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")
        IN_APP = "in_app", _("站内消息")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收用户"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,  # notif_recipient_read_idx leads with it
    )
    address = models.CharField(_("接收地址"), max_length=200, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    backend = models.CharField(_("发送通道"), max_length=120, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(recipient__isnull=True) & models.Q(address="")),
                name="notif_has_recipient_or_address",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the clear value is shown once.

    `password_fingerprint` is a keyed hash of the owner's password hash when the token was
    issued: a token whose fingerprint no longer matches (the password changed, by any path)
    is refused, as is a revoked or expired one."""

    class State(models.TextChoices):
        ACTIVE = "active", _("有效")
        EXPIRED = "expired", _("已过期")
        REVOKED = "revoked", _("已撤销")
        PASSWORD_CHANGED = "password_changed", _("密码已更改，已失效")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    key_hash = models.CharField(_("令牌哈希"), max_length=64, unique=True)
    password_fingerprint = models.CharField(_("密码指纹"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_ip = models.GenericIPAddressField(_("创建地址"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


class LoginFailure(models.Model):
    """A failed login, kept to throttle guessing (per username and per address)."""

    username = models.CharField(_("用户名"), max_length=150)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        indexes = [
            models.Index(fields=["username", "at"], name="loginfail_user_at_idx"),
            models.Index(fields=["ip", "at"], name="loginfail_ip_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.at}"


class AccountPhone(models.Model):
    """The mobile phone of an account, to which a login after repeated failures sends its
    one-time code (set by a platform administrator)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="account_phone",
    )
    phone = models.CharField(
        _("手机号"), max_length=20, validators=[RegexValidator(r"^\d{11}$", _("请填写11位手机号"))]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("账号手机号")
        verbose_name_plural = _("账号手机号")

    def __str__(self) -> str:
        return f"{self.user} · {self.masked}"

    @property
    def masked(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


class OneTimeCode(models.Model):
    """A one-time code sent by SMS to prove a phone (`qinqing.core.otp`): an expert signing in
    at a workstation, a creditor filing or voting without an account.

    Only a keyed hash of the code is kept; a code is single-use, expires and allows a few
    wrong attempts; sends are throttled per purpose, per phone and per address. `purpose`
    names the use and so the model `subject_id` points to (none when the code is for nobody).
    """

    purpose = models.CharField(_("用途"), max_length=40)
    phone = models.CharField(_("手机号"), max_length=20)
    subject_id = models.PositiveBigIntegerField(_("关联对象"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    code_hash = models.CharField(_("验证码哈希"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一次性验证码")
        verbose_name_plural = _("一次性验证码")
        indexes = [
            models.Index(fields=["purpose", "phone", "created_at"], name="otp_phone_idx"),
            models.Index(fields=["purpose", "ip", "created_at"], name="otp_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


class HolidayNotice(models.Model):
    """A year's holiday arrangement (国务院办公厅关于YYYY年部分节假日安排的通知): the source of the
    year's special days. A year with a notice here is read from this table alone
    (`qinqing.core.calendar`); the years the chinese-calendar package knows are seeded from it."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinese-calendar 数据包")
        ENTERED = "entered", _("平台管理员录入")
        FILE = "file", _("文件导入")

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    title = models.CharField(_("通知标题"), max_length=200)
    number = models.CharField(_("文号"), max_length=60, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    text = models.TextField(_("通知正文（放假安排）"), blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排通知")
        verbose_name_plural = _("节假日安排通知")
        ordering = ["-year"]

    def __str__(self) -> str:
        return self.title


class CalendarDay(models.Model):
    """A day that differs from Monday–Friday, as its notice lists it: a holiday (放假) or a
    Saturday or Sunday worked (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    notice = models.ForeignKey(
        HolidayNotice, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("节假日或调休日")
        verbose_name_plural = _("节假日或调休日")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]), name="calendarday_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class AuditAnchor(models.Model):
    """The audit chain's head as it stood on a day, published (the anchors page and its signed
    file) so that a chain re-hashed after the fact no longer matches what was published."""

    day = models.DateField(_("日期"), unique=True)
    seq = models.BigIntegerField(_("链头序号"))
    hash = models.CharField(_("链头哈希"), max_length=64)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审计链锚点")
        verbose_name_plural = _("审计链锚点")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} #{self.seq}"


class IdempotencyKey(models.Model):
    """A request applied once (`qinqing.core.idempotency`): an API call's `Idempotency-Key` or
    a web form's one-time token, per subject (the account, else the browser session) and
    route, with the response a repeat receives until it expires."""

    subject = models.CharField(_("请求主体"), max_length=80)
    key = models.CharField(_("幂等键"), max_length=128)
    route = models.CharField(_("请求路径"), max_length=255)
    fingerprint = models.CharField(_("请求内容摘要"), max_length=64, blank=True)
    status = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    body = models.JSONField(_("响应内容"), null=True, blank=True)
    created_at = models.DateTimeField(_("首次请求时间"))
    expires_at = models.DateTimeField(_("过期时间"))

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "key", "route"], name="core_idempotency_once"
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name="core_idempotency_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"


class GeneratedDocument(models.Model):
    """A file rendered on the task queue (`qinqing.core.documents`): a report's or a brief's
    PDF, a DOCX, later an export. One row per content key (what is rendered, from what): a
    second request for the same content finds it, queued or ready, and renders nothing."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    key = models.CharField(_("内容键"), max_length=64, unique=True)
    renderer = models.CharField(_("生成函数"), max_length=200)
    params = models.JSONField(_("生成参数"), default=dict)
    filename = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    file = models.FileField(_("文件"), upload_to="generated/%Y/%m/", blank=True)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("请求人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("请求时间"), auto_now_add=True)
    ready_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"))

    class Meta:
        verbose_name = _("生成的文件")
        verbose_name_plural = _("生成的文件")
        indexes = [models.Index(fields=["expires_at"], name="core_document_expiry_idx")]

    def __str__(self) -> str:
        return self.filename


class PeriodicTick(models.Model):
    """When a periodic command (`qinqing.core.tasks.TICKS`) is next due. The scheduler of
    every `qinqing worker` moves `next_at` on with one conditional update before it enqueues
    the command, so with several workers each tick is enqueued once."""

    name = models.CharField(_("命令"), max_length=60, unique=True)
    next_at = models.DateTimeField(_("下次运行时间"))
    last_enqueued_at = models.DateTimeField(_("上次排队时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self) -> str:
        return self.name


class SigningCertificate(models.Model):
    """A certificate of the platform's certificate authority (`qinqing.core.signing.pki`): the
    root (a demo CA, not a legal electronic certification service), a person's signing
    certificate (a committee member, named by name and a pseudonymous id, never an ID number) or
    an organisation's seal certificate. The private key is sealed under the data keys
    (`key_cipher`, `qinqing.core.crypto`); a key held in a PKCS#11 token leaves it blank."""

    class Kind(models.TextChoices):
        ROOT = "root", _("平台根证书（演示 CA）")
        PERSON = "person", _("个人签名证书")
        SEAL = "seal", _("机构电子印章证书")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    subject_key = models.CharField(
        _("主体标识（假名）"),
        max_length=100,
        help_text=_("个人：专家编号等假名标识，绝不用身份证号；机构：机构代码"),
    )
    common_name = models.CharField(_("名称"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issuer = models.ForeignKey(
        "self",
        verbose_name=_("签发者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    serial = models.CharField(_("序列号（十六进制）"), max_length=40, unique=True)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("失效时间"))
    certificate_pem = models.TextField(_("证书（PEM）"))
    key_cipher = models.TextField(_("私钥（密文）"), blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revocation_reason = models.CharField(_("吊销原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签名证书")
        verbose_name_plural = _("签名证书")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="root", revoked_at__isnull=True),
                name="signing_certificate_one_root",
            ),
            models.CheckConstraint(
                condition=models.Q(not_after__gt=models.F("not_before")),
                name="signing_certificate_validity",
            ),
        ]
        indexes = [
            models.Index(
                fields=["kind", "subject_key", "not_after"], name="signing_cert_subject_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} · {self.serial}"
