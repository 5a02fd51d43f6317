from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.models import InService

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PrefixForm(forms.Form):
    prefix = forms.CharField(label=_("工位编号前缀"), max_length=3, help_text=_("如 H、G"))


class RoomForm(forms.Form):
    number = forms.CharField(label=_("评标室编号"), max_length=10)
    name = forms.CharField(label=_("评标室名称"), max_length=100)
    seats = forms.IntegerField(label=_("工位数"), min_value=1, max_value=99)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=InService.choices)
    reason = forms.CharField(label=_("原因"), max_length=200)


class SeatingForm(forms.Form):
    slot_start = forms.DateTimeField(label=_("时段开始"), widget=DT)
    slot_end = forms.DateTimeField(label=_("时段结束"), widget=DT)


class StaffVerifyForm(forms.Form):
    reason = forms.CharField(
        label=_("核验原因与方式"), max_length=500, help_text=_("如：手机无信号，已核对身份证原件")
    )


class SignInForm(forms.Form):
    code = forms.CharField(label=_("短信验证码"), max_length=6)
    id_last4 = forms.CharField(label=_("身份证号后四位"), max_length=4)


class TerminalCodeForm(forms.Form):
    terminal_code = forms.CharField(label=_("工作人员提供的工位启用码"), max_length=20)


class RecuseForm(forms.Form):
    reason = forms.CharField(label=_("回避事由"), max_length=500)


class RepresentativeForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(
        label=_("手机号"), max_length=20, help_text=_("在工位签到时接收短信验证码")
    )
    id_last4 = forms.CharField(
        label=_("身份证号后四位"), max_length=4, help_text=_("在工位签到时与验证码一同核验")
    )
