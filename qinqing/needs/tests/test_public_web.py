"""The web channel of the public form and following a need by its number and phone."""

import pytest
from django.core.cache import cache

from qinqing.needs.models import Need
from qinqing.needs.tests.conftest import FIRM_USCC

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_web_form_takes_a_need_without_a_qr_code(client, world):
    page = client.get("/needs/web/").content.decode()
    assert "网上提交" in page and "统一社会信用代码" in page
    response = client.post(
        "/needs/web/",
        {"uscc": FIRM_USCC, "phone": "13900001234", "text": "数电票开票额度不够用，怎么申请提额？"},
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.channel == Need.Channel.PORTAL and need.qr_code is None
    assert response["Location"] == f"/needs/t/{need.token}/"


def test_the_web_form_keeps_what_was_typed_on_an_error(client, world):
    response = client.post("/needs/web/", {"uscc": "123", "phone": "13900000000", "text": "额度"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "统一社会信用代码格式或校验位不正确" in html and 'value="13900000000"' in html
    assert not Need.objects.exists()


def test_a_need_is_followed_by_its_number_and_phone(client, submit):
    need = submit(phone="13900005678")
    response = client.post(
        "/needs/track/", {"number": need.number.lower(), "phone": "139 0000 5678"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/needs/t/{need.token}/"


@pytest.mark.parametrize("field", ["number", "phone"])
def test_a_wrong_number_or_phone_finds_nothing_and_says_so(client, submit, field):
    need = submit(phone="13900005678")
    data = {"number": need.number, "phone": "13900005678"}
    data[field] = "13900009999" if field == "phone" else "QQ20000101000001"
    response = client.post("/needs/track/", data)
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有找到该工单" in html and need.token not in html


def test_repeated_failed_look_ups_are_refused(client, submit, monkeypatch):
    from qinqing.needs import views

    monkeypatch.setattr(views, "TRACK_ATTEMPTS", 3)
    need = submit(phone="13900005678")
    for _ in range(3):
        assert client.post("/needs/track/", {"number": "QQ1", "phone": "1"}).status_code == 404
    response = client.post("/needs/track/", {"number": need.number, "phone": "13900005678"})
    assert response.status_code == 429
    assert "查询次数过多" in response.content.decode()


def test_the_track_form_requires_both_fields(client, world):
    response = client.post("/needs/track/", {"number": "", "phone": ""})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
