"""What the activities module's audited actions mean (see qinqing.core.audit_labels)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "appointment.create": _("聘任近邻监督员"),
    "event.add_volunteer": _("为活动安排监督员"),
    "event.complete": _("完成活动"),
    "event.create": _("发布活动"),
    "follow_up.add": _("登记跟进事项"),
    "material.record": _("登记活动材料"),
    "question.answer": _("答复企业提问"),
    "question.record": _("登记企业提问"),
    "question.to_need": _("把企业提问转为诉求"),
    "registration.check_in": _("活动签到"),
    "registration.create": _("报名活动"),
    "supervision_report.submit": _("提交监督报告"),
    "visit.add_need": _("从走访登记诉求"),
    "visit.record": _("登记走访"),
}
