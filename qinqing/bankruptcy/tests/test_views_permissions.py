"""Permission matrix (URL × user → status) and page smoke tests on the demo data."""

import pytest

from qinqing.bankruptcy import demo
from qinqing.bankruptcy.models import Agreement, Case, Meeting
from qinqing.core.models import Organisation
from qinqing.core.roles import Role
from qinqing.core.services import organisation_create, role_grant_add
from qinqing.core.testing import ANONYMOUS, check_matrix


@pytest.fixture
def users(bk_demo, django_user_model):
    """The demo users plus a judge of another court and an administrator of another firm."""
    other_court = organisation_create(
        actor=None, kind=Organisation.Kind.COURT, name="武汉市示例区人民法院", code="other-court"
    )
    other_firm = Organisation.objects.get(code="demo-taxagent")
    judge2 = django_user_model.objects.create_user("judge2", password="x")
    admin2 = django_user_model.objects.create_user("admin2", password="x")
    role_grant_add(actor=None, user=judge2, role=Role.JUDGE, organisation=other_court)
    role_grant_add(actor=None, user=admin2, role=Role.ADMINISTRATOR, organisation=other_firm)
    return {**bk_demo, "judge2": judge2, "admin2": admin2}


def test_permission_matrix(client, users):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    mine = Case.objects.get(number="（2021）鄂0111破3号")  # demo-supplier is a creditor
    other = Case.objects.get(number="（2022）鄂0111破5号")  # demo-supplier is not
    meeting = Meeting.objects.get(case=voting)
    other_meeting = Meeting.objects.get(case=other)
    my_agreement = Agreement.objects.get(case=mine)
    other_agreement = Agreement.objects.get(case=other)
    staff_only = {"judge": 200, "administrator": 200, "creditor": 403, "judge2": 404, "admin2": 404}
    _seat_for_the_demo_creditor(voting, users)
    committee_page = {
        "judge": 200,
        "administrator": 200,
        "creditor": 200,  # holds a seat on the voting case's committee
        "enterprise": 403,
        "judge2": 404,
        "admin2": 404,
        ANONYMOUS: 302,
    }
    matrix = {
        f"/bankruptcy/cases/{voting.pk}/committee/": committee_page,
        f"/api/v1/bankruptcy/cases/{voting.pk}/committee": {**committee_page, ANONYMOUS: 401},
        # a creditor of the fast-track case without a seat (there is no committee)
        f"/bankruptcy/cases/{fast.pk}/committee/": {"creditor": 404, "judge": 200},
        f"/bankruptcy/cases/{other.pk}/committee/": {"creditor": 404, "administrator": 200},
        "/bankruptcy/": {
            ANONYMOUS: 302,
            "judge": 200,
            "administrator": 200,
            "creditor": 200,
            "editor": 403,
            "enterprise": 403,
            "judge2": 200,
        },
        f"/bankruptcy/cases/{voting.pk}/": {
            ANONYMOUS: 302,
            "judge": 200,
            "administrator": 200,
            "creditor": 200,
            "enterprise": 403,
            "judge2": 404,
            "admin2": 404,
        },
        f"/bankruptcy/cases/{other.pk}/": {"creditor": 404, "judge": 200, "administrator": 200},
        f"/bankruptcy/cases/{voting.pk}/claims-table/": {
            "creditor": 200,
            "judge": 200,
            "administrator": 200,
            "judge2": 404,
            "enterprise": 403,
        },
        f"/bankruptcy/cases/{other.pk}/claims-table/": {"creditor": 404},
        f"/bankruptcy/cases/{voting.pk}/assessment/": staff_only,
        f"/api/v1/bankruptcy/cases/{voting.pk}/bases": staff_only,
        f"/bankruptcy/cases/{voting.pk}/claims/": staff_only,
        f"/bankruptcy/cases/{voting.pk}/claims/import/": {
            "administrator": 200,
            "judge": 403,
            "creditor": 403,
            "admin2": 404,
        },
        "/bankruptcy/claims/template.xlsx": {"administrator": 200, "creditor": 403, "judge": 403},
        f"/bankruptcy/cases/{fast.pk}/file/": {
            "creditor": 200,
            "judge": 403,
            "administrator": 403,
            ANONYMOUS: 302,
        },
        f"/bankruptcy/cases/{other.pk}/file/": {"creditor": 404},  # closed case
        f"/bankruptcy/meetings/{meeting.pk}/": {
            "judge": 200,
            "administrator": 200,
            "creditor": 200,
            "enterprise": 403,
            "judge2": 404,
        },
        f"/bankruptcy/meetings/{other_meeting.pk}/": {"creditor": 404, "judge": 200},
        f"/bankruptcy/meetings/{meeting.pk}/tally/": {
            "judge": 200,
            "administrator": 200,
            "creditor": 403,
        },
        "/bankruptcy/my/": {"creditor": 200, "judge": 403, "administrator": 403, ANONYMOUS: 302},
        f"/bankruptcy/agreements/{my_agreement.pk}/": {
            "creditor": 200,
            "judge": 200,
            "administrator": 200,
            "admin2": 404,
        },
        f"/bankruptcy/agreements/{other_agreement.pk}/": {"creditor": 404, "judge": 200},
        "/bankruptcy/public/": {ANONYMOUS: 200, "creditor": 200, "enterprise": 200},
        f"/bankruptcy/public/{fast.pk}/file/": {ANONYMOUS: 200, "judge": 200},
        f"/bankruptcy/public/{other.pk}/file/": {ANONYMOUS: 404},
        f"/bankruptcy/public/meetings/{meeting.pk}/": {ANONYMOUS: 200, "creditor": 200},
        f"/bankruptcy/public/meetings/{other_meeting.pk}/": {ANONYMOUS: 404},
        "/bankruptcy/fast-track/": {
            "judge": 200,
            "judge2": 200,
            "administrator": 403,
            "creditor": 403,
            ANONYMOUS: 302,
        },
        "/bankruptcy/dashboard/": {
            "judge": 200,
            "editor": 200,
            "admin": 200,
            "creditor": 403,
            "administrator": 403,
        },
    }
    check_matrix(client, matrix, users)


