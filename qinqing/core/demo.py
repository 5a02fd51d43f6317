"""Demo data of the core: the district's organisations and one account per role.

Idempotent: organisations are found by code, users by username. Demo firms are fictional
(their names say 示例) and carry generated but valid USCCs; government bodies carry none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import transaction

from qinqing.core.audit import audit_log
from qinqing.core.models import Organisation
from qinqing.core.roles import Role
from qinqing.core.rules import uscc_check_char
from qinqing.core.services import organisation_create, role_grant_add

DEFAULT_PASSWORD = "qinqing-demo"
K = Organisation.Kind


def demo_password() -> str:
    return os.environ.get("QINQING_DEMO_PASSWORD") or DEFAULT_PASSWORD


@contextmanager
def recorded_at(moment: datetime) -> Iterator[None]:
    """Record demo history as of `moment`: services, timestamps and audit rows see that time.

    Demo data reproduces past events (e.g. the 2024 evaluation in the seed); the services'
    own rules ("a session must start in the future") then hold as they did at the time.
    """
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def demo_uscc(prefix: str, serial: int) -> str:
    """A well-formed USCC for a fictional demo firm: prefix (8) + 'MA' + serial (7) + check."""
    first17 = f"{prefix}MA{serial:07d}"
    return first17 + uscc_check_char(first17)


# (code, kind, name, short name, parent code, uscc)
ORGANISATIONS: list[tuple[str, str, str, str, str | None, str | None]] = [
    ("hongshan", K.DISTRICT, "武汉市洪山区人民政府", "洪山区", None, None),
    ("hs-fgj", K.DEPARTMENT, "洪山区发展和改革局", "区发改局", "hongshan", None),
    ("hs-ysb", K.OFFICE, "洪山区优化营商环境办公室", "区营商办", "hs-fgj", None),
    ("hs-swj", K.DEPARTMENT, "国家税务总局武汉市洪山区税务局", "区税务局", "hongshan", None),
    ("hs-spj", K.DEPARTMENT, "洪山区行政审批局", "区行政审批局", "hongshan", None),
    (
        "hs-zgj",
        K.DEPARTMENT,
        "洪山区自然资源和城乡建设局",
        "区自然资源和城乡建设局",
        "hongshan",
        None,
    ),
    ("hs-jrb", K.DEPARTMENT, "洪山区金融工作办公室", "区金融办", "hongshan", None),
    ("hs-bdc", K.DEPARTMENT, "洪山区不动产登记中心", "不动产登记中心", "hongshan", None),
    ("hs-fgb", K.DEPARTMENT, "洪山区住房保障和房屋管理局", "区房管局", "hongshan", None),
    ("hs-rsj", K.DEPARTMENT, "洪山区人力资源和社会保障局", "区人社局", "hongshan", None),
    ("hs-ybj", K.DEPARTMENT, "洪山区医疗保障局", "区医保局", "hongshan", None),
    ("hs-court", K.COURT, "武汉市洪山区人民法院", "区法院", None, None),
    ("whggzy", K.TRADING_CENTRE, "武汉市公共资源交易中心", "武汉市交易中心", None, None),
    (
        "whggzy-experts",
        K.EXPERT_DATABASE,
        "武汉市公共资源交易中心评标专家库",
        "武汉市专家库",
        "whggzy",
        None,
    ),
    ("jkggzy", K.TRADING_CENTRE, "武汉经开区公共资源交易中心", "经开区交易中心", None, None),
    (
        "jkggzy-experts",
        K.EXPERT_DATABASE,
        "武汉经开区公共资源交易中心评标专家库",
        "经开区专家库",
        "jkggzy",
        None,
    ),
    ("demo-tenderer", K.INSTITUTION, "武汉城市职业学院", "城市职业学院", None, None),
    (
        "demo-agency",
        K.AGENCY,
        "湖北示例工程咨询有限公司",
        "示例咨询",
        None,
        demo_uscc("91420111", 1),
    ),
    ("demo-lawfirm", K.FIRM, "湖北示例律师事务所", "示例律所", None, demo_uscc("31420000", 2)),
    ("demo-firm", K.FIRM, "武汉示例科技有限公司", "示例科技", None, demo_uscc("91420111", 3)),
    (
        "demo-bidder",
        K.FIRM,
        "湖北示例建筑设计研究院有限公司",
        "示例设计院",
        None,
        demo_uscc("91420100", 200),
    ),
    (
        "demo-taxagent",
        K.FIRM,
        "武汉示例税务师事务所有限公司",
        "示例税务师所",
        None,
        demo_uscc("91420111", 4),
    ),
    ("demo-supplier", K.FIRM, "武汉示例建材有限公司", "示例建材", None, demo_uscc("91420111", 5)),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    org_code: str
    staff: bool = False


ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "平台管理员", Role.PLATFORM_ADMIN, "hongshan", staff=True),
    DemoAccount("editor", "简报编辑 周敏", Role.EDITOR, "hs-fgj"),
    DemoAccount("reviewer", "简报审核 胡静", Role.EDITOR, "hs-fgj"),
    DemoAccount("liaison", "税务联络专员 李娜", Role.STAFF, "hs-swj"),
    DemoAccount("instructor", "党建指导员 王强", Role.INSTRUCTOR, "hs-swj"),
    DemoAccount("dispatcher", "派单员 陈晨", Role.DISPATCHER, "hs-ysb"),
    DemoAccount("centre_wh", "武汉市交易中心管理员", Role.CENTRE_ADMIN, "whggzy"),
    DemoAccount("centre_jk", "经开区交易中心管理员", Role.CENTRE_ADMIN, "jkggzy"),
    DemoAccount("supervisor", "行政监督 刘洋", Role.SUPERVISOR, "hs-zgj"),
    DemoAccount("agent", "招标代理 赵磊", Role.TENDER_AGENT, "demo-agency"),
    DemoAccount("tenderer", "招标人代表 孙丽", Role.TENDERER, "demo-tenderer"),
    DemoAccount("expert", "评标专家 吴斌", Role.EXPERT, "whggzy-experts"),
    DemoAccount("judge", "法官 郑洁", Role.JUDGE, "hs-court"),
    DemoAccount("administrator", "管理人 钱程", Role.ADMINISTRATOR, "demo-lawfirm"),
    DemoAccount("creditor", "债权人 示例建材", Role.CREDITOR, "demo-supplier"),
    DemoAccount("enterprise", "企业用户 示例科技", Role.ENTERPRISE, "demo-firm"),
    DemoAccount("bidder", "投标人联系人 示例设计院", Role.BIDDER, "demo-bidder"),
    DemoAccount("volunteer", "近邻监督员 冯雪", Role.VOLUNTEER, "demo-taxagent"),
]


def _organisations(stdout) -> dict[str, Organisation]:
    by_code = {
        o.code: o for o in Organisation.objects.filter(code__in=[r[0] for r in ORGANISATIONS])
    }
    for code, kind, name, short, parent_code, uscc in ORGANISATIONS:
        if code not in by_code:
            by_code[code] = organisation_create(
                actor=None,
                kind=kind,
                name=name,
                code=code,
                short_name=short,
                parent=by_code[parent_code] if parent_code else None,
                uscc=uscc,
            )
    stdout.write(f"  组织机构：{len(by_code)} 个")
    return by_code


def _accounts(orgs: dict[str, Organisation], password: str, stdout) -> None:
    user_model = get_user_model()
    for account in ACCOUNTS:
        user, created = user_model.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.is_staff = user.is_superuser = account.staff
        user.set_password(password)
        user.save()
        if created:
            audit_log(actor=None, action="user.create", obj=user, detail={"demo": True})
        role_grant_add(
            actor=None, user=user, role=account.role, organisation=orgs[account.org_code]
        )
    stdout.write(f"  演示账号：{len(ACCOUNTS)} 个")


def load(*, stdout) -> None:
    with transaction.atomic():
        orgs = _organisations(stdout)
        _accounts(orgs, demo_password(), stdout)


def account_rows() -> list[tuple[str, str, str]]:
    names = {o.code: o.name for o in Organisation.objects.all()}
    return [(a.username, Role(a.role).label, names.get(a.org_code, a.org_code)) for a in ACCOUNTS]


# Where each demo role starts its walk: (username, start path, what to try there). Everyone's
# home (/) lists what is waiting for them; these are the pages of each role's main task.
STARTS: list[tuple[str, str, str]] = [
    ("admin", "/", "待办、统计指标（/figures/）、审计日志（/audit/）、演示短信（/demo/outbox/）"),
    ("editor", "/briefing/", "编辑工作简报，采用部门稿件"),
    ("reviewer", "/briefing/", "审核他人提交的简报（提交人不能审核自己提交的一期）"),
    ("liaison", "/needs/", "签收并答复派到本部门的企业诉求"),
    ("instructor", "/activities/visits/", "登记走访，查看党建联学活动"),
    ("dispatcher", "/needs/", "分派新收到的诉求，查看诉求看板（/needs/dashboard/）"),
    ("centre_wh", "/bidding/", "今天的评标场次、抽取专家、工位签到（/bidding/signin/）"),
    ("centre_jk", "/bidding/", "异地评标的副场：本中心的工位和专家"),
    ("supervisor", "/bidding/live/", "在线监督今天的评标，见证抽取，审批澄清"),
    ("agent", "/bidding/", "登记项目、申请评标场次"),
    ("tenderer", "/bidding/", "查看本单位项目的评标和报告"),
    ("expert", "/bidding/expert/", "答复评标邀请、请假，在工位签到后评分"),
    ("judge", "/bankruptcy/", "审查和解案件、批准和解协议"),
    ("administrator", "/bankruptcy/", "审查债权、召开债权人会议、执行和解协议"),
    ("creditor", "/bankruptcy/my/", "查看和解协议和本方条款，表决，确认收款"),
    ("enterprise", "/needs/submit/", "提交诉求、报名活动（/activities/for-me/）"),
    ("bidder", "/bidding/bids/", "递交投标文件、开标解密、答复澄清、提出异议、查看中标通知"),
    ("volunteer", "/activities/supervisors/", "近邻监督员：记录走访和监督意见"),
]
PUBLIC_STARTS: list[tuple[str, str]] = [
    ("/", "公众首页：提交诉求、查询进度、破产公告与债权申报、活动报名"),
    ("/bankruptcy/public/", "破产和解公告，网上申报债权（验证码见演示短信）"),
]
