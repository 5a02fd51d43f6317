"""A small bidding world on top of the core demo: specialities, experts, a future session."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qinqing.bidding.draw import services
from qinqing.bidding.experts import imports
from qinqing.bidding.models import RuleSet, Speciality
from qinqing.bidding.projects import services as project_services
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.core.rules import resident_id_check_char

BIDDER_USCCS = [demo_uscc("91420100", 500 + i) for i in range(3)]


def id_number(serial: int, birth: str = "19700101", region: str = "420111") -> str:
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + resident_id_check_char(first17)


def expert_row(code: str, serial: int, **overrides) -> dict[str, str]:
    row = {
        "code": code,
        "name": f"专家{serial}",
        "id_number": id_number(serial),
        "phone": f"139{serial:08d}",
        "employer_name": "示例单位",
        "employer_uscc": demo_uscc("91420100", 900 + serial),
        "region_code": "420102",
        "title": "副高级",
        "specialities": "A0501",
    }
    return {**row, **overrides}


@pytest.fixture
def world(demo_users):
    return build_world(demo_users)


def build_world(demo_users) -> dict:
    Speciality.objects.bulk_create(
        [
            Speciality(code=c, name=n)
            for c, n in [
                ("A05", "设计"),
                ("A0501", "建筑设计"),
                ("A0502", "结构设计"),
                ("B01", "设备"),
            ]
        ]
    )
    rule_set = RuleSet.objects.create(name="工程建设项目招标", kind="construction")
    orgs = {o.code: o for o in Organisation.objects.all()}
    wh, jk = demo_users["centre_wh"], demo_users["centre_jk"]
    imports.experts_import(
        actor=wh,
        database=orgs["whggzy-experts"],
        rows=[expert_row(f"WH-{n:03d}", n) for n in range(1, 9)],
    )
    imports.experts_import(
        actor=jk,
        database=orgs["jkggzy-experts"],
        rows=[expert_row(f"JK-{n:03d}", 100 + n) for n in range(1, 6)],
    )
    starts = timezone.now() + timedelta(days=3)
    section = project_services.project_register(
        actor=wh,
        code="P-001",
        name="示例学生公寓修缮设计",
        tenderer=orgs["demo-tenderer"],
        agency=orgs["demo-agency"],
        supervising_department=orgs["hs-zgj"],
        host_centre=orgs["whggzy"],
        region_code="420111",
        method="comprehensive",
        rule_set=rule_set,
        budget=None,
        section_code="01",
        section_name="设计标段",
        bidders=[
            project_services.BidderIn(u, f"示例投标人{i}") for i, u in enumerate(BIDDER_USCCS)
        ],
    )
    session = project_services.session_schedule(
        actor=wh,
        section=section,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        guest_centres=[orgs["jkggzy"]],
    )
    host = services.quota_set(
        actor=wh,
        session=session,
        centre=orgs["whggzy"],
        speciality_codes=["A05"],
        count=3,
        backups=2,
    )
    guest = services.quota_set(
        actor=jk,
        session=session,
        centre=orgs["jkggzy"],
        speciality_codes=["A0501"],
        count=2,
        backups=1,
    )
    return {
        "orgs": orgs,
        "session": session,
        "host": host,
        "guest": guest,
        "rule_set": rule_set,
        **demo_users,
    }
