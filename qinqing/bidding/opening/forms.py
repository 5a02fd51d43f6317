"""Forms of the opening hall. The decryption form is never posted: opening_decrypt.js reads the
passphrase in the bidder's browser, unwraps the content key and sends only that key."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.opening import rules
from qinqing.bidding.opening.models import DEFAULT_WINDOW_MINUTES, Opening


class StartForm(forms.Form):
    window_minutes = forms.IntegerField(
        label=_("解密时限（分钟）"),
        min_value=rules.MIN_WINDOW,
        max_value=rules.MAX_WINDOW,
        initial=DEFAULT_WINDOW_MINUTES,
        help_text=_("按招标文件的规定填写；招标文件未规定的为 30 分钟"),
    )
    late_treatment = forms.ChoiceField(
        label=_("逾期未解密的投标文件"),
        choices=Opening.LateTreatment.choices,
        initial=Opening.LateTreatment.WITHDRAWN,
        help_text=_("按招标文件的规定选择；招标文件未规定的视为撤回"),
    )


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("对开标的异议"),
        max_length=rules.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("异议应在开标现场提出，招标人当场答复（招标投标法实施条例第四十四条）"),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("当场答复"), max_length=rules.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecryptForm(forms.Form):
    passphrase = forms.CharField(
        label=_("解密口令"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("递交投标文件时设定的口令。口令只在您的浏览器中使用，不会发送给平台"),
    )
