"""Pure rules of enterprise needs (诉求工单): routing, the state machine, working-day deadlines,
escalation, ratings and common needs. No Django here; the calendar is passed in.

Sources: the district's 12345-style work-order practice as specified in
`design/needs-activities.md` (states 待派单 → 待签收 → 办理中 → 已答复 → 已办结, 退单, 延期, 重办;
deadlines in working days: consultation 3, problem 15, complex 30; reminder one working day
before; 催办 the working day after the deadline; 督办 five working days after 催办; 好差评 with
five levels of which the last two are 差评; a 差评 opens a rectification due in 15 working days).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


class RuleError(ValueError):
    """A rule of the work-order process was violated (Chinese message)."""


# --------------------------------------------------------------------------------------------
# Catalogue defaults and routing by keywords
# --------------------------------------------------------------------------------------------

CATEGORY_CODES = (
    "tax",
    "approval",
    "finance",
    "property",
    "housing",
    "hr",
    "medical",
    "policy",
    "bidding",
    "court",
    "other",
)

# code → (category name, lead department org code, lead department short name)
DEFAULT_CATALOGUE: dict[str, tuple[str, str, str]] = {
    "tax": ("税费服务", "hs-swj", "区税务局"),
    "approval": ("行政审批/登记许可", "hs-spj", "区行政审批局"),
    "finance": ("融资信贷", "hs-jrb", "区金融办"),
    "property": ("不动产登记", "hs-bdc", "不动产登记中心"),
    "housing": ("住房/房管", "hs-fgb", "区房管局"),
    "hr": ("人社/用工/社保", "hs-rsj", "区人社局"),
    "medical": ("医保", "hs-ybj", "区医保局"),
    "policy": ("惠企政策兑现", "hs-fgj", "区发改局"),
    "bidding": ("招投标", "hs-zgj", "区自然资源和城乡建设局"),
    "court": ("破产/债务纠纷", "hs-court", "区法院"),
    "other": ("其他", "hs-ysb", "区营商办"),
}

# Keyword → weight. Weight 3: the word alone names the category; 2: strong hint; 1: weak hint.
KEYWORDS: dict[str, dict[str, int]] = {
    "tax": {
        "发票": 3,
        "增值税": 3,
        "个税": 3,
        "个人所得税": 3,
        "企业所得税": 3,
        "汇算清缴": 3,
        "电子税务局": 3,
        "纳税": 2,
        "税务": 2,
        "税款": 3,
        "退税": 3,
        "留抵": 3,
        "申报": 1,
        "税收": 2,
        "减免税": 3,
        "印花税": 3,
        "税率": 3,
        "开票": 3,
        "数电票": 3,
        "办税": 3,
        "缴税": 3,
        "税控": 3,
        "小规模纳税人": 3,
        "一般纳税人": 3,
        "纳税信用": 3,
        "社保费": 1,
        "房产税": 3,
        "契税": 3,
        "土地使用税": 3,
        "研发费用加计扣除": 3,
        "加计扣除": 3,
        "税": 1,
    },
    "approval": {
        "营业执照": 3,
        "执照": 2,
        "许可证": 3,
        "审批": 2,
        "经营范围": 3,
        "变更登记": 2,
        "注销": 2,
        "设立登记": 3,
        "食品经营许可": 3,
        "备案": 1,
        "一网通办": 2,
        "证照": 2,
        "开办企业": 3,
        "法定代表人变更": 3,
        "施工许可": 3,
        "办证": 1,
        "年报": 2,
        "注册地址": 2,
        "卫生许可": 3,
        "消防验收": 2,
        "审批局": 3,
    },
    "finance": {
        "贷款": 3,
        "融资": 3,
        "授信": 3,
        "银行": 2,
        "信贷": 3,
        "担保": 2,
        "利率": 2,
        "续贷": 3,
        "抵押贷": 3,
        "贴息": 3,
        "资金周转": 3,
        "流动资金": 3,
        "放款": 3,
        "融资难": 3,
        "科技贷": 3,
        "票据": 1,
        "应急转贷": 3,
        "过桥": 2,
    },
    "property": {
        "不动产": 3,
        "产权证": 3,
        "房产证": 3,
        "不动产权证": 3,
        "过户": 2,
        "抵押登记": 3,
        "土地证": 3,
        "交房即办证": 3,
        "办证难": 3,
        "权属": 2,
        "首次登记": 3,
        "分割登记": 3,
    },
    "housing": {
        "公租房": 3,
        "人才公寓": 3,
        "保障房": 3,
        "租赁备案": 3,
        "物业": 2,
        "房管": 3,
        "商品房": 2,
        "预售": 2,
        "维修资金": 3,
        "住房": 2,
        "宿舍": 2,
        "租房": 2,
        "房租": 1,
        "网签": 2,
        "人才住房": 3,
    },
    "hr": {
        "社保": 3,
        "招聘": 3,
        "用工": 3,
        "劳动合同": 3,
        "稳岗": 3,
        "员工": 1,
        "工伤": 3,
        "养老保险": 3,
        "失业保险": 3,
        "人才": 1,
        "职称": 3,
        "就业补贴": 3,
        "劳动仲裁": 3,
        "欠薪": 3,
        "工资": 2,
        "技能培训补贴": 3,
        "招工": 3,
        "灵活用工": 3,
        "见习": 2,
        "公积金": 1,
        "退休": 2,
    },
    "medical": {
        "医保": 3,
        "医疗保险": 3,
        "报销": 2,
        "门诊": 3,
        "定点医药": 3,
        "医保卡": 3,
        "异地就医": 3,
        "生育保险": 3,
        "医保缴费": 3,
        "药店": 2,
        "住院": 2,
        "医疗": 2,
        "参保": 2,
    },
    "policy": {
        "补贴": 2,
        "奖补": 3,
        "政策兑现": 3,
        "惠企政策": 3,
        "扶持资金": 3,
        "专项资金": 3,
        "高新技术企业认定": 3,
        "高企认定": 3,
        "申报项目": 2,
        "奖励": 2,
        "政策": 1,
        "兑现": 3,
        "专精特新": 3,
        "扶持": 2,
        "技改": 3,
        "免申即享": 3,
        "申报指南": 2,
        "认定": 1,
    },
    "bidding": {
        "招标": 3,
        "投标": 3,
        "招投标": 3,
        "中标": 3,
        "评标": 3,
        "标书": 3,
        "保证金": 2,
        "采购": 2,
        "围标": 3,
        "资格预审": 3,
        "开标": 3,
        "政府采购": 3,
        "投标保证金": 3,
        "工程项目": 1,
        "废标": 3,
    },
    "court": {
        "破产": 3,
        "债务": 2,
        "欠款": 2,
        "诉讼": 3,
        "法院": 3,
        "执行": 2,
        "起诉": 3,
        "判决": 3,
        "债权": 3,
        "和解": 2,
        "重整": 3,
        "清算": 2,
        "纠纷": 2,
        "查封": 3,
        "冻结": 2,
        "失信被执行人": 3,
        "立案": 3,
        "法律程序": 3,
        "工程款": 2,
        "拖欠货款": 3,
        "货款": 2,
        "仲裁": 1,
    },
}

DEFAULT_THRESHOLD = Decimal("0.60")


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: Decimal
    matched: tuple[str, ...] = ()


def classify(text: str, keywords: dict[str, dict[str, int]] | None = None) -> Classification:
    """Category and confidence of a need's text by keyword rules (design: routing).

    Each category scores the sum of the weights of its keywords found in the text (a keyword
    contained in a longer matched keyword of the same category is not counted twice). The best
    category wins (ties: catalogue order). Confidence = share × saturation, where share = best /
    (sum of all scores) and saturation = best / (best + 1); no keyword at all → `other`, 0.
    """
    keywords = KEYWORDS if keywords is None else keywords
    text = re.sub(r"\s+", "", text or "")
    scores: dict[str, int] = {}
    matched: dict[str, list[str]] = {}
    for code in CATEGORY_CODES:
        words = sorted(keywords.get(code, {}), key=len, reverse=True)
        found: list[str] = []
        for word in words:
            if word in text and not any(word in longer for longer in found):
                found.append(word)
        if found:
            scores[code] = sum(keywords[code][w] for w in found)
            matched[code] = found
    if not scores:
        return Classification("other", Decimal("0.00"))
    best = max(CATEGORY_CODES, key=lambda c: (scores.get(c, 0), -CATEGORY_CODES.index(c)))
    top, total = scores[best], sum(scores.values())
    confidence = Decimal(top) / Decimal(total) * Decimal(top) / Decimal(top + 1)
    return Classification(
        best,
        confidence.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        tuple(matched[best]),
    )


def needs_dispatcher(result: Classification, threshold: Decimal = DEFAULT_THRESHOLD) -> bool:
    """Below the confidence threshold (or `other`) a dispatcher decides (design: routing)."""
    return result.category == "other" or result.confidence < threshold


# --------------------------------------------------------------------------------------------
# State machine
# --------------------------------------------------------------------------------------------

PENDING_DISPATCH = "pending_dispatch"  # 待派单
PENDING_SIGN = "pending_sign"  # 待签收
IN_PROGRESS = "in_progress"  # 办理中
REPLIED = "replied"  # 已答复（待回访）
CLOSED = "closed"  # 已办结

STATES = (PENDING_DISPATCH, PENDING_SIGN, IN_PROGRESS, REPLIED, CLOSED)

# action → (states it may start from, state it leads to; None = unchanged)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "dispatch": (frozenset({PENDING_DISPATCH}), PENDING_SIGN),
    "sign": (frozenset({PENDING_SIGN}), IN_PROGRESS),
    "return": (frozenset({PENDING_SIGN, IN_PROGRESS}), PENDING_DISPATCH),
    "request_extension": (frozenset({IN_PROGRESS}), None),
    "decide_extension": (frozenset({IN_PROGRESS}), None),
    "reply": (frozenset({IN_PROGRESS}), REPLIED),
    "callback": (frozenset({REPLIED}), None),
    "close": (frozenset({REPLIED}), CLOSED),
    "reopen": (frozenset({REPLIED, CLOSED}), IN_PROGRESS),
}

STATE_LABELS = {
    PENDING_DISPATCH: "待派单",
    PENDING_SIGN: "待签收",
    IN_PROGRESS: "办理中",
    REPLIED: "已答复（待回访）",
    CLOSED: "已办结",
}
ACTION_LABELS = {
    "dispatch": "派单",
    "sign": "签收",
    "return": "退单",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "reply": "答复",
    "callback": "回访",
    "close": "办结",
    "reopen": "重办",
    "receive": "受理",
    "rate": "评价",
    "remind": "到期提醒",
    "urge": "催办",
    "supervise": "督办",
    "recompute_due": "时限重算",
}


def next_state(state: str, action: str) -> str:
    """The state after `action` (design: states); RuleError when not allowed from `state`."""
    if action not in TRANSITIONS:
        raise RuleError(f"未知的操作：{action}")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise RuleError(
            f"工单当前为“{STATE_LABELS.get(state, state)}”，不能{ACTION_LABELS[action]}"
        )
    return target or state


# --------------------------------------------------------------------------------------------
# Deadlines and escalation (working days)
# --------------------------------------------------------------------------------------------

SLA_DAYS = {"consultation": 3, "problem": 15, "complex": 30}
RECTIFICATION_DAYS = 15
SUPERVISE_AFTER_URGE_DAYS = 5
MAX_EXTENSION_DAYS = 30

AddWorkingDays = Callable[[date, int], date]
WorkingDaysBetween = Callable[[date, date], int]


def due_date(start: date, days: int, add_working_days: AddWorkingDays) -> date:
    """The deadline: `days` working days after `start` (the day of dispatch not counted)."""
    if days < 1:
        raise RuleError("办理时限至少为 1 个工作日")
    return add_working_days(start, days)


@dataclass(frozen=True)
class EscalationStep:
    action: str  # "remind" | "urge" | "supervise"
    level: int  # escalation level after the step: 0 remind, 1 催办, 2 督办


def escalation_step(
    *,
    due: date,
    today: date,
    level: int,
    reminded: bool,
    add_working_days: AddWorkingDays,
    working_days_between: WorkingDaysBetween,
) -> EscalationStep | None:
    """What the periodic command owes an open order today (design: deadlines).

    - reminder on the working day before the deadline (or later, until done), once;
    - 催办 (level 1) from the first working day after the deadline;
    - 督办 (level 2) when still overdue five working days after the 催办 day.
    """
    urge_day = add_working_days(due, 1)
    if level < 1 and today >= urge_day:
        return EscalationStep("urge", 1)
    if level == 1:
        supervise_day = add_working_days(urge_day, SUPERVISE_AFTER_URGE_DAYS)
        if today >= supervise_day:
            return EscalationStep("supervise", 2)
        return None
    if level < 1 and not reminded and today < urge_day and working_days_between(today, due) <= 1:
        return EscalationStep("remind", 0)
    return None


def is_on_time(closed_or_replied: date, due: date) -> bool:
    """On time when the reply came on or before the deadline (extensions move the deadline)."""
    return closed_or_replied <= due


# --------------------------------------------------------------------------------------------
# Ratings (好差评)
# --------------------------------------------------------------------------------------------

RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def is_bad_rating(level: int) -> bool:
    """差评: 不满意 (2) or 非常不满意 (1) of the five levels."""
    if level not in RATING_LABELS:
        raise RuleError("评价等级应为 1 至 5")
    return level <= 2


def satisfaction_rate(levels: Iterable[int]) -> Decimal | None:
    """(非常满意 + 满意) / rated, in percent with one decimal (ROUND_HALF_UP); None if none."""
    levels = list(levels)
    if not levels:
        return None
    good = sum(1 for level in levels if level >= 4)
    return (Decimal(100 * good) / Decimal(len(levels))).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Common needs (共性需求)
# --------------------------------------------------------------------------------------------

COMMON_THRESHOLD = 3
COMMON_WINDOW_DAYS = 30
NEAR_DUPLICATE_SIMILARITY = Decimal("0.35")


@dataclass(frozen=True)
class NeedFact:
    key: int
    firm: str
    category: str
    received: date
    text: str


def common_categories(
    facts: Sequence[NeedFact],
    *,
    today: date,
    threshold: int = COMMON_THRESHOLD,
    window_days: int = COMMON_WINDOW_DAYS,
) -> dict[str, list[int]]:
    """Categories raised by >= `threshold` distinct firms in the last `window_days` days
    (today included) → the keys of those needs (design: common vs individual)."""
    out: dict[str, list[int]] = {}
    firms: dict[str, set[str]] = {}
    for fact in facts:
        if 0 <= (today - fact.received).days < window_days and fact.category != "other":
            firms.setdefault(fact.category, set()).add(fact.firm)
            out.setdefault(fact.category, []).append(fact.key)
    return {c: sorted(keys) for c, keys in out.items() if len(firms[c]) >= threshold}


def _bigrams(text: str) -> frozenset[str]:
    chars = re.sub(r"[\s\W_]+", "", text)
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1)) or frozenset({chars})


def similarity(a: str, b: str) -> Decimal:
    """Jaccard similarity of the two texts' character bigrams, 0..1 (two decimals)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return Decimal("0.00")
    return (Decimal(len(x & y)) / Decimal(len(x | y))).quantize(Decimal("0.01"))


