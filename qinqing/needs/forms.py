from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.core import limits
from qinqing.core.errors import DomainError
from qinqing.needs import rules
from qinqing.needs.models import Need, QrCode

HINTS = [("", _("不确定，由我们判断"))] + [
    (code, rules.DEFAULT_CATALOGUE[code][0]) for code in rules.CATEGORY_CODES
]


def _hints():
    """The hint choices, given as a callable: each form instance deep-copies its fields, and a
    list of twelve translatable labels is the costliest part of that copy (public form)."""
    return HINTS


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiFileField(forms.FileField):
    widget = MultiFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PublicNeedForm(forms.Form):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    company_name = forms.CharField(label=_("企业名称（选填）"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("联系电话"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    category_hint = forms.ChoiceField(label=_("诉求类别"), choices=_hints, required=False)
    text = forms.CharField(label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultiFileField(label=_("附件（图片或 PDF，选填，最多 3 个）"), required=False)


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("工单编号"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("提交时填写的联系电话"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class StaffNeedForm(PublicNeedForm):
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(Need.Channel.VISIT, _("走访")), (Need.Channel.HOTLINE, _("热线"))],
    )
    kind = forms.ChoiceField(label=_("诉求性质"), choices=Need.Kind.choices)


class QrForm(forms.Form):
    origin = forms.ChoiceField(label=_("来源"), choices=QrCode.Origin.choices)
    label = forms.CharField(label=_("名称"), max_length=100)


class RateForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("评价"),
        coerce=int,
        choices=[(k, v) for k, v in sorted(rules.RATING_LABELS.items(), reverse=True)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见（选填）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExportForm(forms.Form):
    """The export's filters: the list page's (state, late), the period (this year by default)
    and a department among `departments` (the user's own; empty: all the user may see)."""

    start = forms.DateField(
        label=_("受理日期自"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("至"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    department = forms.TypedChoiceField(
        label=_("承办/协办部门"), coerce=int, empty_value=None, required=False
    )
    state = forms.ChoiceField(label=_("状态"), required=False)
    late = forms.BooleanField(label=_("只导出已超过办理时限的"), required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("本人可查看的全部部门"))] + [
            (d.pk, d.name) for d in departments
        ]
        self.fields["state"].choices = [("", _("全部状态")), *Need.State.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("结束日期不能早于起始日期"))
        elif start and end:
            try:
                limits.check_period(start, end)
            except DomainError as exc:
                self.add_error(exc.field, exc.message)
        return data
