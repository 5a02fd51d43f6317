"""The demo's recorded facts yield the seed's three-year numbers through the registered figures."""

from datetime import date
from decimal import Decimal
from io import StringIO

from qinqing.bankruptcy import demo
from qinqing.bankruptcy.models import Case, Meeting
from qinqing.core import figures
from qinqing.core.audit import verify_chain


def value(name, start=date(2021, 1, 1), end=date(2024, 12, 31)):
    return figures.evaluate(figures.get_figure(name), start, end)


def test_seed_numbers_come_out_of_the_recorded_facts(bk_demo):
    assert value("assets_revitalised") > Decimal("30000000")
    assert value("assets_revitalised") == Decimal("30550000.00")
    assert value("debts_resolved") > Decimal("2300000")
    assert value("debts_resolved") == Decimal("2350000.00")
    assert value("repayment_rate_nominal") == Decimal("80.00")
    assert value("repayment_rate_realised") == Decimal("80.00")
    assert value("firms_rescued") == 5
    assert value("median_days_to_approval") == Decimal("57")


def test_in_progress_cases_do_not_count_and_the_window_matters(bk_demo):
    assert value("firms_rescued", date(2022, 1, 1), date(2022, 12, 31)) == 2
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    assert voting.meetings.get().status == Meeting.Status.OPEN
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    assert fast.fast_track and fast.decisions.count() == 1
    assert value("firms_rescued", date(2021, 1, 1), date(2030, 12, 31)) == 5


def test_demo_is_idempotent_and_audited(bk_demo):
    before = Case.objects.count()
    demo.load(stdout=StringIO())
    assert Case.objects.count() == before == 7
    assert verify_chain().ok


def test_figures_api_serves_the_bankruptcy_figures(bk_demo, client):
    client.force_login(bk_demo["editor"])
    response = client.get("/api/v1/figures", {"from": "2021-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    got = {f["name"]: f["value"] for f in response.json()["figures"]}
    assert got["firms_rescued"] == 5
    # Money and rates travel as decimal strings, exact to the cent.
    assert Decimal(got["repayment_rate_realised"]) == Decimal("80")
    assert Decimal(got["debts_resolved"]) == Decimal("2350000")
    assert isinstance(got["debts_resolved"], str)
