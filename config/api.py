"""The JSON API at /api/v1/: one NinjaAPI, one router per module."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import django_auth

from qinqing.core.api import BearerAuth
from qinqing.core.api import router as core_router
from qinqing.core.errors import DomainError

api = NinjaAPI(
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
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "未找到该对象"}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "无权执行此操作"}, status=403)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


api.add_router("", core_router)
