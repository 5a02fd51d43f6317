"""Demo data of the bankruptcy module, recorded through the services so figures derive from it.

Five reconciliation cases concluded 2021–2024 in 武汉市洪山区人民法院 — the seed's three-year
results: assets revitalised 30M+ yuan, debts resolved 2.3M+ yuan, repayment rate 80 %, five firms
rescued — one case at the voting stage and one fast-track case in the declaration period.

The concluded cases are built like real ones (issue 22, "a demo a court would believe"): most of
each debtor's appraised assets are pledged to banks whose secured claims are close to the
collateral's liquidation value; the unencumbered assets would fetch well under their appraisal
in a fire sale; employees (listed one by one, Art.48) and the tax office are owed and paid in
full per the case's ``priority_claims`` setting; a dozen to a few dozen creditors of different
sizes (banks, suppliers, a landlord, service firms, the tax office's late fees, employees) file
or are listed; and each case's 涉企经济影响评估 simulates the liquidation (Art.113, the
administrator's fee as a cost) so its "better off?" table shows every creditor with a term
better off under the 80 % agreement. The figures are queries over these facts (figures.py).

All debtor and creditor firms are fictional (名称含“示例”, generated USCCs); the employees are
fictional people; the cases are flagged ``Case.is_demo`` and the dashboard says so.
Idempotent: a case is found by its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import AgendaItem, Case, CaseDecision, Claim, Creditor, Meeting
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.core.services import organisation_create

D = Decimal
RATE_PERCENT = D("80")
SUPPLIER = "SUPPLIER"  # the `creditor` account's 武汉示例建材有限公司 (core demo "demo-supplier")
TAX_OFFICE = "国家税务总局武汉市洪山区税务局"
RCB = "武汉示例农村商业银行股份有限公司洪山支行"


@dataclass(frozen=True)
class Bank:
    """A secured creditor: its loan, and what its collateral is worth (Art.109)."""

    name: str
    principal: Decimal
    interest: Decimal
    collateral: str  # what is pledged or mortgaged
    appraised: Decimal  # the collateral's appraisal (part of the debtor's appraised assets)
    collateral_value: Decimal  # 担保物清算价值: what it would fetch in a fire sale

    @property
    def claim(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class Party:
    """An ordinary unsecured creditor and its vote at the meeting ("" = absent)."""

    name: str
    amount: Decimal
    vote: str = "yes"


@dataclass(frozen=True)
class DemoCase:
    number: str
    debtor: str
    code: str
    serial: int
    acceptance: date
    business: str  # 产业地位与社会影响
    assets_book: Decimal
    assets_appraised: Decimal  # every asset, going-concern appraisal (what 盘活资产 counts)
    assets_liquidation: Decimal  # the unencumbered assets sold off in a liquidation
    free_assets: str  # what the unencumbered assets are
    costs: Decimal  # 预计破产费用 (appraisal, auction, collection), the administrator's fee apart
    common: Decimal  # 预计共益债务
    average_wage: Decimal
    tax_paid_last_year: Decimal
    banks: tuple[Bank, ...]
    parties: tuple[Party, ...]
    tax: Decimal  # taxes and social insurance owed (Art.113 para.1 item 2)
    late_fee: Decimal  # the tax office's late fees: an ordinary claim (法释〔2012〕9号)
    wages: tuple[Decimal, ...]  # wages owed to each employee, listed by the administrator (Art.48)
    priority_claims: str = "outside"
    fee_rate: Decimal | None = None  # the court's percentage; None: the upper limits
    committee: bool = False  # a creditors' committee chosen at the meeting (Art.67-69)

    @property
    def free_appraised(self) -> Decimal:
        return self.assets_appraised - sum((b.appraised for b in self.banks), D(0))

    def guarantees(self) -> str:
        pledged = "；".join(
            f"{b.collateral}（评估价值 {b.appraised:,.0f} 元，快速变现估值 {b.collateral_value:,.0f}"
            f" 元）设定担保，担保债权 {b.claim:,.0f} 元，担保权人{b.name}"
            for b in self.banks
        )
        return (
            f"{pledged}。未设担保的{self.free_assets}评估价值 {self.free_appraised:,.0f} 元，"
            f"破产清算快速变现估值 {self.assets_liquidation:,.0f} 元。无对外担保。"
        )


# Fictional employees (Art.48 lists each one); each case takes its own, the voting case the last.
_EMPLOYEE_NAMES = (
    "陈志强 刘秀兰 张建华 王丽萍 李国庆 杨春燕 赵文斌 黄晓梅 周海涛 吴桂芳 徐卫东 孙慧敏 "
    "胡永刚 朱玉兰 高明亮 林晓燕 何俊峰 郭淑华 马立新 罗红霞 梁志勇 宋美玲 郑德胜 谢小娟 "
    "韩光明 唐雪梅 冯建军 于凤英 董志刚 萧丽华 程国华 曹秀珍 袁永红 邓晓东 许美华 傅建平 "
    "沈玉梅 曾宪文 彭丽娟 吕建新 苏晓玲 卢志华 蒋海燕 蔡文军 贾春梅 丁永明 魏秀英 薛国平 "
    "叶红梅 阎志军 余丽娜 潘建国 杜晓霞 戴文华 夏玉珍 钟伟东 汪秀梅 田建勇 任丽君 姜海波 "
    "万志成 石玉霞 龙海军 邱丽芳 秦建设 江秀云 史文杰 顾晓红"
)
EMPLOYEES = tuple(_EMPLOYEE_NAMES.split())


def _wages(*amounts: int) -> tuple[Decimal, ...]:
    return tuple(D(a) for a in amounts)


CONCLUDED = [
    DemoCase(
        "（2021）鄂0111破3号",
        "武汉示例机电设备有限公司",
        "bk-demo-jidian",
        201,
        date(2021, 4, 12),
        business="为区内装备制造企业配套生产电控柜和输送设备，订单仍在，"
        "资金链因下游回款迟延断裂；继续经营可保留生产线和技术工人。",
        assets_book=D("7480000"),
        assets_appraised=D("6800000"),
        assets_liquidation=D("520000"),
        free_assets="存货、应收账款、车辆及办公设备",
        costs=D("95000"),
        common=D("25000"),
        average_wage=D("5600"),
        tax_paid_last_year=D("410000"),
        banks=(
            Bank(RCB, D("2950000"), D("126000"), "厂房及土地使用权", D("4350000"), D("3045000")),
            Bank(
                "湖北示例银行股份有限公司武汉东湖支行",
                D("480000"),
                D("18500"),
                "数控加工中心等机器设备",
                D("1150000"),
                D("517000"),
            ),
        ),
        parties=(
            Party(SUPPLIER, D("96000")),
            Party("武汉示例钢材贸易有限公司", D("128000"), "no"),
            Party("武汉示例电机有限公司", D("72000")),
            Party("武汉示例电缆有限公司", D("63000")),
            Party("武汉示例液压件有限公司", D("47000")),
            Party("孝感示例铸造有限公司", D("36800")),
            Party("湖北示例物流有限公司", D("34000")),
            Party("武汉示例劳务派遣有限公司", D("5800"), ""),
        ),
        tax=D("68000"),
        late_fee=D("6400"),
        wages=_wages(16800, 14200, 13600, 12900, 12400, 11800, 11200, 11200, 10600, 9800),
        committee=True,
    ),
    DemoCase(
        "（2022）鄂0111破5号",
        "武汉示例食品有限公司",
        "bk-demo-shipin",
        202,
        date(2022, 3, 7),
        business="区内主要的豆制品和卤制品生产企业，向商超和学校食堂供货，"
        "吸纳周边农户用工；停产将使上游农户和下游门店同时受损。",
        assets_book=D("5630000"),
        assets_appraised=D("5200000"),
        assets_liquidation=D("430000"),
        free_assets="应收商超货款、存货及运输车辆",
        costs=D("80000"),
        common=D("20000"),
        average_wage=D("4800"),
        tax_paid_last_year=D("260000"),
        banks=(
            Bank(RCB, D("1950000"), D("83000"), "生产厂房及土地使用权", D("2900000"), D("2010000")),
            Bank(
                "湖北示例银行股份有限公司武汉洪山支行",
                D("520000"),
                D("16000"),
                "冷库及豆制品生产线",
                D("1200000"),
                D("560000"),
            ),
        ),
        parties=(
            Party("湖北示例农产品有限公司", D("112000")),
            Party("孝感示例面粉有限公司", D("66000")),
            Party("武汉示例包装材料有限公司", D("58000")),
            Party("武汉示例冷链物流有限公司", D("41000")),
            Party("武汉示例食用油有限公司", D("38700")),
            Party("武汉示例调味品有限公司", D("27500")),
            Party("武汉示例机械维修服务部", D("20400")),
            Party("湖北示例食品添加剂有限公司", D("19000")),
            Party("武汉示例广告传媒有限公司", D("12000"), ""),
            Party("武汉示例检测技术有限公司", D("8600")),
        ),
        tax=D("52000"),
        late_fee=D("3800"),
        wages=_wages(12600, 11400, 10800, 10200, 9600, 9600, 9600, 9200, 8800, 8800, 8400, 7600),
    ),
    DemoCase(
        "（2022）鄂0111破12号",
        "武汉示例光电科技有限公司",
        "bk-demo-guangdian",
        203,
        date(2022, 9, 19),
        business="光纤器件研发生产企业，持有发明专利6项，为东湖高新区光通信企业配套；"
        "研发团队稳定，和解后可继续履行在手订单。",
        assets_book=D("8120000"),
        assets_appraised=D("7450000"),
        assets_liquidation=D("760000"),
        free_assets="生产检测设备、存货及应收账款",
        costs=D("110000"),
        common=D("30000"),
        average_wage=D("7800"),
        tax_paid_last_year=D("580000"),
        banks=(
            Bank(
                "湖北示例银行股份有限公司武汉光谷支行",
                D("2650000"),
                D("102000"),
                "研发楼房产",
                D("3900000"),
                D("2730000"),
            ),
            Bank(
                "武汉示例科技融资担保有限公司",
                D("380000"),
                D("15000"),
                "发明专利权质押（反担保，代偿后追偿）",
                D("1250000"),
                D("380000"),
            ),
        ),
        parties=(
            Party("武汉示例电子元件有限公司", D("138000")),
            Party("武汉示例光学材料有限公司", D("97000"), "no"),
            Party("湖北示例精密机械有限公司", D("84000")),
            Party("武汉示例气体有限公司", D("58000")),
            Party("鄂州示例光学玻璃有限公司", D("52000")),
            Party("武汉示例人力资源服务有限公司", D("46000")),
            Party("武汉示例洁净工程有限公司", D("39500")),
            Party("武汉示例软件有限公司", D("23000")),
            Party("武汉示例物业管理有限公司", D("18500")),
            Party("武汉示例知识产权代理有限公司", D("9800")),
        ),
        tax=D("96000"),
        late_fee=D("7200"),
        wages=_wages(
            23400,
            19500,
            18200,
            17600,
            16900,
            15600,
            15600,
            15600,
            14800,
            14200,
            13500,
            12800,
            12400,
        ),
        fee_rate=D("10"),
    ),
    DemoCase(
        "（2023）鄂0111破7号",
        "武汉示例建筑装饰工程有限公司",
        "bk-demo-zhuangshi",
        204,
        date(2023, 5, 22),
        business="具备建筑装修装饰工程专业承包二级资质，承接区内学校、医院维修改造工程；"
        "资产以应收工程款为主，清算时难以足额回收。",
        assets_book=D("5460000"),
        assets_appraised=D("4980000"),
        assets_liquidation=D("260000"),
        free_assets="应收工程款（多笔涉诉）、施工设备及车辆",
        costs=D("120000"),
        common=D("15000"),
        average_wage=D("6200"),
        tax_paid_last_year=D("190000"),
        banks=(Bank(RCB, D("1780000"), D("64000"), "办公楼层房产", D("2600000"), D("1820000")),),
        parties=(
            Party(SUPPLIER, D("86000")),
            Party("武汉示例劳务有限公司", D("72000")),
            Party("武汉示例石材有限公司", D("54000")),
            Party("湖北示例涂料有限公司", D("47500")),
            Party("武汉示例木业有限公司", D("38000")),
            Party("武汉示例五金有限公司", D("31000")),
            Party("武汉示例灯饰有限公司", D("16500")),
            Party("武汉示例汽车租赁有限公司", D("8400")),
        ),
        tax=D("35000"),
        late_fee=D("2600"),
        wages=_wages(14800, 13600, 12400, 12400, 11800, 11200, 10500, 9900, 9300),
        priority_claims="inside",
    ),
    DemoCase(
        "（2024）鄂0111破2号",
        "武汉示例印务有限公司",
        "bk-demo-yinwu",
        205,
        date(2024, 2, 26),
        business="承印教辅资料和商业包装，租用科技园厂房经营，拥有四色胶印生产线；"
        "客户稳定，和解后可续租继续生产。",
        assets_book=D("6790000"),
        assets_appraised=D("6120000"),
        assets_liquidation=D("650000"),
        free_assets="纸张油墨存货、应收账款及装订设备",
        costs=D("90000"),
        common=D("25000"),
        average_wage=D("5200"),
        tax_paid_last_year=D("320000"),
        banks=(
            Bank(
                "湖北示例银行股份有限公司武汉洪山支行",
                D("1480000"),
                D("52000"),
                "四色胶印机三台",
                D("3600000"),
                D("1500000"),
            ),
            Bank(
                "武汉示例小额贷款有限公司",
                D("245000"),
                D("10000"),
                "运输车辆",
                D("420000"),
                D("260000"),
            ),
        ),
        parties=(
            Party("武汉示例纸业有限公司", D("118000")),
            Party("武汉示例科技园运营管理有限公司", D("96000")),
            Party("湖北示例油墨有限公司", D("43500"), "no"),
            Party("孝感示例包装制品有限公司", D("35000")),
            Party("武汉示例版材有限公司", D("27000")),
            Party("武汉示例供应链管理有限公司", D("22600")),
            Party("武汉示例物流有限公司", D("22000")),
            Party("武汉示例设备维保有限公司", D("9800")),
        ),
        tax=D("58000"),
        late_fee=D("4100"),
        wages=_wages(15600, 13000, 11400, 10400, 10400, 10400, 9800, 9800, 9200, 8600, 8600),
    ),
]
VOTING_NUMBER = "（2026）鄂0111破4号"
FAST_TRACK_NUMBER = "（2026）鄂0111破6号"


def _world():
    users = get_user_model().objects.in_bulk(
        ["judge", "administrator", "creditor"], field_name="username"
    )
    orgs = Organisation.objects.in_bulk(
        ["hs-court", "demo-lawfirm", "demo-supplier"], field_name="code"
    )
    return users, orgs


def _debtor(code: str, name: str, serial: int) -> Organisation:
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return organisation_create(
        actor=None,
        kind=Organisation.Kind.FIRM,
        name=name,
        code=code,
        uscc=demo_uscc("91420111", serial),
    )


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _accept(
    users, orgs, *, number, debtor, code, serial, acceptance, announce_after, declaration_days
) -> Case:
    judge = users["judge"]
    case = services.case_create(
        actor=judge,
        number=number,
        court=orgs["hs-court"],
        debtor=_debtor(code, debtor, serial),
        judge=judge,
        petition_date=acceptance - timedelta(days=8),
        acceptance_date=acceptance,
        administrator=orgs["demo-lawfirm"],
        is_demo=True,
    )
    announced = acceptance + timedelta(days=announce_after)
    services.case_announce(
        actor=judge,
        case=case,
        announcement_date=announced,
        declaration_end=announced + timedelta(days=declaration_days),
    )
    return case


def _file(case: Case, name: str, amount: Decimal, users, orgs, **claim) -> Claim:
    """A claim filed in the declaration period: the demo creditor through its own account,
    anyone else on paper, entered by the administrator."""
    filed_on = case.announcement_date + timedelta(days=5)
    if name == SUPPLIER:
        return services.claim_file(
            actor=users["creditor"],
            case=case,
            creditor_name=orgs["demo-supplier"].name,
            organisation=orgs["demo-supplier"],
            principal=amount - D("12000"),
            interest="12000",
            filed_on=filed_on,
            **claim,
        )
    return services.claim_file(
        actor=users["administrator"],
        case=case,
        creditor_name=name,
        principal=amount,
        filed_on=filed_on,
        **claim,
    )


def _review_all(case: Case, users) -> None:
    for claim in case.claims.filter(status=Claim.Status.FILED).order_by("pk"):
        services.claim_review(
            actor=users["administrator"],
            claim=claim,
            admitted_amount=claim.declared_amount,
            reason="合同、对账单及付款凭证齐全，予以确认"
            if not claim.secured
            else "借款合同、抵押登记及欠款明细齐全，予以确认；就担保物优先受偿",
        )


def _committee(spec: DemoCase, case: Case, meeting: Meeting, users) -> date:
    """A creditors' committee the meeting chose (Art.67): three creditors' representatives
    (the demo creditor's firm among them) and the employees' representative, approved by the
    court; a decision supervising the administration (Art.68, one member against with its
    reason); an Art.69 act (continuing an executory supply contract) reported to it eleven
    days ahead (Interp. III Art.15) and acknowledged by the demo creditor's member. Returns the
    act's date: the court approves the agreement after it."""
    judge, admin = users["judge"], users["administrator"]
    day = meeting.date
    committee = services.committee_create(actor=admin, case=case, chosen_on=day, meeting=meeting)
    seats = {}
    for name, rep in (
        (SUPPLIER, "刘示例（财务经理）"),
        ("武汉示例钢材贸易有限公司", "陈示例（法务主管）"),
        ("武汉示例电机有限公司", "周示例（总经理）"),
    ):
        seats[name] = services.committee_member_add(
            actor=admin,
            committee=committee,
            kind="creditor",
            creditor=(
                case.creditors.get(organisation__code="demo-supplier")
                if name == SUPPLIER
                else case.creditors.get(name=name)
            ),
            name=rep,
            added_on=day,
        )
    first = sum(len(c.wages) for c in CONCLUDED[: CONCLUDED.index(spec)])
    staff = services.committee_member_add(
        actor=admin,
        committee=committee,
        kind="employee",
        name=f"{EMPLOYEES[first + len(spec.wages) - 1]}（职工代表大会推选）",
        added_on=day,
    )
    services.committee_approve(actor=judge, committee=committee, on=day + timedelta(days=2))
    decision = services.committee_decision_record(
        actor=admin,
        committee=committee,
        subject="administration",
        matter="同意管理人继续履行债务人与示例装备制造客户的电控柜供货合同（双方均未履行完毕，"
        "剩余货款 386,000 元），回款进入管理人账户，由委员会按月核对。",
        decided_on=day + timedelta(days=3),
        votes={
            seats[SUPPLIER].pk: ("yes", ""),
            seats["武汉示例钢材贸易有限公司"].pk: ("no", "客户回款周期过长，应先收预付款再供货"),
            seats["武汉示例电机有限公司"].pk: ("yes", ""),
            staff.pk: ("yes", ""),
        },
    )
    act_date = day + timedelta(days=14)
    report = services.art69_report(
        actor=admin,
        case=case,
        act="contracts",
        description="继续履行与示例装备制造客户的电控柜供货合同（剩余货款 386,000 元），"
        "所需原材料约 150,000 元由债务人现有存货解决。",
        act_date=act_date,
        reported_on=day + timedelta(days=3),
    )
    member = users["creditor"]
    services.art69_acknowledge(actor=member, report=report, on=day + timedelta(days=4))
    services.committee_vote_sign(actor=member, vote=decision.votes.get(member=seats[SUPPLIER]))
    return act_date


def _schedule(term, approved: date) -> list[tuple[date, Decimal]]:
    """Employee and tax claims first (30 days), small terms in one payment, others in two."""
    agreed = term.agreed_amount
    if term.priority_amount:
        return [(approved + timedelta(days=30), agreed)]
    if agreed <= D("50000"):
        return [(approved + timedelta(days=90), agreed)]
    half = (agreed / 2).quantize(D("0.01"))
    return [(approved + timedelta(days=90), half), (approved + timedelta(days=180), agreed - half)]


def _concluded(spec: DemoCase, users, orgs) -> None:
    judge, admin = users["judge"], users["administrator"]
    case = _accept(
        users,
        orgs,
        number=spec.number,
        debtor=spec.debtor,
        code=spec.code,
        serial=spec.serial,
        acceptance=spec.acceptance,
        announce_after=10,
        declaration_days=30,
    )
    settings = {}
    if spec.priority_claims != "outside":
        settings["priority_claims"] = spec.priority_claims
    if spec.fee_rate is not None:
        settings["administrator_fee_rate"] = spec.fee_rate
    if settings:
        services.case_settings_update(actor=judge, case=case, **settings)
    services.assessment_record(
        actor=admin,
        case=case,
        assessed_on=spec.acceptance + timedelta(days=5),
        employees=len(spec.wages),
        average_monthly_wage=spec.average_wage,
        tax_paid_last_year=spec.tax_paid_last_year,
        revenue_trend="falling",
        assets_book=spec.assets_book,
        assets_appraised=spec.assets_appraised,
        assets_liquidation=spec.assets_liquidation,
        costs_estimate=spec.costs,
        common_benefit_estimate=spec.common,
        guarantees=spec.guarantees(),
        industry_role=spec.business,
    )
    for bank in spec.banks:
        services.claim_file(
            actor=admin,
            case=case,
            creditor_name=bank.name,
            principal=bank.principal,
            interest=bank.interest,
            secured=True,
            collateral_value=bank.collateral_value,
            filed_on=case.announcement_date + timedelta(days=3),
        )
    voters: list[tuple[Creditor, str]] = []
    for party in spec.parties:
        claim = _file(case, party.name, party.amount, users, orgs)
        voters.append((claim.creditor, party.vote))
    services.claim_file(
        actor=admin,
        case=case,
        creditor_name=TAX_OFFICE,
        principal=spec.tax,
        rank=Claim.Rank.TAX_SOCIAL,
        filed_on=case.announcement_date + timedelta(days=12),
    )
    late_fee = services.claim_file(
        actor=admin,
        case=case,
        creditor_name=TAX_OFFICE,
        principal=spec.late_fee,
        nature=Claim.Nature.TAX_LATE_FEE,
        filed_on=case.announcement_date + timedelta(days=12),
    )
    voters.append((late_fee.creditor, "yes"))
    first = sum(len(c.wages) for c in CONCLUDED[: CONCLUDED.index(spec)])
    for name, amount in zip(EMPLOYEES[first:], spec.wages, strict=False):
        services.claim_list_employee(
            actor=admin,
            case=case,
            employee_name=name,
            amount=amount,
            listed_on=case.announcement_date + timedelta(days=3),
        )
    _review_all(case, users)
    services.claims_table_publish(
        actor=admin, case=case, on=case.declaration_end + timedelta(days=1)
    )
    meeting_day = case.declaration_end + timedelta(days=10)
    meeting = services.meeting_schedule(
        actor=admin,
        case=case,
        date=meeting_day,
        notice_date=meeting_day - timedelta(days=15),
        items=[("表决和解协议草案", AgendaItem.Kind.RECONCILIATION)],
    )
    services.claims_confirm(actor=judge, case=case, on=meeting_day)
    inside = spec.priority_claims == "inside"
    agreement = services.agreement_draft_by_plan(
        actor=admin,
        case=case,
        plan=rules.OfferPlan(rate=RATE_PERCENT),
        summary=(
            "普通债权（含有财产担保债权中担保物不足清偿的部分、税款滞纳金）按80%清偿，"
            "分两期于认可后六个月内付清，5万元以下的一次付清，余额豁免；"
            + (
                "职工债权和税款列入协议，于认可后30日内全额清偿；"
                if inside
                else "职工债权和税款在协议外全额清偿；"
            )
            + "有财产担保债权就担保物优先受偿，由债务人与担保权人另行协商展期。"
        ),
    )
    services.meeting_open(actor=admin, meeting=meeting)
    item = meeting.items.get()
    for creditor, vote in voters:
        if not vote:
            continue  # absent: counts against on amount (Art.97)
        services.attendance_sign_in(
            actor=admin, meeting=meeting, creditor=creditor, at=_at(meeting_day)
        )
        services.ballot_cast(
            actor=admin, item=item, creditor=creditor, vote=vote, at=_at(meeting_day, 10)
        )
    services.meeting_close(actor=admin, meeting=meeting, on=meeting_day)
    services.meeting_results_send(actor=admin, meeting=meeting, on=meeting_day + timedelta(days=1))
    approved = meeting_day + timedelta(days=7)
    if spec.committee:
        approved = _committee(spec, case, meeting, users) + timedelta(days=5)
    if not inside:  # the default: paid in full outside the agreement before approval
        for claim in selectors.priority_claims(case):
            services.claim_priority_paid(actor=admin, claim=claim, on=approved - timedelta(days=2))
    services.agreement_approve(actor=judge, agreement=agreement, on=approved)
    last = approved
    for term in agreement.terms.order_by("pk"):
        schedule = _schedule(term, approved)
        services.installments_set(actor=admin, term=term, schedule=schedule)
        for due, amount in schedule:
            services.payment_record(
                actor=admin, term=term, amount=amount, paid_on=due, reference=f"HS{due:%Y%m%d}"
            )
            last = max(last, due)
    services.agreement_complete(actor=judge, agreement=agreement, on=last + timedelta(days=5))


# An account-less creditor of the voting case with a phone: on the public meeting page it
# identifies itself by an SMS code (shown on the 演示短信 page) and votes.
VOTER_PHONES = {"武汉示例运输有限公司": "13800009527"}


def _voting_stage(users, orgs, today: date) -> None:
    judge, admin = users["judge"], users["administrator"]
    case = _accept(
        users,
        orgs,
        number=VOTING_NUMBER,
        debtor="武汉示例新材料有限公司",
        code="bk-demo-xincailiao",
        serial=206,
        acceptance=today - timedelta(days=55),
        announce_after=10,
        declaration_days=35,
    )
    services.assessment_record(
        actor=admin,
        case=case,
        assessed_on=case.acceptance_date + timedelta(days=5),
        employees=8,
        average_monthly_wage="5400",
        tax_paid_last_year="230000",
        revenue_trend="falling",
        assets_book="3920000",
        assets_appraised="3400000",
        assets_liquidation="380000",
        costs_estimate="60000",
        common_benefit_estimate="20000",
        guarantees="改性塑料生产线（评估价值 2,300,000 元，快速变现估值 1,500,000 元）抵押予"
        "示例农村商业银行洪山支行，担保债权 1,236,000 元。未设担保的存货、应收账款及办公设备"
        "评估价值 1,100,000 元，破产清算快速变现估值 380,000 元。无对外担保。",
        industry_role="为汽车零部件企业供应改性塑料粒子，订单因主要客户迟延付款而收缩。",
    )
    creditors = []
    for name, amount in (
        (SUPPLIER, D("320000")),
        ("武汉示例化工原料有限公司", D("410000")),
        ("湖北示例设备租赁有限公司", D("150000")),
        ("武汉示例运输有限公司", D("95000")),
    ):
        phone = VOTER_PHONES.get(name, "")
        creditors.append(_file(case, name, amount, users, orgs, phone=phone).creditor)
    bank = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="示例农村商业银行洪山支行",
        principal="1200000",
        interest="36000",
        secured=True,
        collateral_value="1500000",
        filed_on=case.announcement_date + timedelta(days=6),
    )
    services.claim_file(
        actor=admin,
        case=case,
        creditor_name=TAX_OFFICE,
        principal="41000",
        rank=Claim.Rank.TAX_SOCIAL,
        filed_on=case.announcement_date + timedelta(days=12),
    )
    for name, amount in zip(
        EMPLOYEES[-8:], (12800, 11900, 10800, 10800, 10800, 10200, 9600, 9600), strict=True
    ):
        services.claim_list_employee(
            actor=admin,
            case=case,
            employee_name=name,
            amount=amount,
            listed_on=case.announcement_date + timedelta(days=3),
        )
    _review_all(case, users)
    disputed = creditors[-1].claims.get()
    services.claim_object(actor=admin, claim=disputed, text="债务人对运费计算有异议")
    services.claims_table_publish(
        actor=admin, case=case, on=case.declaration_end + timedelta(days=1)
    )
    meeting = services.meeting_schedule(
        actor=admin,
        case=case,
        date=today,
        notice_date=today - timedelta(days=16),
        items=[
            ("表决和解协议草案", AgendaItem.Kind.RECONCILIATION),
            ("核查债权表及管理人报酬方案", AgendaItem.Kind.ORDINARY),
        ],
    )
    services.claims_confirm(actor=judge, case=case, on=today)
    services.claim_set_provisional(actor=judge, claim=disputed, amount="80000")
    services.agreement_draft_by_plan(
        actor=admin,
        case=case,
        plan=rules.OfferPlan(rate=D("75"), paid_in_full_up_to=D("100000")),
        summary="普通债权10万元以下部分全额清偿、超出部分按75%清偿，于两年内分四期支付；"
        "有财产担保债权就担保物优先受偿；职工债权和税款在协议外全额清偿。",
    )
    services.meeting_open(actor=admin, meeting=meeting)
    items = list(meeting.items.order_by("pk"))
    for creditor, vote in ((creditors[1], "yes"), (creditors[2], "no")):
        services.attendance_sign_in(
            actor=admin, meeting=meeting, creditor=creditor, proxy_name="委托代理人"
        )
        for item in items:
            services.ballot_cast(actor=admin, item=item, creditor=creditor, vote=vote)
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=bank.creditor)
    services.ballot_cast(actor=admin, item=items[1], creditor=bank.creditor, vote="yes")


