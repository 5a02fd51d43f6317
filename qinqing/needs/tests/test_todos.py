"""The needs module's to-do providers: what waits on the dispatcher, the department's staff
and the firm, counted for the right user and nothing for another organisation's."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.core.todos import todos_for
from qinqing.needs import services, todos
from qinqing.needs.models import Category, Need

pytestmark = pytest.mark.django_db


def _by_label(items):
    return {str(i.label): i for i in items}


def _other_staff():
    """Staff of another department (发改局): the tax department's needs are not theirs."""
    user = get_user_model().objects.create_user("other_staff")
    RoleGrant.objects.create(
        user=user, role=Role.STAFF, organisation=Organisation.objects.get(code="hs-fgj")
    )
    return user


def test_the_dispatcher_sees_needs_to_route_with_the_oldest(world, submit):
    first = submit(text="这是一条规则无法判断类别的意见反馈内容", auto_route=False)
    submit(text="另一条需要派单员判断类别的反馈内容", auto_route=False)
    submit()  # routed by the rules: not the dispatcher's
    items = _by_label(todos.dispatcher(world["dispatcher"]))
    routing = items["待派单的诉求"]
    assert routing.count == 2
    assert routing.oldest == timezone.localdate(first.received_at)
    assert routing.url == "/needs/?state=pending_dispatch"
    assert todos.dispatcher(world["liaison"]) == []
    assert todos.dispatcher(world["enterprise"]) == []


def test_department_staff_see_needs_to_sign_and_answer_with_deadlines(world, submit):
    need = submit()  # 数电票: routed to the tax department (the liaison's)
    assert need.state == Need.State.PENDING_SIGN and need.department.code == "hs-swj"
    items = _by_label(todos.department(world["liaison"]))
    signing = items["待签收的诉求"]
    assert signing.count == 1 and signing.url == f"/needs/{need.pk}/"
    assert signing.due == need.due_date and not signing.overdue
    services.need_sign(actor=world["liaison"], need=need)
    items = _by_label(todos.department(world["liaison"]))
    assert items["待签收的诉求"].count == 0 and items["办理中待答复的诉求"].count == 1
    assert items["已超过办理时限的诉求"].count == 0
    Need.objects.filter(pk=need.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    late = _by_label(todos.department(world["liaison"]))["已超过办理时限的诉求"]
    assert late.count == 1 and late.overdue
    # Another department's staff: nothing of the tax department's.
    assert all(i.count == 0 for i in todos.department(_other_staff()))


def test_a_firm_is_asked_to_rate_its_closed_needs_and_another_firm_is_not(world, submit):
    need = submit()  # the demo firm's credit code (user `enterprise`)
    liaison, dispatcher = world["liaison"], world["dispatcher"]
    services.need_sign(actor=liaison, need=need)
    services.need_reply(actor=liaison, need=need, reply="已为您调整开票额度。")
    assert _by_label(todos.dispatcher(dispatcher))["已答复待回访、办结"].count == 1
    services.need_callback(actor=dispatcher, need=need, note="企业表示满意")
    services.need_close(actor=dispatcher, need=need)
    need.refresh_from_db()
    rate = _by_label(todos.firm(world["enterprise"]))["已办结待评价的诉求"]
    assert rate.count == 1 and rate.url == f"/needs/t/{need.token}/"
    assert all(i.count == 0 for i in todos.firm(world["volunteer"]))  # another firm
    services.need_rate(actor=world["enterprise"], need=need, level=5)
    assert all(i.count == 0 for i in todos.firm(world["enterprise"]))


def test_the_home_lists_the_items_overdue_first_and_in_red(client, world, submit):
    need = submit()
    other = submit(text="开具发票时系统提示额度不足怎么办")
    services.need_sign(actor=world["liaison"], need=other)
    Need.objects.filter(pk=other.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    labels = [str(i.label) for i in todos_for(world["liaison"])]
    assert labels.index("已超过办理时限的诉求") < labels.index("待签收的诉求")
    client.force_login(world["liaison"])
    html = client.get("/").content.decode()
    assert "我的待办" in html and "待签收的诉求" in html and f"/needs/{need.pk}/" in html
    assert 'class="todo overdue has-link"' in html and "已逾期" in html


def test_the_home_says_nothing_waits_and_offers_the_main_pages(client, world):
    client.force_login(world["dispatcher"])
    html = client.get("/").content.decode()
    assert "暂无待办" in html and 'class="entry-points"' in html and "/needs/" in html
    assert Category.objects.exists()  # the catalogue is there; only the orders are missing


def test_several_late_needs_open_the_list_of_the_late_ones_only(client, world, submit):
    late = [submit(), submit(text="开具发票时系统提示额度不足怎么办")]
    on_time = submit(text="电子税务局登录提示证书过期怎么处理")
    Need.objects.filter(pk__in=[n.pk for n in late]).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    item = _by_label(todos.department(world["liaison"]))["已超过办理时限的诉求"]
    assert item.count == 2 and item.url == "/needs/?late=1"
    client.force_login(world["liaison"])
    page = client.get(item.url).content.decode()
    for need in late:
        assert f'href="/needs/{need.pk}/"' in page
    assert f'href="/needs/{on_time.pk}/"' not in page
    assert 'name="late" value="1" checked' in page