def _seat_for_the_demo_creditor(case, users):
    """A committee on ``case`` with the demo creditor's firm as a creditors' representative."""
    from qinqing.bankruptcy import services

    admin = users["administrator"]
    committee = services.committee_create(actor=admin, case=case, chosen_on=case.acceptance_date)
    services.committee_member_add(
        actor=admin,
        committee=committee,
        kind="creditor",
        creditor=case.creditors.get(organisation__code="demo-supplier"),
        name="建材公司代表",
        added_on=case.acceptance_date,
    )
    return committee


def test_post_actions_respect_roles(client, users):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    committee = _seat_for_the_demo_creditor(voting, users)
    committee_url = f"/bankruptcy/cases/{voting.pk}/committee/"
    executing = Agreement.objects.get(case__number="（2021）鄂0111破3号")  # the creditor's case
    status = executing.status
    bank_claim = voting.claims.get(secured=True)
    matrix = {
        f"/bankruptcy/cases/{voting.pk}/decide/": {
            "creditor": 403,
            "administrator": 403,
            "judge2": 404,
        },
        f"/bankruptcy/meetings/{meeting.pk}/close/": {"creditor": 403, "judge": 403, "admin2": 404},
        f"/bankruptcy/cases/{voting.pk}/claims/publish/": {"creditor": 403, "judge": 403},
        # Art.103 / Art.104 rulings are the court's: refused before anything is read
        f"/bankruptcy/agreements/{executing.pk}/void/": {
            "creditor": 403,
            "administrator": 403,
            "judge2": 404,
        },
        f"/bankruptcy/agreements/{executing.pk}/terminate/": {"creditor": 403, "admin2": 404},
        # ordering a claim subordinated (法〔2018〕53号 §28) is the court's
        f"/bankruptcy/claims/{bank_claim.pk}/subordinate/": {
            "creditor": 404,
            "administrator": 403,
            "judge2": 404,
            "admin2": 404,
        },
    }
    check_matrix(client, matrix, users, method="post")
    executing.refresh_from_db()
    assert executing.status == status
    # The committee: the court approves its membership, the administrator reports and records;
    # a creditor member only reads, acknowledges and signs.
    for username, form, expected in (
        ("creditor", "approve", 403),
        ("administrator", "approve", 403),
        ("judge", "report", 403),
        ("creditor", "report", 403),
        ("creditor", "decision", 403),
        ("judge2", "approve", 404),
        ("admin2", "member", 404),
        ("judge", "nonsense", 404),
    ):
        client.force_login(users[username])
        assert client.post(committee_url, {"form": form}).status_code == expected, username
    committee.refresh_from_db()
    assert committee.approved_on is None and not voting.art69_reports.exists()


def test_creditor_sees_only_its_own_claims_and_terms(client, users):
    mine = Case.objects.get(number="（2021）鄂0111破3号")
    agreement = Agreement.objects.get(case=mine)
    client.force_login(users["creditor"])
    page = client.get(f"/bankruptcy/agreements/{agreement.pk}/").content.decode()
    assert "武汉示例建材有限公司" in page
    assert "武汉示例钢材贸易有限公司" not in page
    home = client.get("/bankruptcy/my/").content.decode()
    assert "（2023）鄂0111破7号" in home and "（2022）鄂0111破5号" not in home
    claims = client.get(f"/api/v1/bankruptcy/cases/{mine.pk}/claims").json()
    assert [c["creditor"] for c in claims] == ["武汉示例建材有限公司"]


