"""The administrator's and the judge's forms drive the services (fast-track demo case)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from qinqing.bankruptcy import demo, rules
from qinqing.bankruptcy.models import Case, Claim, Installment, Meeting


@pytest.fixture
def fast(bk_demo):
    return Case.objects.get(number=demo.FAST_TRACK_NUMBER)


def test_review_employee_claims_draft_schedule_and_meeting(client, bk_demo, fast):
    client.force_login(bk_demo["administrator"])
    base = f"/bankruptcy/cases/{fast.pk}"
    response = client.post(
        f"{base}/employee-claims/", {"employee_name": "职工12人", "amount": "64000"}
    )
    assert response.status_code == 302
    assert fast.claims.filter(rank=Claim.Rank.EMPLOYEE, status=Claim.Status.ADMITTED).exists()

    claims = list(fast.claims.filter(status=Claim.Status.FILED))
    response = client.post(
        f"/bankruptcy/claims/{claims[0].pk}/review/",
        {"admitted_amount": "99999999", "reason": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "确认金额不能超过申报金额" in response.content.decode()
    for claim in claims:
        response = client.post(
            f"/bankruptcy/claims/{claim.pk}/review/",
            {"admitted_amount": str(claim.declared_amount), "reason": "证据充分"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200 and "审查确认" in response.content.decode()
    assert client.post(f"{base}/claims/publish/").status_code == 302
    assert fast.claims.get(pk=claims[0].pk).status == Claim.Status.ADMITTED

    client.post(f"{base}/agreements/new/", {"rate": "80", "summary": "八成清偿"})
    agreement = fast.agreements.get()
    assert {t.agreed_amount for t in agreement.terms.all()} == {
        Decimal("54400.00"),
        Decimal("33600.00"),
    }
    assert {t.tier for t in agreement.terms.all()} == {"统一清偿80%"}  # not "8E+1%"
    fast.refresh_from_db()
    meeting_day = fast.declaration_end + timedelta(days=5)
    client.post(
        f"{base}/meetings/new/",
        {
            "date": meeting_day.isoformat(),
            "notice_date": (meeting_day - timedelta(days=14)).isoformat(),
            "reconciliation": "1",
        },
    )
    assert not Meeting.objects.filter(case=fast).exists()  # 14 days' notice is refused
    client.post(
        f"{base}/meetings/new/",
        {
            "date": meeting_day.isoformat(),
            "notice_date": (meeting_day - timedelta(days=15)).isoformat(),
            "reconciliation": "1",
            "ordinary_title": "管理人报酬方案",
        },
    )
    assert Meeting.objects.get(case=fast).items.count() == 2

    client.post(
        f"/bankruptcy/agreements/{agreement.pk}/schedule/",
        {"first": "2027-03-01", "count": "3", "interval": "4"},
    )
    installments = Installment.objects.filter(term__agreement=agreement)
    assert installments.count() == 6
    term = agreement.terms.get(agreed_amount=Decimal("33600.00"))
    assert sum(i.amount for i in term.installments.all()) == Decimal("33600.00")
    assert [i.due_date.isoformat() for i in term.installments.all()] == [
        "2027-03-01",
        "2027-07-01",
        "2027-11-01",
    ]


def test_creditor_objects_to_its_reviewed_claim(client, bk_demo):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    claim = Claim.objects.get(case=voting, creditor__organisation__code="demo-supplier")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ADMITTED)
    client.force_login(bk_demo["creditor"])
    client.post(f"/bankruptcy/claims/{claim.pk}/object/", {"text": "利息少算"})
    claim.refresh_from_db()
    assert claim.objection == "利息少算"
    other = Claim.objects.filter(case=voting).exclude(pk=claim.pk).first()
    assert client.post(f"/bankruptcy/claims/{other.pk}/object/", {"text": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("https://evil.example/login", "/bankruptcy/my/"),
        ("//evil.example/", "/bankruptcy/my/"),
        ("/\\evil.example/", "/bankruptcy/my/"),
        ("javascript:alert(1)", "/bankruptcy/my/"),
        ("/bankruptcy/public/", "/bankruptcy/public/"),
    ],
)
def test_the_way_back_after_an_objection_stays_on_this_site(client, bk_demo, next_url, location):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    claim = Claim.objects.get(case=voting, creditor__organisation__code="demo-supplier")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ADMITTED)
    client.force_login(bk_demo["creditor"])
    response = client.post(
        f"/bankruptcy/claims/{claim.pk}/object/", {"text": "利息少算", "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == location


def test_creditor_confirms_only_its_own_payments(client, bk_demo):
    from qinqing.bankruptcy.models import Payment
    from qinqing.bankruptcy.selectors import payments_for

    mine = Payment.objects.filter(term__creditor__organisation__code="demo-supplier").first()
    other = Payment.objects.exclude(term__creditor__organisation__code="demo-supplier").first()
    assert set(payments_for(user=bk_demo["creditor"])) == set(
        Payment.objects.filter(term__creditor__organisation__code="demo-supplier")
    )
    assert payments_for(user=bk_demo["judge"]).count() == Payment.objects.count()
    client.force_login(bk_demo["creditor"])
    assert client.post(f"/bankruptcy/payments/{other.pk}/confirm/").status_code == 404
    assert client.post(f"/bankruptcy/payments/{mine.pk}/confirm/").status_code == 302
    mine.refresh_from_db()
    assert mine.receipt_confirmed_on is not None
    client.force_login(bk_demo["judge"])
    assert client.post(f"/bankruptcy/payments/{mine.pk}/confirm/").status_code == 403


def test_evidence_files_are_checked(bk_demo, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qinqing.bankruptcy import services
    from qinqing.core.errors import DomainError

    settings.MEDIA_ROOT = tmp_path  # never the real var/
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    kwargs = dict(actor=bk_demo["administrator"], case=fast, creditor_name="某证据", principal="1")
    with pytest.raises(DomainError) as exc:
        services.claim_file(
            evidence=[SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")],
            **kwargs,
        )
    assert exc.value.field == "evidence"
    claim = services.claim_file(
        evidence=[SimpleUploadedFile("合同.pdf", b"%PDF-1.4", content_type="application/pdf")],
        **kwargs,
    )
    assert claim.evidence.get().name == "合同.pdf"
    assert (tmp_path / claim.evidence.get().file.name).exists()


def test_judge_opens_and_announces_a_case_through_the_pages(client, bk_demo):
    from qinqing.core.demo import demo_uscc
    from qinqing.core.models import Organisation
    from qinqing.core.services import organisation_create

    debtor = organisation_create(
        actor=None,
        kind=Organisation.Kind.FIRM,
        name="武汉示例页面测试有限公司",
        code="bk-page-test",
        uscc=demo_uscc("91420111", 950),
    )
    lawfirm = Organisation.objects.get(code="demo-lawfirm")
    client.force_login(bk_demo["judge"])
    data = {
        "number": "（2025）鄂0111破1",
        "debtor": debtor.pk,
        "administrator": lawfirm.pk,
        "petition_date": "2025-03-03",
        "acceptance_date": "2025-03-10",
    }
    response = client.post("/bankruptcy/cases/new/", data)
    assert response.status_code == 200 and "案号格式应为" in response.content.decode()
    response = client.post("/bankruptcy/cases/new/", {**data, "number": "（2025）鄂0111破1号"})
    assert response.status_code == 302
    case = Case.objects.get(number="（2025）鄂0111破1号")
    assert case.court.code == "hs-court" and case.judge == bk_demo["judge"]
    client.post(
        f"/bankruptcy/cases/{case.pk}/announce/",
        {"announcement_date": "2025-03-14", "declaration_end": "2025-04-10"},
    )
    case.refresh_from_db()
    assert case.announcement_date is None  # 27 days: Art.45 refuses
    client.post(
        f"/bankruptcy/cases/{case.pk}/announce/",
        {"announcement_date": "2025-03-14", "declaration_end": "2025-04-14"},
    )
    case.refresh_from_db()
    assert case.declaration_end.isoformat() == "2025-04-14"
    page = client.get(f"/bankruptcy/cases/{case.pk}/").content.decode()
    assert "第45条" in page and "第62条" in page


def test_evidence_download_is_limited_to_the_case(client, bk_demo, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qinqing.bankruptcy import services

    settings.MEDIA_ROOT = tmp_path
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    claim = services.claim_file(
        actor=bk_demo["administrator"],
        case=fast,
        creditor_name="某证据",
        principal="1",
        evidence=[
            SimpleUploadedFile("欠条.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
        ],
    )
    url = f"/bankruptcy/evidence/{claim.evidence.get().pk}/"
    client.force_login(bk_demo["judge"])
    response = client.get(url)
    assert (
        response.status_code == 200
        and b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n...."
    )
    client.force_login(bk_demo["creditor"])  # not this creditor's claim
    assert client.get(url).status_code == 404


def test_tick_command_sends_deadline_alerts_once_a_day(bk_demo):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command

    from qinqing.core.models import Notification

    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    # 12 days after the declaration period: the first meeting (Art.62, 15 days) is due soon
    later = fast.declaration_end + timedelta(days=12)
    out = StringIO()
    call_command("bankruptcy_tick", f"--today={later}", stdout=out)
    assert "期限提醒" in out.getvalue()
    alerts = Notification.objects.filter(subject__contains="召开第一次债权人会议")
    assert alerts.filter(recipient=bk_demo["judge"]).count() == 1
    assert alerts.filter(recipient=bk_demo["administrator"]).count() == 1
    call_command("bankruptcy_tick", f"--today={later}", stdout=StringIO())
    assert alerts.count() == 2


def test_a_registered_proxy_signs_in_and_votes_for_its_principal(client, bk_demo):
    from qinqing.bankruptcy.models import AgendaItem, Ballot, Creditor
    from qinqing.core.models import Organisation
    from qinqing.core.roles import Role
    from qinqing.core.services import role_grant_add

    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    principal = Creditor.objects.get(case=voting, name="武汉示例运输有限公司")  # absent so far
    lawyer = type(bk_demo["creditor"]).objects.create_user("lawyer", password="x")
    client.force_login(bk_demo["administrator"])
    url = f"/bankruptcy/meetings/{meeting.pk}/proxy/"
    client.post(url, {"creditor": principal.pk, "username": "lawyer", "name": "王律师"})
    assert not principal.proxies.exists()  # the account needs the creditor role
    role_grant_add(
        actor=None,
        user=lawyer,
        role=Role.CREDITOR,
        organisation=Organisation.objects.get(code="demo-lawfirm"),
    )
    client.post(url, {"creditor": principal.pk, "username": "lawyer", "name": "王律师"})
    assert principal.proxies.get().name == "王律师"

    client.force_login(lawyer)
    assert client.get(f"/bankruptcy/meetings/{meeting.pk}/").status_code == 200
    client.post(f"/bankruptcy/meetings/{meeting.pk}/sign-in/", {"creditor": principal.pk})
    item = meeting.items.get(kind=AgendaItem.Kind.ORDINARY)
    client.post(f"/bankruptcy/items/{item.pk}/vote/", {"creditor": principal.pk, "vote": "no"})
    ballot = Ballot.objects.get(item=item, creditor=principal)
    assert ballot.vote == "no" and ballot.cast_by == lawyer
    assert meeting.attendances.get(creditor=principal).proxy_name == "王律师"
    other = Creditor.objects.get(case=voting, name="武汉示例化工原料有限公司")
    response = client.post(
        f"/bankruptcy/items/{item.pk}/vote/", {"creditor": other.pk, "vote": "no"}
    )
    assert response.status_code == 404


def test_creditor_consents_to_a_self_settlement_art105(client, bk_demo):
    from qinqing.bankruptcy import selectors, services
    from qinqing.bankruptcy.models import Agreement, Creditor

    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    voting.agreements.update(status=Agreement.Status.TERMINATED)
    creditors = [
        c for c in Creditor.objects.filter(case=voting) if not c.claims.filter(secured=True)
    ]
    agreement = services.agreement_draft(
        actor=bk_demo["administrator"],
        case=voting,
        kind=Agreement.Kind.SELF_SETTLEMENT,
        # the employees and the tax office (paid outside the agreement) consent to a term of 0
        offers=[(c, "1" if selectors.agreement_claim(c) else "0", "") for c in creditors],
    )
    mine = agreement.terms.get(creditor__organisation__code="demo-supplier")
    other = agreement.terms.exclude(pk=mine.pk).first()
    client.force_login(bk_demo["creditor"])
    assert "同意自行和解" in client.get("/bankruptcy/my/").content.decode()
    assert client.post(f"/bankruptcy/terms/{other.pk}/consent/").status_code == 404
    client.post(f"/bankruptcy/terms/{mine.pk}/consent/")
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.consented_on is not None and other.consented_on is None


def test_the_judge_adjusts_the_courts_fast_track_profile(client, bk_demo):
    from qinqing.bankruptcy import selectors
    from qinqing.bankruptcy.models import FastTrackProfile
    from qinqing.core.models import AuditEntry

    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    assert selectors.fast_track_result(fast).eligible  # 2 creditors, Hubei default (< 20)
    client.force_login(bk_demo["judge"])
    assert client.get("/bankruptcy/fast-track/").status_code == 200
    profile = FastTrackProfile.objects.get(court__code="hs-court", is_default=True)
    data = {
        "name": profile.name,
        "max_creditors": "0",
        "max_amount": "5000000",
        **{f"trigger_{key}": "on" for key in rules.FAST_TRACK_TRIGGERS},
        **{f"exclude_{key}": "on" for key in rules.FAST_TRACK_EXCLUSIONS},
        "time_limit_months": "6",
        "ruling_working_days": "5",
    }
    response = client.post("/bankruptcy/fast-track/", data)
    assert response.status_code == 200  # 0 creditors is refused
    client.post("/bankruptcy/fast-track/", {**data, "max_creditors": "2"})
    profile.refresh_from_db()
    assert profile.max_creditors == 2
    entry = AuditEntry.objects.filter(action="fast_track_profile.update").get()
    assert entry.detail == {"before": {"max_creditors": "20"}, "after": {"max_creditors": "2"}}
    fast.refresh_from_db()
    result = selectors.fast_track_result(fast)
    assert not result.eligible and result.reasons[0].startswith("债权人 2 人，不少于 2 人")
    page = client.get(f"/bankruptcy/cases/{fast.pk}/").content.decode()
    assert "不具备" in page and "终结本次执行后移送破产" in page  # every trigger, which applied
    # A court that does not use a trigger switches it off; at least one must stay.
    client.post(
        "/bankruptcy/fast-track/", {**data, "max_creditors": "2", "trigger_few_and_small": ""}
    )
    profile.refresh_from_db()
    assert profile.trigger_few_and_small is False
    none = {k: v for k, v in data.items() if not k.startswith("trigger_")}
    assert client.post("/bankruptcy/fast-track/", none).status_code == 200
    profile.refresh_from_db()
    assert profile.trigger_parties_agree is True
    client.force_login(bk_demo["administrator"])
    assert client.get("/bankruptcy/fast-track/").status_code == 403
