"""Demo data of the brief: the series, issue 7 imported from the seed and published with its
figures bound to the modules' demo facts, and issue 8 in editing with two departments' articles.

Idempotent: the series is found by code, issues by number, the extra user by username.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from qinqing.briefing import rules, services
from qinqing.briefing.models import Issue, Series
from qinqing.core.demo import demo_password, recorded_at
from qinqing.core.models import Organisation
from qinqing.core.roles import Role
from qinqing.core.services import role_grant_add

SERIES_NAME = "洪山区优化营商环境工作简报"
SERIES_CODE = "yshj"
TZ = ZoneInfo("Asia/Shanghai")
THIS_YEAR = (date(2024, 1, 1), date(2024, 9, 30))  # "今年以来" as of 2024-09-30
THREE_YEARS = (date(2021, 1, 1), date(2024, 9, 30))  # "三年来": 2021 to 2024-09-30


def seed_path() -> Path:
    """Issue 7 of the real brief (2024-09-30), kept in the repository as the importer's and
    the demo's input; the same text as the project's seed file."""
    return Path(__file__).resolve().parent / "fixtures" / "hongshan-brief-2024-07.txt"


def _tok(name: str, period: tuple[date, date], scale: str = "") -> str:
    return rules.figure_token(name, period[0], period[1], scale)


# (article index, text as printed, the same text with the figure bound)
BINDINGS: list[tuple[int, str, str]] = [
    (0, "走访税务师行业企业6家", f"走访税务师行业企业{_tok('firms_visited', THIS_YEAR)}家"),
    (0, "开展联学共建活动3次", f"开展联学共建活动{_tok('joint_study_events', THIS_YEAR)}次"),
    (0, "组织122名", f"组织{_tok('warning_education_attendees', THIS_YEAR)}名"),
    (0, "邀请8名", f"邀请{_tok('supervisors_engaged', THIS_YEAR)}名"),
    (0, "专项培训7场", f"专项培训{_tok('training_sessions', THIS_YEAR)}场"),
    (0, "发放宣传手册1000余份", f"发放宣传手册{_tok('materials_handed_out', THIS_YEAR)}余份"),
    (0, "解答个性问题60余个", f"解答个性问题{_tok('questions_answered', THIS_YEAR)}余个"),
    (2, "化解债务230余万元", f"化解债务{_tok('debts_resolved', THREE_YEARS, '万')}余万元"),
    (2, "清偿率达到80%", f"清偿率达到{_tok('repayment_rate_nominal', THREE_YEARS)}%"),
]

ISSUE8_ARTICLES = [
    (
        "liaison",
        "hs-swj",
        "“税惠直通车”开进创意天地\n一站式解答企业涉税诉求",
        "洪山区税务局联合园区综合党委，在创意天地文创产业集聚区设立“税惠直通车”服务点，"
        "党建指导员每周驻点答疑。\n"
        "一、问需于企\n"
        "依托问需二维码收集企业共性需求，今年以来走访企业"
        + _tok("firms_visited", (date(2024, 1, 1), date(2024, 10, 31)))
        + "家，开展惠企政策专项培训"
        + _tok("training_sessions", (date(2024, 1, 1), date(2024, 10, 31)))
        + "场。\n"
        "二、服务上门\n"
        "对新办企业提供“开业第一课”，现场辅导电子税务局操作。",
    ),
    (
        "liaison_spj",
        "hs-spj",
        "“高效办成一件事”再提速",
        "洪山区行政审批局推行企业开办“一窗通办”，营业执照、公章刻制、发票申领一次办结。\n"
        "下一步将联合税务、人社、医保等部门推出更多“一件事”套餐，"
        "让企业办事少跑腿、好办事。",
    ),
]


def _series(editor, stdout) -> Series:
    series = Series.objects.filter(code=SERIES_CODE).first()
    if series is None:
        series = services.series_create(
            actor=editor,
            name=SERIES_NAME,
            code=SERIES_CODE,
            issuer=Organisation.objects.get(code="hs-fgj"),
            is_public=True,
        )
    return series


def _issue7(series: Series, editor, stdout) -> None:
    if Issue.objects.filter(series=series, number=7).exists():
        return
    path = seed_path()
    if not path.exists():
        stdout.write(f"  工作简报：未找到种子文件 {path}，跳过第 7 期")
        return
    text = path.read_text(encoding="utf-8")
    moment = datetime(2024, 9, 30, 10, 0, tzinfo=TZ)
    with recorded_at(moment):
        issue = services.issue_import(actor=editor, series=series, text=text)
        articles = list(issue.articles.all())
        bodies = {i: a.body for i, a in enumerate(articles)}
        for index, printed, bound in BINDINGS:
            if printed in bodies[index]:
                bodies[index] = bodies[index].replace(printed, bound, 1)
        for index, article in enumerate(articles):
            if bodies[index] != article.body:
                services.article_update(
                    actor=editor,
                    article=article,
                    title=article.title,
                    body=bodies[index],
                    note="绑定统计指标",
                )
        services.issue_advance(actor=editor, issue=issue, to=Issue.Status.REVIEW)
        # Four eyes: the one who sent it for review does not approve it.
        reviewer = get_user_model().objects.get(username="reviewer")
        services.issue_approve(actor=reviewer, issue=issue)
    with recorded_at(datetime(2024, 9, 30, 16, 0, tzinfo=TZ)):
        issue = services.issue_publish(actor=editor, issue=issue)
    stdout.write(f"  工作简报：第 7 期已导入并发布（PDF SHA-256 {issue.pdf_sha256[:12]}…）")


def _staff_user(username: str, full_name: str, org_code: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.first_name = full_name
        user.set_password(demo_password())
        user.save()
    role_grant_add(
        actor=None, user=user, role=Role.STAFF, organisation=Organisation.objects.get(code=org_code)
    )
    return user


def _issue8(series: Series, editor, stdout) -> None:
    if Issue.objects.filter(series=series, number=8).exists():
        return
    users = {
        "liaison": get_user_model().objects.get(username="liaison"),
        "liaison_spj": _staff_user("liaison_spj", "审批联络专员 黄磊", "hs-spj"),
    }
    with recorded_at(datetime(2024, 10, 20, 9, 0, tzinfo=TZ)):
        issue = services.issue_create(
            actor=editor, series=series, number=8, issued_on=date(2024, 10, 31)
        )
        issue = services.issue_advance(actor=editor, issue=issue, to=Issue.Status.COLLECTING)
        for username, org_code, title, body in ISSUE8_ARTICLES:
            article = services.article_create(
                actor=users[username],
                issue=issue,
                title=title,
                body=body,
                department=Organisation.objects.get(code=org_code),
            )
            services.article_submit(actor=users[username], article=article)
        services.issue_advance(actor=editor, issue=issue, to=Issue.Status.EDITING)
        first = issue.articles.first()
        services.comment_add(actor=editor, article=first, text="请补充“开业第一课”的具体场次。")
    stdout.write("  工作简报：第 8 期编辑中（两个部门供稿）")


def load(*, stdout) -> None:
    editor = get_user_model().objects.filter(username="editor").first()
    if editor is None:
        stdout.write("  工作简报：缺少演示账号 editor，跳过")
        return
    with transaction.atomic():
        series = _series(editor, stdout)
        _issue7(series, editor, stdout)
        _issue8(series, editor, stdout)
