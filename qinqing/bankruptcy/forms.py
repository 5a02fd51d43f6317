from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy.models import Assessment, FastTrackProfile
from qinqing.core.models import Organisation

DATE = forms.DateInput(attrs={"type": "date"})


class CaseForm(forms.Form):
    number = forms.CharField(label=_("案号"), max_length=40, help_text=_("如（2024）鄂0111破1号"))
    debtor = forms.ModelChoiceField(
        label=_("债务人"), queryset=Organisation.objects.filter(kind=Organisation.Kind.FIRM)
    )
    administrator = forms.ModelChoiceField(
        label=_("管理人"),
        queryset=Organisation.objects.filter(
            kind__in=[Organisation.Kind.FIRM, Organisation.Kind.AGENCY]
        ),
        required=False,
    )
    petition_date = forms.DateField(label=_("申请日"), widget=DATE)
    acceptance_date = forms.DateField(label=_("受理日"), widget=DATE)


class CaseSettingsForm(forms.Form):
    secured_shortfall_votes = forms.BooleanField(
        label=_("未放弃优先受偿权的有担保债权人以担保物不足清偿部分对和解协议表决（第110条）"),
        required=False,
        help_text=_(
            "默认不勾选：按第59条第3款字面含义，其全部债权不参加和解协议表决。表决开始后不能变更。"
        ),
    )
    priority_claims = forms.ChoiceField(
        label=_("职工债权和税款债权"),
        choices=[
            ("outside", _("协议外全额清偿，认可和解协议前须付清（默认）")),
            ("inside", _("列入和解协议全额清偿")),
        ],
        help_text=_("已有和解协议草案后不能变更。"),
    )
    administrator_fee_rate = forms.DecimalField(
        label=_("管理人报酬比例（%）"),
        max_digits=6,
        decimal_places=3,
        min_value=0,
        max_value=12,
        required=False,
        help_text=_("空：按《关于审理企业破产案件确定管理人报酬的规定》第2条各档上限估算"),
    )


class AnnounceForm(forms.Form):
    announcement_date = forms.DateField(label=_("公告日"), widget=DATE)
    declaration_end = forms.DateField(label=_("债权申报期限届满日"), widget=DATE)


class ClaimFileForm(forms.Form):
    principal = forms.DecimalField(
        label=_("本金（元）"), max_digits=18, decimal_places=2, min_value=0
    )
    interest = forms.DecimalField(
        label=_("利息（计至受理日，元）"),
        max_digits=18,
        decimal_places=2,
        min_value=0,
        initial=0,
        required=False,
    )
    other = forms.DecimalField(
        label=_("其他（元）"),
        max_digits=18,
        decimal_places=2,
        min_value=0,
        initial=0,
        required=False,
    )
    nature = forms.ChoiceField(
        label=_("债权细分"),
        choices=[
            ("", _("一般债权")),
            ("tax_late_fee", _("税款滞纳金（按普通债权清偿）")),
            ("penalty", _("罚款、罚金等惩罚性债权（劣后于普通债权清偿）")),
        ],
        required=False,
    )
    secured = forms.BooleanField(label=_("有财产担保"), required=False)
    collateral_value = forms.DecimalField(
        label=_("担保物价值（元）"), max_digits=18, decimal_places=2, min_value=0, required=False
    )
    waived_priority = forms.BooleanField(label=_("放弃优先受偿权"), required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    evidence = forms.FileField(label=_("证据材料（PDF/JPG/PNG，10 MB 以内）"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("secured") and not data.get("collateral_value"):
            self.add_error("collateral_value", _("有财产担保的债权须填写担保物的价值（大于零）"))
        return data


class AssessmentForm(forms.ModelForm):
    pending_proceedings = forms.BooleanField(label=_("存在未决诉讼或仲裁"), required=False)
    books_taken_over = forms.BooleanField(label=_("已接管账册"), required=False, initial=True)

    class Meta:
        model = Assessment
        fields = [
            "employees",
            "tax_paid_last_year",
            "revenue_trend",
            "assets_book",
            "assets_appraised",
            "assets_liquidation",
            "average_monthly_wage",
            "costs_estimate",
            "common_benefit_estimate",
            "guarantees",
            "industry_role",
        ]
        widgets = {
            "guarantees": forms.Textarea(attrs={"rows": 2}),
            "industry_role": forms.Textarea(attrs={"rows": 2}),
        }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20)


class PublicClaimForm(ClaimFileForm):
    creditor_name = forms.CharField(label=_("债权人名称（单位全称或姓名）"), max_length=200)
    code = forms.CharField(label=_("短信验证码"), max_length=6)

    field_order = ["creditor_name", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["phone"]


class FastTrackProfileForm(forms.ModelForm):
    class Meta:
        model = FastTrackProfile
        fields = [
            "name",
            "max_creditors",
            "max_amount",
            "exclude_pending_proceedings",
            "exclude_books_not_taken_over",
            "time_limit_months",
            "extension_allowed",
            "ruling_working_days",
        ]
