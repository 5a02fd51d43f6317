"""The creditors' committee (Art.67–69): members, decisions, votes and Art.69 reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models.cases import Case
from qinqing.bankruptcy.models.claims import Creditor
from qinqing.bankruptcy.models.meetings import Meeting


class Committee(models.Model):
    """债权人委员会 (Art.67): chosen by the creditors' meeting, approved by the court."""

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="committee"
    )
    chosen_on = models.DateField(_("债权人会议决定设立日"))
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("选任的债权人会议"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_on = models.DateField(_("法院书面决定认可日（第67条第2款）"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认可法官"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("债权人委员会")
        verbose_name_plural = _("债权人委员会")

    def __str__(self) -> str:
        return f"{self.case.number} {self._meta.verbose_name}"

    @property
    def in_office(self) -> bool:
        return self.approved_on is not None


class CommitteeMemberQuerySet(models.QuerySet):
    def in_office(self):
        """Members not removed or replaced (Art.61(8), Art.67)."""
        return self.filter(removed_on=None)


class CommitteeMember(models.Model):
    """A member of the committee; one removed or replaced keeps its row (its votes stay on the
    minutes) with the date, the body that decided (the creditors' meeting, Art.61 para.1(8),
    or the court, Art.67 para.2) and the reason."""

    class Kind(models.TextChoices):
        CREDITOR = rules.COMMITTEE_CREDITOR, _("债权人代表")
        EMPLOYEE = rules.COMMITTEE_EMPLOYEE, _("职工代表")
        UNION = rules.COMMITTEE_UNION, _("工会代表")

    class RemovedBy(models.TextChoices):
        MEETING = rules.REMOVED_BY_MEETING, _("债权人会议决议更换（第61条第1款第8项）")
        COURT = rules.REMOVED_BY_COURT, _("人民法院决定撤销认可（第67条第2款）")

    committee = models.ForeignKey(
        Committee, verbose_name=_("债权人委员会"), on_delete=models.CASCADE, related_name="members"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    creditor = models.ForeignKey(
        Creditor,
        verbose_name=_("所代表的债权人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee_seats",
    )
    name = models.CharField(_("委员姓名"), max_length=100)
    added_on = models.DateField(_("选任日"))
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("接替的委员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
    )
    removed_on = models.DateField(_("更换或撤销日"), null=True, blank=True)
    removed_by = models.CharField(
        _("更换或撤销的决定机关"), max_length=8, choices=RemovedBy.choices, blank=True
    )
    removal_reason = models.TextField(_("更换或撤销的理由"), blank=True)

    objects = CommitteeMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("债权人委员会成员")
        verbose_name_plural = _("债权人委员会成员")
        ordering = ["committee", "pk"]
        indexes = [
            models.Index(fields=["committee", "removed_on"], name="bk_member_in_office"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "creditor"],
                condition=models.Q(creditor__isnull=False, removed_on__isnull=True),
                name="bk_member_one_seat_per_creditor",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(removed_on__isnull=True, removed_by="", removal_reason="")
                    | (
                        models.Q(removed_on__isnull=False)
                        & ~models.Q(removed_by="")
                        & ~models.Q(removal_reason="")
                    )
                ),
                name="bk_member_removal_recorded_whole",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=rules.COMMITTEE_CREDITOR, creditor__isnull=False)
                    | (~models.Q(kind=rules.COMMITTEE_CREDITOR) & models.Q(creditor__isnull=True))
                ),
                name="bk_member_creditor_iff_creditor_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class CommitteeDecision(models.Model):
    """A committee decision (Art.68; Interp. III Art.14: majority of all members, minuted)."""

    class Subject(models.TextChoices):
        SUPERVISE_ADMINISTRATION = "administration", _("监督债务人财产的管理和处分")
        SUPERVISE_DISTRIBUTION = "distribution", _("监督破产财产分配")
        PROPOSE_MEETING = "meeting", _("提议召开债权人会议")
        ENTRUSTED = "entrusted", _("债权人会议委托的其他职权")

    committee = models.ForeignKey(
        Committee,
        verbose_name=_("债权人委员会"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    subject = models.CharField(_("职权事项（第68条）"), max_length=14, choices=Subject.choices)
    matter = models.TextField(_("所议事项"))
    decided_on = models.DateField(_("表决日"))
    members_in_office = models.PositiveSmallIntegerField(_("全体委员人数"))
    yes = models.PositiveSmallIntegerField(_("同意"))
    no = models.PositiveSmallIntegerField(_("反对"))
    abstain = models.PositiveSmallIntegerField(_("弃权或未表决"))
    passed = models.BooleanField(_("通过"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("债权人委员会决议")
        verbose_name_plural = _("债权人委员会决议")
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.decided_on}"


class CommitteeVote(models.Model):
    """A member's vote on a decision, with its dissent (Interp. III Art.14: 不同意见载明) and
    the member's signature of the minutes."""

    class Vote(models.TextChoices):
        YES = "yes", _("同意")
        NO = "no", _("反对")
        ABSTAIN = "abstain", _("弃权")

    decision = models.ForeignKey(
        CommitteeDecision, verbose_name=_("决议"), on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        CommitteeMember, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="votes"
    )
    vote = models.CharField(_("意见"), max_length=8, choices=Vote.choices)
    dissent = models.TextField(_("不同意见"), blank=True)
    signed_at = models.DateTimeField(_("签名时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签名账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("委员表决")
        verbose_name_plural = _("委员表决")
        constraints = [
            models.UniqueConstraint(fields=["decision", "member"], name="bk_cvote_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_vote_display()}"


class Art69Report(models.Model):
    """The administrator's report of an act listed in Art.69 (to the committee, or to the court
    where there is none in office)."""

    class Act(models.TextChoices):
        REAL_PROPERTY = "real_property", _("涉及土地、房屋等不动产权益的转让")
        MINING_IP = "mining_ip", _("探矿权、采矿权、知识产权等财产权的转让")
        INVENTORY_BUSINESS = "inventory_business", _("全部库存或者营业的转让")
        BORROWING = "borrowing", _("借款")
        SECURITY = "security", _("设定财产担保")
        CLAIMS_SECURITIES = "claims_securities", _("债权和有价证券的转让")
        CONTRACTS = "contracts", _("履行债务人和对方当事人均未履行完毕的合同")
        WAIVER = "waiver", _("放弃权利")
        COLLATERAL_RECOVERY = "collateral_recovery", _("担保物的取回")
        OTHER_MAJOR = "other_major", _("对债权人利益有重大影响的其他财产处分行为")

    class To(models.TextChoices):
        COMMITTEE = rules.REPORT_TO_COMMITTEE, _("债权人委员会")
        COURT = rules.REPORT_TO_COURT, _("人民法院")

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="art69_reports"
    )
    act = models.CharField(_("行为（第69条）"), max_length=20, choices=Act.choices)
    description = models.TextField(_("行为说明"))
    act_date = models.DateField(_("拟实施日"))
    reported_on = models.DateField(_("报告日"))
    reported_to = models.CharField(_("报告对象"), max_length=10, choices=To.choices)
    late = models.BooleanField(_("未提前十日报告（司法解释三第15条）"), default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_on = models.DateField(_("收悉日"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收悉人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("第69条行为报告")
        verbose_name_plural = _("第69条行为报告")
        ordering = ["-reported_on", "-pk"]
        indexes = [models.Index(fields=["case", "reported_on"], name="bk_art69_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_act_display()} {self.act_date}"
