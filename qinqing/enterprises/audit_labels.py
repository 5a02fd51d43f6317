"""What the enterprises module's audited actions mean (see qinqing.core.audit_labels)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "cluster.create": _("新建集聚区"),
    "commitment.add": _("登记服务承诺"),
    "contact.add": _("登记企业联系人"),
    "firm.create": _("登记企业"),
    "firm.import": _("导入企业名录"),
    "industry.create": _("新建行业"),
    "instructor.assign": _("指派党建指导员"),
    "instructor_profile.set": _("设置党建指导员信息"),
}
