"""The creditors' committee (企业破产法 Art.67–69; Interp. III Art.14–15): the rules at their
boundaries, the services (audited), the pages for the administrator, the judge and a creditor
member, the API."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from qinqing.bankruptcy import rules, services
from qinqing.bankruptcy.models import Art69Report, CommitteeMember, CommitteeVote
from qinqing.bankruptcy.rules import RuleError
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Notification

C, E, U = rules.COMMITTEE_CREDITOR, rules.COMMITTEE_EMPLOYEE, rules.COMMITTEE_UNION


# --- Art.67: composition ------------------------------------------------------------------


def test_nine_members_with_one_employee_representative_is_the_largest_committee() -> None:
    assert rules.committee_composition_problems([C] * 8 + [E], complete=True) == []
    ten = rules.committee_composition_problems([C] * 9 + [E], complete=True)
    assert ten == ["债权人委员会成员不得超过9人（第67条第1款），现为10人"]
    # nine creditors' representatives leave no room for the employee representative
    assert rules.committee_composition_problems([C] * 9, complete=False) == []
    assert "职工代表或者工会代表" in rules.committee_composition_problems([C] * 9, complete=True)[0]


def test_exactly_one_employee_or_union_representative() -> None:
    assert rules.committee_composition_problems([C, U], complete=True) == []
    assert rules.committee_composition_problems([C, E, U], complete=False) == [
        "职工代表或者工会代表只能有一名（第67条第1款）"
    ]
    assert rules.committee_composition_problems([E], complete=False) == []
    assert rules.committee_composition_problems([E], complete=True) == [
        "债权人委员会须有债权人会议选任的债权人代表（第67条第1款）"
    ]
    with pytest.raises(RuleError):
        rules.committee_composition_problems(["shareholder"], complete=False)


# --- Interp. III Art.14: a majority of all members ----------------------------------------


@pytest.mark.parametrize(
    ("members", "votes", "passed", "needed"),
    [
        (5, ["yes"] * 3, True, 3),
        (5, ["yes"] * 2 + ["no"], False, 3),  # 2 of 5 present-majority is not enough
        (4, ["yes"] * 3 + ["no"], True, 3),
        (4, ["yes"] * 2 + ["no"] * 2, False, 3),  # exactly half fails
        (9, ["yes"] * 5, True, 5),  # absentees count against, 5 of 9 still passes
        (9, ["yes"] * 4 + ["abstain"] * 5, False, 5),
        (1, ["yes"], True, 1),
    ],
)
def test_committee_decides_by_a_majority_of_all_members(members, votes, passed, needed) -> None:
    tally = rules.committee_decision(members, votes)
    assert (tally.passed, tally.needed) == (passed, needed)
    assert tally.yes + tally.no + tally.abstain == len(votes)


def test_committee_decision_validation() -> None:
    for members, votes in ((0, []), (2, ["yes"] * 3), (3, ["maybe"])):
        with pytest.raises(RuleError):
            rules.committee_decision(members, votes)


# --- Art.69: the acts, to whom, in time ------------------------------------------------------


def test_art69_lists_the_ten_acts_of_the_statute() -> None:
    assert len(rules.ART69_ACTS) == 10
    assert rules.ART69_ACTS["borrowing"] == "借款"
    assert set(Art69Report.Act.values) == set(rules.ART69_ACTS)
    assert rules.art69_reported_to(True) == "committee"
    assert rules.art69_reported_to(False) == "court"  # para.2: no committee in office


def test_art69_report_ten_days_ahead_is_in_time_nine_is_late() -> None:
    act = date(2024, 6, 20)
    assert not rules.art69_report_late("real_property", act, date(2024, 6, 10))
    assert rules.art69_report_late("real_property", act, date(2024, 6, 11))
    with pytest.raises(RuleError):
        rules.art69_report_late("dividend", act, date(2024, 6, 1))


# --- services ------------------------------------------------------------------------------


@pytest.fixture
def committee(meeting_case, world):
    """A committee chosen on 2024-04-25 with A (the demo creditor's firm) and B as creditors'
    representatives and an employee representative; not yet approved."""
    case, c = meeting_case
    admin = world["users"]["administrator"]
    committee = services.committee_create(actor=admin, case=case, chosen_on=date(2024, 4, 25))
    for key in "AB":
        services.committee_member_add(
            actor=admin,
            committee=committee,
            kind=C,
            creditor=c[key],
            name=f"{key}的代表",
            added_on=date(2024, 4, 25),
        )
    services.committee_member_add(
        actor=admin, committee=committee, kind=E, name="职工代表王某", added_on=date(2024, 4, 25)
    )
    return committee


def test_membership_limits_and_the_courts_approval(committee, meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    with pytest.raises(ConflictError) as exc:  # a second staff representative
        services.committee_member_add(
            actor=admin, committee=committee, kind=U, name="工会代表", added_on=date(2024, 4, 25)
        )
    assert "只能有一名" in exc.value.message
    with pytest.raises(ConflictError):  # one seat per creditor
        services.committee_member_add(
            actor=admin,
            committee=committee,
            kind=C,
            creditor=c["A"],
            name="A的另一代表",
            added_on=date(2024, 4, 25),
        )
    with pytest.raises(DomainError):  # a creditor's representative represents a creditor
        services.committee_member_add(
            actor=admin, committee=committee, kind=C, name="无", added_on=date(2024, 4, 25)
        )
    seats = [c["C"], c["E"]] + [_stranger(case, n) for n in range(4)]
    for n, creditor in enumerate(seats):  # 3 + 6 = 9 members
        services.committee_member_add(
            actor=admin,
            committee=committee,
            kind=C,
            creditor=creditor,
            name=f"代表{n}",
            added_on=date(2024, 4, 25),
        )
    with pytest.raises(ConflictError) as exc:  # the tenth
        services.committee_member_add(
            actor=admin,
            committee=committee,
            kind=C,
            creditor=_stranger(case, 9),
            name="第十人",
            added_on=date(2024, 4, 25),
        )
    assert "不得超过9人" in exc.value.message
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    committee.refresh_from_db()
    assert committee.in_office and committee.approved_by == judge
    with pytest.raises(ConflictError):
        services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    entry = AuditEntry.objects.filter(action="committee.approve").get()
    assert len(entry.detail["members"]) == 9


def _stranger(case, n):
    from qinqing.bankruptcy.models import Creditor

    return Creditor.objects.create(case=case, name=f"另一债权人{n}")


def test_approval_needs_an_employee_representative_and_a_change_withdraws_it(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    committee = services.committee_create(actor=admin, case=case, chosen_on=date(2024, 4, 25))
    services.committee_member_add(
        actor=admin,
        committee=committee,
        kind=C,
        creditor=c["A"],
        name="甲",
        added_on=date(2024, 4, 25),
    )
    with pytest.raises(ConflictError) as exc:
        services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    assert "职工代表或者工会代表" in exc.value.message
    services.committee_member_add(
        actor=admin, committee=committee, kind=U, name="工会主席", added_on=date(2024, 4, 25)
    )
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    services.committee_member_add(
        actor=admin,
        committee=committee,
        kind=C,
        creditor=c["B"],
        name="乙",
        added_on=date(2024, 5, 1),
    )
    committee.refresh_from_db()
    assert not committee.in_office  # Art.67 para.2: the new membership needs approval again
    entry = AuditEntry.objects.filter(action="committee.member_add").latest("pk")
    assert entry.detail["approval_withdrawn"] is True
    with pytest.raises(ConflictError):
        services.committee_create(actor=admin, case=case, chosen_on=date(2024, 4, 25))


def test_decisions_count_all_members_and_keep_dissent(committee, world):
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    members = {m.name: m for m in committee.members.all()}
    votes = {members["A的代表"].pk: ("yes", ""), members["B的代表"].pk: ("no", "价格偏低")}
    with pytest.raises(ConflictError):  # not in office before the court's approval
        services.committee_decision_record(
            actor=admin,
            committee=committee,
            subject="administration",
            matter="处置存货",
            decided_on=date(2024, 5, 2),
            votes=votes,
        )
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    failed = services.committee_decision_record(
        actor=admin,
        committee=committee,
        subject="administration",
        matter="处置存货",
        decided_on=date(2024, 5, 2),
        votes=votes,
    )
    # 1 yes of 3 members (the employee representative did not vote): not passed
    assert (failed.passed, failed.yes, failed.no, failed.abstain) == (False, 1, 1, 0)
    assert failed.votes.get(member=members["B的代表"]).dissent == "价格偏低"
    passed = services.committee_decision_record(
        actor=admin,
        committee=committee,
        subject="meeting",
        matter="提议召开债权人会议",
        decided_on=date(2024, 5, 3),
        votes={**votes, members["职工代表王某"].pk: ("yes", "")},
    )
    assert passed.passed and passed.members_in_office == 3
    entry = AuditEntry.objects.filter(action="committee.decide").latest("pk")
    assert entry.detail["needed"] == 2 and entry.detail["passed"] is True
    with pytest.raises(DomainError):
        services.committee_decision_record(
            actor=admin,
            committee=committee,
            subject="dividend",
            matter="x",
            decided_on=date(2024, 5, 3),
            votes={},
        )


def test_art69_goes_to_the_court_until_the_committee_is_approved(committee, meeting_case, world):
    case, _ = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    today = timezone.localdate()
    first = services.art69_report(
        actor=admin,
        case=case,
        act="real_property",
        description="转让厂房",
        act_date=today + timedelta(days=10),
        reported_on=today,
    )
    assert (first.reported_to, first.late) == ("court", False)
    services.committee_approve(actor=judge, committee=committee, on=today)
    second = services.art69_report(
        actor=admin,
        case=case,
        act="borrowing",
        description="借款用于续建",
        act_date=today + timedelta(days=9),
        reported_on=today,
    )
    assert (second.reported_to, second.late) == ("committee", True)
    notices = Notification.objects.filter(subject__contains="第69条")
    assert notices.filter(recipient=judge, subject__contains="不动产").exists()
    assert notices.filter(recipient=world["users"]["creditor"], subject__contains="借款").exists()
    assert not notices.filter(recipient=judge, subject__contains="借款").exists()
    entry = AuditEntry.objects.filter(action="art69.report").latest("pk")
    assert entry.detail["late"] is True and entry.detail["reported_to"] == "committee"
    with pytest.raises(DomainError):
        services.art69_report(
            actor=admin, case=case, act="dividend", description="x", act_date=today
        )
    services.art69_acknowledge(actor=judge, report=first)
    with pytest.raises(ConflictError):
        services.art69_acknowledge(actor=judge, report=first)


# --- pages and API ---------------------------------------------------------------------------


def test_the_three_roles_on_the_committee_page(client, committee, meeting_case, world):
    case, _c = meeting_case
    users = world["users"]
    url = f"/bankruptcy/cases/{case.pk}/committee/"
    today = timezone.localdate()

    client.force_login(users["creditor"])  # A's firm holds a seat: it sees the page
    page = client.get(url)
    assert page.status_code == 200 and "A的代表" in page.content.decode()
    assert client.post(url, {"form": "approve", "approve-on": today.isoformat()}).status_code == 403

    client.force_login(users["judge"])
    page = client.get(url).content.decode()
    assert "认可成员" in page
    client.post(url, {"form": "approve", "approve-on": today.isoformat()})
    committee.refresh_from_db()
    assert committee.in_office

    client.force_login(users["administrator"])
    response = client.post(
        url,
        {
            "form": "report",
            "report-act": "inventory_business",
            "report-description": "整体转让库存",
            "report-act_date": (today + timedelta(days=15)).isoformat(),
            "report-reported_on": today.isoformat(),
        },
    )
    assert response.status_code == 302
    report = Art69Report.objects.get(case=case)
    assert report.reported_to == "committee"
    members = {m.name: m for m in committee.members.all()}
    bad = client.post(url, {"form": "decision", "decision-subject": "distribution"})
    assert bad.status_code == 400 and "这个字段是必填项" in bad.content.decode()
    client.post(
        url,
        {
            "form": "decision",
            "decision-subject": "distribution",
            "decision-matter": "监督第一次分配",
            "decision-decided_on": today.isoformat(),
            f"decision-vote_{members['A的代表'].pk}": "yes",
            f"decision-vote_{members['B的代表'].pk}": "yes",
            f"decision-vote_{members['职工代表王某'].pk}": "no",
            f"decision-dissent_{members['职工代表王某'].pk}": "未考虑职工安置",
        },
    )
    vote = CommitteeVote.objects.get(member=members["A的代表"])
    assert vote.decision.passed

    client.force_login(users["creditor"])  # the member acknowledges and signs its own vote
    page = client.get(url).content.decode()
    assert "整体转让库存" in page and "未考虑职工安置" in page and "在记录上签名" in page
    client.post(f"/bankruptcy/art69-reports/{report.pk}/acknowledge/")
    report.refresh_from_db()
    assert report.acknowledged_by == users["creditor"]
    client.post(f"/bankruptcy/committee-votes/{vote.pk}/sign/")
    vote.refresh_from_db()
    assert vote.signed_by == users["creditor"]
    other = CommitteeVote.objects.get(member=members["B的代表"])
    assert client.post(f"/bankruptcy/committee-votes/{other.pk}/sign/").status_code == 404
    assert "我参加的债权人委员会" in client.get("/bankruptcy/my/").content.decode()

    api = client.get(f"/api/v1/bankruptcy/cases/{case.pk}/committee").json()
    assert api["approved_on"] == today.isoformat()
    assert [r["reported_to"] for r in api["reports"]] == ["committee"]
    assert api["decisions"][0]["passed"] is True
    assert {v["member"]: v["signed"] for v in api["decisions"][0]["votes"]}["A的代表"] is True


def test_a_creditor_without_a_seat_does_not_see_the_committee(client, meeting_case, world):
    case, c = meeting_case
    admin = world["users"]["administrator"]
    committee = services.committee_create(actor=admin, case=case, chosen_on=date(2024, 4, 25))
    services.committee_member_add(
        actor=admin,
        committee=committee,
        kind=C,
        creditor=c["B"],
        name="乙",
        added_on=date(2024, 4, 25),
    )
    client.force_login(world["users"]["creditor"])  # A's firm: a creditor, not a member
    assert client.get(f"/bankruptcy/cases/{case.pk}/committee/").status_code == 404
    assert client.get(f"/api/v1/bankruptcy/cases/{case.pk}/committee").status_code == 404
    assert CommitteeMember.objects.count() == 1


def test_todos_for_the_judge_and_the_member(committee, meeting_case, world, django_user_model):
    from qinqing.bankruptcy import todos
    from qinqing.core.models import Organisation
    from qinqing.core.services import organisation_create, role_grant_add

    case, _c = meeting_case
    users = world["users"]
    judge, admin, creditor = users["judge"], users["administrator"], users["creditor"]

    def count(user, label):
        return next((i.count for i in todos.committee(user) if str(i.label) == label), 0)

    assert count(judge, "待书面决定认可的债权人委员会成员") == 1
    today = timezone.localdate()
    services.art69_report(
        actor=admin,
        case=case,
        act="waiver",
        description="放弃对第三人的债权",
        act_date=today + timedelta(days=20),
    )
    assert count(judge, "管理人报告法院的第69条行为") == 1
    services.committee_approve(actor=judge, committee=committee, on=today)
    services.art69_report(
        actor=admin,
        case=case,
        act="security",
        description="为借款设定抵押",
        act_date=today + timedelta(days=20),
    )
    assert count(judge, "待书面决定认可的债权人委员会成员") == 0
    assert count(creditor, "管理人报告债权人委员会的第69条行为") == 1
    member = committee.members.get(name="A的代表")
    services.committee_decision_record(
        actor=admin,
        committee=committee,
        subject="entrusted",
        matter="审核变价方案",
        decided_on=today,
        votes={member.pk: ("yes", "")},
    )
    assert count(creditor, "待签名的债权人委员会决议记录") == 1
    item = next(i for i in todos.committee(creditor) if i.count and "签名" in str(i.label))
    assert item.url == f"/bankruptcy/cases/{case.pk}/committee/"
    # another court's judge and a creditor without a seat see nothing
    other_court = organisation_create(
        actor=None, kind=Organisation.Kind.COURT, name="武汉市另一区人民法院", code="other-court-2"
    )
    judge2 = django_user_model.objects.create_user("judge_c2", password="x")
    role_grant_add(actor=None, user=judge2, role="judge", organisation=other_court)
    assert all(i.count == 0 for i in todos.committee(judge2))
    outsider = django_user_model.objects.create_user("creditor_c2", password="x")
    role_grant_add(
        actor=None,
        user=outsider,
        role="creditor",
        organisation=Organisation.objects.get(code="demo-taxagent"),
    )
    assert all(i.count == 0 for i in todos.committee(outsider))


# --- Art.61 para.1(8), Art.67 para.2: removing and replacing a member ----------------------


def test_committee_change_rule_keeps_art67_and_says_whether_the_approval_stands() -> None:
    meeting, court = rules.REMOVED_BY_MEETING, rules.REMOVED_BY_COURT
    # a creditors' representative removed, the rest still complete: the approval stands
    assert rules.committee_change([C, C, E], C, None, removed_by=court).approval_stands
    # replaced: the newcomer needs the court's approval
    replaced = rules.committee_change([C, C, E], C, C, removed_by=meeting)
    assert not replaced.approval_stands and replaced.problems == ()
    # the employee representative removed: the committee is incomplete, not in office
    assert not rules.committee_change([C, C, E], E, None, removed_by=meeting).approval_stands
    # the last creditors' representative removed: incomplete
    assert not rules.committee_change([C, E], C, None, removed_by=court).approval_stands
    # a second employee or union representative is refused; nine stays nine
    assert rules.committee_change([C, C, E], C, U, removed_by=meeting).problems == (
        "职工代表或者工会代表只能有一名（第67条第1款）",
    )
    assert rules.committee_change([C] * 8 + [E], C, C, removed_by=meeting).problems == ()
    with pytest.raises(RuleError):  # the court approves, the meeting chooses
        rules.committee_change([C, C, E], C, C, removed_by=court)
    with pytest.raises(RuleError):
        rules.committee_change([C, E], U, None, removed_by=meeting)
    with pytest.raises(RuleError):
        rules.committee_change([C, E], C, None, removed_by="shareholders")


def test_removing_and_replacing_members_is_audited_with_its_reason(committee, meeting_case, world):
    _case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    members = {m.name: m for m in committee.members.all()}
    with pytest.raises(DomainError) as exc:
        services.committee_member_remove(
            actor=admin,
            member=members["B的代表"],
            removed_by="meeting",
            reason=" ",
            on=date(2024, 5, 2),
        )
    assert exc.value.field == "reason"
    with pytest.raises(DomainError):  # the court does not name a replacement
        services.committee_member_remove(
            actor=judge,
            member=members["B的代表"],
            removed_by="court",
            reason="利益冲突",
            on=date(2024, 5, 2),
            replacement={"kind": C, "name": "E的代表", "creditor": c["E"]},
        )
    # the meeting replaces B's representative by E's: the newcomer needs approval again
    successor = services.committee_member_remove(
        actor=admin,
        member=members["B的代表"],
        removed_by="meeting",
        reason="债权人B转让全部债权，退出委员会",
        on=date(2024, 5, 2),
        replacement={"kind": C, "name": "E的代表", "creditor": c["E"]},
    )
    committee.refresh_from_db()
    assert not committee.in_office and successor.replaces == members["B的代表"]
    entry = AuditEntry.objects.filter(action="committee.member_remove").latest("pk")
    assert entry.detail["reason"] == "债权人B转让全部债权，退出委员会"
    assert entry.detail["removed_by"] == "meeting" and entry.detail["approval_withdrawn"] is True
    assert entry.detail["replaced_by"] == "E的代表（债权人代表）"
    assert committee.members.in_office().count() == 3
    with pytest.raises(ConflictError) as exc:  # removed once
        services.committee_member_remove(
            actor=admin,
            member=members["B的代表"],
            removed_by="meeting",
            reason="再",
            on=date(2024, 5, 3),
        )
    assert exc.value.code == "member_removed"
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 5, 3))
    # the court withdraws its approval of A's representative: two members remain, complete
    services.committee_member_remove(
        actor=judge,
        member=members["A的代表"],
        removed_by="court",
        reason="该委员与管理人存在利害关系",
        on=date(2024, 5, 6),
    )
    committee.refresh_from_db()
    assert committee.in_office
    entry = AuditEntry.objects.filter(action="committee.member_remove").latest("pk")
    assert entry.detail["approval_withdrawn"] is False
    # a decision now counts the two members in office; a removed member cannot vote
    with pytest.raises(DomainError):
        services.committee_decision_record(
            actor=admin,
            committee=committee,
            subject="distribution",
            matter="监督分配",
            decided_on=date(2024, 5, 7),
            votes={members["A的代表"].pk: ("yes", "")},
        )
    decision = services.committee_decision_record(
        actor=admin,
        committee=committee,
        subject="distribution",
        matter="监督分配",
        decided_on=date(2024, 5, 7),
        votes={successor.pk: ("yes", ""), members["职工代表王某"].pk: ("yes", "")},
    )
    assert (decision.members_in_office, decision.passed) == (2, True)
    # A may take a seat again once chosen again (the one-seat rule counts members in office)
    services.committee_member_add(
        actor=admin,
        committee=committee,
        kind=C,
        creditor=c["A"],
        name="A的新代表",
        added_on=date(2024, 5, 8),
    )
    # removing the employee representative leaves the committee out of office
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 5, 8))
    services.committee_member_remove(
        actor=admin,
        member=members["职工代表王某"],
        removed_by="meeting",
        reason="职工代表大会另行推选",
        on=date(2024, 5, 9),
    )
    committee.refresh_from_db()
    assert not committee.in_office


def test_a_removed_creditor_member_loses_the_page_and_the_forms_work(
    client, committee, meeting_case, world
):
    case, c = meeting_case
    users = world["users"]
    url = f"/bankruptcy/cases/{case.pk}/committee/"
    today = timezone.localdate().isoformat()
    member_a = committee.members.get(creditor=c["A"])
    client.force_login(users["judge"])
    assert "撤销对委员的认可" in client.get(url).content.decode()
    client.force_login(users["administrator"])
    bad = client.post(url, {"form": "remove", "remove-member": member_a.pk, "remove-on": today})
    assert bad.status_code == 400
    ok = client.post(
        url,
        {
            "form": "remove",
            "remove-member": member_a.pk,
            "remove-on": today,
            "remove-reason": "债权人会议决议更换",
            "remove-kind": C,
            "remove-creditor": c["E"].pk,
            "remove-name": "E的代表",
        },
    )
    assert ok.status_code == 302
    page = client.get(url).content.decode()
    assert "data-former-member" in page and "债权人会议决议更换" in page and "E的代表" in page
    # the judge's form cannot be posted by the administrator
    other = committee.members.get(name="B的代表")
    forbidden = client.post(
        url,
        {
            "form": "court_remove",
            "court_remove-member": other.pk,
            "court_remove-on": today,
            "court_remove-reason": "x",
        },
    )
    assert forbidden.status_code == 403
    api = client.get(f"/api/v1/bankruptcy/cases/{case.pk}/committee").json()
    assert [m["name"] for m in api["former_members"]] == ["A的代表"]
    assert api["former_members"][0]["replaced_by"] == "E的代表"
    assert "A的代表" not in [m["name"] for m in api["members"]]
    client.force_login(users["creditor"])  # A's firm no longer holds a seat
    assert client.get(url).status_code == 404
