"""Evaluation day: rooms, workstations, seating, sign-in, chair."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.draw.models import DrawOutcome
from qinqing.bidding.projects.models import EvaluationSession
from qinqing.core.models import Organisation


class InService(models.TextChoices):
    IN_SERVICE = "in_service", _("在用")
    OUT_OF_SERVICE = "out_of_service", _("停用")


class CentreNumbering(models.Model):
    """A trading centre's own workstation prefix (e.g. H for 武汉市, G for 经开区)."""

    centre = models.OneToOneField(
        Organisation,
        verbose_name=_("交易中心"),
        on_delete=models.PROTECT,
        related_name="workstation_numbering",
        limit_choices_to={"kind": Organisation.Kind.TRADING_CENTRE},
    )
    prefix = models.CharField(_("工位编号前缀"), max_length=3, unique=True)

    class Meta:
        verbose_name = _("工位编号规则")
        verbose_name_plural = _("工位编号规则")

    def __str__(self) -> str:
        return f"{self.centre} · {self.prefix}"


class Room(models.Model):
    centre = models.ForeignKey(
        Organisation,
        verbose_name=_("交易中心"),
        on_delete=models.PROTECT,
        related_name="evaluation_rooms",
        limit_choices_to={"kind": Organisation.Kind.TRADING_CENTRE},
    )
    number = models.CharField(_("评标室编号"), max_length=10)
    name = models.CharField(_("评标室名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=15, choices=InService.choices, default=InService.IN_SERVICE
    )

    class Meta:
        verbose_name = _("评标室")
        verbose_name_plural = _("评标室")
        ordering = ["centre", "number"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="room_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"


class Workstation(models.Model):
    room = models.ForeignKey(
        Room, verbose_name=_("评标室"), on_delete=models.PROTECT, related_name="workstations"
    )
    seat = models.PositiveSmallIntegerField(_("座位号"))
    code = models.CharField(_("工位编号"), max_length=20, unique=True)
    status = models.CharField(
        _("状态"), max_length=15, choices=InService.choices, default=InService.IN_SERVICE
    )

    class Meta:
        verbose_name = _("评标工位")
        verbose_name_plural = _("评标工位")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seat"], name="workstation_seat_unique")
        ]

    def __str__(self) -> str:
        return self.code


class Seating(models.Model):
    """One run of the seating for one centre and one time slot (seed audited)."""

    centre = models.ForeignKey(
        Organisation, verbose_name=_("交易中心"), on_delete=models.PROTECT, related_name="+"
    )
    slot_start = models.DateTimeField(_("时段开始"))
    slot_end = models.DateTimeField(_("时段结束"))
    seed_hex = models.CharField(_("随机种子"), max_length=64)
    collisions = models.PositiveIntegerField(_("同标同室人对数"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("空：替补专家确认参加时自动分配"),
    )
    at = models.DateTimeField(_("分配时间"))

    class Meta:
        verbose_name = _("工位分配")
        verbose_name_plural = _("工位分配")
        ordering = ["-slot_start", "-pk"]
        indexes = [
            models.Index(fields=["centre", "slot_start", "slot_end"], name="seating_slot_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_end__gt=models.F("slot_start")),
                name="seating_slot_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.slot_start:%Y-%m-%d %H:%M}"


class Seat(models.Model):
    """One confirmed expert's workstation, and their sign-in there."""

    class Method(models.TextChoices):
        CODE = "code", _("短信验证码+身份证后四位")
        STAFF = "staff", _("工作人员核验身份")

    seating = models.ForeignKey(
        Seating, verbose_name=_("工位分配"), on_delete=models.PROTECT, related_name="seats"
    )
    outcome = models.OneToOneField(
        DrawOutcome, verbose_name=_("抽取结果"), on_delete=models.PROTECT, related_name="seat"
    )
    workstation = models.ForeignKey(
        Workstation, verbose_name=_("工位"), on_delete=models.PROTECT, related_name="seats"
    )
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    sign_in_method = models.CharField(
        _("签到方式"), max_length=10, choices=Method.choices, blank=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verify_reason = models.CharField(_("人工核验原因"), max_length=500, blank=True)
    terminal_code_hash = models.CharField(_("工位启用码哈希"), max_length=64, blank=True)
    declared_at = models.DateTimeField(_("无需回避声明时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("工位最近活动时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专家工位")
        verbose_name_plural = _("专家工位")
        ordering = ["workstation__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["seating", "workstation"], name="seat_workstation_unique"
            )
        ]
        indexes = [models.Index(fields=["terminal_code_hash"], name="seat_terminal_idx")]

    def __str__(self) -> str:
        return f"{self.workstation.code} · {self.member.code}"

    @property
    def member(self):
        """The expert or the tenderer's representative at this workstation."""
        return self.outcome.member

    @property
    def is_representative(self) -> bool:
        return self.outcome.representative_id is not None


class ChairVote(models.Model):
    """One member's vote in one round of the chair election (equal vote)."""

    session = models.ForeignKey(
        EvaluationSession,
        verbose_name=_("评标场次"),
        on_delete=models.CASCADE,
        related_name="chair_votes",
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    voter = models.ForeignKey(
        Seat, verbose_name=_("投票人"), on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        Seat, verbose_name=_("被推举人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("投票时间"))

    class Meta:
        verbose_name = _("负责人推举票")
        verbose_name_plural = _("负责人推举票")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "round", "voter"], name="chairvote_one_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.round}"