def near_duplicate_groups(
    facts: Sequence[NeedFact], *, min_similarity: Decimal = NEAR_DUPLICATE_SIMILARITY
) -> list[list[int]]:
    """Groups (size >= 2) of needs whose texts are near-duplicates: single-link clustering over
    pairs with bigram similarity >= `min_similarity`."""
    parent = {f.key: f.key for f in facts}

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, a in enumerate(facts):
        for b in facts[i + 1 :]:
            if similarity(a.text, b.text) >= min_similarity:
                parent[find(a.key)] = find(b.key)
    groups: dict[int, list[int]] = {}
    for f in facts:
        groups.setdefault(find(f.key), []).append(f.key)
    return sorted((sorted(g) for g in groups.values() if len(g) >= 2), key=lambda g: g[0])


def similar_groups(
    texts: Iterable[tuple[int, str]], *, min_similarity: Decimal = NEAR_DUPLICATE_SIMILARITY
) -> list[list[int]]:
    """The groups of `near_duplicate_groups` (design: common vs individual — near-duplicate
    needs are one common need), found without comparing every pair, for the tens of thousands
    of needs of a month at province scale. `min_similarity` is above 0.

    `texts` are (key, text) pairs, read once (a stream is fine): needs with the same bigram set
    are one record (their similarity is 1.00). Records are taken smallest first and compared
    only when they share a token of their *prefixes* — each record's bigrams ordered rarest
    first and cut short (prefix filtering, Chaudhuri et al. 2006; the "all-pairs" join of
    Bayardo et al. 2007): two sets whose Jaccard similarity reaches `t` share at least
    `ceil(t·max(n, m))` of their `n` and `m` bigrams, so the first `n - ceil(t·n) + 1` of the
    larger meet the first `m - ceil(2t/(1+t)·m) + 1` of the smaller, and their sizes differ
    by less than a factor `t`; no pair at or above the threshold is missed. `t` is set a
    hundredth below `min_similarity` (the similarity is rounded to two decimals), and every
    candidate is then checked exactly as `similarity` rounds (in integers). A candidate
    already in the record's group is not checked: only the groups are wanted, not the pairs.

    Memory holds one entry per distinct text of the window (its bigram ids), not the texts."""
    vocabulary: dict[str, int] = {}
    keys_of: dict[tuple[int, ...], list[int]] = {}
    for key, text in texts:
        ids = tuple(sorted({vocabulary.setdefault(b, len(vocabulary)) for b in _bigrams(text)}))
        keys_of.setdefault(ids, []).append(key)
    del vocabulary
    records = sorted(keys_of, key=len)
    frequency: dict[int, int] = {}
    for ids in records:
        for token in ids:
            frequency[token] = frequency.get(token, 0) + 1
    # Hundredths: the rounded threshold k, and the filters' bound p = k - 1.
    k = int(min_similarity * 100)
    p = k - 1
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def similar(shared: int, union: int) -> bool:
        """round_half_even(100·shared/union) >= k, exactly."""
        twice = 200 * shared
        bound = (2 * k - 1) * union
        return twice > bound or (twice == bound and k % 2 == 0)

    index: dict[int, list[int]] = {}
    sets: list[frozenset[int]] = []
    sizes: list[int] = []
    for i, ids in enumerate(records):
        n = len(ids)
        ordered = sorted(ids, key=lambda token: (frequency[token], token))
        probe = n - (-(-p * n // 100)) + 1
        indexed = n - (-(-2 * p * n // (100 + p))) + 1
        mine = frozenset(ids)
        sets.append(mine)
        sizes.append(n)
        smallest = p * n  # a candidate of m bigrams needs 100·m >= p·n
        seen: set[int] = set()
        for token in ordered[:probe]:
            for j in index.get(token, ()):
                if j in seen or 100 * sizes[j] < smallest:
                    continue
                seen.add(j)
                if find(i) == find(j):
                    continue
                shared = len(mine & sets[j])
                if similar(shared, n + sizes[j] - shared):
                    parent[find(i)] = find(j)
        for token in ordered[:indexed]:
            index.setdefault(token, []).append(i)
    groups: dict[int, list[int]] = {}
    for i, ids in enumerate(records):
        groups.setdefault(find(i), []).extend(keys_of[ids])
    return sorted((sorted(g) for g in groups.values() if len(g) >= 2), key=lambda g: g[0])
