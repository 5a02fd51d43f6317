"""Requests applied once, however often they arrive.

A client that did not see the answer retries; a browser submits a form twice. The API
operations that must not apply twice (a payment, a confirmation, a ballot, a sign-in, a
check-in) take `@idempotent`: a request carrying an ``Idempotency-Key`` header is applied once
per subject (the account, else the browser session), key and route, and a repeat receives the
first response. A web form carries a one-time token (``{% once_token %}`` from the ``once``
template library) and its view applies it inside ``form_once(request)``: the second submission
of one rendered form raises `AlreadyApplied`.

The key's row is inserted in the same transaction as the change it guards, so a key is
taken exactly when the change is committed: a concurrent repeat waits on the row (PostgreSQL)
or on the database (SQLite) and then finds the stored response; a request that fails leaves
no row and may be retried. Keys expire after `TTL`; `idempotency_purge` deletes them.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from ninja import Status

from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
FORM_FIELD = "once_token"
TTL = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")  # visible ASCII, as the IETF draft's examples
_SALT = "qinqing.core.idempotency.form"


class KeyReusedError(DomainError):
    """The key was already used for a request with another body (IETF draft: 422)."""

    status_code = 422


class AlreadyApplied(ConflictError):
    """A web form's one-time token was used: the form was already submitted. `body` is what
    the first submission stored (`Once.body`)."""

    def __init__(self, message: str, *, body=None):
        super().__init__(message, code="duplicate")
        self.body = body


@dataclass
class Once:
    """What a form's first submission stores for its repeats (JSON-serialisable)."""

    body: object = None


def _subject(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        digest = hashlib.sha256(session.session_key.encode()).hexdigest()[:32]
        return f"session:{digest}"
    return "anonymous"


def _claim(request, key: str, fingerprint: str) -> tuple[bool, IdempotencyKey]:
    """Take ``key`` for this subject and route in the caller's transaction: (True, the new
    row) or (False, the row of the request that took it first)."""
    now = timezone.now()
    route = f"{request.method} {request.path}"[:255]
    lookup = {"subject": _subject(request), "key": key, "route": route}
    try:
        with transaction.atomic():
            return True, IdempotencyKey.objects.create(
                **lookup, fingerprint=fingerprint, created_at=now, expires_at=now + TTL
            )
    except IntegrityError:  # taken (and committed, once the insert stopped waiting)
        pass
    row = IdempotencyKey.objects.select_for_update().filter(**lookup).first()
    if row is None:  # purged in between
        raise ConflictError("请求冲突，请稍后重试", code="in_progress")
    if row.expires_at <= now:  # an expired key is a new key
        row.fingerprint, row.status, row.body = fingerprint, None, None
        row.created_at, row.expires_at = now, now + TTL
        row.save(update_fields=["fingerprint", "status", "body", "created_at", "expires_at"])
        return True, row
    return False, row


def idempotent(operation):
    """Apply a django-ninja operation once per ``Idempotency-Key`` (optional header): a repeat
    with the same body gets the first response (status and body), one with another body a
    422. Without the header the operation runs as usual. Place it below the route decorator.
    """
    # The wrapper lives in this module: ninja reads the operation's own signature, with its
    # annotations resolved in the operation's module.
    signature = inspect.signature(operation, eval_str=True)

    @functools.wraps(operation)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return operation(request, *args, **kwargs)
        if not _KEY.match(key):
            raise DomainError(
                f"{HEADER} 应为 1 至 100 个可见 ASCII 字符（建议使用 UUID）",
                field=HEADER,
                code="idempotency_key",
            )
        fingerprint = hashlib.sha256(request.body).hexdigest()
        with transaction.atomic():
            new, row = _claim(request, key, fingerprint)
            if not new:
                if row.fingerprint != fingerprint:
                    raise KeyReusedError(
                        f"该 {HEADER} 已用于内容不同的请求；新的请求请使用新的键",
                        field=HEADER,
                        code="idempotency_key_reused",
                    )
                if row.status is None:  # not reachable: a row is committed with its response
                    raise ConflictError("该请求正在处理，请稍后重试", code="in_progress")
                return Status(row.status, row.body)
            result = operation(request, *args, **kwargs)
            status, value = (
                (result.status_code, result.value) if isinstance(result, Status) else (200, result)
            )
            row.status = status
            row.body = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
            row.save(update_fields=["status", "body"])
        return result

    wrapper.__signature__ = signature
    wrapper.__idempotency_key__ = (HEADER, _KEY.pattern)  # documented by core.api_errors
    return wrapper


def form_token() -> str:
    """A new one-time token for one rendered form (signed and dated, so a token is refused
    once its key could have been purged)."""
    return signing.TimestampSigner(salt=_SALT).sign(secrets.token_urlsafe(16))


@contextmanager
def form_once(request) -> Iterator[Once]:
    """Run the body of a form's POST in one transaction, once per one-time token: a second
    submission of the same rendered form raises `AlreadyApplied` (with what the first stored
    in the yielded `Once`) and changes nothing. A POST without a token (an older page, a
    script) runs as usual; an expired or forged token is a `DomainError`."""
    token = request.POST.get(FORM_FIELD)
    with transaction.atomic():
        row = None
        if token:
            try:
                signing.TimestampSigner(salt=_SALT).unsign(token, max_age=TTL)
            except signing.BadSignature:
                raise DomainError(
                    "页面已过期，请刷新页面后重新提交", field=FORM_FIELD, code="form_expired"
                ) from None
            new, row = _claim(request, token, "")
            if not new:
                raise AlreadyApplied("该表单已提交，未重复处理", body=row.body)
        once = Once()
        yield once
        if row is not None:
            row.status, row.body = 200, once.body
            row.save(update_fields=["status", "body"])


def idempotency_purge(*, now=None) -> int:
    """Delete expired keys (run daily); returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
