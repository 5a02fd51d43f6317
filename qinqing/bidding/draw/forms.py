import re

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.core.models import Organisation

K = Organisation.Kind
DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class QuotaForm(forms.Form):
    speciality_codes = forms.CharField(
        label=_("评标专业代码"),
        max_length=500,
        help_text=_("多个代码以空格、逗号、顿号或分号分隔；代码包含其下级专业"),
    )
    count = forms.IntegerField(label=_("抽取人数"), min_value=1, max_value=50)
    backups = forms.IntegerField(label=_("备选人数"), min_value=0, max_value=50, initial=2)
    requires_other_region = forms.BooleanField(label=_("须异地专家"), required=False)

    def clean_speciality_codes(self) -> list[str]:
        return split_codes(self.cleaned_data["speciality_codes"])


# What people type between codes: spaces, commas, 、 and semicolons, half- or full-width.
CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_codes(raw: str) -> list[str]:
    """'A05、a0501；B02' -> ['A05', 'A0501', 'B02'] (order kept, duplicates dropped)."""
    codes = [c.upper() for c in CODE_SEPARATORS.split(raw) if c]
    return list(dict.fromkeys(codes))


class WitnessForm(forms.Form):
    witness_entropy = forms.CharField(
        label=_("见证人随机输入"),
        max_length=200,
        required=False,
        help_text=_("例如现场掷骰子得到的数字；可以为空，为空也会被记录"),
    )


class ExclusionForm(forms.Form):
    expert_code = forms.CharField(label=_("专家编号"), max_length=30)
    reason = forms.CharField(
        label=_("书面理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("答复"),
        choices=[("confirm", _("确认参加")), ("decline", _("不能参加")), ("recuse", _("申请回避"))],
    )
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)


class BoardAnswerForm(AnswerForm):
    """The answer on each row of the draw's board: one select per row, named for assistive
    technology (no visible label) and without an id the rows would share."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].widget.attrs.update({"aria-label": _("答复"), "id": None})
