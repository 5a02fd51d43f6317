"""Demo data from the report to the award, run through the real services (kept apart from the
sealed-bid demo). A project at each stage after the report:

- the seed project (WHGGZY-2024-SJ-0829, evaluated 2024-08-29): candidates published the day
  after, the publication over without objection, the award notice and the result notices
  issued, each sealed;
- the two other tenders of 2024-08-29 (WHGGZY-2024-SJ-0830, JKGGZY-2024-SJ-0831): reports
  sealed, candidates not yet published (history with absolute dates: publishing them now would
  rightly be recorded as late, 实施条例 Art.54);
- 洪山区和平街道党群服务中心改造工程设计 (WHGGZY-DEMO-RECENT), evaluated and sealed yesterday
  (relative to the load date) by a committee with a tenderer's representative: candidates
  published three hours after the sealing, within the Art.54 3 days, and an objection by its
  second-ranked firm waiting for the tenderer's answer, so the procedure is paused. The firm's
  account `bidder_award` (password as the other demo accounts) raised it.

Idempotent: a section already published is left as it is."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from qinqing.bidding.award import services
from qinqing.bidding.award.models import Publication
from qinqing.bidding.models import Report
from qinqing.core.demo import recorded_at
from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.core.services import organisation_create, role_grant_add

ISSUED_CODE = "WHGGZY-2024-SJ-0829"
PUBLISHING_CODE = "WHGGZY-DEMO-RECENT"
OBJECTOR = "bidder_award"
DEMO_PASSWORD = "qinqing-demo"


def _sealed_report(code: str) -> Report | None:
    return (
        Report.objects.filter(session__section__project__code=code, status=Report.Status.SEALED)
        .select_related("session__section")
        .first()
    )


def _issued(users, stdout) -> None:
    report = _sealed_report(ISSUED_CODE)
    if report is None or Publication.objects.filter(section=report.session.section).exists():
        return
    section = report.session.section
    sealed = timezone.localtime(report.sealed_at)
    published = (sealed + timedelta(days=1)).replace(hour=9, minute=30)
    with recorded_at(published):
        publication = services.publication_publish(
            actor=users["tenderer"], section=section, period_days=3
        )
    with recorded_at(publication.ends_at + timedelta(hours=9, minutes=10)):
        notices = services.award_issue(actor=users["tenderer"], section=section)
    stdout.write(f"  定标：{section.project.name} 已发出中标通知书（{len(notices)} 份通知书）\n")


def _objector_account(bidder):
    firm = Organisation.objects.filter(uscc=bidder.uscc).first()
    if firm is None:
        firm = organisation_create(
            actor=None,
            kind=Organisation.Kind.FIRM,
            name=bidder.name,
            code="demo-award-firm",
            uscc=bidder.uscc,
        )
    user = get_user_model().objects.filter(username=OBJECTOR).first()
    if user is None:
        user = get_user_model().objects.create_user(
            OBJECTOR, password=DEMO_PASSWORD, first_name="投标联系人"
        )
    if not RoleGrant.objects.filter(user=user, role=Role.BIDDER, organisation=firm).exists():
        role_grant_add(actor=None, user=user, role=Role.BIDDER, organisation=firm)
    return user


def _publishing(users, stdout) -> None:
    report = _sealed_report(PUBLISHING_CODE)
    if report is None or Publication.objects.filter(section=report.session.section).exists():
        return
    section = report.session.section
    candidates = services.candidates_of(report)
    if len(candidates) < 2:
        return
    second = section.bidders.get(uscc=candidates[1].uscc)
    objector = _objector_account(second)
    now = timezone.localtime()
    # Three hours after the sealing (yesterday): within the 3 days of 实施条例 Art.54, not late.
    with recorded_at(timezone.localtime(report.sealed_at) + timedelta(hours=3)):
        publication = services.publication_publish(
            actor=users["tenderer"], section=section, period_days=3
        )
    with recorded_at(now - timedelta(hours=2)):
        services.objection_raise(
            actor=objector,
            publication=publication,
            bidder=second,
            text=(
                "第一中标候选人投标文件所附的类似工程业绩（某小区改造设计）合同金额与公开信息不一致，"
                "请招标人核查其业绩的真实性。"
            ),
        )
    stdout.write(
        f"  定标：{section.project.name} 公示中，有一件异议待招标人答复（异议人账号 {OBJECTOR}）\n"
    )


def load(orgs, users, stdout) -> None:
    """Both stages; called by `bidding.demo.load` after the evaluation demo."""
    del orgs
    _issued(users, stdout)
    _publishing(users, stdout)


__all__ = ["load"]