def test_staff_pages_render_reports_and_tally(client, users):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    client.force_login(users["judge"])
    page = client.get(f"/bankruptcy/cases/{voting.pk}/assessment/").content.decode()
    assert "模拟破产清算" in page and "受益？" in page and "普通债权" in page
    meeting = Meeting.objects.get(case=voting)
    page = client.get(f"/bankruptcy/meetings/{meeting.pk}/").content.decode()
    assert "2/3" in page and "1/2" in page and "有担保未放弃优先权" in page
    assert "示例农村商业银行洪山支行（有担保未放弃优先权" in page
    page = client.get("/bankruptcy/dashboard/?from=2021-01-01&to=2024-12-31").content.decode()
    assert 'data-chart="chart-bankruptcy-amounts"' in page and "30,550,000.00" in page
    assert '<th scope="row">2022年</th><td class="num">1,265.00</td>' in page  # 万元, grouped
    page = client.get("/bankruptcy/").content.decode()
    assert demo.FAST_TRACK_NUMBER in page and "快审" in page


def test_claims_table_is_open_to_the_case_creditors_without_contact_data(client, users):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    client.force_login(users["creditor"])
    page = client.get(f"/bankruptcy/cases/{voting.pk}/claims-table/").content.decode()
    assert "武汉示例化工原料有限公司" in page and "示例农村商业银行洪山支行" in page
    assert "证据" not in page and "联系电话" not in page


def test_case_list_queries_do_not_grow_with_cases(client, users, django_assert_max_num_queries):
    client.force_login(users["judge"])
    client.get("/bankruptcy/")  # warm the session
    with django_assert_max_num_queries(10):  # 7 cases: one query for all meetings
        assert client.get("/bankruptcy/").status_code == 200


def test_the_other_routes_respect_roles_and_organisations(client, users):
    """The writes of each party (the court, the administrator, the creditor), the case's
    creation page, the evidence and the public per-creditor view: refused to other roles (403),
    another court's or firm's objects are 404, nobody signed out gets past the sign-in."""
    from qinqing.bankruptcy.models import (
        AgendaItem,
        AgreementTerm,
        Art69Report,
        ClaimEvidence,
        CommitteeVote,
        Payment,
    )

    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    claim = voting.claims.order_by("pk").first()
    agreement = Agreement.objects.get(case__number="（2021）鄂0111破3号")
    item = AgendaItem.objects.filter(meeting=meeting).order_by("pk").first()
    term = AgreementTerm.objects.order_by("pk").first()
    payment = Payment.objects.order_by("pk").first()
    report = Art69Report.objects.order_by("pk").first()
    vote = CommitteeVote.objects.order_by("pk").first()
    check_matrix(
        client,
        {
            "/bankruptcy/cases/new/": {
                ANONYMOUS: 302,
                "judge": 200,
                "administrator": 403,
                "creditor": 403,
                "enterprise": 403,
            },
            # public by design: an account-less creditor identifies with an SMS code
            f"/bankruptcy/public/{voting.pk}/mine/": {ANONYMOUS: 200, "creditor": 200},
        },
        users,
    )
    # A role without the action is refused before the case is read (403); a court or firm
    # with the action but not on this case gets a 404.
    staff = {ANONYMOUS: 302, "creditor": 403, "enterprise": 403, "judge2": 404, "admin2": 404}
    court = {**staff, "administrator": 403, "admin2": 403}
    administrator = {**staff, "judge": 403, "judge2": 403}
    # writes on a claim, an agreement or a meeting read the object first: any other court 404
    administrator_object = {**staff, "judge": 403}
    creditor = {ANONYMOUS: 302, "judge": 403, "administrator": 403, "enterprise": 403}
    # what a party may do ends in a redirect with the form's error (the empty POST)
    meetings = {**staff, "creditor": 302}  # creditors may ask for a meeting (Art.62)
    objecting = {**staff, "creditor": 302}  # a creditor objects to a claim (Art.58)
    matrix = {
        f"/bankruptcy/cases/{voting.pk}/announce/": court,
        f"/bankruptcy/cases/{voting.pk}/settings/": court,
        # the court or the administrator convenes a meeting
        f"/bankruptcy/cases/{voting.pk}/meetings/new/": {**staff, "judge2": 403},
        f"/bankruptcy/cases/{voting.pk}/meetings/request/": meetings,
        f"/bankruptcy/cases/{voting.pk}/employee-claims/": administrator,
        f"/bankruptcy/cases/{voting.pk}/agreements/new/": administrator,
        f"/bankruptcy/cases/{voting.pk}/claims/confirm/": court,
        f"/bankruptcy/agreements/{agreement.pk}/schedule/": administrator_object,
        f"/bankruptcy/claims/{claim.pk}/object/": objecting,
        f"/bankruptcy/claims/{claim.pk}/review/": administrator_object,
        # the court sets a provisional amount for voting (Art.59)
        f"/bankruptcy/claims/{claim.pk}/provisional/": {**staff, "judge": 302},
        f"/bankruptcy/claims/{claim.pk}/priority-paid/": administrator_object,
        f"/bankruptcy/meetings/{meeting.pk}/proxy/": administrator_object,
        f"/bankruptcy/meetings/{meeting.pk}/sign-in/": creditor,
        f"/bankruptcy/items/{item.pk}/vote/": creditor,
        f"/bankruptcy/terms/{term.pk}/consent/": creditor,
        f"/bankruptcy/payments/{payment.pk}/confirm/": creditor,
        f"/bankruptcy/art69-reports/{report.pk}/acknowledge/": creditor,
        f"/bankruptcy/committee-votes/{vote.pk}/sign/": creditor,
    }
    check_matrix(client, matrix, users, method="post")
    evidence = ClaimEvidence.objects.order_by("pk").first()
    evidence_pk = evidence.pk if evidence else 0
    check_matrix(
        client,
        {f"/bankruptcy/evidence/{evidence_pk}/": {ANONYMOUS: 302, "judge2": 404, "admin2": 404}},
        users,
    )


