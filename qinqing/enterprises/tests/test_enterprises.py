"""The firm register: USCC reuse, Excel import all-or-nothing with a row-level report, public
instructor cards per cluster, the permission matrix."""

from io import BytesIO, StringIO

import pytest
from openpyxl import Workbook, load_workbook

from qinqing.core.demo import demo_uscc
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.testing import (
    ANONYMOUS,
    check_matrix,
    xlsx_declaring_every_cell,
    xlsx_with_part,
)
from qinqing.enterprises import services
from qinqing.enterprises.models import Firm
from qinqing.enterprises.rules import IMPORT_COLUMNS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_users):
    from qinqing.enterprises import demo

    demo.load(stdout=StringIO())
    return demo_users


def _xlsx(rows, header=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header or [label for label, _ in IMPORT_COLUMNS])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _row(serial, name, **kw):
    values = {
        "uscc": demo_uscc("91420111", serial),
        "name": name,
        "kind": "民营企业",
        "cluster": "创意天地文创产业集聚区",
        "industry": "文化创意",
        "street": "珞南街道",
        "size": "小型",
        "credit_grade": "A",
        "party_org": "未建立",
        "tags": "文化企业，科技型企业",
        "contact_name": "张三",
        "contact_phone": "027-87650000",
    } | kw
    return [values[field] for _, field in IMPORT_COLUMNS]


def test_firm_reuses_the_core_organisation_and_its_uscc(world):
    org = Organisation.objects.get(code="demo-firm")
    firm = Firm.objects.get(organisation=org)
    assert firm.uscc == org.uscc and firm.name == org.name
    with pytest.raises(DomainError, match="已登记"):
        services.firm_create(actor=None, name="重复", uscc=org.uscc, kind="private")
    with pytest.raises(DomainError, match="校验位"):
        services.firm_create(actor=None, name="坏码", uscc="91420111MA00000031", kind="private")


def test_import_creates_all_rows_with_tags_and_contacts(world):
    content = _xlsx([_row(900, "武汉示例甲文化有限公司"), _row(901, "武汉示例乙文化有限公司")])
    result = services.firm_import(actor=world["liaison"], content=content)
    assert result.ok and len(result.created) == 2
    firm = Firm.objects.get(organisation__uscc=demo_uscc("91420111", 900))
    assert firm.cluster.code == "cyds" and firm.size == "small" and firm.party_org == "none"
    assert sorted(t.name for t in firm.tags.all()) == ["文化企业", "科技型企业"]
    assert firm.contacts.get().phone == "027-87650000"
    assert firm.organisation.kind == Organisation.Kind.FIRM


def test_import_is_all_or_nothing_with_a_row_level_report(world):
    before = Firm.objects.count()
    content = _xlsx(
        [
            _row(902, "武汉示例丙有限公司"),
            _row(903, "武汉示例丁有限公司", uscc="91420111MA00000031", credit_grade="Z"),
            _row(902, "武汉示例重复有限公司"),
            _row(904, "", kind="外星企业", cluster="不存在的集聚区"),
            _row(3, "武汉示例科技有限公司"),
        ]
    )
    result = services.firm_import(actor=world["liaison"], content=content)
    assert not result.ok and result.created == []
    report = {(e.row, e.field) for e in result.errors}
    assert report == {
        (3, "uscc"),
        (3, "credit_grade"),
        (4, "uscc"),
        (5, "name"),
        (5, "kind"),
        (5, "cluster"),
        (6, "uscc"),
    }
    assert "与第 2 行的信用代码重复" in {e.reason for e in result.errors}
    assert Firm.objects.count() == before


def test_import_rejects_a_file_that_is_not_the_template(world):
    with pytest.raises(DomainError, match="无法读取"):
        services.firm_import(actor=None, content=b"not excel")
    with pytest.raises(DomainError, match="缺少必需的列"):
        services.firm_import(actor=None, content=_xlsx([], header=["名称"]))
    assert not services.firm_import(actor=None, content=_xlsx([])).ok


def test_a_file_declaring_every_cell_is_refused_by_its_rows_not_read_in_full(world):
    """1 048 576 declared rows of 16 384 columns and a value in the last row: the import names
    the row limit instead of spending minutes padding a million rows."""
    header = [label for label, _ in IMPORT_COLUMNS]
    content = xlsx_declaring_every_cell([header, _row(905, "武汉示例戊有限公司")])
    with pytest.raises(DomainError, match="数据超过 5000 行的上限（第 1048576 行）"):
        services.firm_import(actor=world["liaison"], content=content)
    content = xlsx_declaring_every_cell(
        [header, _row(905, "武汉示例戊有限公司")], last_row_value=None
    )
    result = services.firm_import(actor=world["liaison"], content=content)
    assert result.ok and [f.name for f in result.created] == ["武汉示例戊有限公司"]


def test_a_zip_bomb_is_refused_before_it_is_inflated(world):
    content = xlsx_with_part("xl/worksheets/sheet1.xml", 64 * 1024 * 1024)
    with pytest.raises(DomainError, match="解压后超过 32 MB 的上限"):
        services.firm_import(actor=world["liaison"], content=content)


