"""Demo sealed bids and remote openings, run through the real services.

Each demo bidder's documents (商务标 / 技术标 / 资格审查资料) are generated PDFs of a few pages
(WeasyPrint, bidding/demo/bid_document.html, words in demo_bid_texts.py), sealed in QQ-SEAL-2
with `seal.seal` as `qinqing bid_seal` does, submitted before the section's deadline
(`bid_submit`) and opened at the deadline: each bidder's "browser" unwraps its content key from
its passphrase (PBKDF2 + AES-KW, `seal.unwrap_key`) and hands it to `opening_decrypt`.

- The seed project (2024-08-29): all five bidders seal; the opening at 08:00 reads out the
  same prices the committee's scoring used before sealed bids existed, one objection is raised
  and answered, the record is closed. Two bidders (中南示例 and 筑境) handed in documents made by
  the same person at the same moment, with the same technical chapter: the collusion
  screening's case (实施条例 Art.40).
- Today's running session: its three bids were opened before the evaluation began.
- A section whose deadline is now (LIVE_TENDER): the hall is decrypting, three bidders have
  decrypted, the `bidder` account's bid waits for its passphrase (LIVE_PASSPHRASE, printed by
  load_demo under "从哪里开始").
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pypdf
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import timezone

from qinqing.bidding.bids import seal
from qinqing.bidding.bids import services as bid_services
from qinqing.bidding.bids.models import Bid
from qinqing.bidding.demo_bid_texts import APPROACHES, FIRMS, Firm
from qinqing.bidding.models import Project, RuleSet
from qinqing.bidding.opening import services as opening_services
from qinqing.bidding.opening.models import Opening, OpeningBid
from qinqing.bidding.projects import services as project_services
from qinqing.core.demo import demo_uscc, recorded_at
from qinqing.core.models import Organisation
from qinqing.core.roles import Role
from qinqing.core.services import organisation_create, role_grant_add

DEMO_BIDDER = 200  # the `bidder` account's firm (core demo "demo-bidder")
LIVE_TENDER = (
    "WHGGZY-DEMO-OPENING",
    "洪山区某高校青年教师公寓维修改造工程设计",
    [200, 201, 203, 401],
)
LIVE_PASSPHRASE = "示例设计院-开标口令-2468"
LIVE_WINDOW_MINUTES = 240  # the tender documents' decryption window, long for a demo visit
# The seed's copied bid: 筑境 (204) handed in documents made by 中南示例 (202)'s staff.
COPIED = {204: 202}
QUALITY = "合格"
ROLE_FILES = {
    "商务标": "商务标.pdf",
    "技术标": "技术标.pdf",
    "资格审查资料": "资格审查资料.pdf",
}


def uscc_of(serial: int) -> str:
    return demo_uscc("91420100", serial)


def passphrase_of(serial: int, project_code: str) -> str:
    """Each firm's passphrase; only the live hall's `bidder` one is printed."""
    if serial == DEMO_BIDDER and project_code == LIVE_TENDER[0]:
        return LIVE_PASSPHRASE
    return f"{FIRMS[serial].name[:4]}-{project_code}-口令"


def firm_user(serial: int):
    """The account that seals and decrypts for the firm: `bidder` for the demo bidder, else a
    contact without a usable password (the firm's own, not a demo login)."""
    users = get_user_model().objects
    if serial == DEMO_BIDDER:
        return users.get(username="bidder")
    firm = FIRMS[serial]
    org = Organisation.objects.filter(kind=Organisation.Kind.FIRM, uscc=uscc_of(serial)).first()
    if org is None:
        org = organisation_create(
            actor=None,
            kind=Organisation.Kind.FIRM,
            name=firm.name,
            code=f"demo-bidfirm-{serial}",
            uscc=uscc_of(serial),
        )
    user, created = users.get_or_create(
        username=f"bidfirm{serial}", defaults={"first_name": f"投标联系人 {firm.name[:6]}"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    role_grant_add(actor=None, user=user, role=Role.BIDDER, organisation=org)
    return user


# --- the documents ---------------------------------------------------------------------------


def _table(head, rows) -> dict:
    return {"head": head, "rows": rows}


def _business(project, firm: Firm, schedule: seal.Schedule) -> list[dict]:
    price = f"{schedule.price:,.2f}"
    return [
        {
            "title": "一、投标函",
            "signed": True,
            "blocks": [
                {
                    "heading": "",
                    "paragraphs": [
                        f"致：{project.tenderer.name}",
                        f"我方已仔细研究了“{project.name}”招标文件的全部内容，愿意以人民币 {price} 元"
                        "的投标总报价，设计周期 {schedule.duration_days} "
                        f"日历天，按合同约定实施和完成设计工作，设计质量{schedule.quality}。",
                        "我方承诺在投标有效期内不修改、撤销投标文件；如我方中标，将在规定期限内"
                        "与招标人签订合同，并按招标文件规定提交履约担保。",
                    ],
                }
            ],
        },
        {
            "title": "二、法定代表人身份证明及授权委托书",
            "signed": True,
            "blocks": [
                {
                    "heading": "",
                    "paragraphs": [
                        f"{firm.legal_rep}，系{firm.name}的法定代表人。现委托{firm.leader[0]}为我方"
                        f"代理人，以我方名义签署、澄清、说明、补正、递交、撤回、修改“{project.name}”"
                        "投标文件，签订合同和处理有关事宜，其法律后果由我方承担。",
                    ],
                }
            ],
        },
        {
            "title": "三、投标人基本情况",
            "blocks": [
                {
                    "heading": "企业概况",
                    "paragraphs": list(firm.profile),
                    "table": _table(
                        ["项目", "内容"],
                        [
                            ["投标人名称", firm.name],
                            ["注册地址", firm.address],
                            ["成立时间", f"{firm.founded} 年"],
                            ["注册资本", f"{firm.capital_wan:,} 万元"],
                            ["法定代表人", firm.legal_rep],
                            ["员工总数", f"{firm.staff} 人"],
                            ["资质等级", firm.grade],
                        ],
                    ),
                },
                {
                    "heading": "近年完成的类似项目",
                    "table": _table(
                        ["项目名称", "委托单位", "完成年份", "设计费（万元）"],
                        [list(row) for row in firm.record],
                    ),
                },
            ],
        },
        {
            "title": "四、服务承诺",
            "signed": True,
            "blocks": [{"heading": "", "paragraphs": [firm.promise]}],
        },
    ]


def _phases(days: int) -> list[list[str]]:
    shares = [("现场踏勘与现状检测", 0.2), ("方案设计与比选", 0.3), ("初步设计与概算", 0.4)]
    rows, start = [], 1
    for name, share in shares:
        length = max(1, round(days * share))
        rows.append([name, f"第 {start} 天", f"第 {start + length - 1} 天", f"{length} 天"])
        start += length
    rows.append(["成果审查与修改完善", f"第 {start} 天", f"第 {days} 天", f"{days - start + 1} 天"])
    return rows


def _technical(project, firm: Firm, schedule: seal.Schedule, approach: str) -> list[dict]:
    title, blocks = APPROACHES[approach]
    chapter = {
        "title": f"一、{title}",
        "blocks": [
            {"heading": h, "paragraphs": [p.format(project=project.name) for p in paras]}
            for h, paras in blocks
        ],
    }
    leader, leader_title, leader_reg = firm.leader
    return [
        chapter,
        {
            "title": "二、设计团队",
            "blocks": [
                {
                    "heading": "项目负责人",
                    "paragraphs": [
                        f"本项目负责人 {leader}，{leader_title}，{leader_reg}，全过程负责本项目的"
                        "设计组织、技术决策和对外协调。"
                    ],
                },
                {
                    "heading": "主要设计人员",
                    "table": _table(["姓名", "本项目分工", "职称", "执业资格"], firm.team),
                },
            ],
        },
        {
            "title": "三、设计进度计划",
            "blocks": [
                {
                    "heading": "",
                    "paragraphs": [
                        f"设计周期 {schedule.duration_days} 日历天，自合同签订之日起计算。"
                    ],
                    "table": _table(
                        ["阶段", "开始", "完成", "历时"], _phases(schedule.duration_days)
                    ),
                }
            ],
        },
    ]


def _finances(firm: Firm) -> list[list[str]]:
    rng = random.Random(firm.serial)
    base = firm.staff * rng.uniform(28, 36)  # 万元 of revenue
    rows = []
    for year in (2021, 2022, 2023):
        revenue = base * rng.uniform(0.9, 1.1)
        rows.append(
            [
                str(year),
                f"{revenue:,.1f}",
                f"{revenue * rng.uniform(0.04, 0.09):,.1f}",
                f"{rng.uniform(38, 62):.1f}%",
            ]
        )
    return rows


def _qualification(project, firm: Firm) -> list[dict]:
    rng = random.Random(firm.serial * 7)
    leader, _title, leader_registration = firm.leader
    people = [
        [
            name,
            title,
            registration,
            leader_registration.split()[-1] if name == leader else f"鄂{rng.randrange(10**9):09d}",
        ]
        for name, _task, title, registration in firm.team
    ]
    return [
        {
            "title": "一、营业执照",
            "blocks": [
                {
                    "heading": "",
                    "table": _table(
                        ["项目", "内容"],
                        [
                            ["名称", firm.name],
                            ["统一社会信用代码", uscc_of(firm.serial)],
                            ["类型", "有限责任公司"],
                            ["法定代表人", firm.legal_rep],
                            ["注册资本", f"{firm.capital_wan:,} 万元"],
                            ["成立日期", f"{firm.founded} 年"],
                            ["住所", firm.address],
                            ["经营范围", "工程设计；工程咨询；规划设计；工程技术服务"],
                        ],
                    ),
                }
            ],
        },
        {
            "title": "二、资质证书",
            "blocks": [
                {
                    "heading": "",
                    "table": _table(
                        ["证书名称", "证书编号", "资质等级", "有效期至", "发证机关"],
                        [
                            [
                                "工程设计资质证书",
                                firm.cert_no,
                                firm.grade,
                                "2028年12月31日",
                                "湖北省住房和城乡建设厅",
                            ]
                        ],
                    ),
                }
            ],
        },
        {
            "title": "三、项目负责人及主要人员注册证书",
            "blocks": [
                {
                    "heading": "",
                    "table": _table(["姓名", "职称", "执业资格", "注册编号"], people),
                }
            ],
        },
        {
            "title": "四、近三年财务状况",
            "blocks": [
                {
                    "heading": "",
                    "paragraphs": ["以下数据摘自经会计师事务所审计的年度财务报告（单位：万元）。"],
                    "table": _table(["年度", "营业收入", "净利润", "资产负债率"], _finances(firm)),
                }
            ],
        },
        {
            "title": "五、信誉声明",
            "signed": True,
            "blocks": [
                {
                    "heading": "",
                    "paragraphs": [
                        f"我方在“{project.name}”投标截止日前三年内未被责令停业、未被暂扣或吊销"
                        "资质证书，未被列入失信被执行人名单和重大税收违法失信主体名单，无行贿犯罪"
                        "记录。如有虚假，我方愿承担由此产生的一切法律责任。",
                    ],
                }
            ],
        },
    ]


@dataclass(frozen=True)
class Made:
    """Who made a bid's documents and when (the PDFs' author, tool and creation time)."""

    author: str
    generator: str
    created: datetime


def documents(
    *, section, firm: Firm, schedule: seal.Schedule, made: Made, approach: str, day: datetime
) -> list[seal.PlainFile]:
    """The bid's three PDFs, a few pages each, with an outline from their headings."""
    project = section.project
    chapters = {
        "商务标": _business(project, firm, schedule),
        "技术标": _technical(project, firm, schedule, approach),
        "资格审查资料": _qualification(project, firm),
    }
    files = []
    for role, name in ROLE_FILES.items():
        html = render_to_string(
            "bidding/demo/bid_document.html",
            {
                "project": project,
                "section": section,
                "bidder": firm,
                "firm": firm,
                "doc": {
                    "title": f"{project.name} {role}",
                    "role": role,
                    "author": made.author,
                    "generator": made.generator,
                    "created": timezone.localtime(made.created).isoformat(timespec="seconds"),
                    "date": f"{day:%Y年%m月%d日}",
                    "chapters": chapters[role],
                },
            },
        )
        files.append(seal.PlainFile(role, name, _pdf(html)))
    return files


@functools.lru_cache(maxsize=48)
def _pdf(html: str) -> bytes:
    """The PDF of the HTML; a second load in the same process (the tests) reuses it."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


# --- sealing, submitting, opening ---------------------------------------------------------


# The response table (响应表): the chapter of its files where a bid answers each criterion of
# the standard design plan (migration 0006: F formal, Q qualification, R responsiveness, T
# technical, B business), found in the PDFs' own outline.
RESPONSES = (
    ("F1", "商务标", "一、投标函"),
    ("Q1", "资格审查资料", "一、营业执照"),
    ("Q2", "资格审查资料", "三、项目负责人"),
    ("R1", "商务标", "一、投标函"),
    ("R2", "商务标", "四、服务承诺"),
    ("T1", "技术标", "一、"),
    ("T2", "技术标", "一、"),
    ("T3", "技术标", "三、设计进度计划"),
    ("B1", "商务标", "三、投标人基本情况"),
    ("B2", "技术标", "二、设计团队"),
)


def _outline_pages(data: bytes) -> list[tuple[str, int]]:
    """(title, 1-based page) of each top-level entry of a PDF's outline."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [
        (str(item.title), reader.get_destination_page_number(item) + 1)
        for item in reader.outline
        if not isinstance(item, list)
    ]


def response_table(files: list[seal.PlainFile]) -> tuple[seal.ResponseRef, ...]:
    """Where each criterion is answered: the first page of the chapter RESPONSES names."""
    outlines = {f.role: (f.name, _outline_pages(f.data)) for f in files}
    rows = []
    for criterion, role, chapter in RESPONSES:
        name, outline = outlines[role]
        page = next((page for title, page in outline if title.startswith(chapter)), None)
        if page is not None:
            rows.append(seal.ResponseRef(criterion, name, page))
    return tuple(rows)


def schedule_of(serial: int, price: Decimal, duration_days: int) -> seal.Schedule:
    return seal.Schedule(
        price=price,
        duration_days=duration_days,
        quality=QUALITY,
        project_manager=FIRMS[serial].leader[0],
        declared_items=(
            seal.DeclaredItem("投标有效期", "90 日历天"),
            seal.DeclaredItem("投标保证金", "已缴纳"),
        ),
    )


@dataclass(frozen=True)
class Entry:
    serial: int
    price: Decimal
    duration_days: int
    submitted_at: datetime
    ip: str


def submit_all(section, entries: list[Entry]) -> None:
    """Each firm makes its documents, seals them (seal.seal, as `qinqing bid_seal`) and submits
    through the service the API calls, at its own moment before the deadline."""
    code = section.project.code
    made = {
        e.serial: Made(
            author=FIRMS[e.serial].author,
            generator=FIRMS[e.serial].generator,
            created=e.submitted_at.replace(hour=21, minute=e.serial % 60, second=7)
            - timedelta(days=2),
        )
        for e in entries
    }
    approach = {e.serial: FIRMS[e.serial].approach for e in entries}
    for copier, source in COPIED.items():  # the very same files' metadata and chapter
        if copier in made and source in made:
            made[copier], approach[copier] = made[source], approach[source]
    for e in entries:
        firm = FIRMS[e.serial]
        schedule = schedule_of(e.serial, e.price, e.duration_days)
        files = documents(
            section=section,
            firm=firm,
            schedule=schedule,
            made=made[e.serial],
            approach=approach[e.serial],
            day=timezone.localtime(e.submitted_at),
        )
        schedule = dataclasses.replace(schedule, responses=response_table(files))
        user = firm_user(e.serial)
        with recorded_at(e.submitted_at):
            sealed = seal.seal(
                section=section.pk,
                bidder=uscc_of(e.serial),
                passphrase=passphrase_of(e.serial, code),
                files=files,
                schedule=schedule,
            )
            bid_services.bid_submit(
                actor=user,
                section=section,
                manifest=sealed.manifest,
                files=[
                    SimpleUploadedFile(f"file{n}.qqs", c) for n, c in enumerate(sealed.ciphertexts)
                ],
                source=Bid.Source.API,
                client_ip=e.ip,
                user_agent="qinqing bid_seal",
            )


def browser_key(opening_bid: OpeningBid, passphrase: str) -> str:
    """What the bidder's browser sends: the content key unwrapped from the passphrase, Base64."""
    manifest = seal.manifest_check(opening_bid.bid.manifest, max_file_bytes=1 << 40)
    return base64.b64encode(seal.unwrap_key(manifest, passphrase)).decode("ascii")


def decrypt(opening: Opening, serial: int, at: datetime) -> None:
    ob = opening.bids.select_related("bid").get(bidder__uscc=uscc_of(serial))
    key = browser_key(ob, passphrase_of(serial, opening.section.project.code))
    with recorded_at(at):
        opening_services.opening_decrypt(actor=firm_user(serial), opening_bid=ob, content_key=key)


def open_and_close(
    *, section, host, deadline: datetime, serials: list[int], objection: tuple | None
) -> Opening:
    """Start at the deadline, every bidder decrypts a minute or two apart (the last one starts
    the reading), an objection raised and answered, the record closed (its PDF queued)."""
    with recorded_at(deadline):
        opening = opening_services.opening_start(actor=host, section=section)
    at = deadline
    for n, serial in enumerate(serials):
        at = deadline + timedelta(minutes=2 + 2 * n)
        decrypt(opening, serial, at)
    if objection is not None:
        serial, text, answer = objection
        bidder = section.bidders.get(uscc=uscc_of(serial))
        with recorded_at(at + timedelta(minutes=3)):
            raised = opening_services.objection_raise(
                actor=firm_user(serial), opening=opening, bidder=bidder, text=text
            )
        with recorded_at(at + timedelta(minutes=6)):
            opening_services.objection_answer(actor=host, objection=raised, answer=answer)
    with recorded_at(at + timedelta(minutes=10)):
        return opening_services.opening_close(actor=host, opening=opening)


def seal_and_open(
    section,
    *,
    host,
    deadline_set_at: datetime,
    deadline: datetime,
    entries: list[Entry],
    objection: tuple | None = None,
) -> Opening:
    with recorded_at(deadline_set_at):
        bid_services.section_deadline_set(actor=host, section=section, deadline=deadline)
    submit_all(section, entries)
    return open_and_close(
        section=section,
        host=host,
        deadline=deadline,
        serials=[e.serial for e in sorted(entries, key=lambda e: e.submitted_at)],
        objection=objection,
    )


# --- the three places of the demo -----------------------------------------------------------

SEED_OBJECTION = (
    203,
    "请主持人核实：第 5 号投标人唱出的项目负责人与其资格审查资料所附人员名单是否一致？",
    "开标现场核对的是解密情况和开标一览表的内容；投标文件之间的一致性及响应性由评标委员会"
    "在评审中认定。贵单位的异议已记入开标记录，并将随开标记录一并提交评标委员会。",
)


def seed(section, users, prices: list[Decimal]) -> Opening:
    """The seed project's five bids, sealed 26–28 August 2024, opened on 29 August at 08:00;
    `prices` are those the committee's scoring has always used, in bidder order."""
    tz = timezone.get_current_timezone()
    bidders = list(section.bidders.order_by("pk"))
    entries = []
    for n, (bidder, price) in enumerate(zip(bidders, prices, strict=True)):
        serial = next(s for s in FIRMS if uscc_of(s) == bidder.uscc)
        same_place = serial in COPIED or serial in COPIED.values()
        entries.append(
            Entry(
                serial=serial,
                price=price,
                duration_days=(60, 55, 50, 60, 50)[n % 5],
                submitted_at=datetime(2024, 8, 26 + n % 3, 15, 10 + 7 * n, tzinfo=tz),
                ip="58.49.66.23" if same_place else f"27.17.{40 + n}.{100 + 13 * n}",
            )
        )
    return seal_and_open(
        section,
        host=users["agent"],
        deadline_set_at=datetime(2024, 8, 20, 10, 30, tzinfo=tz),
        deadline=datetime(2024, 8, 29, 8, 0, tzinfo=tz),
        entries=entries,
        objection=SEED_OBJECTION,
    )


def today(section, users, prices: list[Decimal], *, registered_at: datetime, starts: datetime):
    """Today's running session: bids sealed yesterday, opened 90 minutes before it began."""
    bidders = list(section.bidders.order_by("pk"))
    deadline = starts - timedelta(minutes=90)
    entries = [
        Entry(
            serial=next(s for s in FIRMS if uscc_of(s) == bidder.uscc),
            price=price,
            duration_days=45,
            submitted_at=registered_at + timedelta(days=1, minutes=5 + 17 * n),
            ip=f"27.18.{60 + n}.{20 + 9 * n}",
        )
        for n, (bidder, price) in enumerate(zip(bidders, prices, strict=True))
    ]
    return seal_and_open(
        section,
        host=users["agent"],
        deadline_set_at=registered_at + timedelta(minutes=5),
        deadline=deadline,
        entries=entries,
    )


def live_hall(orgs, users, stdout) -> None:
    """A section whose deadline has just passed: the hall decrypting, three bids decrypted,
    the `bidder` account's still waiting for its passphrase."""
    code, name, serials = LIVE_TENDER
    if Project.objects.filter(code=code).exists():
        return
    now = timezone.localtime()
    deadline = now.replace(second=0, microsecond=0) - timedelta(minutes=5)
    registered = now - timedelta(days=5)
    with recorded_at(registered):
        section = project_services.project_register(
            actor=users["centre_wh"],
            code=code,
            name=name,
            tenderer=orgs["demo-tenderer"],
            agency=orgs["demo-agency"],
            supervising_department=orgs["hs-zgj"],
            host_centre=orgs["whggzy"],
            region_code="420111",
            method=Project.Method.COMPREHENSIVE,
            rule_set=RuleSet.objects.get(name="工程建设项目招标"),
            budget=Decimal("960000.00"),
            section_code="01",
            section_name="设计标段",
            bidders=[project_services.BidderIn(uscc_of(s), FIRMS[s].name) for s in serials],
        )
        bid_services.section_deadline_set(actor=users["agent"], section=section, deadline=deadline)
    prices = [
        Decimal("918000.00"),
        Decimal("896500.00"),
        Decimal("875000.00"),
        Decimal("932800.00"),
    ]
    entries = [
        Entry(
            serial=s,
            price=price,
            duration_days=40,
            submitted_at=deadline - timedelta(days=1, hours=3) + timedelta(minutes=23 * n),
            ip=f"27.19.{80 + n}.{30 + 7 * n}",
        )
        for n, (s, price) in enumerate(zip(serials, prices, strict=True))
    ]
    submit_all(section, entries)
    with recorded_at(deadline):
        opening = opening_services.opening_start(
            actor=users["agent"], section=section, window_minutes=LIVE_WINDOW_MINUTES
        )
    for n, serial in enumerate(s for s in serials if s != DEMO_BIDDER):
        decrypt(opening, serial, deadline + timedelta(minutes=1 + n))
    stdout.write(
        f"  开标大厅：{name}（解密中，账号 bidder 的投标文件待解密，解密口令 {LIVE_PASSPHRASE}）"
    )


def start_hints() -> list[tuple[str, str, str]]:
    """The "从哪里开始" line of the live hall while the `bidder` account can still decrypt."""
    ob = (
        OpeningBid.objects.filter(
            opening__section__project__code=LIVE_TENDER[0],
            opening__status=Opening.Status.DECRYPTING,
            opening__decrypt_until__gt=timezone.now(),
            bidder__uscc=uscc_of(DEMO_BIDDER),
            status=OpeningBid.Status.PENDING,
        )
        .select_related("opening")
        .first()
    )
    if ob is None:
        return []
    until = timezone.localtime(ob.opening.decrypt_until)
    return [
        (
            "bidder",
            f"/bidding/openings/sections/{ob.opening.section_id}/",
            f"开标大厅解密中：在“解密”处输入解密口令 {LIVE_PASSPHRASE}，"
            f"解密本单位投标文件（{until:%H:%M} 前）",
        )
    ]
