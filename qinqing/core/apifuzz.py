"""The API fuzzed against its own OpenAPI document (schemathesis), as several identities.

Used by `make test` (qinqing/core/tests/test_api_contract.py: a bounded number of examples per
operation) and by bench/api_fuzz.py (a longer run). A live server answers; each identity's
requests carry its credentials (a bearer token, or the workstation's session cookie with the
CSRF token); path parameters are drawn half from the ids of real objects, half as schemathesis
generates them, so that requests reach the services and not only the 404. Every response is
checked: no 5xx, its status documented, its content type and body as documented. Failures are
collected, not raised, so one run reports all of them.

Needs the dev dependency `schemathesis`; the product never imports this module.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
WORKSTATION_TAG = "bidding-workstation"
CSRF_SECRET_LENGTH = 32


@dataclass
class Identity:
    """Who sends the requests: `headers` and `cookies` for every request; `fresh` gives the
    headers for an operation that consumes them (revoking the token it is called with)."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    fresh: Callable[[], dict[str, str]] | None = None
    workstation: bool = False  # authenticates to the workstation's operations only


@dataclass
class Finding:
    identity: str
    operation: str
    check: str
    status: int
    message: str
    request: str

    def __str__(self) -> str:
        message = self.message.strip().splitlines()
        return (
            f"{self.operation} as {self.identity}: {self.check} (status {self.status})"
            f" — {' / '.join(message[:3])[:300]}\n    {self.request}"
        )


@dataclass
class Report:
    operations: int = 0
    examples: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    per_identity: Counter = field(default_factory=Counter)
    seed: int | None = None
    per_operation: dict = field(default_factory=dict)  # label -> Counter of statuses

    def never_succeeded(self) -> list[str]:
        """Operations no example got a 2xx from (only refusals were checked)."""
        return sorted(
            label
            for label, statuses in self.per_operation.items()
            if not any(200 <= s < 300 for s in statuses)
        )

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def mismatches(self) -> list[Finding]:
        return [f for f in self.findings if f.check != "ServerError"]

    def summary(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.operations} operations, {self.examples} examples "
            f"({len(self.per_identity)} identities, seed {self.seed}) in {self.seconds:.1f} s; "
            f"5xx: {self.server_errors}; findings: {len(self.findings)} "
            f"(schema mismatches: {len(self.mismatches)}); statuses {{{statuses}}}"
        )


def load_schema(document: dict) -> Any:
    return schemathesis.openapi.from_dict(document)


def operations(schema) -> list:
    found = []
    for result in schema.get_all_operations():
        found.append(result.ok())
    return found


def _is_workstation(operation) -> bool:
    return WORKSTATION_TAG in (operation.definition.raw.get("tags") or [])


def _path_names(operation) -> list[str]:
    return [p.name for p in operation.path_parameters]


# What core.middleware.ControlCharactersMiddleware refuses (400) before any view runs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(value):
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _without_controls(case):
    """Valid input without the control characters the middleware refuses: so that positive
    examples reach the operations (negative ones keep them, and meet the refusal)."""
    for name in ("path_parameters", "query", "body"):
        value = getattr(case, name, None)
        if isinstance(value, dict | list | str):
            setattr(case, name, _clean(value))
    return case


def _strategy(operation, mode, path_values: dict[str, list], bodies: list) -> st.SearchStrategy:
    generated = operation.as_strategy(generation_mode=mode)
    names = _path_names(operation)
    real = st.just({})
    if names and all(path_values.get(n) for n in names):
        real = st.fixed_dictionaries({n: st.sampled_from(path_values[n]) for n in names})
        generated = st.one_of(
            real.flatmap(
                lambda values: operation.as_strategy(generation_mode=mode, path_parameters=values)
            ),
            generated,
        )
    if mode == GenerationMode.POSITIVE and bodies:
        # Input a client would send, on real objects: the success answers get checked too.
        plausible = st.tuples(real, st.sampled_from(bodies)).flatmap(
            lambda pair: operation.as_strategy(
                generation_mode=mode, path_parameters=pair[0] or None, body=pair[1]
            )
        )
        generated = st.one_of(plausible, generated)
    if mode == GenerationMode.POSITIVE:
        generated = generated.map(_without_controls)
    return generated


def _curl(response: requests.Response) -> str:
    request = response.request
    body = request.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return f"{request.method} {request.url} {body[:200]}"


