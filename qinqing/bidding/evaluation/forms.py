"""Forms of the evaluation pages that use the shared field partial."""

from django import forms
from django.utils.translation import gettext_lazy as _

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TimeRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：投标文件数量多、技术方案复杂，现有时间不足以完成详细评审"),
    )


class TimeExtensionForm(forms.Form):
    new_ends_at = forms.DateTimeField(label=_("延长后的结束时间"), widget=DT)
    reason = forms.CharField(
        label=_("延长理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
