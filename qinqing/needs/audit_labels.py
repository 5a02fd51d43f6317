"""What the needs module's audited actions mean (see qinqing.core.audit_labels)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "need.submit": _("提交诉求"),
    "need.dispatch": _("分派诉求"),
    "need.sign": _("签收诉求"),
    "need.reply": _("答复诉求"),
    "need.callback": _("回访诉求"),
    "need.close": _("办结诉求"),
    "need.reopen": _("重新办理诉求"),
    "need.return": _("退回诉求"),
    "need.request_extension": _("申请延期办理诉求"),
    "need.decide_extension": _("审批诉求延期"),
    "need.recompute_due": _("按新工作日历重算诉求时限"),
    "need.remind": _("提醒即将到期的诉求"),
    "need.urge": _("催办逾期诉求"),
    "need.supervise": _("督办逾期诉求"),
    "need_common.refresh": _("要求重新计算共性需求"),
    "need.export": _("导出诉求工单"),
    "need_category.create": _("新建诉求类别"),
    "need_qr.create": _("生成诉求二维码"),
    "rating.create": _("评价诉求办理"),
    "rating.appeal": _("对评价提出申诉"),
    "rating.appeal_decide": _("裁决评价申诉"),
    "rectification.open": _("发起整改"),
    "rectification.complete": _("完成整改"),
    "rectification.recompute_due": _("按新工作日历重算整改时限"),
}