def _fast_track(users, orgs, today: date) -> None:
    judge, admin = users["judge"], users["administrator"]
    case = _accept(
        users,
        orgs,
        number=FAST_TRACK_NUMBER,
        debtor="武汉示例餐饮管理有限公司",
        code="bk-demo-canyin",
        serial=207,
        acceptance=today - timedelta(days=20),
        announce_after=5,
        declaration_days=40,
    )
    services.assessment_record(
        actor=admin,
        case=case,
        assessed_on=case.acceptance_date + timedelta(days=5),
        employees=36,
        tax_paid_last_year="420000",
        revenue_trend="falling",
        assets_book="1210000",
        assets_appraised="380000",
        assets_liquidation="95000",
        costs_estimate="60000",
        common_benefit_estimate="20000",
        guarantees="无抵押、质押；门店均为租赁，装修已大部分摊销，厨房设备评估价值约 380,000 元，"
        "快速变现估值 95,000 元。无对外担保。",
        industry_role="区内连锁餐饮企业，吸纳就业较多",
    )
    for name, amount in (
        ("武汉示例蔬菜配送有限公司", D("68000")),
        ("武汉示例厨具有限公司", D("42000")),
    ):
        _file(case, name, amount, users, orgs)
    services.case_decide(
        actor=judge,
        case=case,
        kind=CaseDecision.Kind.FAST_TRACK_ON,
        decided_on=case.announcement_date,
        reason="债权人少于20人，资产总额低于500万元，无未决诉讼，账册已接管，依本院快审配置适用快速审理。",
    )


