from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.models import ProcurementCategory, Project, RuleSet
from qinqing.bidding.projects.services import BidderIn
from qinqing.core.models import Organisation

K = Organisation.Kind
DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProjectForm(forms.Form):
    code = forms.CharField(label=_("项目编号"), max_length=50)
    name = forms.CharField(label=_("项目名称"), max_length=200)
    tenderer = forms.ModelChoiceField(
        label=_("招标人"),
        queryset=Organisation.objects.filter(kind__in=[K.INSTITUTION, K.FIRM, K.DEPARTMENT]),
    )
    agency = forms.ModelChoiceField(
        label=_("招标代理机构"), queryset=Organisation.objects.filter(kind=K.AGENCY), required=False
    )
    supervising_department = forms.ModelChoiceField(
        label=_("行政监督部门"), queryset=Organisation.objects.filter(kind=K.DEPARTMENT)
    )
    region_code = forms.CharField(label=_("项目所在地区代码"), max_length=6, initial="420111")
    method = forms.ChoiceField(label=_("评标办法"), choices=Project.Method.choices)
    rule_set = forms.ModelChoiceField(label=_("规则集"), queryset=RuleSet.objects.all())
    budget = forms.DecimalField(
        label=_("预算金额（元）"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    procurement_category = forms.ChoiceField(
        label=_("采购项目类别（政府采购）"),
        choices=[("", _("不适用")), *ProcurementCategory.choices],
        required=False,
    )
    complex_or_significant = forms.BooleanField(
        label=_("技术复杂或社会影响较大（政府采购：评标委员会 7 人以上单数）"), required=False
    )
    section_code = forms.CharField(label=_("标段编号"), max_length=50, initial="01")
    section_name = forms.CharField(label=_("标段名称"), max_length=200, initial="第一标段")
    bidders = forms.CharField(
        label=_("投标人"),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "91420111MA00000012 武汉某某建设有限公司"}
        ),
        help_text=_("每行一个：统一社会信用代码 空格 名称"),
    )
    starts_at = forms.DateTimeField(label=_("评标开始时间"), widget=DT)
    ends_at = forms.DateTimeField(label=_("评标结束时间"), widget=DT)
    guest_centres = forms.ModelMultipleChoiceField(
        label=_("客场交易中心"),
        queryset=Organisation.objects.filter(kind=K.TRADING_CENTRE),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_bidders(self) -> list[BidderIn]:
        rows = []
        for n, line in enumerate(self.cleaned_data["bidders"].splitlines(), start=1):
            if not line.strip():
                continue
            uscc, _, name = line.strip().partition(" ")
            if not name.strip():
                raise forms.ValidationError(_("第 %(n)s 行缺少投标人名称"), params={"n": n})
            rows.append(BidderIn(uscc=uscc, name=name.strip()))
        return rows