def fuzz(
    base_url: str,
    document: dict,
    identities: Iterable[Identity],
    *,
    max_examples: int,
    path_values: dict[str, list] | None = None,
    bodies: dict[str, list] | None = None,
    seed: int | None = 0,
    modes=MODES,
    only: Callable[[Any], bool] | None = None,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Fuzz every operation of `document` against `base_url` as each identity, `max_examples`
    per operation, identity and generation mode (positive: valid input; negative: invalid)."""
    if seed is None:  # a random run, still named so that it can be repeated
        seed = secrets.randbits(32)
    schema = load_schema(document)
    ops = [op for op in operations(schema) if only is None or only(op)]
    report = Report(operations=len(ops), seed=seed)
    path_values = path_values or {}
    bodies = bodies or {}
    started = time.monotonic()
    with requests.Session() as session:  # closed at the end: the server's threads end too
        _fuzz_all(
            session,
            base_url,
            ops,
            identities,
            max_examples,
            path_values,
            bodies,
            seed,
            modes,
            timeout,
            progress,
            report,
        )
    report.seconds = time.monotonic() - started
    return report


def _fuzz_all(
    session,
    base_url,
    ops,
    identities,
    max_examples,
    path_values,
    bodies,
    seed,
    modes,
    timeout,
    progress,
    report,
) -> None:
    for identity in identities:
        for operation in ops:
            workstation = _is_workstation(operation)
            # An identity that cannot authenticate to an operation is refused (401) whatever
            # the input: a few examples show it, the rest are spent where it is let in.
            examples = max_examples
            if identity.workstation != workstation and operation.definition.raw.get("security"):
                examples = min(max_examples, 2)
            for mode in modes:
                _run(
                    session,
                    base_url,
                    operation,
                    mode,
                    identity,
                    examples,
                    path_values,
                    bodies.get(operation.definition.raw.get("operationId"), []),
                    seed,
                    timeout,
                    report,
                )
            if progress:
                progress(f"{identity.name} {operation.label}: {report.examples} examples")


def _run(
    session, base_url, operation, mode, identity, examples, path_values, bodies, seed, timeout, rep
):
    consumes = operation.definition.raw.get("operationId") == "qinqing_core_api_token_revoke"

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @hypothesis.given(case=_strategy(operation, mode, path_values, bodies))
    def run(case):
        headers = dict(identity.headers)
        if consumes and identity.fresh is not None:
            headers.update(identity.fresh())
        cookies = dict(identity.cookies)
        if cookies:
            session.cookies.clear()
        response = case.call(
            base_url=base_url,
            session=session,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            allow_redirects=False,
        )
        session.cookies.clear()
        rep.examples += 1
        rep.per_identity[identity.name] += 1
        rep.statuses[response.status_code] += 1
        rep.per_operation.setdefault(operation.label, Counter())[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as exc:
            failures = getattr(exc, "exceptions", None) or [exc]
            for failure in failures:
                rep.findings.append(
                    Finding(
                        identity=identity.name,
                        operation=operation.label,
                        check=type(failure).__name__,
                        status=response.status_code,
                        message=getattr(failure, "title", "") + ": " + str(failure)[:2000],
                        request=_curl(response) + f" -> {response.text[:300]!r}",
                    )
                )

    # One seed names the run; each identity, operation and mode draws its own examples.
    run = hypothesis.seed(seed ^ zlib.crc32(f"{identity.name} {operation.label} {mode}".encode()))(
        run
    )
    # Negative mode, an operation without input to make invalid (GET /me): nothing to run.
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()


# --- identities and objects of the demo world ------------------------------------------------


def token_identity(user, name: str | None = None) -> Identity:
    """A bearer token of `user` (and a fresh one for each call that revokes it)."""
    from qinqing.core.services import api_token_issue

    def fresh() -> dict[str, str]:
        clear, _ = api_token_issue(actor=user, ip="127.0.0.1")
        return {"Authorization": f"Bearer {clear}"}

    return Identity(name=name or user.get_username(), headers=fresh(), fresh=fresh)


def seat_identity(seat, name: str = "expert@workstation") -> Identity:
    """The browser session of an expert signed in at a workstation, with its CSRF token."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from qinqing.bidding.seating.workstation import SEAT_KEY

    store = SessionStore()
    store[SEAT_KEY] = seat.pk
    store.save()
    csrf = secrets.token_hex(CSRF_SECRET_LENGTH // 2)
    return Identity(
        name=name,
        headers={"X-CSRFToken": csrf},
        cookies={settings.SESSION_COOKIE_NAME: store.session_key, settings.CSRF_COOKIE_NAME: csrf},
        workstation=True,
    )


def in_progress_seat():
    """A seat of a session being evaluated today whose expert has signed in (the demo's),
    one with a sheet still in draft when there is one (so that saving it can succeed)."""
    from qinqing.bidding.models import Seat

    seats = Seat.objects.filter(
        signed_in_at__isnull=False, outcome__session__status="evaluating"
    ).order_by("pk")
    return seats.filter(sheets__status="draft").first() or seats.first()


def known_path_values(limit: int = 4) -> dict[str, list]:
    """Ids of real objects for each path parameter of the API (the demo world's)."""
    from qinqing.bankruptcy.models import AgendaItem, Agreement, AgreementTerm, Case, Claim, Meeting
    from qinqing.bidding.models import (
        AwardNotice,
        Complaint,
        DeviationNote,
        Draw,
        DrawQuota,
        EvaluationSession,
        Project,
        Publication,
        ScoreSheet,
        Stage,
    )
    from qinqing.bidding.opening.models import OpenedFile
    from qinqing.briefing.models import Issue
    from qinqing.needs.models import Need

    def ids(model, field_name="pk"):
        return list(model.objects.order_by("-pk").values_list(field_name, flat=True)[:limit])

    return {
        "pk": ids(Need),
        "case_id": ids(Case),
        "claim_id": ids(Claim),
        "agreement_id": ids(Agreement),
        "term_id": ids(AgreementTerm),
        "meeting_id": ids(Meeting),
        "item_id": ids(AgendaItem),
        "issue_id": ids(Issue),
        "quota_id": ids(DrawQuota),
        "draw_id": ids(Draw, "draw_id"),
        "project_code": ids(Project, "code"),
        "session_id": ids(EvaluationSession),
        "sheet_id": ids(ScoreSheet),
        "note_id": ids(DeviationNote),
        "stage": list(Stage.values),
        "file_id": ids(OpenedFile),
        "publication_id": ids(Publication),
        "notice_id": ids(AwardNotice),
        "complaint_id": ids(Complaint),
    }


def plausible_bodies() -> dict[str, list]:
    """Bodies a client would send, per operationId (with real path ids they reach the success
    answers, whose bodies are then checked; which succeed depends on the identity and the
    object's state)."""
    from datetime import date

    from qinqing.core.demo import demo_password
    from qinqing.needs.models import Category

    today = date.today().isoformat()
    category = Category.objects.order_by("pk").values_list("code", flat=True).first() or ""
    return {
        "qinqing_core_api_token_create": [
            {"username": name, "password": demo_password()}
            for name in ("editor", "judge", "creditor")
        ],
        "qinqing_needs_api_classify": [{"text": "企业用电报装需要多久？"}],
        "qinqing_needs_api_need_transition": [
            {"action": "dispatch", "category": category},
            {"action": "sign"},
            {"action": "reply", "reply": "已协调供电部门，三个工作日内接电。"},
            {"action": "callback", "note": "企业满意"},
            {"action": "return", "reason": "不属于本部门职责"},
            {"action": "request_extension", "days": 5, "reason": "需现场核查"},
            {"action": "close"},
        ],
        "qinqing_activities_api_checkin": [{"secret": "no-such-secret"}],
        "qinqing_bankruptcy_api_claim_create": [
            {"principal": "50000.00", "interest": "1200.50", "phone": "13900000000"}
        ],
        "qinqing_bankruptcy_api_sign_in": [{}],
        "qinqing_bankruptcy_api_ballot_create": [{"vote": "yes"}, {"vote": "no"}],
        "qinqing_bankruptcy_api_claim_review": [
            {"admitted_amount": "1000.00", "reason": "经核实"},
            {"admitted_amount": None, "reason": "证据不足"},
        ],
        "qinqing_bankruptcy_api_agreement_create": [{"rate": "40"}, {"rate": "60"}],
        "qinqing_bankruptcy_api_agreement_approve": [{"on": today}],
        "qinqing_bankruptcy_api_payment_create": [
            {"amount": "100.00", "paid_on": today, "reference": "转账"}
        ],
        "qinqing_bidding_api_draw_witness": [{"witness_entropy": "见证人随机数 20261207"}],
        "qinqing_bidding_workstation_api_sheet_put": [{"entries": []}],
        "qinqing_bidding_workstation_api_sheet_submit": [{"entries": None}],
        "qinqing_bidding_workstation_api_deviation_explain": [{"explanation": "依据投标文件"}],
        "qinqing_bidding_workstation_api_sheet_reopen": [{"reason": "评分遗漏，退回修改"}],
        "qinqing_bidding_workstation_api_report_sign": [
            {"agree": True},
            {"agree": False, "dissent_reason": "对第二名的技术评分有不同意见"},
        ],
    }
