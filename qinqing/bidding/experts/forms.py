from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.models import Expert, ExpertRelation
from qinqing.core.models import Organisation


class ImportForm(forms.Form):
    database = forms.ModelChoiceField(label=_("专家库"), queryset=Organisation.objects.none())
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))

    def __init__(self, *args, databases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["database"].queryset = databases

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 10 MB"))
        return upload


class ExpertFilterForm(forms.Form):
    q = forms.CharField(label=_("编号/姓名/单位"), required=False)
    speciality = forms.CharField(label=_("专业代码"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *Expert.Status.choices], required=False
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20)


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SelfSignInForm(forms.Form):
    code = forms.CharField(label=_("短信验证码"), max_length=6)
    id_last4 = forms.CharField(label=_("身份证号后四位"), max_length=4)


class LeaveForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), widget=DATE)
    end = forms.DateField(label=_("结束日期"), widget=DATE)
    reason = forms.CharField(label=_("事由（选填）"), max_length=200, required=False)


class RelationForm(forms.Form):
    org_uscc = forms.CharField(label=_("单位统一社会信用代码"), max_length=18)
    org_name = forms.CharField(label=_("单位名称"), max_length=200)
    kind = forms.ChoiceField(label=_("关系"), choices=ExpertRelation.Kind.choices)
    start = forms.DateField(label=_("起始日期"), widget=DATE)
    end = forms.DateField(label=_("终止日期（仍在任留空）"), widget=DATE, required=False)


class DeclareForm(forms.Form):
    org_uscc = forms.CharField(label=_("关联单位统一社会信用代码"), max_length=18)
    org_name = forms.CharField(label=_("关联单位名称"), max_length=200)
