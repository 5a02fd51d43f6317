from datetime import date
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "hongshan-brief-2024-07.txt"


@pytest.fixture
def series(demo_users):
    from qinqing.briefing import services
    from qinqing.core.models import Organisation

    return services.series_create(
        actor=demo_users["editor"],
        name="洪山区优化营商环境工作简报",
        code="yshj",
        issuer=Organisation.objects.get(code="hs-fgj"),
        is_public=True,
    )


@pytest.fixture
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def issue7(series, seed_text, demo_users):
    from qinqing.briefing import services

    return services.issue_import(actor=demo_users["editor"], series=series, text=seed_text)


@pytest.fixture
def draft8(series, demo_users):
    from qinqing.briefing import services
    from qinqing.core.models import Organisation

    issue = services.issue_create(
        actor=demo_users["editor"], series=series, number=8, issued_on=date(2024, 10, 31)
    )
    services.article_create(
        actor=demo_users["liaison"],
        issue=issue,
        title="税务服务进园区",
        body="今年以来走访企业 {{fig:firms_visited:2024-01-01:2024-09-30}} 家。\n一、主要做法",
        department=Organisation.objects.get(code="hs-swj"),
    )
    return issue
