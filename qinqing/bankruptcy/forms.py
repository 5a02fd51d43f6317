from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy.models import (
    Art69Report,
    Assessment,
    CommitteeDecision,
    CommitteeMember,
    CommitteeVote,
    FastTrackProfile,
)
from qinqing.core.models import Organisation

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})  # what <input type=date> reads


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


# The case's fast-track facts recorded with the assessment (Case fields; rules.FastTrackFacts).
FAST_TRACK_FACTS = (
    "pending_proceedings",
    "books_taken_over",
    "enforcement_transfer",
    "licence_revoked",
    "forced_liquidation_done",
    "parties_agree",
    "assets_hard_to_realise",
    "special_debtor",
    "stability_risk",
)


class AssessmentForm(forms.ModelForm):
    pending_proceedings = forms.BooleanField(label=_("存在未决诉讼或仲裁"), required=False)
    books_taken_over = forms.BooleanField(label=_("已接管账册"), required=False, initial=True)
    enforcement_transfer = forms.BooleanField(
        label=_("执行程序终结本次执行后移送破产"), required=False
    )
    licence_revoked = forms.BooleanField(label=_("被吊销营业执照、未经清算"), required=False)
    forced_liquidation_done = forms.BooleanField(
        label=_("经强制清算，资产和负债均已确认"), required=False
    )
    parties_agree = forms.BooleanField(
        label=_("申请人、债务人及主要债权人协商一致同意简化审理"), required=False
    )
    assets_hard_to_realise = forms.BooleanField(
        label=_("财产管理、变价、分配期限长或困难较大"), required=False
    )
    special_debtor = forms.BooleanField(
        label=_("债务人系上市公司、金融机构，或关联企业合并破产"), required=False
    )
    stability_risk = forms.BooleanField(
        label=_("涉及职工安置等可能影响社会稳定的情形"), required=False
    )

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
            "trigger_few_and_small",
            "trigger_no_assets",
            "trigger_enforcement_transfer",
            "trigger_licence_revoked",
            "trigger_forced_liquidation_done",
            "trigger_parties_agree",
            "exclude_pending_proceedings",
            "exclude_books_not_taken_over",
            "exclude_assets_hard_to_realise",
            "exclude_special_debtor",
            "exclude_stability_risk",
            "time_limit_months",
            "extension_allowed",
            "ruling_working_days",
        ]


class CommitteeCreateForm(forms.Form):
    chosen_on = forms.DateField(label=_("债权人会议决定设立日"), widget=DATE)
    meeting = forms.ModelChoiceField(label=_("作出决定的债权人会议"), queryset=None, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = case.meetings.all()


class CommitteeMemberForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=CommitteeMember.Kind.choices)
    creditor = forms.ModelChoiceField(
        label=_("所代表的债权人（债权人代表）"), queryset=None, required=False
    )
    name = forms.CharField(label=_("委员姓名"), max_length=100)
    added_on = forms.DateField(label=_("选任日"), widget=DATE)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = case.creditors.all()


class CommitteeCourtRemoveForm(forms.Form):
    """The court withdraws its approval of a member (Art.67 para.2)."""

    member = forms.ModelChoiceField(label=_("委员"), queryset=None)
    on = forms.DateField(label=_("决定日"), widget=DATE)
    reason = forms.CharField(
        label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = CommitteeMember.objects.filter(
            pk__in=[m.pk for m in members]
        )


class CommitteeRemoveForm(CommitteeCourtRemoveForm):
    """The creditors' meeting replaces a member or removes it (Art.61 para.1(8)); the
    administrator records its resolution. A replacement is named by its kind and name."""

    kind = forms.ChoiceField(
        label=_("接替委员的类别（不接替的留空）"),
        choices=[("", "—"), *CommitteeMember.Kind.choices],
        required=False,
    )
    creditor = forms.ModelChoiceField(
        label=_("接替委员所代表的债权人"), queryset=None, required=False
    )
    name = forms.CharField(label=_("接替委员姓名"), max_length=100, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = case.creditors.all()

    def clean(self):
        data = super().clean()
        if data.get("kind") and not (data.get("name") or "").strip():
            self.add_error("name", _("请填写接替委员的姓名"))
        if data.get("name") and not data.get("kind"):
            self.add_error("kind", _("请选择接替委员的类别"))
        return data

    def replacement(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return {"kind": data["kind"], "name": data["name"], "creditor": data.get("creditor")}


class CommitteeApproveForm(forms.Form):
    on = forms.DateField(label=_("书面决定认可日"), widget=DATE)


class CommitteeDecisionForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("职权事项（第68条）"), choices=CommitteeDecision.Subject.choices
    )
    matter = forms.CharField(
        label=_("所议事项"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    decided_on = forms.DateField(label=_("表决日"), widget=DATE)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        choices = [("", _("未表决（计为不同意）")), *CommitteeVote.Vote.choices]
        for member in self.members:
            self.fields[f"vote_{member.pk}"] = forms.ChoiceField(
                label=_("%(name)s 的意见") % {"name": member.name}, choices=choices, required=False
            )
            self.fields[f"dissent_{member.pk}"] = forms.CharField(
                label=_("%(name)s 的不同意见") % {"name": member.name},
                max_length=1000,
                required=False,
            )

    def votes(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {
            m.pk: (data[f"vote_{m.pk}"], data.get(f"dissent_{m.pk}", ""))
            for m in self.members
            if data.get(f"vote_{m.pk}")
        }


class Art69ReportForm(forms.Form):
    act = forms.ChoiceField(label=_("行为（第69条第1款）"), choices=Art69Report.Act.choices)
    description = forms.CharField(
        label=_("行为说明"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("标的、对方当事人、价格或条件"),
    )
    act_date = forms.DateField(label=_("拟实施日"), widget=DATE)
    reported_on = forms.DateField(
        label=_("报告日"), widget=DATE, help_text=_("司法解释（三）第15条：应提前十日书面报告")
    )
