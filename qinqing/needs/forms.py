from django import forms
from django.utils.translation import gettext_lazy as _

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
