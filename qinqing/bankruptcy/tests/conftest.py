from datetime import date
from io import StringIO

import pytest

from qinqing.bankruptcy import demo, services
from qinqing.bankruptcy.tests import scenarios
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.core.services import organisation_create


@pytest.fixture
def bk_demo(demo_users):
    demo.load(stdout=StringIO())
    return demo_users


@pytest.fixture
def world(demo_users):
    orgs = {o.code: o for o in Organisation.objects.all()}
    debtor = organisation_create(
        actor=None,
        kind=Organisation.Kind.FIRM,
        name="武汉示例测试债务人有限公司",
        code="bk-test-debtor",
        uscc=demo_uscc("91420111", 901),
    )
    return {"users": demo_users, "orgs": orgs, "debtor": debtor}


@pytest.fixture
def case(world):
    """A debtor-petition reconciliation case accepted on Mon 2024-03-04."""
    users, orgs = world["users"], world["orgs"]
    return services.case_create(
        actor=users["judge"],
        number="（2024）鄂0111破9号",
        court=orgs["hs-court"],
        debtor=world["debtor"],
        judge=users["judge"],
        petition_date=date(2024, 2, 26),
        acceptance_date=date(2024, 3, 4),
        administrator=orgs["demo-lawfirm"],
    )


@pytest.fixture
def meeting_case(case, world):
    """`scenarios.reconciliation_claims`: announced, claims reviewed and confirmed."""
    return scenarios.reconciliation_claims(case, world)
