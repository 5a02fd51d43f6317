"""The work brief: series, numbered issues, contributed articles, versions, comments, figures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.core.models import Organisation


class Series(models.Model):
    name = models.CharField(_("简报名称"), max_length=100, unique=True)
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    issuer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="brief_series",
        verbose_name=_("编发单位"),
    )
    is_public = models.BooleanField(_("公开发布"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("简报系列")
        verbose_name_plural = _("简报系列")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Issue(models.Model):
    class Status(models.TextChoices):
        DRAFTING = "drafting", _("草稿")
        COLLECTING = "collecting", _("征稿中")
        EDITING = "editing", _("编辑中")
        REVIEW = "review", _("待审核")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已发布")

    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, related_name="issues", verbose_name=_("简报系列")
    )
    number = models.PositiveIntegerField(_("期号"))
    issued_on = models.DateField(_("印发日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFTING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("送审人"),
    )
    submitted_at = models.DateTimeField(_("送审时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    pdf = models.BinaryField(_("发布版 PDF"), null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    search_text = models.TextField(_("检索文本"), blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("简报期次")
        verbose_name_plural = _("简报期次")
        ordering = ["series", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="issue_series_number"),
        ]
        indexes = [models.Index(fields=["series", "status"], name="issue_series_status")]

    def __str__(self) -> str:
        return f"{self.series.name} 第{self.number}期"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("撰写中")
        SUBMITTED = "submitted", _("已报送")
        ACCEPTED = "accepted", _("已采用")

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="articles", verbose_name=_("期次")
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("标题"), max_length=200, help_text=_("一行或两行，换行分隔"))
    body = models.TextField(
        _("正文"),
        help_text=_(
            "每段一行；“一、”“（一）”开头且不以句号结尾的行为标题；指标标记形如 {{fig:名称:起:止}}"
        ),
    )
    department = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="brief_articles",
        verbose_name=_("供稿单位"),
    )
    contributor = models.CharField(_("供稿署名"), max_length=60)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撰稿人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("稿件")
        verbose_name_plural = _("稿件")
        ordering = ["issue", "position", "pk"]
        indexes = [models.Index(fields=["issue", "position"], name="article_issue_position")]

    def __str__(self) -> str:
        return self.title.replace("\n", " ")

    @property
    def title_lines(self) -> list[str]:
        return [ln for ln in self.title.splitlines() if ln.strip()]


class ArticleVersion(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("稿件")
    )
    number = models.PositiveIntegerField(_("版本号"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("稿件版本")
        verbose_name_plural = _("稿件版本")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="articleversion_number"),
        ]

    def __str__(self) -> str:
        return f"{self.article} v{self.number}"


class Comment(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments", verbose_name=_("稿件")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("评论人"),
    )
    text = models.TextField(_("意见"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("修改意见")
        verbose_name_plural = _("修改意见")
        ordering = ["article", "created_at"]

    def __str__(self) -> str:
        return self.text[:30]


class FigureSnapshot(models.Model):
    """A figure's value frozen when its issue was published (name + inclusive period)."""

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("期次")
    )
    name = models.CharField(_("指标名"), max_length=60)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    label = models.CharField(_("指标名称"), max_length=100, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=4, null=True, blank=True)
    registered = models.BooleanField(_("指标已登记"), default=True)

    class Meta:
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "name", "start", "end"], name="figuresnapshot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start}…{self.end} = {self.value}"

    @property
    def key(self) -> str:
        return f"{self.name}:{self.start.isoformat()}:{self.end.isoformat()}"
