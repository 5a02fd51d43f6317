"""OCDS 1.1 export of a tender (open contracting data), with the bids extension.

`release_package(facts, published=...)` is a pure function over the plain dataclasses below;
`tender_facts(project)` is the thin loader from the models. See docs/bidding.md ("OCDS 数据")
for the mapping; the specification is ``shared/design/bidding.md`` (OCDS export).

Contracting process. Each 标段 (section) is bid, evaluated, awarded and contracted on its own,
so each section with a scheduled evaluation session is one OCDS contracting process:
``ocid = <QINQING_OCID_PREFIX>-<project code>-<section code>``. The default prefix
``ocds-qinqing`` is a placeholder: a publisher must register its own prefix with the Open
Contracting Partnership and configure it through the environment variable of that name.

Disclosure. OCDS is open data, but the evaluation is secret until its report is sealed:
- the ``tender`` release (no bidders, no bids, no evaluation time) is public once a session is
  scheduled;
- bidders, bids (status, rank, price) and the candidates (pending awards, 实施条例 Art.54:
  candidates are published for at least 3 days before the award) only once the section's
  report is sealed (``Report.status == "sealed"``, 实施条例 Art.53).
- the award and the contract (``awards`` with the supplier, value, date and status; the
  contract ``pending`` until signed) once the award notice is issued (招标投标法 Art.45-46),
  and a ``contractUpdate`` release once the tenderer records the signed contract (``active``,
  ``dateSigned``, the contract's value and number),
  after the candidates' publication (``qinqing.bidding.award``).
Experts are never OCDS data: the loader reads no expert, seat, sheet, score or report content,
and the dataclasses have no place for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from django.conf import settings

from qinqing.bidding.evaluation.rules import MAX_CANDIDATES  # 实施条例 Art.53
from qinqing.bidding.models import AwardNotice, BidResult, Contract, LowBidFlag, Project, Report

OCDS_VERSION = "1.1"
BIDS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "master/extension.json"
)
DEFAULT_OCID_PREFIX = "ocds-qinqing"
USCC_SCHEME = "CN-USCC"  # org-id.guide: 统一社会信用代码 (GB 32100)
CURRENCY = "CNY"
LANGUAGE = "zh"
CST = timezone(timedelta(hours=8), "CST")  # China has no daylight saving time: always +08:00

# 评标办法 → OCDS awardCriteria (open codelist awardCriteria.csv) and its Chinese name.
AWARD_CRITERIA = {
    "comprehensive": ("ratedCriteria", "综合评估法"),
    "lowest_price": ("priceOnly", "经评审的最低投标价法"),
}
# Rule-set kind → mainProcurementCategory; government procurement may be goods or services,
# which the rule set does not say, so it is left out.
CATEGORY = {"construction": "works"}
ORDINALS = {1: "第一", 2: "第二", 3: "第三"}


# --- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgFacts:
    """An organisation taking part: its USCC when it has one, else a local key."""

    name: str
    uscc: str | None = None
    local_key: str = ""


@dataclass(frozen=True)
class BidFacts:
    """One bidder's bid and the committee's result for it (no per-expert data)."""

    uscc: str
    name: str
    price: Decimal | None
    passed_review: bool | None = None  # None: no result recorded for this bid
    rank: int | None = None
    candidate: bool = False


@dataclass(frozen=True)
class AwardFacts:
    """The award notice issued (招标投标法 Art.45): the winner, its price, when, the notice's
    number; the candidates' publication (实施条例 Art.54) it followed."""

    winner_uscc: str
    winner_name: str
    price: Decimal
    issued_at: datetime
    number: str
    published_at: datetime
    publication_ends_at: datetime
    contract: ContractFacts | None = None


@dataclass(frozen=True)
class ContractFacts:
    """The written contract as the tenderer recorded it (招标投标法 Art.46): its number, the
    day it was signed, its price and when it was recorded."""

    number: str
    signed_on: date
    amount: Decimal
    recorded_at: datetime


