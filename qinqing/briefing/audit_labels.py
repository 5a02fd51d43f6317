"""What the briefing module's audited actions mean (see qinqing.core.audit_labels)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "article.accept": _("采用稿件"),
    "article.create": _("撰写稿件"),
    "article.move": _("调整稿件顺序"),
    "article.submit": _("提交稿件"),
    "article.update": _("修改稿件"),
    "comment.add": _("批注简报"),
    "issue.advance": _("推进简报流程"),
    "issue.approve": _("审核通过简报"),
    "issue.create": _("新建一期简报"),
    "issue.import": _("导入往期简报"),
    "issue.publish": _("印发简报"),
    "issue.update": _("修改简报"),
    "series.create": _("新建简报系列"),
}
