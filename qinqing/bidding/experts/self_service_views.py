"""专家自助: an expert's own page, reached by phone, SMS code and the last four characters of
the ID number; no account. See `self_service`."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bidding.common import form_error
from qinqing.bidding.experts import forms, selectors, self_service
from qinqing.bidding.models import Expert
from qinqing.core.errors import DomainError
from qinqing.core.net import client_ip

CHALLENGE_KEY = "bidding_self_challenge"
EXPERT_KEY = "bidding_self_expert"


def _signed_in(request: HttpRequest) -> Expert | None:
    """The expert of this browser session while it lasts (30 minutes from sign-in)."""
    held = request.session.get(EXPERT_KEY)
    if not held:
        return None
    if datetime.fromisoformat(held["until"]) < timezone.now():
        request.session.pop(EXPERT_KEY, None)
        return None
    return (
        Expert.objects.select_related("database")
        .exclude(status=Expert.Status.REMOVED)
        .filter(pk=held["id"])
        .first()
    )


def start(request: HttpRequest) -> HttpResponse:
    """Phone → code; code + last four of the ID → the expert's page."""
    if _signed_in(request) is not None:
        return redirect("bidding:self_home")
    op = request.POST.get("op")
    phone_form = forms.PhoneForm(request.POST if op == "phone" else None)
    signin_form = forms.SelfSignInForm(request.POST if op == "code" else None)
    challenge_id = request.session.get(CHALLENGE_KEY)
    if request.method == "POST":
        try:
            if op == "phone" and phone_form.is_valid():
                challenge = self_service.self_code_send(
                    phone=phone_form.cleaned_data["phone"], ip=client_ip(request)
                )
                request.session[CHALLENGE_KEY] = challenge.pk
                messages.info(request, _("如该手机号登记在评标专家库中，验证码已发送。"))
                return redirect("bidding:self_start")
            if op == "code" and signin_form.is_valid():
                if challenge_id is None:
                    raise DomainError(_("请先获取验证码"), field="code")
                expert = self_service.self_sign_in(
                    challenge=self_service.SelfCode(pk=challenge_id), **signin_form.cleaned_data
                )
                request.session.cycle_key()
                request.session.pop(CHALLENGE_KEY, None)
                until = timezone.now() + self_service.SESSION_TTL
                request.session[EXPERT_KEY] = {"id": expert.pk, "until": until.isoformat()}
                return redirect("bidding:self_home")
        except DomainError as exc:
            form_error(signin_form if op == "code" else phone_form, exc)
    return render(
        request,
        "bidding/self_start.html",
        {
            "phone_form": phone_form,
            "signin_form": signin_form,
            "has_challenge": challenge_id is not None,
        },
    )


def home(request: HttpRequest) -> HttpResponse:
    expert = _signed_in(request)
    if expert is None:
        return redirect("bidding:self_start")
    op = request.POST.get("op")
    leave_form = forms.LeaveForm(request.POST if op == "leave" else None)
    relation_form = forms.RelationForm(request.POST if op == "relation" else None)
    declare_form = forms.DeclareForm(request.POST if op == "declare" else None)
    if request.method == "POST":
        try:
            if op == "leave" and leave_form.is_valid():
                self_service.self_leave_add(expert=expert, **leave_form.cleaned_data)
                messages.success(request, _("请假已登记，请假期间不会被抽取。"))
                return redirect("bidding:self_home")
            if op == "cancel":
                self_service.self_leave_cancel(
                    expert=expert, leave_id=_int(request.POST.get("leave"))
                )
                messages.success(request, _("请假已撤销。"))
                return redirect("bidding:self_home")
            if op == "relation" and relation_form.is_valid():
                self_service.self_relation_add(expert=expert, **relation_form.cleaned_data)
                messages.success(request, _("任职经历已登记。"))
                return redirect("bidding:self_home")
            if op == "declare" and declare_form.is_valid():
                self_service.self_declare(expert=expert, **declare_form.cleaned_data)
                messages.success(request, _("关联单位已申报。"))
                return redirect("bidding:self_home")
        except DomainError as exc:
            form = {"relation": relation_form, "declare": declare_form}.get(op, leave_form)
            form_error(form, exc)
    return render(
        request,
        "bidding/self_home.html",
        {
            **selectors.expert_own_profile(expert),
            "leave_form": leave_form,
            "relation_form": relation_form,
            "declare_form": declare_form,
            "today": timezone.localdate(),
        },
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(_("没有这条请假记录"), field="leave") from None


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(EXPERT_KEY, None)
    request.session.pop(CHALLENGE_KEY, None)
    return redirect("bidding:self_start")