@dataclass(frozen=True)
class SectionFacts:
    """One section (标段) with its scheduled session. `bids` are given only once the report is
    sealed (`report_sealed_at`); the builder ignores them otherwise. `award` once the award
    notice is issued."""

    code: str
    name: str
    scheduled_start: datetime
    started_at: datetime | None = None
    report_sealed_at: datetime | None = None
    bids: tuple[BidFacts, ...] = ()
    award: AwardFacts | None = None


@dataclass(frozen=True)
class TenderFacts:
    ocid_prefix: str
    project_code: str
    project_name: str
    method: str  # Project.Method value
    kind: str  # RuleSet.Kind value
    budget: Decimal | None
    registered_at: datetime
    tenderer: OrgFacts
    agency: OrgFacts | None
    supervising_department: OrgFacts
    host_centre: OrgFacts
    sections: tuple[SectionFacts, ...] = field(default=())


# --- pure builder ---------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """Aware ISO 8601 in China Standard Time, e.g. ``2025-06-12T09:00:00+08:00``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("OCDS dates must be aware datetimes")
    return moment.astimezone(CST).isoformat(timespec="seconds")


def amount(value: Decimal) -> int | float:
    """A money amount as a JSON number (OCDS `Value.amount` is a number, not a string)."""
    value = Decimal(value).quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)


def ocid(prefix: str, project_code: str, section_code: str) -> str:
    return f"{prefix}-{project_code}-{section_code}"


def party_id(org: OrgFacts) -> str:
    """`{identifier.scheme}-{identifier.id}` when the USCC is known (OCDS guidance)."""
    return f"{USCC_SCHEME}-{org.uscc}" if org.uscc else f"qinqing-{org.local_key}"


def _party(org: OrgFacts, roles: Iterable[str]) -> dict[str, Any]:
    party: dict[str, Any] = {"id": party_id(org), "name": org.name}
    if org.uscc:
        party["identifier"] = {"scheme": USCC_SCHEME, "id": org.uscc, "legalName": org.name}
    party["roles"] = list(roles)
    return party


def _ref(org: OrgFacts) -> dict[str, str]:
    return {"id": party_id(org), "name": org.name}


def _value(price: Decimal) -> dict[str, Any]:
    return {"amount": amount(price), "currency": CURRENCY}


def _bid_id(bid: BidFacts) -> str:
    return f"bid-{bid.uscc}"


def _authorities(facts: TenderFacts) -> list[tuple[OrgFacts, list[str]]]:
    """Tenderer = buyer (and procuring entity when there is no agency: partyRole.csv says an
    organisation that is both carries `buyer` only); the agency (招标代理机构) manages the
    process = procuringEntity; the supervising department (行政监督部门, takes complaints,
    实施条例 Art.60) = reviewBody; the host trading centre runs the platform where the tender is
    published = informationService."""
    parties = [(facts.tenderer, ["buyer"])]
    if facts.agency is not None:
        parties.append((facts.agency, ["procuringEntity"]))
    parties.append((facts.supervising_department, ["reviewBody"]))
    parties.append((facts.host_centre, ["informationService"]))
    return parties


def _parties(entries: Iterable[tuple[OrgFacts, list[str]]]) -> list[dict[str, Any]]:
    """One party per organisation, roles merged (parties must be unique)."""
    merged: dict[str, dict[str, Any]] = {}
    for org, roles in entries:
        pid = party_id(org)
        if pid in merged:
            merged[pid]["roles"] += [r for r in roles if r not in merged[pid]["roles"]]
        else:
            merged[pid] = _party(org, roles)
    return list(merged.values())


def _tender_core(facts: TenderFacts, section: SectionFacts) -> dict[str, Any]:
    criteria, criteria_name = AWARD_CRITERIA[facts.method]
    procuring = facts.agency if facts.agency is not None else facts.tenderer
    tender: dict[str, Any] = {
        "id": f"{facts.project_code}-{section.code}",
        "title": f"{facts.project_name}（{section.name}）",
        "status": "active",
        "procuringEntity": _ref(procuring),
        "awardCriteria": criteria,
        "awardCriteriaDetails": criteria_name,
    }
    if facts.kind in CATEGORY:
        tender["mainProcurementCategory"] = CATEGORY[facts.kind]
    if facts.budget is not None:
        tender["value"] = _value(facts.budget)
    return tender


