"""The expert register: specialities, experts, their relations, declarations and leave."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.core.models import Organisation
from qinqing.core.rules import mask_resident_id


class Speciality(models.Model):
    """A speciality of the evaluation-expert classification; a code covers its sub-codes."""

    code = models.CharField(_("专业代码"), max_length=20, primary_key=True)
    name = models.CharField(_("专业名称"), max_length=100)

    class Meta:
        verbose_name = _("评标专业")
        verbose_name_plural = _("评标专业")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Expert(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在库可用")
        SUSPENDED = "suspended", _("暂停")
        RETIRED = "retired", _("退出")
        REMOVED = "removed", _("除名")

    class Title(models.TextChoices):
        SENIOR_FULL = "senior_full", _("正高级")
        SENIOR = "senior", _("副高级")
        INTERMEDIATE = "intermediate", _("中级")

    database = models.ForeignKey(
        Organisation,
        verbose_name=_("所属专家库"),
        on_delete=models.PROTECT,
        related_name="experts",
        limit_choices_to={"kind": Organisation.Kind.EXPERT_DATABASE},
    )
    code = models.CharField(_("专家编号"), max_length=30, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    id_number_cipher = models.TextField(_("身份证号（密文）"))
    id_number_hash = models.CharField(_("身份证号（keyed hash）"), max_length=64, unique=True)
    id_last4 = models.CharField(_("身份证号后四位"), max_length=4)
    phone = models.CharField(_("手机号"), max_length=20)
    employer_uscc = models.CharField(_("工作单位统一社会信用代码"), max_length=18, blank=True)
    employer_name = models.CharField(_("工作单位"), max_length=200, blank=True)
    region_code = models.CharField(_("所在地区代码"), max_length=6)
    title = models.CharField(_("职称"), max_length=20, choices=Title.choices)
    birth_date = models.DateField(_("出生日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    ban_until = models.DateField(_("禁入期至"), null=True, blank=True)
    specialities = models.ManyToManyField(
        Speciality, verbose_name=_("评标专业"), through="ExpertSpeciality", related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expert_profile",
    )
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评标专家")
        verbose_name_plural = _("评标专家")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["database", "status"], name="expert_db_status_idx"),
            models.Index(fields=["database", "name"], name="expert_db_name_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_last4)


class ExpertSpeciality(models.Model):
    expert = models.ForeignKey(
        Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="speciality_links"
    )
    speciality = models.ForeignKey(
        Speciality, verbose_name=_("专业"), on_delete=models.PROTECT, related_name="expert_links"
    )

    class Meta:
        verbose_name = _("专家专业")
        verbose_name_plural = _("专家专业")
        constraints = [
            models.UniqueConstraint(fields=["expert", "speciality"], name="expertspec_unique")
        ]
        # Pools are found by speciality prefix: the index leads with the speciality code.
        indexes = [models.Index(fields=["speciality", "expert"], name="expertspec_spec_idx")]

    def __str__(self) -> str:
        return f"{self.expert_id} · {self.speciality_id}"


class ExpertRelation(models.Model):
    """Employment, directorship or shareholding, past or present (回避: 3-year look-back)."""

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("任职")
        DIRECTOR = "director", _("董事/监事")
        SHAREHOLDER = "shareholder", _("控股股东")

    expert = models.ForeignKey(
        Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="relations"
    )
    org_uscc = models.CharField(_("单位统一社会信用代码"), max_length=18)
    org_name = models.CharField(_("单位名称"), max_length=200)
    kind = models.CharField(_("关系"), max_length=12, choices=Kind.choices)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("任职经历")
        verbose_name_plural = _("任职经历")
        indexes = [models.Index(fields=["org_uscc"], name="exprel_uscc_idx")]

    def __str__(self) -> str:
        return f"{self.org_name} · {self.get_kind_display()}"


class ExpertDeclaredRelation(models.Model):
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("专家"),
        on_delete=models.CASCADE,
        related_name="declared_relations",
    )
    org_uscc = models.CharField(_("关联单位统一社会信用代码"), max_length=18)
    org_name = models.CharField(_("关联单位名称"), max_length=200)

    class Meta:
        verbose_name = _("申报关联单位")
        verbose_name_plural = _("申报关联单位")
        constraints = [
            models.UniqueConstraint(fields=["expert", "org_uscc"], name="expdecl_unique")
        ]
        indexes = [models.Index(fields=["org_uscc"], name="expdecl_uscc_idx")]

    def __str__(self) -> str:
        return self.org_name


class ExpertLeave(models.Model):
    expert = models.ForeignKey(
        Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="leaves"
    )
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("专家请假")
        verbose_name_plural = _("专家请假")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="expleave_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"
