"""Requests applied once: `@idempotent` (API, ``Idempotency-Key``) and `form_once` (web,
one-time form token), exercised on a stand-in operation; the modules' endpoints have their
own tests of the wiring."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from ninja import Status

from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import (
    FORM_FIELD,
    HEADER,
    AlreadyApplied,
    KeyReusedError,
    form_once,
    form_token,
    idempotent,
)
from qinqing.core.models import AuditEntry, IdempotencyKey
from qinqing.core.testing import needs_concurrent_writers, race

pytestmark = pytest.mark.django_db


class Recorder:
    """A stand-in operation that writes (an audit entry) and answers with what it did."""

    def __init__(self, fail: bool = False):
        self.fail = fail

        @idempotent
        def operation(request, amount: int):
            audit_log(actor=None, action="test.apply", detail={"amount": amount})
            if self.fail:
                raise DomainError("不行", field="amount")
            applied = AuditEntry.objects.filter(action="test.apply").count()
            return Status(201, {"amount": amount, "applied": applied, "at": timezone.now()})

        self.operation = operation


def _api(user, key=None, body=None, path="/api/v1/things"):
    headers = {HEADER: key} if key is not None else {}
    request = RequestFactory().post(
        path, json.dumps(body or {"amount": 1}), content_type="application/json", headers=headers
    )
    request.user = user or AnonymousUser()
    return request


def _applied() -> int:
    return AuditEntry.objects.filter(action="test.apply").count()


def test_a_repeated_key_is_applied_once_and_answered_alike(demo_users):
    op = Recorder().operation
    first = op(_api(demo_users["editor"], "k-1"), amount=1)
    again = op(_api(demo_users["editor"], "k-1"), amount=1)
    assert _applied() == 1
    assert again.status_code == 201  # the first response, as its JSON
    assert again.value == json.loads(json.dumps(first.value, cls=DjangoJSONEncoder))
    assert again.value["applied"] == 1
    op(_api(demo_users["editor"]), amount=1)  # without the header: applied as usual
    op(_api(demo_users["editor"]), amount=1)
    assert _applied() == 3


def test_the_same_key_with_another_body_is_refused(demo_users):
    op = Recorder().operation
    op(_api(demo_users["editor"], "k-1", {"amount": 1}), amount=1)
    with pytest.raises(KeyReusedError) as exc:
        op(_api(demo_users["editor"], "k-1", {"amount": 2}), amount=2)
    assert exc.value.status_code == 422 and exc.value.field == HEADER
    assert _applied() == 1


def test_a_key_belongs_to_its_subject_and_route(demo_users):
    op = Recorder().operation
    op(_api(demo_users["editor"], "k-1"), amount=1)
    op(_api(demo_users["liaison"], "k-1"), amount=1)  # another account
    op(_api(demo_users["editor"], "k-1", path="/api/v1/others"), amount=1)  # another route
    op(_api(None, "k-1"), amount=1)  # anonymous
    assert _applied() == 4
    assert IdempotencyKey.objects.count() == 4


def test_a_failed_request_takes_no_key_and_may_be_retried(demo_users):
    recorder = Recorder(fail=True)
    with pytest.raises(DomainError), transaction.atomic():
        recorder.operation(_api(demo_users["editor"], "k-1"), amount=1)
    assert not IdempotencyKey.objects.exists() and _applied() == 0
    recorder.fail = False
    assert recorder.operation(_api(demo_users["editor"], "k-1"), amount=1).status_code == 201
    assert _applied() == 1


@pytest.mark.parametrize("key", ["", "x" * 101, "键", "a b"])
def test_a_malformed_key_is_refused(demo_users, key):
    with pytest.raises(DomainError) as exc:
        Recorder().operation(_api(demo_users["editor"], key), amount=1)
    assert exc.value.status_code == 400 and exc.value.field == HEADER
    assert _applied() == 0


def test_an_expired_key_is_a_new_key_and_is_purged(demo_users):
    op = Recorder().operation
    op(_api(demo_users["editor"], "k-1"), amount=1)
    op(_api(demo_users["editor"], "k-2"), amount=1)
    IdempotencyKey.objects.filter(key="k-1").update(expires_at=timezone.now() - timedelta(1))
    op(_api(demo_users["editor"], "k-1"), amount=1)
    assert _applied() == 3
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(1))
    call_command("idempotency_purge")
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_are_applied_once(demo_users):
    needs_concurrent_writers()
    op = Recorder().operation
    requests = [_api(demo_users["editor"], "k-race") for _ in range(6)]

    results = race(6, lambda i: op(requests[i], amount=1))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert _applied() == 1
    bodies = [json.loads(json.dumps(r.value, default=str)) for r in results]
    assert {b["applied"] for b in bodies} == {1} and {r.status_code for r in results} == {201}


# --- web forms ------------------------------------------------------------------------------


def _form(user, token):
    data = {FORM_FIELD: token} if token is not None else {}
    request = RequestFactory().post("/bankruptcy/payments/1/confirm/", data)
    request.user = user
    return request


def _submit(request) -> None:
    with form_once(request) as once:
        audit_log(actor=None, action="test.apply")
        once.body = "first"


def test_a_form_token_is_used_once(demo_users):
    token = form_token()
    _submit(_form(demo_users["creditor"], token))
    with pytest.raises(AlreadyApplied) as exc:
        _submit(_form(demo_users["creditor"], token))
    assert exc.value.body == "first" and exc.value.status_code == 409
    assert _applied() == 1
    _submit(_form(demo_users["creditor"], form_token()))  # a newly rendered form
    _submit(_form(demo_users["creditor"], None))  # no token: as before
    _submit(_form(demo_users["creditor"], None))
    assert _applied() == 4


@pytest.mark.parametrize("token", ["made-up", "x:1:y"])
def test_a_forged_or_expired_form_token_changes_nothing(demo_users, token):
    with pytest.raises(DomainError) as exc:
        _submit(_form(demo_users["creditor"], token))
    assert exc.value.field == FORM_FIELD and _applied() == 0


def test_the_once_token_tag_renders_a_fresh_valid_token():
    html = Template("{% load once %}{% once_token %}{% once_token %}").render(Context())
    tokens = [part.split('"')[0] for part in html.split('value="')[1:]]
    assert len(set(tokens)) == 2 and f'name="{FORM_FIELD}"' in html
    request = RequestFactory().post("/x/", {FORM_FIELD: tokens[0]})
    request.user = AnonymousUser()
    with form_once(request):
        pass
    assert IdempotencyKey.objects.get().subject == "anonymous"
