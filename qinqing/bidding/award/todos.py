"""What waits on a user from the report to the award (imported by qinqing/bidding/todos.py):

- the tenderer's side (`bidding.manage_award`): sealed reports whose candidates are not yet
  published (实施条例 Art.54: within 3 days); objections to answer (within 3 days, due the
  day the period ends); publications over with no notice issued yet (招标投标法 Art.45);
- the supervising department (`bidding.handle_complaint`): complaints to accept or refuse
  (3 working days) and accepted complaints to decide (30 working days, Art.61)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.award.models import Complaint, ResultObjection
from qinqing.bidding.projects.models import Section
from qinqing.bidding.report.models import Report
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import TodoItem, register, tally


def _url(pk: int | None) -> str:
    if pk is None:
        return reverse("bidding:award_list")
    return reverse("bidding:award_detail", args=[pk])


def _managed(user):
    return visible(user, "bidding.manage_award", Section.objects.all())


@register
def award_tenderer(user):
    grants = grants_of(user)
    if not (
        grants.has(Role.TENDERER) or grants.has(Role.TENDER_AGENT) or grants.has(Role.CENTRE_ADMIN)
    ):
        return []
    sections = _managed(user)
    unpublished = tally(
        Section.objects.filter(
            pk__in=sections.filter(
                session__report__status=Report.Status.SEALED, publication__isnull=True
            ).values("pk")
        ),
        oldest="session__report__sealed_at",
    )
    objections = ResultObjection.objects.filter(
        answered_at__isnull=True, publication__section__in=sections.values("pk")
    )
    waiting = tally(Section.objects.filter(pk__in=objections.values("publication__section_id")))
    due = objections.aggregate(due=Min("answer_due"))["due"]
    ready = tally(
        Section.objects.filter(
            pk__in=sections.filter(
                publication__ends_at__lte=timezone.now(), publication__notices__isnull=True
            )
            .exclude(pk__in=objections.values("publication__section_id"))
            .values("pk")
        ),
        oldest="publication__ends_at",
    )
    return [
        TodoItem(
            _("待公示的中标候选人"),
            unpublished.count,
            _url(unpublished.first_pk),
            oldest=unpublished.oldest,
            note=_("评标报告已封存：自收到之日起 3 日内公示，公示期不少于 3 日"),
            order=7,
        ),
        TodoItem(
            _("待答复的评标结果异议"),
            waiting.count,
            _url(waiting.first_pk),
            # due the last day of the 3 (answer_due is the midnight after it)
            due=timezone.localdate(due - timedelta(seconds=1)) if due else None,
            note=_("收到异议之日起 3 日内书面答复；答复前暂停招标投标活动"),
            order=7,
        ),
        TodoItem(
            _("待发出的中标通知书"),
            ready.count,
            _url(ready.first_pk),
            oldest=ready.oldest,
            note=_("公示期满、异议已答复：发出中标通知书和中标结果通知书"),
            order=8,
        ),
    ]


@register
def award_supervisor(user):
    if not grants_of(user).has(Role.SUPERVISOR):
        return []
    sections = visible(user, "bidding.handle_complaint", Section.objects.all())
    mine = Complaint.objects.filter(section__in=sections.values("pk"))
    lodged = mine.filter(status=Complaint.Status.LODGED)
    accepted = mine.filter(status=Complaint.Status.ACCEPTED)
    to_accept = tally(
        Section.objects.filter(pk__in=lodged.values("section_id")), oldest="complaints__lodged_at"
    )
    to_decide = tally(Section.objects.filter(pk__in=accepted.values("section_id")))
    return [
        TodoItem(
            _("待决定是否受理的投诉"),
            to_accept.count,
            _url(to_accept.first_pk),
            due=lodged.aggregate(d=Min("accept_due"))["d"],
            note=_("收到投诉之日起 3 个工作日内决定是否受理"),
            order=6,
        ),
        TodoItem(
            _("待作出处理决定的投诉"),
            to_decide.count,
            _url(to_decide.first_pk),
            due=accepted.aggregate(d=Min("decision_due"))["d"],
            note=_("受理之日起 30 个工作日内书面决定；必要时责令暂停招标投标活动"),
            order=6,
        ),
    ]
