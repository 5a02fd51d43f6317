"""What waits on a user in the needs module (registered from NeedsConfig.ready).

- dispatcher: needs to route, extension requests to decide, replies to call back and close,
  appeals against a bad rating;
- department staff (liaison): needs to sign, to answer, past their deadline; rectifications;
- a firm's user (enterprise, volunteer): closed needs still to rate.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import EntryPoint, TodoItem, register, register_entry, tally
from qinqing.needs import selectors
from qinqing.needs.models import Need, Rating, Rectification

S = Need.State


def _need_url(t, state: str = "") -> str:
    if t.first_pk is not None:
        return reverse("needs:need_detail", args=[t.first_pk])
    base = reverse("needs:need_list")
    return f"{base}?state={state}" if state else base


@register
def dispatcher(user):
    if not grants_of(user).has(Role.DISPATCHER):
        return []
    needs = visible(user, "needs.view_need", Need.objects.all())
    routing = tally(needs.filter(state=S.PENDING_DISPATCH), oldest="received_at")
    extensions = tally(needs.filter(extension_state=Need.Extension.REQUESTED), due="due_date")
    callbacks = tally(needs.filter(state=S.REPLIED), oldest="replied_at")
    appeals = tally(
        visible(user, "needs.view_rectification", Rectification.objects.all()).filter(
            rating__appeal_state=Rating.Appeal.PENDING
        ),
        oldest="opened_at",
    )
    return [
        TodoItem(
            _("待派单的诉求"),
            routing.count,
            _need_url(routing, S.PENDING_DISPATCH),
            oldest=routing.oldest,
            order=10,
        ),
        TodoItem(
            _("待审批的延期申请"),
            extensions.count,
            _need_url(extensions),
            due=extensions.due,
            order=20,
        ),
        TodoItem(
            _("已答复待回访、办结"),
            callbacks.count,
            _need_url(callbacks, S.REPLIED),
            oldest=callbacks.oldest,
            order=30,
        ),
        TodoItem(
            _("待审核的差评申诉"),
            appeals.count,
            reverse("needs:rectification_list"),
            oldest=appeals.oldest,
            order=40,
        ),
    ]


@register
def department(user):
    if not grants_of(user).has(Role.STAFF):
        return []
    mine = visible(user, "needs.handle", Need.objects.all())
    signing = tally(mine.filter(state=S.PENDING_SIGN), oldest="dispatched_at", due="due_date")
    answering = tally(mine.filter(state=S.IN_PROGRESS), oldest="signed_at", due="due_date")
    late = tally(selectors.overdue(mine), due="due_date")
    rectifying = tally(
        visible(user, "needs.view_rectification", Rectification.objects.all()).filter(
            state=Rectification.State.OPEN
        ),
        oldest="opened_at",
        due="due_date",
    )
    return [
        TodoItem(
            _("待签收的诉求"),
            signing.count,
            _need_url(signing, S.PENDING_SIGN),
            oldest=signing.oldest,
            due=signing.due,
            order=10,
        ),
        TodoItem(
            _("办理中待答复的诉求"),
            answering.count,
            _need_url(answering, S.IN_PROGRESS),
            oldest=answering.oldest,
            due=answering.due,
            order=20,
        ),
        TodoItem(
            _("已超过办理时限的诉求"),
            late.count,
            _need_url(late) if late.count == 1 else f"{reverse('needs:need_list')}?late=1",
            due=late.due,
            note=_("请尽快答复或申请延期"),
            order=5,
        ),
        TodoItem(
            _("整改中的整改单"),
            rectifying.count,
            reverse("needs:rectification_list"),
            oldest=rectifying.oldest,
            due=rectifying.due,
            order=40,
        ),
    ]


@register
def firm(user):
    grants = grants_of(user)
    if not grants.has(Role.ENTERPRISE, Role.VOLUNTEER):
        return []
    own = visible(user, "needs.view_need", Need.objects.all()).filter(
        firm_org_id__in=grants.org_ids(Role.ENTERPRISE, Role.VOLUNTEER)
    )
    to_rate = tally(own.filter(state=S.CLOSED, rating__isnull=True), oldest="closed_at")
    url = _need_url(to_rate, S.CLOSED)
    if to_rate.first_pk is not None:  # straight to the page where the firm rates it
        token = Need.objects.filter(pk=to_rate.first_pk).values_list("token", flat=True).first()
        url = reverse("needs:progress", args=[token])
    return [
        TodoItem(
            _("已办结待评价的诉求"),
            to_rate.count,
            url,
            oldest=to_rate.oldest,
            note=_("请对办理结果作出评价"),
            order=30,
        )
    ]


register_entry(EntryPoint(Role.ENTERPRISE, _("提交诉求"), "needs:need_submit_own", 10))
register_entry(EntryPoint(Role.VOLUNTEER, _("提交诉求"), "needs:need_submit_own", 10))
for _role in (Role.DISPATCHER, Role.STAFF, Role.INSTRUCTOR):
    register_entry(EntryPoint(_role, _("诉求工单"), "needs:need_list", 10))
for _role in (Role.ENTERPRISE, Role.VOLUNTEER):
    register_entry(EntryPoint(_role, _("我的诉求"), "needs:need_list", 12))
