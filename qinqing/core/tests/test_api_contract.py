"""The API keeps the contract its OpenAPI document states, under fuzzing (schemathesis).

Against a live test server holding the demo world, every operation is called with generated
input — valid (positive) and invalid (negative), path ids half real, half generated — as
anonymous, as seven roles with bearer tokens and as an expert signed in at a workstation.
Every answer must be documented: no 5xx, its status listed for the operation, its content
type and body as the document says (the error body included). `make test` runs a bounded
number of examples (QINQING_API_FUZZ_EXAMPLES per operation, identity and mode; 3 by
default; QINQING_API_FUZZ_SEED, 0 by default, picks them); bench/api_fuzz.py runs longer.
"""

import copy
import os
from io import StringIO

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command

apifuzz = pytest.importorskip("qinqing.core.apifuzz", reason="needs schemathesis (dev extras)")

EXAMPLES = int(os.environ.get("QINQING_API_FUZZ_EXAMPLES", "3"))
SEED = int(os.environ.get("QINQING_API_FUZZ_SEED", "0"))
ROLES = ["judge", "administrator", "creditor", "dispatcher", "editor", "centre_wh", "tenderer"]


@pytest.fixture
def demo_world(transactional_db):
    call_command("load_demo", stdout=StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def identities(users) -> list:
    found = [apifuzz.Identity("anonymous")]
    found += [apifuzz.token_identity(users[name]) for name in ROLES]
    seat = apifuzz.in_progress_seat()
    assert seat is not None, "the demo world has an expert signed in at a workstation"
    found.append(apifuzz.seat_identity(seat))
    return found


def test_every_operation_keeps_its_documented_contract_under_fuzzing(live_url, demo_world):
    document = requests.get(f"{live_url}/api/v1/openapi.json", timeout=30).json()
    report = apifuzz.fuzz(
        live_url,
        document,
        identities(demo_world),
        max_examples=EXAMPLES,
        path_values=apifuzz.known_path_values(),
        bodies=apifuzz.plausible_bodies(),
        seed=SEED,
    )
    print(report.summary())
    print("never 2xx:", report.never_succeeded())
    assert report.operations >= 40
    assert report.examples >= report.operations * len(ROLES) * EXAMPLES
    # Real objects were reached, not only refusals: successes, and the services' own 4xx.
    assert report.statuses[200] and report.statuses[409]
    findings = "\n".join(str(f) for f in report.findings[:30])
    assert report.server_errors == 0 and not report.findings, f"{report.summary()}\n{findings}"

    # The harness can fail: answers that the document does not describe are caught — an
    # undocumented status, and an error body that does not fit its schema.
    def caught(document) -> set[str]:
        report = apifuzz.fuzz(
            live_url,
            document,
            [apifuzz.Identity("anonymous")],
            max_examples=1,
            only=lambda operation: operation.path == "/api/v1/me",
        )
        assert report.examples
        return {f.check for f in report.findings}

    wrong = copy.deepcopy(document)
    wrong["components"]["schemas"]["ApiError"]["properties"]["detail"]["type"] = "integer"
    assert caught(wrong) == {"JsonSchemaError"}
    del document["paths"]["/api/v1/me"]["get"]["responses"]["401"]
    assert caught(document) == {"UndefinedStatusCode"}
