from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from qinqing.core import limits
from qinqing.core.errors import DomainError
from qinqing.core.services import user_authenticate


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, checked through the throttled, audited core service."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            try:
                self.user_cache = user_authenticate(
                    request=self.request, username=username, password=password
                )
            except DomainError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

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
