"""The JSON API's one error body, and its place in the OpenAPI document.

Every refusal of the API — a domain rule (`DomainError` and its subclasses), input that does
not fit the schema, a body that is not JSON, a failed CSRF check, no or a bad token, a role
without the action, another organisation's object, a body too large or holding control
characters (refused by core.middleware before the API sees it) — is answered with `ApiError`:
``{"detail": <Chinese message>, "code": <machine code>}``, with ``field`` (the input at fault)
and ``errors`` (each field at fault, on a 422 for input that does not fit the schema) when
known. config/api.py's exception handlers build it; `QinqingAPI` documents it on every
operation for each status the operation can answer (`error_statuses`), so a client generated
from the document knows every answer, and schemathesis holds the API to it
(qinqing/core/tests/test_api_contract.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ninja import NinjaAPI, Schema
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import ConfigDict, Field

ERROR_SCHEMA = "ApiError"

# Why each status is answered: the description the document gives it.
DESCRIPTIONS = {
    400: "请求不被接受：违反业务规则、请求内容不是 JSON、或含有控制字符",
    401: "未登录或令牌无效（或登录需要短信验证码、动态口令）",
    403: "无权执行此操作（或 CSRF 校验失败）",
    404: "未找到该对象（或无权查看）",
    409: "对象当前状态不允许此操作",
    413: "请求内容超过上限",
    422: "请求数据不符合接口要求（逐项见 errors），或 Idempotency-Key 已用于内容不同的请求",
    429: "尝试过于频繁：请按 Retry-After 秒数后再试",
}


class FieldError(Schema):
    field: str = Field(
        description="出错的输入：点分路径（如 entries.0.score），查询参数名；空为整个请求"
    )
    reason: str = Field(description="原因")

    model_config = ConfigDict(extra="forbid")


class ApiError(Schema):
    """The body of every 4xx answer of the API."""

    detail: str = Field(description="说明（中文，可直接展示给用户）")
    code: str = Field(
        description="机器可读的原因，如 invalid、malformed、csrf、not_found、forbidden、unauthenticated、"
        "throttled、code_required、control_character、too_large 及各业务规则的代码"
    )
    field: str | None = Field(None, description="出错的输入项（已知时）")
    errors: list[FieldError] | None = Field(
        None, description="逐项的输入错误（请求数据不符合接口要求时）"
    )

    model_config = ConfigDict(extra="forbid", title=ERROR_SCHEMA)


def responds(*statuses: int, never: Iterable[int] = ()) -> Callable:
    """Declare on an API operation the error statuses it answers beyond `error_statuses`'
    rules (e.g. 429 for a throttled one) and those the rules give it but it cannot answer
    (e.g. `never=[409]` for a write that changes no state). Place it below the route decorator.
    """

    def mark(view: Callable) -> Callable:
        view.__api_errors__ = (frozenset(statuses), frozenset(never))
        return view

    return mark


def error_statuses(operation) -> list[int]:
    """The 4xx statuses a django-ninja operation can answer, by the rules every operation
    follows:

    - 400 all (a domain rule; a body that is not JSON; control characters in any input);
    - 401 and 403 those that need authentication (no or a bad token; the role lacks the
      action, or the CSRF check of a cookie-authenticated write failed);
    - 404 those with a path parameter (the object is not found or not visible);
    - 409 writes (the object's state does not allow it; a concurrent retry of the same key);
    - 413 those that take a body (over the body limit);
    - 422 those with any parameter or body (input that does not fit the schema);

    plus what the operation declares with `responds`."""
    sources = {model.__ninja_param_source__ for model in operation.models}
    takes_body = bool(sources & {"body", "form", "file"})
    writes = any(method not in ("GET", "HEAD", "OPTIONS") for method in operation.methods)
    statuses = {400}
    if operation.auth_callbacks:
        statuses |= {401, 403}
    if "path" in sources:
        statuses.add(404)
    if writes:
        statuses.add(409)
    if takes_body:
        statuses.add(413)
    if sources:
        statuses.add(422)
    extra, never = getattr(operation.view_func, "__api_errors__", (frozenset(), frozenset()))
    return sorted((statuses | extra) - never)


class _Document(OpenAPISchema):
    """ninja's OpenAPI document with every operation's error answers and their body."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        schema = ApiError.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
        )
        self._error_definitions = {**schema.pop("$defs", {}), ERROR_SCHEMA: schema}
        super().__init__(api, path_prefix)

    def operation_parameters(self, operation) -> list[dict[str, Any]]:
        result = super().operation_parameters(operation)
        if key := getattr(operation.view_func, "__idempotency_key__", None):
            header, pattern = key
            result.append(
                {
                    "in": "header",
                    "name": header,
                    "required": False,
                    "description": "重试时带上同一个键（建议 UUID），同一请求只执行一次，"
                    "重复的请求得到第一次的应答；同一个键用于内容不同的请求为 422",
                    "schema": {"type": "string", "pattern": pattern},
                }
            )
        return result

    def responses(self, operation) -> dict[int, Any]:
        result = super().responses(operation)
        media_type = self.api.renderer.media_type
        for status in error_statuses(operation):
            answer: dict[str, Any] = {
                "description": DESCRIPTIONS[status],
                "content": {
                    media_type: {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
                },
            }
            if status == 429:
                answer["headers"] = {
                    "Retry-After": {
                        "description": "再次尝试前应等待的秒数",
                        "schema": {"type": "integer", "minimum": 0},
                    }
                }
            result.setdefault(status, answer)
        self.add_schema_definitions(self._error_definitions)
        return result


class QinqingAPI(NinjaAPI):
    """The NinjaAPI whose document lists each operation's error answers (`ApiError`)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _Document(self, path_prefix)
