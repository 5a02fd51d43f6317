"""Setting a quota as the centres do: codes as typed, each centre its own, Art.44 before a draw."""

import pytest

from qinqing.bidding.draw import services
from qinqing.bidding.draw.forms import QuotaForm, split_codes
from qinqing.bidding.models import Bidder, Draw, DrawQuota
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("A05", ["A05"]),
        ("A05 a0501", ["A05", "A0501"]),
        ("A05,A0501，B01", ["A05", "A0501", "B01"]),
        ("A05、A0501", ["A05", "A0501"]),
        ("A05;A0501； B01 ;", ["A05", "A0501", "B01"]),
        ("  A05 \n A05、a05 ", ["A05"]),
    ],
)
def test_codes_are_read_as_people_type_them(typed, codes):
    assert split_codes(typed) == codes
    form = QuotaForm({"speciality_codes": typed, "count": 3, "backups": 1})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["speciality_codes"] == codes


def test_a_centre_sets_only_its_own_quota(world):
    with pytest.raises(DomainError, match=r"由.*的管理员设置") as caught:
        services.quota_set(
            actor=world["centre_wh"],
            session=world["session"],
            centre=world["orgs"]["jkggzy"],
            speciality_codes=["A05"],
            count=4,
            backups=0,
        )
    assert caught.value.code == "not_own_centre"
    assert world["guest"].count == DrawQuota.objects.get(pk=world["guest"].pk).count == 2


def test_the_host_admin_cannot_post_the_guest_quota_and_sees_no_form_for_it(world, client):
    session, guest = world["session"], world["orgs"]["jkggzy"]
    client.force_login(world["centre_wh"])
    url = f"/bidding/sessions/{session.pk}/"
    page = client.get(url).content.decode()
    assert f'name="centre" value="{world["orgs"]["whggzy"].pk}"' in page
    assert f'name="centre" value="{guest.pk}"' not in page
    response = client.post(
        url,
        {
            "centre": guest.pk,
            f"c{guest.pk}-speciality_codes": "A05",
            f"c{guest.pk}-count": 4,
            f"c{guest.pk}-backups": 0,
        },
    )
    assert response.status_code == 404
    assert DrawQuota.objects.get(pk=world["guest"].pk).count == 2


def test_the_guest_admin_sets_its_quota_on_the_page_with_codes_as_typed(world, client):
    session, guest = world["session"], world["orgs"]["jkggzy"]
    client.force_login(world["centre_jk"])
    url = f"/bidding/sessions/{session.pk}/"
    response = client.post(
        url,
        {
            "centre": guest.pk,
            f"c{guest.pk}-speciality_codes": "a0501、A0502",
            f"c{guest.pk}-count": 2,
            f"c{guest.pk}-backups": 1,
        },
    )
    assert response.status_code == 302
    assert DrawQuota.objects.get(pk=world["guest"].pk).speciality_codes == ["A0501", "A0502"]
    page = client.get(url).content.decode()
    assert "<code>A0501</code> 建筑设计、<code>A0502</code> 结构设计" in page


def test_a_refused_quota_keeps_what_was_typed_beside_the_error(world, client):
    session, host = world["session"], world["orgs"]["whggzy"]
    client.force_login(world["centre_wh"])
    response = client.post(
        f"/bidding/sessions/{session.pk}/",
        {
            "centre": host.pk,
            f"c{host.pk}-speciality_codes": "A05、ZZ99",
            f"c{host.pk}-count": 3,
            f"c{host.pk}-backups": 2,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "未知的专业代码：ZZ99" in page
    assert 'value="A05、ZZ99"' in page
    assert DrawQuota.objects.get(pk=world["host"].pk).speciality_codes == ["A05"]


def test_fewer_than_three_bidders_stops_the_draw_before_anyone_is_invited(world, client):
    section = world["session"].section
    Bidder.objects.filter(pk=section.bidders.order_by("pk").first().pk).delete()
    with pytest.raises(ConflictError, match="第四十四条") as caught:
        services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert caught.value.code == "too_few_bidders"
    assert not Draw.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEntry.objects.filter(action="draw.commit").exists()
    client.force_login(world["centre_wh"])
    page = client.get(f"/bidding/sessions/{world['session'].pk}/").content.decode()
    assert "投标人少于 3 个（现为 2 个）" in page
    assert "冻结候选池并生成承诺值" not in page


def test_three_bidders_are_enough_to_draw(world):
    assert world["session"].section.bidders.count() == 3
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert draw.pool_size == 8
