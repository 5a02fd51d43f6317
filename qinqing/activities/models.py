"""Events (visits, joint study, warning education, training, group service …), registrations
with QR check-in, materials, Q&A, follow-ups, visits, and volunteer supervisors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.core.models import Organisation


class Event(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("走访")
        JOINT_STUDY = "joint_study", _("联学共建")
        WARNING_EDUCATION = "warning_education", _("警示教育")
        TRAINING = "training", _("专项培训")
        GROUP_SERVICE = "group_service", _("组团服务")
        FINANCING = "financing", _("政银企对接")
        ONSITE_CERTIFICATES = "onsite_certificates", _("上门办证")
        THROUGH_TRAIN = "through_train", _("政务服务直通车")
        PROMOTION = "promotion", _("宣传活动")

    class State(models.TextChoices):
        PLANNED = "planned", _("筹备中")
        DONE = "done", _("已举办")
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=200)
    topic = models.CharField(_("主题"), max_length=200, blank=True)
    lead_department = models.ForeignKey(
        Organisation, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="+"
    )
    host_departments = models.ManyToManyField(
        Organisation, verbose_name=_("主办部门"), related_name="hosted_events"
    )
    audience_text = models.CharField(_("对象"), max_length=200, blank=True)
    audience_clusters = models.ManyToManyField(
        "enterprises.Cluster", verbose_name=_("面向集聚区"), blank=True, related_name="events"
    )
    audience_tags = models.ManyToManyField(
        "enterprises.Tag", verbose_name=_("面向标签"), blank=True, related_name="events"
    )
    audience_firms = models.ManyToManyField(
        "enterprises.Firm", verbose_name=_("面向企业"), blank=True, related_name="events"
    )
    source_needs = models.ManyToManyField(
        "needs.Need", verbose_name=_("来源共性需求"), blank=True, related_name="topic_events"
    )
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("容量"), default=0)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default="planned")
    reg_key = models.CharField(_("报名码"), max_length=40, unique=True)
    summary = models.TextField(_("活动小结"), blank=True)
    volunteers = models.ManyToManyField(
        "Appointment", verbose_name=_("参与的志愿监督员"), blank=True, related_name="events"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["kind", "starts_at"], name="event_kind_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")), name="event_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    class Method(models.TextChoices):
        QR = "qr", _("扫码签到")
        MANUAL = "manual", _("补签")

    event = models.ForeignKey(
        Event, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="registrations"
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20)
    company_name = models.CharField(_("单位"), max_length=200, blank=True)
    firm = models.ForeignKey(
        "enterprises.Firm",
        verbose_name=_("企业"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    secret = models.CharField(_("个人签到码"), max_length=40, unique=True)
    registered_at = models.DateTimeField(_("报名时间"))
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkin_method = models.CharField(
        _("签到方式"), max_length=10, choices=Method.choices, blank=True
    )

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "phone"], name="registration_event_phone")
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.event}"


class MaterialHandout(models.Model):
    class Kind(models.TextChoices):
        HANDBOOK = "handbook", _("宣传手册")
        LEAFLET = "leaflet", _("宣传单")
        COURSEWARE = "courseware", _("课件")
        OTHER = "other", _("其他")

    event = models.ForeignKey(
        Event, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="materials"
    )
    kind = models.CharField(_("资料类型"), max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(_("份数"))
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资料发放")
        verbose_name_plural = _("资料发放")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.count}"


class Question(models.Model):
    event = models.ForeignKey(
        Event, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="questions"
    )
    asker = models.CharField(_("提问人"), max_length=100, blank=True)
    firm = models.ForeignKey(
        "enterprises.Firm",
        verbose_name=_("企业"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("问题"))
    answer = models.TextField(_("解答"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解答人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("解答时间"), null=True, blank=True)
    need = models.OneToOneField(
        "needs.Need",
        verbose_name=_("转为诉求"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_question",
    )

    class Meta:
        verbose_name = _("现场答疑")
        verbose_name_plural = _("现场答疑")
        ordering = ["event", "pk"]

    def __str__(self) -> str:
        return self.text[:30]


class FollowUp(models.Model):
    event = models.ForeignKey(
        Event, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    text = models.TextField(_("跟进事项"))
    due_date = models.DateField(_("期限"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    need = models.ForeignKey(
        "needs.Need",
        verbose_name=_("相关诉求"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("后续跟进")
        verbose_name_plural = _("后续跟进")

    def __str__(self) -> str:
        return self.text[:30]


class Visit(models.Model):
    """走访: an instructor (or department staff) visits a firm; needs raised are recorded."""

    class State(models.TextChoices):
        PLANNED = "planned", _("计划")
        DONE = "done", _("已走访")

    firm = models.ForeignKey(
        "enterprises.Firm", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="visits"
    )
    department = models.ForeignKey(
        Organisation, verbose_name=_("走访部门"), on_delete=models.PROTECT, related_name="+"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_on = models.DateField(_("走访日期"))
    people_met = models.CharField(_("接待人员"), max_length=200, blank=True)
    summary = models.TextField(_("走访情况"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default="planned")
    needs = models.ManyToManyField(
        "needs.Need", verbose_name=_("收集的诉求"), blank=True, related_name="visits"
    )

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-visited_on"]
        indexes = [models.Index(fields=["state", "visited_on"], name="visit_state_on_idx")]

    def __str__(self) -> str:
        return f"{self.firm} {self.visited_on}"


class Appointment(models.Model):
    """A firm's person appointed as 税务体验师 / 近邻监督员 / 税收志愿者 for a term."""

    class Role(models.TextChoices):
        EXPERIENCE_OFFICER = "experience_officer", _("税务体验师")
        NEIGHBOUR_SUPERVISOR = "neighbour_supervisor", _("近邻监督员")
        TAX_VOLUNTEER = "tax_volunteer", _("税收志愿者")

    role = models.CharField(_("聘任角色"), max_length=30, choices=Role.choices)
    person_name = models.CharField(_("姓名"), max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisor_appointments",
    )
    firm = models.ForeignKey(
        "enterprises.Firm",
        verbose_name=_("所在企业"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    department = models.ForeignKey(
        Organisation, verbose_name=_("聘任部门"), on_delete=models.PROTECT, related_name="+"
    )
    term_start = models.DateField(_("聘期开始"))
    term_end = models.DateField(_("聘期结束"))

    class Meta:
        verbose_name = _("志愿监督员聘任")
        verbose_name_plural = _("志愿监督员聘任")
        ordering = ["role", "person_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__gte=models.F("term_start")),
                name="appointment_term_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.person_name}"


class SupervisionReport(models.Model):
    """A supervision visit to a service hall, rated per dimension (1–5)."""

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("监督员"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    hall = models.CharField(_("服务场所"), max_length=100)
    visited_on = models.DateField(_("体验日期"))
    overall = models.PositiveSmallIntegerField(_("整体满意度"))
    efficiency = models.PositiveSmallIntegerField(_("服务效率"))
    level = models.PositiveSmallIntegerField(_("服务水平"))
    attitude = models.PositiveSmallIntegerField(_("服务态度"))
    remarks = models.TextField(_("意见建议"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("监督体验报告")
        verbose_name_plural = _("监督体验报告")
        ordering = ["-visited_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overall__range=(1, 5))
                & models.Q(efficiency__range=(1, 5))
                & models.Q(level__range=(1, 5))
                & models.Q(attitude__range=(1, 5)),
                name="supervisionreport_ratings_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment} {self.visited_on}"


class Finding(models.Model):
    report = models.ForeignKey(
        SupervisionReport,
        verbose_name=_("报告"),
        on_delete=models.CASCADE,
        related_name="findings",
    )
    text = models.TextField(_("发现问题"))
    rectification = models.OneToOneField(
        "needs.Rectification",
        verbose_name=_("整改单"),
        on_delete=models.PROTECT,
        related_name="finding",
    )

    class Meta:
        verbose_name = _("监督发现")
        verbose_name_plural = _("监督发现")

    def __str__(self) -> str:
        return self.text[:30]
