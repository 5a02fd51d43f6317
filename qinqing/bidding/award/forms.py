"""Forms from the report to the award."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.award import rules
from qinqing.bidding.award.models import AwardSuccession, Complaint


class PublishForm(forms.Form):
    period_days = forms.IntegerField(
        label=_("公示期（日）"),
        min_value=rules.MIN_PUBLICATION_DAYS,
        max_value=rules.MAX_PUBLICATION_DAYS,
        initial=rules.MIN_PUBLICATION_DAYS,
        help_text=_("不得少于 3 日，自公示次日起算（招标投标法实施条例第五十四条）"),
    )
    received_on = forms.DateField(
        label=_("收到评标报告日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("不填为评标报告封存日；应自收到评标报告之日起 3 日内公示"),
    )
    note = forms.CharField(
        label=_("公示说明（可选）"),
        required=False,
        max_length=rules.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("对评标结果的异议"),
        max_length=rules.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("公示期间提出；招标人自收到之日起 3 日内答复，答复前暂停招标投标活动"),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("书面答复"), max_length=rules.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class ComplaintForm(forms.Form):
    objection = forms.TypedChoiceField(label=_("先行提出的异议"), coerce=int)
    knew_on = forms.DateField(
        label=_("知道或者应当知道之日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "通常为收到异议答复之日；投诉应自该日起 10 日内提出（招标投标法实施条例第六十条）"
        ),
    )
    text = forms.CharField(
        label=_("投诉事项、请求和理由"),
        max_length=rules.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, objections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objection"].choices = [
            (o.pk, f"{o.raised_at:%Y-%m-%d %H:%M} · {o.text[:30]}") for o in objections
        ]


class AcceptForm(forms.Form):
    suspend = forms.BooleanField(
        label=_("责令暂停招标投标活动"),
        required=False,
        help_text=_("必要时责令暂停，至作出处理决定（招标投标法实施条例第六十二条）"),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("不予受理的理由"),
        max_length=rules.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=Complaint.Outcome.choices)
    decision = forms.CharField(
        label=_("书面处理决定"), max_length=rules.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class ContractForm(forms.Form):
    number = forms.CharField(label=_("合同编号"), max_length=rules.MAX_CONTRACT_NUMBER)
    signed_on = forms.DateField(
        label=_("签订日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("应自中标通知书发出之日起 30 日内订立（招标投标法第四十六条）"),
    )
    amount = forms.DecimalField(
        label=_("合同金额（元）"),
        max_digits=18,
        decimal_places=2,
        help_text=_("应与中标价一致（招标投标法实施条例第五十七条）"),
    )


class SuccessionForm(forms.Form):
    reason = forms.ChoiceField(label=_("情形"), choices=AwardSuccession.Reason.choices)
    explanation = forms.CharField(
        label=_("事实和理由"), max_length=rules.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    decision = forms.ChoiceField(
        label=_("招标人的决定"),
        choices=AwardSuccession.Decision.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "可以按照评标委员会提出的中标候选人名单排序依次确定其他中标候选人为中标人，"
            "也可以重新招标（招标投标法实施条例第五十五条）"
        ),
    )
