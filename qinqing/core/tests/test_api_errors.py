"""The API's error answers are part of its contract: every operation documents the 4xx it can
answer with the one error body (core.api_errors.ApiError), and every refusal is that body."""

import json

import jsonschema
import pytest
from django.test import Client, RequestFactory

from config import api as api_module
from qinqing.core.errors import ConflictError, CredentialsError, DomainError, ThrottledError
from qinqing.core.idempotency import KeyReusedError

ERROR_REF = "#/components/schemas/ApiError"


@pytest.fixture(scope="module")
def document():
    return api_module.api.get_openapi_schema(path_prefix="/api/v1/")


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", method, operation


def expected_statuses(method: str, operation: dict) -> set[int]:
    """What each operation must document, read from the document's own facts (written apart
    from api_errors.error_statuses, which computes them from ninja's operations)."""
    params = operation.get("parameters", [])
    statuses = {400}
    if operation.get("security"):
        statuses |= {401, 403}
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if params or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(413)
    if method != "get" and operation["operationId"] not in {
        "qinqing_needs_api_classify",  # reads only
        "qinqing_core_api_token_create",  # signs in: no state to conflict with
    }:
        statuses.add(409)
    return statuses


def test_every_operation_documents_its_error_answers_with_the_error_body(client, db):
    document = client.get("/api/v1/openapi.json").json()
    operations = list(_operations(document))
    assert len(operations) >= 40
    missing, unbodied = [], []
    for name, method, operation in operations:
        documented = {int(s) for s in operation["responses"]}
        if lacking := expected_statuses(method, operation) - documented:
            missing.append(f"{name}: {sorted(lacking)}")
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": ERROR_REF}:
                    unbodied.append(f"{name} {status}")
    assert not missing, "operations lacking error answers:\n" + "\n".join(missing)
    assert not unbodied, "error answers without the error body:\n" + "\n".join(unbodied)
    error = document["components"]["schemas"]["ApiError"]
    assert error["required"] == ["detail", "code"] and error["additionalProperties"] is False
    assert set(error["properties"]) == {"detail", "code", "field", "errors"}


def test_the_throttled_sign_in_documents_429_with_retry_after_and_its_401(document):
    answers = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert answers[429]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert 401 in answers and 409 not in answers
    assert 404 in document["paths"]["/api/v1/figures"]["get"]["responses"]  # unknown org


def _validator(document):
    schema = {"$ref": ERROR_REF, "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def _assert_error_body(document, response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    body = response.json() if hasattr(response, "json") else json.loads(response.content)
    errors = sorted(_validator(document).iter_errors(body), key=str)
    assert not errors, f"{body} does not fit ApiError: {errors[0].message}"
    return body


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda: DomainError("规则", field="x"), 400, "invalid"),
        (lambda: CredentialsError("用户名或密码错误", code="bad_credentials"), 401, None),
        (lambda: ConflictError("已发布", code="published"), 409, "published"),
        (lambda: KeyReusedError("键已用", code="idempotency_key_reused"), 422, None),
        (lambda: ThrottledError("请 4 秒后再试", retry_after=4), 429, "throttled"),
    ],
)
def test_domain_errors_answer_the_error_body(document, make, status, code):
    request = RequestFactory().get("/api/v1/me")
    response = api_module._domain_error(request, make())
    body = _assert_error_body(document, response, status)
    assert code is None or body["code"] == code
    if status == 429:
        assert response["Retry-After"] == "4"


def test_every_refusal_of_a_real_request_is_the_error_body(document, client, demo_users):
    def check(response, status, code):
        body = _assert_error_body(document, response, status)
        assert body["code"] == code, body
        assert body["detail"] and body["detail"].isascii() is False  # Chinese, for the user
        return body

    check(client.get("/api/v1/me"), 401, "unauthenticated")
    check(client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer qq_wrong"), 401, "unauthenticated")
    check(client.get("/api/v1/me?q=a%00b"), 400, "control_character")
    check(
        client.post("/api/v1/auth/token", "not json", content_type="application/json"),
        400,
        "malformed",
    )
    body = check(
        client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json"),
        422,
        "invalid",
    )
    assert body["errors"] == [{"field": "password", "reason": "Field required"}]
    big = json.dumps({"text": "诉" * 600_000})
    check(
        client.post("/api/v1/needs/classify", big, content_type="application/json"),
        413,
        "too_large",
    )
    client.force_login(demo_users["judge"])
    check(client.get("/api/v1/bankruptcy/cases/999999"), 404, "not_found")
    # A path no operation matches is the API's 404, not the site's page.
    check(client.get("/api/v1/needs/abc"), 404, "not_found")
    check(client.get("/api/v1/no-such-thing"), 404, "not_found")
    check(client.get("/api/v1/figures?from=2024-02-01&to=2024-01-01"), 400, "invalid")
    client.force_login(demo_users["enterprise"])
    check(client.get("/api/v1/bankruptcy/cases"), 403, "forbidden")
    # A cookie-authenticated write without the CSRF token: refused in Chinese.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(demo_users["judge"])
    body = check(
        strict.post("/api/v1/bankruptcy/agreements/1/approve", {}, content_type="application/json"),
        403,
        "csrf",
    )
    assert "CSRF" in body["detail"]


def test_a_throttled_sign_in_is_the_error_body_with_retry_after(document, client, demo_users):
    for _ in range(40):
        response = client.post(
            "/api/v1/auth/token",
            {"username": "editor", "password": "wrong"},
            content_type="application/json",
        )
        if response.status_code == 429:
            break
        _assert_error_body(document, response, 401)
    body = _assert_error_body(document, response, 429)
    assert body["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_operations_applied_once_document_the_idempotency_key(document):
    keyed = sorted(
        name
        for name, _, operation in _operations(document)
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    )
    assert keyed == [
        "POST /api/v1/activities/checkin",
        "POST /api/v1/bankruptcy/items/{item_id}/ballots",
        "POST /api/v1/bankruptcy/meetings/{meeting_id}/sign-in",
        "POST /api/v1/bankruptcy/terms/{term_id}/payments",
    ]


def test_every_success_answer_documents_its_body(document):
    """An answer without a schema is an answer nobody checks (schemathesis validates only what
    is documented): the workstation, the draw proof, OCDS, the live board, the report and the
    meeting sign-in had none."""
    bare = []
    for name, _, operation in _operations(document):
        for status, answer in operation["responses"].items():
            if 200 <= int(status) < 300 and int(status) != 204:
                content = answer.get("content", {})
                if list(content) == ["application/pdf"]:  # a file (the workstation's bids):
                    continue  # its content type is what schemathesis checks
                schema = content.get("application/json", {}).get("schema", {})
                if "$ref" not in schema and "$ref" not in schema.get("items", {}):
                    bare.append(f"{name} {status}: {schema}")
    assert not bare, "success answers without a body schema:\n" + "\n".join(bare)