def _bid(bid: BidFacts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": _bid_id(bid),
        "submissionType": "bid",
        "tenderers": [_ref(OrgFacts(name=bid.name, uscc=bid.uscc))],
    }
    if bid.passed_review is not None:
        out["status"] = "valid" if bid.passed_review else "disqualified"
    if bid.price is not None:
        out["value"] = _value(bid.price)
    if bid.passed_review is not None:
        out["hasRank"] = bid.rank is not None
        if bid.rank is not None:
            out["rank"] = bid.rank
    return out


def _bid_order(bid: BidFacts) -> tuple:
    return (bid.rank is None, bid.rank or 0, bid.uscc)


def _statistics(bids: tuple[BidFacts, ...]) -> list[dict[str, Any]]:
    counts = {
        "bids": len(bids),
        "validBids": sum(1 for b in bids if b.passed_review),
        "disqualifiedBids": sum(1 for b in bids if b.passed_review is False),
    }
    return [{"id": k, "measure": k, "value": v} for k, v in counts.items()]


def _award(bid: BidFacts) -> dict[str, Any]:
    award: dict[str, Any] = {
        "id": f"candidate-{bid.rank}",
        "title": f"{ORDINALS.get(bid.rank, f'第{bid.rank}')}中标候选人",
        "description": (
            "评标委员会推荐的中标候选人；公示期不少于 3 日（招标投标法实施条例第五十四条），"
            "招标人确定中标人之前为待定状态。"
        ),
        "status": "pending",
        "relatedBids": [_bid_id(bid)],
    }
    if bid.price is not None:
        award["value"] = _value(bid.price)
    return award


def _evaluated_release(
    facts: TenderFacts, section: SectionFacts, the_ocid: str, sealed_at: datetime
) -> dict:
    """The release after the sealed report: bidders, bids, and the candidates as pending awards
    (`award`); with no candidate at all (every bid rejected) a `tenderUpdate` marking the tender
    unsuccessful."""
    bids = tuple(sorted(section.bids, key=_bid_order))
    candidates = [b for b in bids if b.candidate]
    if len(candidates) > MAX_CANDIDATES:
        raise ValueError("中标候选人不得超过 3 名（招标投标法实施条例第五十三条）")
    if any(b.rank is None or not b.passed_review for b in candidates):
        raise ValueError("中标候选人须通过评审并有排名")
    bidders = [OrgFacts(name=b.name, uscc=b.uscc) for b in bids]
    tender: dict[str, Any] = {
        "id": f"{facts.project_code}-{section.code}",
        "status": "complete" if candidates else "unsuccessful",
        "awardPeriod": {"startDate": iso(section.started_at or section.scheduled_start)},
        "numberOfTenderers": len(bids),
        "tenderers": [_ref(o) for o in bidders],
    }
    release: dict[str, Any] = {
        "ocid": the_ocid,
        "id": f"{the_ocid}-{'award' if candidates else 'unsuccessful'}",
        "date": iso(sealed_at),
        "tag": ["award"] if candidates else ["tenderUpdate"],
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": _parties([*_authorities(facts), *((o, ["tenderer"]) for o in bidders)]),
        "buyer": _ref(facts.tenderer),
        "tender": tender,
        "bids": {"statistics": _statistics(bids), "details": [_bid(b) for b in bids]},
    }
    if candidates:
        release["awards"] = [_award(b) for b in sorted(candidates, key=_bid_order)]
    return release


