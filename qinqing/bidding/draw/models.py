"""The verifiable draw: quotas, manual exclusions, draws and their outcomes, and the eligibility
index the pools are read from."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.draw import rules
from qinqing.bidding.experts.models import Expert, Speciality
from qinqing.bidding.projects.models import EvaluationSession, TendererRepresentative
from qinqing.core.models import Organisation


class DrawQuota(models.Model):
    """How many experts one centre draws from its own database for a session."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="quotas",
    )
    centre = models.ForeignKey(
        Organisation, verbose_name=_("交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    database = models.ForeignKey(
        Organisation, verbose_name=_("专家库"), on_delete=models.PROTECT, related_name="+"
    )
    speciality_codes = models.JSONField(_("专业代码"))
    count = models.PositiveSmallIntegerField(_("抽取人数"))
    backups = models.PositiveSmallIntegerField(_("备选人数"))
    requires_other_region = models.BooleanField(_("须异地专家"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抽取需求")
        verbose_name_plural = _("抽取需求")
        constraints = [
            models.UniqueConstraint(fields=["session", "centre"], name="quota_one_per_centre"),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="quota_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.count}+{self.backups}"

    def to_rules(self) -> rules.QuotaFacts:
        return rules.QuotaFacts(
            speciality_codes=tuple(self.speciality_codes),
            requires_other_region=self.requires_other_region,
        )


class ManualExclusion(models.Model):
    """A supervisor's written exclusion of one expert from one quota (reason code MANUAL)."""

    quota = models.ForeignKey(
        DrawQuota, verbose_name=_("抽取需求"), on_delete=models.CASCADE, related_name="exclusions"
    )
    expert = models.ForeignKey(Expert, verbose_name=_("专家"), on_delete=models.PROTECT)
    reason = models.CharField(_("书面理由"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("排除人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人工排除")
        verbose_name_plural = _("人工排除")
        constraints = [
            models.UniqueConstraint(fields=["quota", "expert"], name="manualexcl_unique")
        ]

    def __str__(self) -> str:
        return f"{self.expert} · {self.reason}"


class CodeLinesField(models.TextField):
    """A list of codes kept as one text value, the codes joined by line feeds: for a frozen
    pool, exactly the text QQ-DRAW-1 digests (`rules.canonical_pool` refuses codes holding a
    line feed). Cheaper to write and read than a JSON array, and compressed as text."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, str):
            return value.split("\n") if value else []
        return value

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return "\n".join(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class CompactJSONField(models.TextField):
    """A JSON value kept as compact text (no spaces, UTF-8 as is): written and read back
    without the database parsing it, for documents that are stored and shown whole."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class Draw(models.Model):
    """One run of QQ-DRAW-1 for a quota: frozen pool, commitment, witness entropy, result."""

    class Status(models.TextChoices):
        COMMITTED = "committed", _("已承诺，待见证")
        DRAWN = "drawn", _("已抽取")
        FAILED = "failed", _("抽取失败")

    quota = models.ForeignKey(
        DrawQuota, verbose_name=_("抽取需求"), on_delete=models.PROTECT, related_name="draws"
    )
    draw_id = models.CharField(_("抽取编号"), max_length=60, unique=True)
    supplementary = models.BooleanField(_("补抽"), default=False)
    quota_count = models.PositiveSmallIntegerField(_("本次抽取人数"))
    backups = models.PositiveSmallIntegerField(_("本次备选人数"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.COMMITTED
    )
    pool = CodeLinesField(_("冻结的候选池（专家编号）"))
    pool_digest = models.CharField(_("候选池摘要"), max_length=64)
    pool_size = models.PositiveIntegerField(_("候选池人数"))
    exclusion_report = CompactJSONField(_("回避与排除报告"))
    server_nonce_cipher = models.TextField(_("服务器随机数（密文）"))
    commitment = models.CharField(_("承诺值"), max_length=64)
    witness_entropy = models.CharField(_("见证人输入"), max_length=200, blank=True)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("见证人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    witnessed_at = models.DateTimeField(_("见证时间"), null=True, blank=True)
    drawn = models.JSONField(_("抽取顺序"), default=list)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    committed_at = models.DateTimeField(_("承诺时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专家抽取")
        verbose_name_plural = _("专家抽取")
        ordering = ["-committed_at"]

    def __str__(self) -> str:
        return self.draw_id


class DrawOutcome(models.Model):
    """One drawn expert's place in the sequence and what became of it."""

    class Role(models.TextChoices):
        PRINCIPAL = "principal", _("正选")
        BACKUP = "backup", _("备选")
        REPRESENTATIVE = "representative", _("招标人代表")

    class Status(models.TextChoices):
        WAITING = "waiting", _("备选待递补")
        NOTIFIED = "notified", _("已通知")
        CONFIRMED = "confirmed", _("已确认参加")
        DECLINED = "declined", _("拒绝参加")
        NO_ANSWER = "no_answer", _("未答复")
        RECUSED = "recused", _("主动回避")
        UNAVAILABLE = "unavailable", _("已被其他场次占用")
        UNUSED = "unused", _("未递补")

    # An expert in one of these states holds the session's time slot.
    HOLDING = (Status.NOTIFIED, Status.CONFIRMED)

    # A tenderer's representative is a member without a draw: no draw, no expert (Art.37).
    draw = models.ForeignKey(
        Draw,
        verbose_name=_("抽取"),
        on_delete=models.CASCADE,
        related_name="outcomes",
        null=True,
        blank=True,
    )
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="outcomes",
        db_index=False,  # outcome_expert_seat_idx starts with it
        null=True,
        blank=True,
    )
    representative = models.OneToOneField(
        TendererRepresentative,
        verbose_name=_("招标人代表"),
        on_delete=models.CASCADE,
        related_name="outcome",
        null=True,
        blank=True,
    )
    session = models.ForeignKey(
        EvaluationSession, verbose_name=_("评标场次"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("抽取序位"))
    role = models.CharField(_("身份"), max_length=14, choices=Role.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    respond_by = models.DateTimeField(_("答复期限"), null=True, blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    response_channel = models.CharField(_("答复方式"), max_length=10, blank=True)
    token_hash = models.CharField(_("确认链接令牌哈希"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("抽取结果")
        verbose_name_plural = _("抽取结果")
        ordering = ["draw", "position"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="outcome_position_unique"),
            models.UniqueConstraint(fields=["draw", "expert"], name="outcome_expert_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(draw__isnull=False, expert__isnull=False, representative__isnull=True)
                    | models.Q(
                        draw__isnull=True,
                        expert__isnull=True,
                        representative__isnull=False,
                        role="representative",
                    )
                ),
                name="outcome_expert_or_representative",
            ),
        ]
        indexes = [
            # An expert's seats (pools._seats, the eligibility triggers) from the index alone.
            models.Index(fields=["expert", "status", "session"], name="outcome_expert_seat_idx"),
            models.Index(fields=["token_hash"], name="outcome_token_idx"),
            models.Index(fields=["status", "respond_by"], name="outcome_status_due_idx"),
            models.Index(fields=["session", "status"], name="outcome_session_status_idx"),
        ]

    def __str__(self) -> str:
        if self.representative_id is not None:
            return f"{self.representative.code}"
        return f"{self.draw.draw_id} #{self.position + 1} {self.expert.code}"

    @property
    def member(self):
        """The expert or the tenderer's representative this membership is for (both have
        code, name, phone, id_last4, masked_id_number and user)."""
        return self.expert if self.expert_id is not None else self.representative


class NotInBackups(models.Manager):
    """The default manager of derived tables: `dumpdata` (hence `qinqing backup`) reads
    through it and finds nothing, so a restore never loads rows its triggers already made."""

    def get_queryset(self):
        return super().get_queryset().none()


class EligibilityEntry(models.Model):
    """What eligibility reads about one expert, once per speciality held (a derived copy).

    One row per (expert, speciality), clustered by the index on (database, speciality, ...)
    so the candidates of a quota are one index-only range scan instead of one random heap
    page per expert (`pools.py`). Database triggers (migration `draw_eligibility_index`)
    keep it equal to its sources on every write, whichever code makes it (services, imports,
    `bulk_create`, `update()`): `ExpertSpeciality` rows add and remove entries; the expert's
    columns are copied on every change; `leave_from` and `leave_until` are the first day of
    the expert's earliest leave and the last day of the latest, and `seat_until` the latest
    start of a session the expert has any outcome in (all None when there is none). The dates
    only tell which experts need their leave and seats loaded (no leave covers a day outside
    [leave_from, leave_until]; with `seat_before` and `seat_end`, the second latest start and
    the latest end of those sessions, none of an expert's seats but the latest can fall inside
    a window starting after `seat_before`, and none can overlap a session starting at or after
    `seat_end`); the rules always read the leave and seats themselves.
    `eligibility_index.mismatches()` compares the table with its sources. It is left out of
    backups: restoring the experts, leave and outcomes fills it again through the triggers.
    """

    database = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("所属专家库"),
    )
    speciality = models.ForeignKey(
        Speciality,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("评标专业"),
    )
    expert = models.ForeignKey(
        Expert, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("专家")
    )
    code = models.CharField(_("专家编号"), max_length=30)
    birth_date = models.DateField(_("出生日期"))
    status = models.CharField(_("状态"), max_length=10)
    ban_until = models.DateField(_("禁入期至"), null=True)
    employer_uscc = models.CharField(_("工作单位统一社会信用代码"), max_length=18)
    region_code = models.CharField(_("所在地区代码"), max_length=6)
    leave_from = models.DateField(_("最早请假首日"), null=True)
    leave_until = models.DateField(_("最晚请假末日"), null=True)
    seat_before = models.DateTimeField(_("次晚评标场次开始时间"), null=True)
    seat_until = models.DateTimeField(_("最晚评标场次开始时间"), null=True)
    seat_end = models.DateTimeField(_("最晚评标场次结束时间"), null=True)

    objects = models.Manager()
    in_backups = NotInBackups()

    class Meta:
        default_manager_name = "in_backups"
        verbose_name = _("抽取资格索引")
        verbose_name_plural = _("抽取资格索引")
        constraints = [
            models.UniqueConstraint(fields=["expert", "speciality"], name="elig_expert_spec_unique")
        ]
        # Every column is a key column, so the pool query never visits the table (SQLite has
        # no INCLUDE columns).
        indexes = [
            models.Index(
                fields=[
                    "database",
                    "speciality",
                    "expert",
                    "code",
                    "birth_date",
                    "status",
                    "ban_until",
                    "employer_uscc",
                    "region_code",
                    "leave_from",
                    "leave_until",
                    "seat_before",
                    "seat_until",
                    "seat_end",
                ],
                name="elig_pool_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} · {self.speciality_id}"
