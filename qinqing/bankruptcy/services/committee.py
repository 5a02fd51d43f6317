"""Writes on the creditors' committee (Art.67–69): members, approval, decisions and votes, the
Art.69 reports."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import (
    Art69Report,
    Case,
    Committee,
    CommitteeDecision,
    CommitteeMember,
    CommitteeVote,
    Creditor,
    Meeting,
)
from qinqing.bankruptcy.services.common import (
    _audit,
    _locked,
    _notify_creditor,
    _require_open,
    _rule,
    _today,
)
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.notifier import notification_send


def committee_create(*, actor, case: Case, chosen_on: date, meeting: Meeting | None = None):
    """The administrator records the creditors' meeting's decision to set up a committee
    (Art.67 para.1: 债权人会议可以决定设立债权人委员会; Art.61(8))."""
    if chosen_on > _today():
        raise DomainError("决定日不能晚于今天", field="chosen_on")
    if meeting is not None and meeting.case_id != case.pk:
        raise DomainError("该债权人会议不属于本案", field="meeting")
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        if Committee.objects.filter(case=case).exists():
            raise ConflictError("本案已设立债权人委员会", code="committee_exists")
        committee = Committee.objects.create(case=case, chosen_on=chosen_on, meeting=meeting)
        _audit(actor, "committee.create", committee, case, chosen_on=chosen_on)
    return committee


def committee_member_add(
    *,
    actor,
    committee: Committee,
    kind: str,
    name: str,
    added_on: date,
    creditor: Creditor | None = None,
) -> CommitteeMember:
    """Record a member the creditors' meeting chose (a creditor's representative) or the
    debtor's employee or union representative (Art.67 para.1: at most nine in all, one
    employee or union representative). A change to an approved committee needs the court's
    approval again (Art.67 para.2): the approval is withdrawn and the audit entry says so."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写委员姓名", field="name")
    if kind not in CommitteeMember.Kind.values:
        raise DomainError("未知的委员类别", field="kind")
    if kind == CommitteeMember.Kind.CREDITOR:
        if creditor is None or creditor.case_id != committee.case_id:
            raise DomainError("债权人代表须代表本案的一名债权人", field="creditor")
    elif creditor is not None:
        raise DomainError("职工代表或工会代表不代表债权人", field="creditor")
    case = committee.case
    with transaction.atomic():
        _locked(committee)
        _require_open(case)
        kinds = [*committee.members.in_office().values_list("kind", flat=True), kind]
        problems = rules.committee_composition_problems(kinds, complete=False)
        if problems:
            raise ConflictError("；".join(problems), code="committee_composition")
        if (
            creditor is not None
            and committee.members.in_office().filter(creditor=creditor).exists()
        ):
            raise ConflictError("该债权人已有代表在委员会中", code="committee_seat")
        member = CommitteeMember.objects.create(
            committee=committee, kind=kind, name=name, creditor=creditor, added_on=added_on
        )
        reset = committee.approved_on is not None
        if reset:
            committee.approved_on, committee.approved_by = None, None
            committee.save(update_fields=["approved_on", "approved_by"])
        _audit(
            actor,
            "committee.member_add",
            member,
            case,
            kind=kind,
            name=name,
            creditor=creditor.name if creditor else None,
            approval_withdrawn=reset,
        )
    return member


