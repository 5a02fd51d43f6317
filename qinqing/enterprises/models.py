"""Firms, clusters (集聚区), industries, tags, contacts and party-building instructors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.core.models import Organisation


class Cluster(models.Model):
    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    party_committee = models.CharField(_("综合党委"), max_length=100, blank=True)
    description = models.TextField(_("简介"), blank=True)

    class Meta:
        verbose_name = _("集聚区")
        verbose_name_plural = _("集聚区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Industry(models.Model):
    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("行业")
        verbose_name_plural = _("行业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("名称"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Firm(models.Model):
    """A firm served by the platform; its name and USCC live on its core Organisation (1:1)."""

    class Kind(models.TextChoices):
        PRIVATE = "private", _("民营企业")
        INDIVIDUAL = "individual", _("个体工商户")
        TAX_AGENT = "tax_agent", _("涉税专业服务机构")
        SOCIAL = "social", _("社会组织")
        STATE = "state", _("国有企业")
        OTHER = "other", _("其他")

    class Size(models.TextChoices):
        MICRO = "micro", _("微型")
        SMALL = "small", _("小型")
        MEDIUM = "medium", _("中型")
        LARGE = "large", _("大型")

    class CreditGrade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        M = "M", "M"
        C = "C", "C"
        D = "D", "D"

    class PartyOrg(models.TextChoices):
        NONE = "none", _("未建立")
        BRANCH = "branch", _("独立党支部")
        JOINT = "joint", _("联合党支部")

    organisation = models.OneToOneField(
        Organisation, verbose_name=_("组织机构"), on_delete=models.PROTECT, related_name="firm"
    )
    kind = models.CharField(_("主体类型"), max_length=20, choices=Kind.choices)
    cluster = models.ForeignKey(
        Cluster,
        verbose_name=_("集聚区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="firms",
    )
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("行业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="firms",
    )
    street = models.CharField(_("街道"), max_length=50, blank=True)
    size = models.CharField(_("规模"), max_length=10, choices=Size.choices, blank=True)
    credit_grade = models.CharField(
        _("纳税信用等级"), max_length=1, choices=CreditGrade.choices, blank=True
    )
    party_org = models.CharField(
        _("党组织"), max_length=10, choices=PartyOrg.choices, default=PartyOrg.NONE
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="firms")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["organisation__name"]
        indexes = [models.Index(fields=["cluster", "kind"], name="firm_cluster_kind_idx")]

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def uscc(self) -> str:
        return self.organisation.uscc or ""


class Contact(models.Model):
    firm = models.ForeignKey(
        Firm, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮件"), blank=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["firm", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.firm}）"


class InstructorProfile(models.Model):
    """The public contact card of a party-building instructor (党建指导员)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="instructor_profile",
    )
    department = models.ForeignKey(
        Organisation, verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="+"
    )
    display_name = models.CharField(_("公开姓名"), max_length=50)
    phone = models.CharField(_("公开电话"), max_length=30)
    email = models.EmailField(_("公开邮箱"), blank=True)
    is_public = models.BooleanField(_("公开"), default=True)

    class Meta:
        verbose_name = _("党建指导员名片")
        verbose_name_plural = _("党建指导员名片")

    def __str__(self) -> str:
        return self.display_name


class InstructorAssignment(models.Model):
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("党建指导员"),
        on_delete=models.PROTECT,
        related_name="firm_assignments",
    )
    firm = models.ForeignKey(
        Firm, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="assignments"
    )
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("指导员联系企业")
        verbose_name_plural = _("指导员联系企业")
        constraints = [
            models.UniqueConstraint(
                fields=["instructor", "firm"], name="instructorassignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instructor} → {self.firm}"


class ServiceCommitment(models.Model):
    """A public service commitment (服务承诺) an instructor makes to one cluster."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("集聚区"), on_delete=models.CASCADE, related_name="commitments"
    )
    instructor = models.ForeignKey(
        InstructorProfile,
        verbose_name=_("党建指导员"),
        on_delete=models.CASCADE,
        related_name="commitments",
    )
    text = models.TextField(_("承诺内容"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("服务承诺")
        verbose_name_plural = _("服务承诺")
        ordering = ["cluster", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.cluster}：{self.text[:20]}"
