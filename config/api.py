"""The JSON API at /api/v1/: one NinjaAPI, one router per module."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation, TooManyFilesSent
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from qinqing.activities.api import router as activities_router
from qinqing.bankruptcy.api import router as bankruptcy_router
from qinqing.bidding.api import router as bidding_router
from qinqing.bidding.api import workstation_router
from qinqing.briefing.api import router as briefing_router
from qinqing.core.api import BearerAuth
from qinqing.core.api import router as core_router
from qinqing.core.api_errors import QinqingAPI
from qinqing.core.errors import DomainError
from qinqing.enterprises.api import router as enterprises_router
from qinqing.needs.api import router as needs_router

# Every refusal below answers the one error body, qinqing.core.api_errors.ApiError, which the
# OpenAPI document gives every operation for each status it can answer.
api = QinqingAPI(
    title="亲清 Qinqing API",
    version="1",
    description="洪山区优化营商环境平台接口。认证：`POST /api/v1/auth/token` 取得令牌后以 "
    "`Authorization: Bearer <token>` 调用；已登录的浏览器会话亦可（写操作需 CSRF）。",
    auth=[BearerAuth(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    body = {"detail": exc.message, "code": exc.code}
    if exc.field:
        body["field"] = exc.field
    response = api.create_response(request, body, status=exc.status_code)
    if retry_after := getattr(exc, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    """Input that does not fit the schema: 422 with each field at fault and why."""
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        errors.append({"field": ".".join(location), "reason": error.get("msg", "")})
    fields = "、".join(e["field"] for e in errors if e["field"]) or "请求内容"
    body = {"detail": f"请求数据不符合接口要求：{fields}", "code": "invalid", "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    """ninja's own refusals (a body that is not JSON, a failed CSRF check) in Chinese, with
    the same status."""
    message, code = str(exc), "invalid"
    if message.startswith("Cannot parse request body"):
        message, code = "请求内容无法解析：请以 JSON 格式发送", "malformed"
    elif message == "CSRF check Failed":
        message, code = "CSRF 校验失败：请刷新页面后重试，或以令牌调用接口", "csrf"
    body = {"detail": message, "code": code}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def _unparsable_upload(request, exc):
    """A multipart body Django cannot parse (no or a bad boundary) or refuses (too many files
    or fields): the one error body, not Django's HTML page."""
    if isinstance(exc, TooManyFilesSent):
        message = f"上传的文件过多：一次最多 {settings.DATA_UPLOAD_MAX_NUMBER_FILES} 个"
    else:
        message = "请求内容无法解析：请以 multipart/form-data 或 JSON 格式发送"
    return api.create_response(request, {"detail": message, "code": "malformed"}, status=400)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "未找到该对象", "code": "not_found"}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    body = {"detail": "无权执行此操作", "code": "forbidden"}
    return api.create_response(request, body, status=403)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    body = {"detail": "未登录或令牌无效", "code": "unauthenticated"}
    return api.create_response(request, body, status=401)


api.add_router("", core_router)
api.add_router("/enterprises", enterprises_router)
api.add_router("/needs", needs_router)
api.add_router("/activities", activities_router)
api.add_router("/bidding/workstation", workstation_router)
api.add_router("/bidding", bidding_router)
api.add_router("/bankruptcy", bankruptcy_router)
api.add_router("/briefing", briefing_router)
