from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from qinqing.core import limits
from qinqing.core.errors import DomainError
from qinqing.core.services import holiday_notice_draft, user_authenticate


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, checked through the throttled, audited core service; the SMS code
    is asked for when the service needs it (`code_required`)."""

    code = forms.CharField(
        label=_("短信验证码"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code_required = bool(self.data.get("code"))
        self.retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            try:
                self.user_cache = user_authenticate(
                    request=self.request,
                    username=username,
                    password=password,
                    code=self.cleaned_data.get("code"),
                )
            except DomainError as exc:
                self.code_required = self.code_required or exc.code == "code_required"
                self.retry_after = getattr(exc, "retry_after", None)
                raise forms.ValidationError(exc.message, code=exc.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("结束日期不能早于起始日期"))
        elif start and end:
            try:
                limits.check_period(start, end)
            except DomainError as exc:
                self.add_error(exc.field, exc.message)
        return data

    @classmethod
    def this_year(cls, today: date) -> dict:
        return {"start": date(today.year, 1, 1), "end": today}


NOTICE_PLACEHOLDER = (
    "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
    "二、春节：2月X日至X日放假调休，共X天。X月X日（周日）、X月X日（周六）上班。\n"
    "……"
)


class HolidayNoticeForm(forms.Form):
    """A year's notice as the State Council prints it: the numbered items are read and checked
    (`holiday_notice_draft`); `cleaned_data["draft"]` is what the preview shows and saving
    stores."""

    number = forms.CharField(
        label=_("文号"),
        required=False,
        max_length=60,
        help_text=_("如“国办发明电〔2026〕X号”；未公布文号可留空"),
    )
    published_on = forms.DateField(
        label=_("发布日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(
        label=_("放假安排（通知正文）"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": NOTICE_PLACEHOLDER}),
        help_text=_(
            "把通知正文粘贴进来即可：平台读取“一、元旦：……”等编号各项中的放假日期、“共N天”和调休上班日，"
            "其余文字忽略。保存前先预览全年日历核对。"
        ),
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["draft"] = holiday_notice_draft(
                year=self.year,
                text=data["text"],
                number=data.get("number") or "",
                published_on=data.get("published_on"),
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data
