"""Hostile requests are refused before any view reads them: oversized bodies (413) and control
characters (400), on SQLite and PostgreSQL alike, as JSON under /api/."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver, resolve

from qinqing.core.demo import demo_uscc
from qinqing.core.middleware import BodySizeLimitMiddleware

FIRM_USCC = demo_uscc("91420111", 3)
MB = 1024 * 1024


@pytest.fixture
def qr(demo_users):
    from qinqing.needs import services
    from qinqing.needs.models import QrCode

    services.catalogue_ensure_defaults(actor=None)
    return services.qr_create(actor=demo_users["liaison"], origin=QrCode.Origin.GENERIC, label="码")


# --- body size ------------------------------------------------------------------------------


def test_an_oversized_anonymous_upload_is_refused_by_its_length_before_it_is_read(client, qr):
    """500 MB declared to the public QR form: 413 at once, the body never read (the request
    carries only a few bytes, so reading it would fail)."""
    response = client.generic(
        "POST",
        f"/needs/q/{qr.key}/",
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(500 * MB),
    )
    assert response.status_code == 413
    assert "请求内容超过本页允许的 16 MB 上限" in response.content.decode()


def test_an_oversized_api_body_is_413_json(client, db):
    text = "企业" * (MB // 2 + 1)
    response = client.post(
        "/api/v1/needs/classify", {"text": text}, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "请求内容超过本页允许的 1 MB 上限，请缩小文件或分批提交",
        "code": "too_large",
    }


def test_a_page_that_takes_files_takes_its_larger_limit(client, qr, settings, tmp_path):
    """A 6 MB attachment passes the body limit of the QR form and is refused by the form's own
    rule with its field message; the same body to a page without files is a 413."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path

    def data():
        pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n" + bytes(6 * MB))
        return {
            "uscc": FIRM_USCC,
            "phone": "13900001234",
            "text": "开票额度不够用",
            "attachments": pdf,
        }

    response = client.post(f"/needs/q/{qr.key}/", data())
    assert response.status_code == 400 and "单个附件不能超过 5MB" in response.content.decode()
    assert client.post("/login/", data()).status_code == 413


def test_every_route_given_a_larger_body_limit_exists():
    """A typo in QINQING_BODY_LIMITS would silently leave an upload page at the default."""
    middleware = BodySizeLimitMiddleware(lambda request: None)
    for pattern, limit in settings.QINQING_BODY_LIMITS:
        path = pattern.replace("*", "1")
        assert resolve(path), pattern
        assert middleware.limit_for(path) == limit > settings.QINQING_MAX_BODY_BYTES
    assert middleware.limit_for("/needs/") == settings.QINQING_MAX_BODY_BYTES


# --- control characters ---------------------------------------------------------------------


def _routes(resolver: URLResolver | None = None, prefix: str = ""):
    """Every route of the URL conf as a path with <converter:name> placeholders."""
    for entry in (resolver or get_resolver()).url_patterns:
        text = str(entry.pattern)
        if text.startswith("^"):  # a regex (the admin's): named groups become placeholders
            text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text)
            text = text.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + text)
        else:
            yield prefix + text


def _paths(route: str) -> list[str]:
    """The route with sample values, and with a NUL in its first parameter if it has one."""
    placeholder = re.compile(r"<(?:(\w+):)?(\w+)>")
    sample = placeholder.sub(lambda m: "1" if m.group(1) == "int" else "x", route)
    paths = ["/" + sample]
    if placeholder.search(route):
        with_nul = placeholder.sub(lambda m: "x%00y", route, count=1)
        paths.append("/" + placeholder.sub("1", with_nul))
    return paths


def test_the_route_sweep_covers_the_site():
    routes = list(_routes())
    assert len(routes) > 150
    for route in ("needs/q/<str:key>/", "api/v1/auth/token", "activities/c/<str:secret>/"):
        assert route in routes


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_a_nul_anywhere_in_a_get_is_a_400_on_every_route(client, demo_users, who):
    """Every route of the URL conf, with a NUL in the query string and, where the route has
    one, in a path parameter: a 400 (JSON under /api/), never a 5xx and never a page."""
    if who != "anonymous":
        client.force_login(demo_users[who])
    failures = []
    for route in _routes():
        for n, path in enumerate(_paths(route)):
            url = path if n else f"{path}?q=a%00b&page=1%00&next=%00"
            response = client.get(url)
            if response.status_code != 400:
                failures.append(f"{url}: {response.status_code}")
            elif path.startswith("/api/"):
                assert response.json()["code"] == "control_character", url
    assert not failures, f"{len(failures)} requests not refused:\n" + "\n".join(failures)


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_form_field_is_refused_and_tab_cr_lf_are_not(client, qr, char):
    from qinqing.needs.models import Need

    data = {"uscc": FIRM_USCC, "phone": "13900001234", "text": f"额度{char}不够"}
    response = client.post(f"/needs/q/{qr.key}/", data)
    assert response.status_code == 400
    assert "请求中含有不允许的控制字符" in response.content.decode()
    data["text"] = "第一行\r\n\t第二行"
    assert client.post(f"/needs/q/{qr.key}/", data).status_code == 302
    assert Need.objects.get().text == "第一行\r\n\t第二行"


@pytest.mark.parametrize(
    ("url", "payload"),
    [
        ("/api/v1/auth/token", {"username": "admin\x00", "password": "x"}),
        ("/api/v1/activities/checkin", {"secret": "abc\x00"}),
        ("/api/v1/needs/classify", {"text": "ok", "nested": [{"k\x00": 1}]}),
        ("/api/v1/needs/classify", {"text": "lone surrogate \ud800"}),
    ],
)
def test_a_control_character_in_a_json_body_is_a_400_json(client, demo_users, url, payload):
    body = json.dumps(payload)  # NUL travels as \u0000, as from any JSON client
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "control_character"


def test_a_form_body_to_the_api_is_still_read_by_the_api(client, demo_users):
    """The middleware leaves a multipart body under /api/ to the API, which reads
    request.body: parsing it first made that a 500."""
    form = {"username": "admin", "password": "x"}
    response = client.post("/api/v1/auth/token", form)
    assert response.status_code == 400 and "JSON" in response.json()["detail"]
    encoded = client.post(
        "/api/v1/auth/token",
        "username=admin%00&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert encoded.status_code == 400 and encoded.json()["code"] == "control_character"


def test_json_text_with_line_breaks_and_any_script_is_accepted(client, db):
    text = "数电票额度不够用\n\t怎么申请提额？ 🙂 ☃ ²"
    response = client.post(
        "/api/v1/needs/classify", {"text": text}, content_type="application/json"
    )
    assert response.status_code == 200