def load(*, stdout) -> None:
    users, orgs = _world()
    if len(users) < 3 or len(orgs) < 3:
        stdout.write("  破产和解：缺少核心演示账号或机构，跳过")
        return
    today = timezone.localdate()
    created = 0
    with transaction.atomic():
        for spec in CONCLUDED:
            if not Case.objects.filter(number=spec.number).exists():
                _concluded(spec, users, orgs)
                created += 1
        if not Case.objects.filter(number=VOTING_NUMBER).exists():
            _voting_stage(users, orgs, today)
            created += 1
        if not Case.objects.filter(number=FAST_TRACK_NUMBER).exists():
            _fast_track(users, orgs, today)
            created += 1
    stdout.write(
        f"  破产案件：新建 {created} 件，共 {Case.objects.count()} 件"
        f"（演示案件 {Case.objects.filter(is_demo=True).count()} 件，债务人均为虚构企业）"
    )
    meeting = Meeting.objects.filter(case__number=VOTING_NUMBER, status=Meeting.Status.OPEN).first()
    if meeting is not None:
        name, phone = next(iter(VOTER_PHONES.items()))
        stdout.write(
            f"    试一试网上表决：/bankruptcy/public/meetings/{meeting.pk}/ 以{name}的手机号"
            f" {phone} 获取验证码（见演示短信）；网上申报债权：/bankruptcy/public/"
        )