def test_api_matrix(client, users):
    """The API's operations: signed out 401, another court's or firm's object 404, a party
    without the action 403 (a well-formed body, so the refusal is the permission's)."""
    from qinqing.bankruptcy.models import AgendaItem, AgreementTerm

    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    item = AgendaItem.objects.filter(meeting=meeting).order_by("pk").first()
    claim = voting.claims.order_by("pk").first()
    agreement = Agreement.objects.get(case__number="（2021）鄂0111破3号")
    term = AgreementTerm.objects.filter(agreement=agreement).order_by("pk").first()
    api = "/api/v1/bankruptcy"
    check_matrix(
        client,
        {
            f"{api}/cases": {ANONYMOUS: 401, "judge": 200, "creditor": 200, "enterprise": 403},
            f"{api}/cases/{voting.pk}": {
                ANONYMOUS: 401,
                "judge": 200,
                "administrator": 200,
                "judge2": 404,
                "enterprise": 403,
            },
            f"{api}/cases/{voting.pk}/claims": {
                ANONYMOUS: 401,
                "administrator": 200,
                "creditor": 200,  # its own claims only
                "admin2": 404,
            },
            f"{api}/items/{item.pk}/tally": {
                ANONYMOUS: 401,
                "judge": 200,
                "judge2": 404,
                "creditor": 400,  # while the vote is open: the result is published at its end
                "enterprise": 403,
            },
            f"{api}/agreements/{agreement.pk}": {
                ANONYMOUS: 401,
                "judge": 200,
                "creditor": 200,
                "admin2": 404,
            },
        },
        users,
    )
    writes = [
        (f"{api}/cases/{fast.pk}/claims", {"principal": "1"}, {"judge": 403, "admin2": 403}),
        (f"{api}/meetings/{meeting.pk}/sign-in", {}, {"judge": 403, "judge2": 404}),
        (f"{api}/items/{item.pk}/ballots", {"vote": "yes"}, {"judge": 403, "judge2": 404}),
        (
            f"{api}/claims/{claim.pk}/review",
            {"admitted_amount": "1", "reason": "x"},
            {"creditor": 403, "judge": 403, "admin2": 404},
        ),
        (
            f"{api}/cases/{voting.pk}/agreements",
            {"rate": "0.5"},
            {"creditor": 403, "judge": 403, "admin2": 404},
        ),
        (
            f"{api}/agreements/{agreement.pk}/approve",
            {"on": "2024-01-02"},
            {"creditor": 403, "administrator": 403, "judge2": 404},
        ),
        (
            f"{api}/terms/{term.pk}/payments",
            {"amount": "1", "paid_on": "2024-01-02"},
            {"creditor": 403, "judge": 403, "admin2": 404},
        ),
    ]
    for url, body, refused in writes:
        check_matrix(
            client,
            {url: {ANONYMOUS: 401, "enterprise": 403, **refused}},
            users,
            method="post",
            data=body,
            content_type="application/json",
        )