def committee_member_remove(
    *,
    actor,
    member: CommitteeMember,
    removed_by: str,
    reason: str,
    on: date,
    replacement: dict | None = None,
) -> CommitteeMember | None:
    """Remove a member, or replace it (``replacement``: ``kind``, ``name`` and, for a
    creditors' representative, ``creditor``), on the decision of the creditors' meeting
    (``removed_by="meeting"``, Art.61 para.1(8): 选任和更换债权人委员会成员; the administrator
    records it) or of the court withdrawing its approval of the member (``"court"``, Art.67
    para.2; the judge records it, and cannot name a replacement). ``rules.committee_change``
    keeps the committee within Art.67 para.1 and says whether the court's approval stands: a
    replacement, or a committee left without its employee representative or its creditors'
    representatives, needs approval again (until then Art.69 reports go to the court). The
    member's row stays (its votes stay on the minutes), marked with the date, the body and the
    reason; audited ``committee.member_remove``. Returns the new member, if any."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明更换或撤销的理由", field="reason")
    if removed_by not in CommitteeMember.RemovedBy.values:
        raise DomainError("未知的决定机关", field="removed_by")
    if on > _today():
        raise DomainError("决定日不能晚于今天", field="on")
    if on < member.added_on:
        raise DomainError("决定日不能早于该委员的选任日", field="on")
    committee = member.committee
    case = committee.case
    new_kind = new_name = new_creditor = None
    if replacement is not None:
        if removed_by == CommitteeMember.RemovedBy.COURT:
            raise DomainError(
                "接替的委员由债权人会议选任（第61条第1款第8项），法院只作认可",
                field="removed_by",
            )
        new_kind = replacement.get("kind")
        new_name = (replacement.get("name") or "").strip()
        new_creditor = replacement.get("creditor")
        if not new_name:
            raise DomainError("请填写接替委员的姓名", field="name")
        if new_kind not in CommitteeMember.Kind.values:
            raise DomainError("未知的委员类别", field="kind")
        if new_kind == CommitteeMember.Kind.CREDITOR:
            if new_creditor is None or new_creditor.case_id != case.pk:
                raise DomainError("债权人代表须代表本案的一名债权人", field="creditor")
        elif new_creditor is not None:
            raise DomainError("职工代表或工会代表不代表债权人", field="creditor")
    with transaction.atomic():
        _locked(committee)
        _require_open(case)
        member = _locked(member)
        if member.removed_on is not None:
            raise ConflictError("该委员已被更换或撤销", code="member_removed")
        kinds = list(committee.members.in_office().values_list("kind", flat=True))
        change = _rule(rules.committee_change, kinds, member.kind, new_kind, removed_by=removed_by)
        if change.problems:
            raise ConflictError("；".join(change.problems), code="committee_composition")
        if (
            new_creditor is not None
            and new_creditor.pk != member.creditor_id
            and committee.members.in_office().filter(creditor=new_creditor).exists()
        ):
            raise ConflictError("该债权人已有代表在委员会中", code="committee_seat")
        member.removed_on, member.removed_by, member.removal_reason = on, removed_by, reason
        member.save(update_fields=["removed_on", "removed_by", "removal_reason"])
        successor = None
        if replacement is not None:
            successor = CommitteeMember.objects.create(
                committee=committee,
                kind=new_kind,
                name=new_name,
                creditor=new_creditor,
                added_on=on,
                replaces=member,
            )
        withdrawn = committee.approved_on is not None and not change.approval_stands
        if withdrawn:
            committee.approved_on, committee.approved_by = None, None
            committee.save(update_fields=["approved_on", "approved_by"])
        _audit(
            actor,
            "committee.member_remove",
            member,
            case,
            member=str(member),
            removed_by=removed_by,
            reason=reason,
            on=on,
            replaced_by=str(successor) if successor else None,
            approval_withdrawn=withdrawn,
        )
    return successor


def committee_approve(*, actor, committee: Committee, on: date) -> Committee:
    """The court approves the membership in writing (Art.67 para.2: 债权人委员会成员应当经人民
    法院书面决定认可), once it is complete: at least one creditors' representative, exactly one
    employee or union representative, at most nine members."""
    if on > _today():
        raise DomainError("认可日不能晚于今天", field="on")
    with transaction.atomic():
        _locked(committee)
        _require_open(committee.case)
        if committee.approved_on is not None:
            raise ConflictError("委员会成员已经认可", code="approved")
        kinds = list(committee.members.in_office().values_list("kind", flat=True))
        problems = rules.committee_composition_problems(kinds, complete=True)
        if problems:
            raise ConflictError("；".join(problems), code="committee_composition")
        committee.approved_on, committee.approved_by = on, actor
        committee.save(update_fields=["approved_on", "approved_by"])
        _audit(
            actor,
            "committee.approve",
            committee,
            committee.case,
            on=on,
            members=[str(m) for m in committee.members.in_office()],
        )
    return committee


def committee_decision_record(
    *,
    actor,
    committee: Committee,
    subject: str,
    matter: str,
    decided_on: date,
    votes: dict[int, tuple[str, str]],
) -> CommitteeDecision:
    """Record a committee decision with each member's vote and dissent (Art.68; Interp. III
    Art.14: decided by a majority of all members, minuted, dissent recorded). ``votes`` maps a
    member's id to (vote, dissent); members without a vote count against."""
    matter = (matter or "").strip()
    if not matter:
        raise DomainError("请写明所议事项", field="matter")
    if subject not in CommitteeDecision.Subject.values:
        raise DomainError("请选择第68条规定的职权事项", field="subject")
    if decided_on > _today():
        raise DomainError("表决日不能晚于今天", field="decided_on")
    with transaction.atomic():
        _locked(committee)
        if not committee.in_office:
            raise ConflictError("委员会成员尚未经法院认可，不能议事", code="not_in_office")
        members = {m.pk: m for m in committee.members.in_office()}
        strangers = set(votes) - set(members)
        if strangers:
            raise DomainError("表决人不是本委员会成员", field="votes")
        for vote, _dissent in votes.values():
            if vote not in CommitteeVote.Vote.values:
                raise DomainError("未知的表决意见", field="votes")
        tally = _rule(
            rules.committee_decision, len(members), [v for v, _ in votes.values()], field="votes"
        )
        decision = CommitteeDecision.objects.create(
            committee=committee,
            subject=subject,
            matter=matter,
            decided_on=decided_on,
            members_in_office=tally.members,
            yes=tally.yes,
            no=tally.no,
            abstain=tally.abstain,
            passed=tally.passed,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        CommitteeVote.objects.bulk_create(
            CommitteeVote(
                decision=decision, member=members[pk], vote=vote, dissent=(dissent or "").strip()
            )
            for pk, (vote, dissent) in votes.items()
        )
        _audit(
            actor,
            "committee.decide",
            decision,
            committee.case,
            subject=subject,
            members=tally.members,
            yes=tally.yes,
            no=tally.no,
            needed=tally.needed,
            passed=tally.passed,
            votes={members[pk].name: vote for pk, (vote, _d) in votes.items()},
        )
    return decision


def committee_vote_sign(*, actor, vote: CommitteeVote) -> CommitteeVote:
    """A member signs the minutes of a decision it voted on (Interp. III Art.14: the record is
    signed by the members who voted). One conditional update: a second signature is a 409."""
    now = timezone.now()
    with transaction.atomic():
        done = CommitteeVote.objects.filter(pk=vote.pk, signed_at=None).update(
            signed_at=now, signed_by=actor
        )
        if not done:
            raise ConflictError("已签名", code="signed")
        vote.refresh_from_db()
        _audit(
            actor,
            "committee.sign",
            vote,
            vote.decision.committee.case,
            decision=vote.decision_id,
            member=vote.member.name,
        )
    return vote


def art69_report(
    *,
    actor,
    case: Case,
    act: str,
    description: str,
    act_date: date,
    reported_on: date | None = None,
) -> Art69Report:
    """The administrator reports an act listed in Art.69 para.1 to the creditors' committee, or
    to the court where none is in office (para.2). A report less than ten days before the act
    is recorded as late (Interp. III Art.15: 提前十日书面报告), not refused: the report is owed
    all the same."""
    description = (description or "").strip()
    if not description:
        raise DomainError("请说明拟实施的行为（标的、对方、价格等）", field="description")
    if act not in rules.ART69_ACTS:
        raise DomainError("请选择第69条规定的行为", field="act")
    reported_on = reported_on or _today()
    if reported_on > _today():
        raise DomainError("报告日不能晚于今天", field="reported_on")
    late = rules.art69_report_late(act, act_date, reported_on)
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        committee = Committee.objects.filter(case=case).first()
        to = rules.art69_reported_to(committee is not None and committee.in_office)
        report = Art69Report.objects.create(
            case=case,
            act=act,
            description=description,
            act_date=act_date,
            reported_on=reported_on,
            reported_to=to,
            late=late,
            reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "art69.report",
            report,
            case,
            act=act,
            act_date=act_date,
            reported_on=reported_on,
            reported_to=to,
            late=late,
        )
        subject = f"{case.number} 管理人报告：{rules.ART69_ACTS[act]}（第69条）"
        body = f"拟于 {act_date} 实施：{description}"
        if to == rules.REPORT_TO_COMMITTEE:
            for member in (
                committee.members.in_office().exclude(creditor=None).select_related("creditor")
            ):
                _notify_creditor(actor, member.creditor, subject, body)
        else:
            notification_send(
                actor=actor, channel="in_app", subject=subject, body=body, recipient=case.judge
            )
    return report


def art69_acknowledge(*, actor, report: Art69Report, on: date | None = None) -> Art69Report:
    """The committee (a member) or the court acknowledges an Art.69 report it received. One
    conditional update: a second acknowledgement is a 409."""
    on = on or _today()
    with transaction.atomic():
        done = Art69Report.objects.filter(pk=report.pk, acknowledged_on=None).update(
            acknowledged_on=on, acknowledged_by=actor
        )
        if not done:
            raise ConflictError("已确认收悉", code="acknowledged")
        report.refresh_from_db()
        _audit(actor, "art69.acknowledge", report, report.case, on=on, to=report.reported_to)
    return report