def _awarded_release(
    facts: TenderFacts, section: SectionFacts, the_ocid: str, award: AwardFacts
) -> dict[str, Any]:
    """The release once the award notice is issued (招标投标法 Art.45): the winner's award
    `active` with its supplier, value and date, the other candidates' awards `unsuccessful`, and
    the contract to be signed within 30 days (Art.46) as `pending`, with the awarded value."""
    bids = tuple(sorted(section.bids, key=_bid_order))
    candidates = sorted((b for b in bids if b.candidate), key=_bid_order)
    winner = OrgFacts(name=award.winner_name, uscc=award.winner_uscc)
    bidders = [OrgFacts(name=b.name, uscc=b.uscc) for b in bids]
    awards = []
    for bid in candidates:
        entry = _award(bid)
        if bid.uscc == award.winner_uscc:
            entry.update(
                status="active",
                title="中标人",
                description=(
                    f"中标通知书 {award.number}：中标候选人公示期满（招标投标法实施条例第五十四条），"
                    "招标人确定排名第一的中标候选人为中标人（第五十五条）。"
                ),
                date=iso(award.issued_at),
                value=_value(award.price),
                suppliers=[_ref(winner)],
            )
        else:
            entry.update(status="unsuccessful", date=iso(award.issued_at))
        awards.append(entry)
    winning_award = next(a for a in awards if a["status"] == "active")
    contract = {
        "id": f"contract-{award.number}",
        "awardID": winning_award["id"],
        "title": f"{facts.project_name}（{section.name}）合同",
        "description": "招标人和中标人应当自中标通知书发出之日起三十日内订立书面合同（招标投标法第四十六条）。",
        "status": "pending",
        "value": _value(award.price),
    }
    if award.contract is not None:
        # The contract update (招标投标法 Art.46): signed, its number, day and price.
        signed = award.contract
        contract.update(
            status="active",
            dateSigned=iso(datetime.combine(signed.signed_on, time.min, tzinfo=CST)),
            value=_value(signed.amount),
            description=(
                f"合同编号 {signed.number}，于 {signed.signed_on:%Y-%m-%d} 签订"
                "（招标投标法第四十六条；合同价款与中标价一致，实施条例第五十七条）。"
            ),
        )
        return {
            "ocid": the_ocid,
            "id": f"{the_ocid}-contract-signed",
            "date": iso(signed.recorded_at),
            "tag": ["contractUpdate"],
            "initiationType": "tender",
            "language": LANGUAGE,
            "parties": _parties(
                [
                    *_authorities(facts),
                    *((o, ["tenderer"]) for o in bidders),
                    (winner, ["tenderer", "supplier"]),
                ]
            ),
            "buyer": _ref(facts.tenderer),
            "awards": awards,
            "contracts": [contract],
        }
    return {
        "ocid": the_ocid,
        "id": f"{the_ocid}-contract",
        "date": iso(award.issued_at),
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": _parties(
            [
                *_authorities(facts),
                *((o, ["tenderer"]) for o in bidders),
                (winner, ["tenderer", "supplier"]),
            ]
        ),
        "buyer": _ref(facts.tenderer),
        "tender": {
            "id": f"{facts.project_code}-{section.code}",
            "status": "complete",
            "awardPeriod": {
                "startDate": iso(section.started_at or section.scheduled_start),
                "endDate": iso(award.issued_at),
            },
        },
        "awards": awards,
        "contracts": [contract],
    }


def section_releases(facts: TenderFacts, section: SectionFacts) -> list[dict[str, Any]]:
    """The releases of one section: `tender`, then the evaluated release once sealed, then the
    award and contract release once the award notice is issued."""
    the_ocid = ocid(facts.ocid_prefix, facts.project_code, section.code)
    releases = [
        {
            "ocid": the_ocid,
            "id": f"{the_ocid}-tender",
            "date": iso(facts.registered_at),
            "tag": ["tender"],
            "initiationType": "tender",
            "language": LANGUAGE,
            "parties": _parties(_authorities(facts)),
            "buyer": _ref(facts.tenderer),
            "tender": _tender_core(facts, section),
        }
    ]
    if section.report_sealed_at is not None and section.bids:
        releases.append(_evaluated_release(facts, section, the_ocid, section.report_sealed_at))
        if section.award is not None:
            unsigned = replace(section.award, contract=None)
            releases.append(_awarded_release(facts, section, the_ocid, unsigned))
            if section.award.contract is not None:
                releases.append(_awarded_release(facts, section, the_ocid, section.award))
    return releases


def last_changed(facts: TenderFacts) -> datetime:
    """The latest release date: a package generated on demand is dated by its contents."""
    moments = [facts.registered_at]
    moments += [s.report_sealed_at for s in facts.sections if s.report_sealed_at and s.bids]
    moments += [s.award.issued_at for s in facts.sections if s.award and s.bids]
    moments += [
        s.award.contract.recorded_at
        for s in facts.sections
        if s.award and s.award.contract and s.bids
    ]
    return max(moments)