def test_import_page_and_template(client, world):
    client.force_login(world["liaison"])
    template = client.get("/enterprises/import/template.xlsx")
    wb = load_workbook(BytesIO(template.content))
    assert [c.value for c in wb.active[1]] == [label for label, _ in IMPORT_COLUMNS]
    # the template's example row itself is valid
    result = services.firm_import(actor=None, content=template.content)
    assert result.ok
    bad = _xlsx([_row(905, "武汉示例戊有限公司", credit_grade="Q")])
    response = client.post("/enterprises/import/", {"file": BytesIO(bad)}, format="multipart")
    html = response.content.decode()
    assert response.status_code == 400
    assert "导入未执行" in html and "纳税信用等级" in html


def test_public_cluster_page_shows_instructor_cards_without_login(client, world):
    html = client.get("/enterprises/clusters/cyds/").content.decode()
    assert "王强" in html and "027-87000000" in html and "服务承诺" in html
    assert "每月至少一次" in html
    assert client.get("/enterprises/clusters/").status_code == 200
    assert client.get("/enterprises/clusters/nope/").status_code == 404


def test_permission_matrix(client, world):
    own = Firm.objects.get(organisation__code="demo-firm")
    other = Firm.objects.get(organisation__code="demo-taxagent")
    check_matrix(
        client,
        {
            "/enterprises/": {
                "liaison": 200,
                "editor": 200,
                "enterprise": 200,
                "judge": 403,
                ANONYMOUS: 302,
            },
            f"/enterprises/{own.pk}/": {"liaison": 200, "enterprise": 200, "volunteer": 404},
            f"/enterprises/{other.pk}/": {"instructor": 200, "enterprise": 404, "volunteer": 200},
            "/enterprises/import/": {
                "liaison": 200,
                "instructor": 200,
                "editor": 403,
                "enterprise": 403,
            },
            "/enterprises/clusters/whsq/": {ANONYMOUS: 200},
            "/enterprises/clusters/": {ANONYMOUS: 200, "enterprise": 200},  # public
            "/enterprises/import/template.xlsx": {
                "liaison": 200,
                "instructor": 200,
                "editor": 403,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            "/api/v1/enterprises/firms": {
                ANONYMOUS: 401,
                "enterprise": 200,
                "liaison": 200,
                "judge": 403,
            },
        },
        world,
    )


def test_firms_api_is_scoped(client, world):
    client.force_login(world["enterprise"])
    names = [f["name"] for f in client.get("/api/v1/enterprises/firms").json()]
    assert names == ["武汉示例科技有限公司"]
    client.force_login(world["liaison"])
    assert len(client.get("/api/v1/enterprises/firms").json()) == Firm.objects.count()


def test_instructor_publishes_card_commitment_and_takes_on_a_firm(client, world):
    from qinqing.enterprises.models import InstructorAssignment

    instructor = world["instructor"]
    client.force_login(instructor)
    client.post(
        "/enterprises/my-card/", {"form": "card", "display_name": "王强", "phone": "027-87000001"}
    )
    client.post(
        "/enterprises/my-card/",
        {"form": "commitment", "cluster": "whsq", "text": "每周三下午在商圈党群服务中心坐班答疑。"},
    )
    firm = Firm.objects.get(organisation__code="demo-firm")
    client.post("/enterprises/my-card/", {"form": "assign", "uscc": firm.uscc.lower()})
    assert InstructorAssignment.objects.filter(instructor=instructor, firm=firm).exists()
    client.logout()
    html = client.get("/enterprises/clusters/whsq/").content.decode()
    assert "027-87000001" in html and "每周三下午在商圈党群服务中心坐班答疑。" in html
    bad = client.post("/enterprises/my-card/", {"form": "assign", "uscc": "nope"})
    assert bad.status_code == 302  # anonymous now: redirected to the login page
    check_matrix(
        client,
        {
            "/enterprises/my-card/": {
                "instructor": 200,
                "liaison": 403,
                "enterprise": 403,
                ANONYMOUS: 302,
            }
        },
        world,
    )


def test_text_longer_than_its_column_is_a_field_message_not_a_500(client, world):
    """A 300-character name on the card or in an import row: 500 on PostgreSQL."""
    from qinqing.enterprises.models import InstructorProfile

    client.force_login(world["instructor"])
    card = {"form": "card", "display_name": "名" * 51, "phone": "027-87000001"}
    response = client.post("/enterprises/my-card/", card)
    assert response.status_code == 400 and "公开姓名不能超过 50 个字符" in response.content.decode()
    response = client.post("/enterprises/my-card/", {**card, "display_name": "王强"})
    assert response.status_code == 302 and InstructorProfile.objects.get().display_name == "王强"
    response = client.post(
        "/enterprises/my-card/", {"form": "commitment", "cluster": "whsq", "text": "答" * 501}
    )
    assert response.status_code == 400 and "承诺内容不能超过 500 个字" in response.content.decode()

    rows = [
        _row(906, "名" * 201, street="街" * 51, tags="标" * 51, contact_phone="1" * 21),
        _row(907, "武汉示例己有限公司", contact_name="人" * 51),
    ]
    result = services.firm_import(actor=world["liaison"], content=_xlsx(rows))
    assert not result.ok and result.created == []
    assert {(e.row, e.field) for e in result.errors} == {
        (2, "name"),
        (2, "street"),
        (2, "tags"),
        (2, "contact_phone"),
        (3, "contact_name"),
    }
    assert "名称不能超过 200 个字符" in {e.reason for e in result.errors}
