"""评标统计: the sessions one may see over a period — by month, by host centre, by state —
and how the drawn experts answered, each chart with its table."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.bidding.draw.models import DrawOutcome
from qinqing.bidding.projects import selectors
from qinqing.bidding.projects.models import EvaluationSession
from qinqing.core.charts import Chart, chart, month_labels, period_links
from qinqing.core.forms import PeriodForm
from qinqing.core.permissions import require
from qinqing.core.replica import reads_from_replica


def _bounds(start, end) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


@login_required
@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.view_session")
    today = timezone.localdate()
    form = PeriodForm(request.GET if request.GET else PeriodForm.this_year(today))
    charts: list[Chart] = []
    start = end = None
    total = 0
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        lo, hi = _bounds(start, end)
        ids = list(
            selectors.sessions(user=request.user)
            .filter(starts_at__gte=lo, starts_at__lt=hi)
            .values_list("pk", flat=True)
        )
        sessions = EvaluationSession.objects.filter(pk__in=ids)
        total = len(ids)
        months = month_labels(start, end)
        per_month = {
            f"{row['m']:%Y-%m}": row["n"]
            for row in sessions.annotate(m=TruncMonth("starts_at"))
            .values("m")
            .annotate(n=Count("pk"))
            if row["m"]
        }
        states = dict(EvaluationSession.Status.choices)
        answers = dict(DrawOutcome.Status.choices)
        charts = [
            chart(
                "bidding-month",
                _("评标场次按月"),
                [(label, per_month.get(label, 0)) for label, _a, _b in months],
                unit=_("场"),
                category=_("月份"),
            ),
            chart(
                "bidding-centre",
                _("评标场次按主场交易中心"),
                [
                    (row["host_centre__short_name"] or row["host_centre__name"], row["n"])
                    for row in sessions.values("host_centre__short_name", "host_centre__name")
                    .annotate(n=Count("pk"))
                    .order_by("-n")
                ],
                kind="hbar",
                unit=_("场"),
                category=_("交易中心"),
            ),
            chart(
                "bidding-status",
                _("评标场次按状态"),
                [
                    (str(states.get(row["status"], row["status"])), row["n"])
                    for row in sessions.values("status").annotate(n=Count("pk")).order_by("-n")
                ],
                kind="hbar",
                unit=_("场"),
                category=_("状态"),
            ),
            chart(
                "bidding-answers",
                _("抽中专家的答复"),
                [
                    (str(answers.get(row["status"], row["status"])), row["n"])
                    # drawn experts only: the tenderer's representatives are named, not drawn
                    for row in DrawOutcome.objects.filter(session_id__in=ids, draw__isnull=False)
                    .values("status")
                    .annotate(n=Count("pk"))
                    .order_by("-n")
                ],
                kind="hbar",
                unit=_("人次"),
                category=_("答复"),
            ),
        ]
    return render(
        request,
        "bidding/dashboard.html",
        {
            "form": form,
            "charts": charts,
            "total": total,
            "periods": period_links(today, (start, end)),
        },
    )