def release_package(facts: TenderFacts, *, published: datetime) -> dict[str, Any]:
    """An OCDS 1.1 release package (with the bids extension) for every scheduled section."""
    publisher: dict[str, Any] = {"name": facts.host_centre.name}
    if facts.host_centre.uscc:
        publisher |= {"scheme": USCC_SCHEME, "uid": facts.host_centre.uscc}
    return {
        "version": OCDS_VERSION,
        "extensions": [BIDS_EXTENSION],
        "publishedDate": iso(published),
        "publisher": publisher,
        "releases": [r for s in facts.sections for r in section_releases(facts, s)],
    }


# --- merge patch (RFC 7386), used to apply an extension's schema to the release schema -------


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes, anything else
    (arrays included) replaces. Returns a new value; the inputs are not changed."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


# --- loader ---------------------------------------------------------------------------------


def _org(org) -> OrgFacts:
    return OrgFacts(name=org.name, uscc=org.uscc or None, local_key=org.code)


def _award_facts(section) -> AwardFacts | None:
    notice = (
        AwardNotice.objects.filter(
            publication__section=section,
            kind=AwardNotice.Kind.AWARD,
            superseded_at__isnull=True,  # the notice in force (实施条例 Art.55)
        )
        .select_related("bidder", "publication")
        .first()
    )
    if notice is None:
        return None
    signed = Contract.objects.filter(notice=notice).first()
    return AwardFacts(
        winner_uscc=notice.bidder.uscc,
        winner_name=notice.bidder.name,
        price=notice.price,
        issued_at=notice.issued_at,
        number=notice.number,
        published_at=notice.publication.published_at,
        publication_ends_at=notice.publication.ends_at,
        contract=ContractFacts(
            number=signed.number,
            signed_on=signed.signed_on,
            amount=signed.amount,
            recorded_at=signed.recorded_at,
        )
        if signed is not None
        else None,
    )


def tender_facts(project: Project) -> TenderFacts:
    """The public facts of `project`: its sections with a scheduled session, and — only for a
    section whose report is sealed — its bids and the committee's results."""
    sections = []
    for section in (
        project.sections.filter(session__isnull=False).select_related("session").order_by("code")
    ):
        session = section.session
        report = (
            Report.objects.filter(session=session, status=Report.Status.SEALED)
            .values_list("sealed_at", "built_at")
            .first()
        )
        sealed_at = (report[0] or report[1]) if report is not None else None
        bids: tuple[BidFacts, ...] = ()
        if sealed_at is not None:
            results = {r.bidder_id: r for r in BidResult.objects.filter(session=session)}
            # a bid refused as abnormally low (暂行规定 Art.21) is disqualified
            refused = set(
                LowBidFlag.objects.filter(
                    session=session, status=LowBidFlag.Status.REJECTED
                ).values_list("bidder_id", flat=True)
            )
            if results:
                bids = tuple(
                    BidFacts(
                        uscc=b.uscc,
                        name=b.name,
                        price=b.bid_price,
                        passed_review=(results[b.pk].passed_review and b.pk not in refused)
                        if b.pk in results
                        else None,
                        rank=results[b.pk].rank if b.pk in results else None,
                        candidate=results[b.pk].candidate if b.pk in results else False,
                    )
                    for b in section.bidders.order_by("uscc")
                )
        sections.append(
            SectionFacts(
                code=section.code,
                name=section.name,
                scheduled_start=session.starts_at,
                started_at=session.started_at,
                report_sealed_at=sealed_at,
                bids=bids,
                award=_award_facts(section) if bids else None,
            )
        )
    return TenderFacts(
        ocid_prefix=getattr(settings, "QINQING_OCID_PREFIX", DEFAULT_OCID_PREFIX),
        project_code=project.code,
        project_name=project.name,
        method=project.method,
        kind=project.rule_set.kind,
        budget=project.budget,
        registered_at=project.created_at,
        tenderer=_org(project.tenderer),
        agency=_org(project.agency) if project.agency_id else None,
        supervising_department=_org(project.supervising_department),
        host_centre=_org(project.host_centre),
        sections=tuple(sections),
    )
