"""Public pages: announced cases (Art.14) and filing with a verified phone, no account needed."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from qinqing.bankruptcy import selectors, services
from qinqing.bankruptcy.forms import PhoneForm, PublicClaimForm
from qinqing.bankruptcy.models import Case, Claim, Meeting, Payment
from qinqing.bankruptcy.views.common import _agreement_unread, _attempt
from qinqing.core import otp
from qinqing.core.errors import DomainError
from qinqing.core.net import client_ip


def _public_case(pk: int) -> Case:
    return get_object_or_404(selectors.public_cases(), pk=pk)


def public_cases(request: HttpRequest) -> HttpResponse:
    cases = [(case, selectors.filing_bar(case)) for case in selectors.public_cases()]
    return render(request, "bankruptcy/public_cases.html", {"cases": cases})


def public_file(request: HttpRequest, pk: int) -> HttpResponse:
    case = _public_case(pk)
    bar = selectors.filing_bar(case)
    if bar is not None:
        return render(request, "bankruptcy/public_file.html", {"case": case, "bar": bar})
    session_key = f"bk_challenge_{case.pk}"
    challenge = otp.code_find(
        policy=services.PHONE,
        pk=request.session.get(session_key),
        subject_id=case.pk,
        unused=True,
    )
    phone_form = PhoneForm(request.POST if request.POST.get("step") == "send" else None)
    claim_form = PublicClaimForm(
        request.POST if request.POST.get("step") == "file" else None,
        request.FILES or None,
    )
    if request.method == "POST" and request.POST.get("step") == "send" and phone_form.is_valid():
        try:
            challenge = services.phone_challenge_send(
                case=case,
                phone=phone_form.cleaned_data["phone"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            phone_form.add_error("phone", exc.message)
        else:
            request.session[session_key] = challenge.pk
            messages.success(request, _("验证码已发送，10 分钟内有效"))
            return redirect("bankruptcy:public_file", pk=pk)
    if request.method == "POST" and request.POST.get("step") == "file":
        if challenge is None:
            messages.error(request, _("请先获取短信验证码"))
        elif claim_form.is_valid():
            data = claim_form.cleaned_data
            try:
                claim = services.claim_file_by_phone(
                    challenge=challenge,
                    code=data["code"],
                    creditor_name=data["creditor_name"],
                    principal=data["principal"],
                    interest=data["interest"] or 0,
                    other=data["other"] or 0,
                    nature=data.get("nature") or "",
                    secured=data["secured"],
                    collateral_value=data["collateral_value"] or 0,
                    waived_priority=data["waived_priority"],
                    evidence=[data["evidence"]] if data.get("evidence") else [],
                )
            except DomainError as exc:
                claim_form.add_error(
                    exc.field if exc.field in claim_form.fields else None, exc.message
                )
            else:
                request.session.pop(session_key, None)
                return render(
                    request, "bankruptcy/public_done.html", {"case": case, "claim": claim}
                )
    return render(
        request,
        "bankruptcy/public_file.html",
        {
            "case": case,
            "challenge": challenge,
            "phone_form": phone_form,
            "claim_form": claim_form,
        },
    )


def _phone_identify(request: HttpRequest, case: Case, *, purpose: str, audit_action: str, back):
    """The two steps that identify a case's account-less creditors by an SMS code to the phone
    they filed with: "send" (the code) and "verify" (which keeps their ids in the session for
    this case). Returns the response for a handled step (`back`, a redirect) or None, the
    phone form (with its errors), and the creditors already identified in this session."""
    key = f"bk_phone_creditors_{case.pk}"
    challenge_key = f"bk_phone_challenge_{case.pk}"
    creditors = list(case.creditors.filter(pk__in=request.session.get(key, [])))
    step = request.POST.get("step") if request.method == "POST" else None
    phone_form = PhoneForm(request.POST if step == "send" else None)
    if step == "send" and phone_form.is_valid():
        try:
            challenge = services.phone_challenge_send(
                case=case,
                phone=phone_form.cleaned_data["phone"],
                ip=client_ip(request),
                purpose=purpose,
            )
        except DomainError as exc:
            phone_form.add_error("phone", exc.message)
        else:
            request.session[challenge_key] = challenge.pk
            messages.success(request, _("验证码已发送，10 分钟内有效"))
            return back, phone_form, creditors
    elif step == "verify":
        challenge = otp.code_find(
            policy=services.PHONE, pk=request.session.get(challenge_key), subject_id=case.pk
        )
        try:
            if challenge is None:
                raise DomainError(_("请先获取短信验证码"), field="code")
            found = services.phone_creditors(
                challenge=challenge, code=request.POST.get("code", ""), audit_action=audit_action
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session[key] = [c.pk for c in found]
            request.session.pop(challenge_key, None)
        return back, phone_form, creditors
    return None, phone_form, creditors


def _own(request: HttpRequest, objects, field: str):
    """The object named by POST `field` among `objects` (the identified creditors' own), or
    None with a message."""
    found = objects.filter(pk=request.POST.get(field) or 0).first()
    if found is None:
        messages.error(request, _("请先验证手机号"))
    return found


def _masked(phone: str) -> str:
    return f"手机 {phone[:3]}****{phone[-4:]}"


def public_mine(request: HttpRequest, pk: int) -> HttpResponse:
    """An account-less creditor's own claims, terms and payments, after an SMS code to the
    phone it filed with; it may object to a reviewed claim (Art.58) and confirm a payment."""
    case = get_object_or_404(selectors.announced_cases(), pk=pk)
    back = redirect("bankruptcy:public_mine", pk=pk)
    response, phone_form, creditors = _phone_identify(
        request,
        case,
        purpose=services.LOOKUP,
        audit_action="claim.phone_lookup",
        back=back,
    )
    if response is not None:
        return response
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "object":
        claim = _own(request, Claim.objects.filter(creditor__in=creditors), "claim")
        if claim is not None:
            _attempt(
                request,
                services.claim_object,
                _("异议已提交"),
                claim=claim,
                text=request.POST.get("text", ""),
                via=_masked(claim.creditor.phone),
            )
        return back
    if step == "confirm":
        payments = Payment.objects.filter(term__creditor__in=creditors)
        payment = _own(request, payments.select_related("term__creditor"), "payment")
        if payment is not None:
            _attempt(
                request,
                services.payment_confirm_receipt,
                _("已确认收款"),
                payment=payment,
                via=_masked(payment.term.creditor.phone),
            )
        return back
    return render(
        request,
        "bankruptcy/public_mine.html",
        {
            "case": case,
            "rows": [selectors.creditor_row(c) for c in creditors],
            "phone_form": phone_form,
        },
    )


def public_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """Online sign-in and voting for creditors without an account, identified by an SMS code
    to the phone they filed with (SPC Interp. III Art.11)."""
    meeting = get_object_or_404(
        Meeting.objects.select_related("case").filter(case__in=selectors.public_cases()), pk=pk
    )
    case = meeting.case
    response, phone_form, creditors = _phone_identify(
        request,
        case,
        purpose=services.MEETING,
        audit_action="meeting.phone_identify",
        back=redirect("bankruptcy:public_meeting", pk=pk),
    )
    if response is not None:
        return response
    step = request.POST.get("step") if request.method == "POST" else None
    if step in ("sign_in", "vote"):
        creditor = next((c for c in creditors if str(c.pk) == request.POST.get("creditor")), None)
        if creditor is None:
            messages.error(request, _("请先验证手机号"))
        else:
            via = _masked(creditor.phone)
            if step == "sign_in":
                _attempt(
                    request,
                    services.attendance_sign_in,
                    _("已签到"),
                    meeting=meeting,
                    creditor=creditor,
                    proxy_name=request.POST.get("proxy_name", ""),
                    via=via,
                )
            else:
                item = meeting.items.filter(pk=request.POST.get("item") or 0).first()
                if item is None:
                    messages.error(request, _("未知的表决事项"))
                elif _agreement_unread(request, item):
                    pass
                else:
                    _attempt(
                        request,
                        services.ballot_cast,
                        _("表决意见已提交"),
                        item=item,
                        creditor=creditor,
                        vote=request.POST.get("vote", ""),
                        via=via,
                    )
        return redirect("bankruptcy:public_meeting", pk=pk)
    own = selectors.ballot_sheets(meeting, list(creditors))
    return render(
        request,
        "bankruptcy/public_meeting.html",
        {"meeting": meeting, "case": case, "own": own, "phone_form": phone_form},
    )
