"""Forms of sealed bids. The sealing form is never posted: bid_seal.js reads it in the browser,
seals the files and the schedule, and uploads only ciphertext (its file inputs and passphrase
have no server-side handling at all)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _PdfInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _pdf(label):
    return forms.FileField(
        label=label,
        required=False,
        widget=_PdfInput(attrs={"accept": "application/pdf,.pdf", "multiple": True}),
    )


class SealForm(forms.Form):
    commercial = _pdf(_("商务标（PDF，可多个）"))
    technical = _pdf(_("技术标（PDF，可多个）"))
    qualification = _pdf(_("资格审查资料（PDF，可多个）"))
    price = forms.CharField(
        label=_("投标报价（元）"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("以元为单位，最多两位小数，如 1234567.89"),
    )
    duration_days = forms.IntegerField(label=_("工期（日历天）"), min_value=1, max_value=3650)
    quality = forms.CharField(label=_("质量标准"), max_length=100)
    project_manager = forms.CharField(label=_("项目经理"), max_length=50)
    declared_items = forms.CharField(
        label=_("招标文件要求声明的其他事项（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项，写作“事项：内容”，如“安全文明施工费：120000.00”"),
    )
    passphrase = forms.CharField(
        label=_("解密口令"),
        min_length=8,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "至少 8 个字符。开标时须由贵单位输入此口令解密；平台不保存口令，遗失无法找回。"
        ),
    )
    passphrase_again = forms.CharField(
        label=_("再次输入解密口令"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class DeadlineForm(forms.Form):
    deadline = forms.DateTimeField(label=_("投标截止时间"), widget=DT)
