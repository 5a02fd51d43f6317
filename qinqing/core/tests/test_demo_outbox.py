"""The 演示短信 page: what the demo notifier kept instead of sending, codes included."""

import pytest

from qinqing.core import notifier
from qinqing.core.notifier import Message, notification_send_many
from qinqing.core.testing import ANONYMOUS, check_matrix

DEMO = "qinqing.core.notifier.DemoOutboxBackend"


@pytest.fixture
def demo_notifier(settings, tmp_path):
    settings.QINQING_NOTIFIER = DEMO
    settings.QINQING_DEMO_OUTBOX = tmp_path / "outbox.jsonl"
    return settings.QINQING_DEMO_OUTBOX


@pytest.mark.django_db
def test_outbox_lists_the_real_code_of_a_sensitive_sms(client, demo_users, demo_notifier):
    notification_send_many(
        actor=None,
        messages=[
            Message("sms", "工位签到验证码", "验证码 482913，5 分钟内有效", address="13900000001",
                    sensitive=True),
            Message("in_app", "站内", "不进演示短信", recipient=demo_users["judge"]),
        ],
    )  # fmt: skip
    client.force_login(demo_users["centre_wh"])
    response = client.get("/demo/outbox/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "482913" in text and "13900000001" in text
    assert "不进演示短信" not in text
    # The database still keeps only the placeholder, never the code.
    from qinqing.core.models import Notification

    assert "482913" not in Notification.objects.get(channel="sms").body


@pytest.mark.django_db
def test_outbox_is_for_staff_only(client, demo_users, demo_notifier):
    matrix = {
        "/demo/outbox/": {
            "admin": 200,
            "centre_wh": 200,
            "dispatcher": 200,
            "judge": 200,
            "creditor": 403,
            "enterprise": 403,
            "expert": 403,
            "volunteer": 403,
            ANONYMOUS: 302,
        }
    }
    check_matrix(client, matrix, demo_users)


@pytest.mark.django_db
def test_outbox_is_404_without_the_demo_notifier(client, demo_users, settings):
    settings.QINQING_NOTIFIER = "qinqing.core.notifier.DatabaseLogBackend"
    assert not notifier.demo_outbox_active()
    client.force_login(demo_users["admin"])
    assert client.get("/demo/outbox/").status_code == 404


@pytest.mark.django_db
def test_each_roles_start_page_opens_for_that_role(client, demo_users):
    from qinqing.core.demo import ACCOUNTS, STARTS

    assert {u for u, _, _ in STARTS} == {a.username for a in ACCOUNTS}
    matrix: dict[str, dict[str, int]] = {}
    for username, path, _ in STARTS:
        matrix.setdefault(path, {})[username] = 200
    check_matrix(client, matrix, demo_users)
