"""A read replica for the reports (issue 20, item 8): figures, dashboards and exports read a
streaming replica, everything else the primary, and a replica that stops does not stop them.

The test runs a primary and a hot standby of its own (pg_cluster.py: `initdb`, then
`pg_basebackup -R` from it), migrates the primary, loads the needs demo and waits for the
standby to replay it. Then, in one Django process configured with DATABASE_URL (the primary)
and DATABASE_REPLICA_URL (the standby):

- replay is paused on the standby and a need is received (on the primary): the figures API
  still counts the old number (it read the standby) while the need's page, which is not a
  report, shows it to the dispatcher at once; replay resumed, the figure catches up;
- the figures page and the needs dashboard run their queries on the standby (none of their
  reads of needs on the primary); a service called inside `replica_reads()` writes the primary
  and the audit chain still verifies (reads inside a transaction stay on the primary);
- the standby stopped: the figures page still answers 200 from the primary and /healthz says
  the replica is unreachable (a warning, 200).

Skipped, saying why, where PostgreSQL's server binaries are not installed (pg_cluster.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from qinqing.core import crypto
from qinqing.core.tests.pg_cluster import Cluster, _skip_reason

pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")

ROOT = Path(__file__).resolve().parents[3]

_SET_UP = """
import sys
from django.conf import settings
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from qinqing.core import demo as core
from qinqing.enterprises import demo as enterprises
from qinqing.needs import demo as needs
for module in (core, enterprises, needs):
    module.load(stdout=sys.stderr)
"""

# Runs in a process whose settings hold both databases; prints one JSON object of findings.
_CHECK = """
import json, os, re, time
import psycopg
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.utils import timezone
from qinqing.core.replica import replica_reads
from qinqing.enterprises.models import Firm
from qinqing.needs.models import Need
from qinqing.needs.services import need_submit

found = {"routers": list(__import__("django.conf").conf.settings.DATABASE_ROUTERS)}
users = get_user_model().objects
dispatcher = Client()
dispatcher.force_login(users.get(username="dispatcher"))
today = timezone.localdate()
api = f"/api/v1/figures?from={today.year}-01-01&to={today:%Y-%m-%d}"

def received():
    answer = dispatcher.get(api)
    assert answer.status_code == 200, answer.content[:300]
    return next(f["value"] for f in answer.json()["figures"] if f["name"] == "needs_received")

def standby(sql):
    with psycopg.connect(os.environ["DATABASE_REPLICA_URL"], autocommit=True) as conn:
        return conn.execute(sql).fetchall()

def primary(sql):
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        return conn.execute(sql).fetchall()

def caught_up():
    (lsn,) = primary("SELECT pg_current_wal_lsn()::text")[0]
    return standby(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")[0][0]

found["before"] = received()
standby("SELECT pg_wal_replay_pause()")
uscc = Firm.objects.values_list("organisation__uscc", flat=True)[0]
with replica_reads() as alias:
    found["alias_inside"] = alias
    need = need_submit(actor=None, channel="portal", uscc=uscc, phone="13900001111",
                       text="副本测试：数电票开票额度不够用，怎么申请提额？")
found["paused"] = received()
detail = dispatcher.get(f"/needs/{need.pk}/")
found["detail_shows_new_need"] = detail.status_code == 200 and "副本测试" in detail.content.decode()
found["on_primary"] = Need.objects.filter(pk=need.pk).exists()
standby("SELECT pg_wal_replay_resume()")
for _ in range(300):
    if caught_up():
        break
    time.sleep(0.05)
found["resumed"] = received()

# Where the reports' queries ran: every alias's queries are logged for the next request.
for alias in ("default", "replica"):
    connections[alias].force_debug_cursor = True
found["pages"] = {}
for path in ("/figures/", "/needs/dashboard/"):
    answer = dispatcher.get(path)
    ran = {a: [q["sql"] for q in connections[a].queries] for a in ("default", "replica")}
    found["pages"][path] = {
        "status": answer.status_code,
        "needs_reads": {a: sum("needs_need" in sql for sql in ran[a]) for a in ran},
    }

found["health_up"] = json.loads(dispatcher.get("/healthz").content)
print(json.dumps(found, default=str))
"""

_AFTER_STOP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username="dispatcher"))
print(json.dumps({
    "figures": client.get("/figures/").status_code,
    "dashboard": client.get("/needs/dashboard/").status_code,
    "health": json.loads(client.get("/healthz").content),
}))
"""


def _manage(script: str, env: dict) -> dict | None:
    done = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None


@pytest.fixture
def clusters():
    directory = Path(tempfile.mkdtemp(prefix="qq-replica-"))  # short: it holds the sockets
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")  # the clusters' account walks into it
    (directory / "primary").mkdir()
    (directory / "standby").mkdir()
    primary, standby = Cluster(directory / "primary"), Cluster(directory / "standby")
    try:
        primary.init()
        primary.start()
        yield directory, primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_reports_read_the_replica_and_survive_its_loss(clusters):
    directory, primary, standby = clusters
    import psycopg

    with psycopg.connect(primary.url.replace("/qinqing", "/postgres"), autocommit=True) as c:
        c.execute("CREATE DATABASE qinqing")
    env = {
        **{
            k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DATABASE_REPLICA_URL")
        },
        "DEBUG": "1",
        "SECRET_KEY": "replica-test-" + "x" * 50,
        "QINQING_DATA_KEYS": crypto.new_key(),
        "QINQING_SIGNING_KEY": crypto.new_key(),
        "QINQING_VAR_DIR": str(directory / "var"),
        "DATABASE_URL": primary.url,
        "QINQING_TASKS_BACKEND": "immediate",
        "LOG_LEVEL": "ERROR",
    }
    _manage(_SET_UP, env)
    standby.replicate_from(primary)
    standby.start()
    deadline = time.monotonic() + 60
    while not standby.replay_lsn_reached(primary):
        assert time.monotonic() < deadline, "the standby did not catch up within 60 s"
        time.sleep(0.1)

    env["DATABASE_REPLICA_URL"] = standby.url
    found = _manage(_CHECK, env)
    assert found["alias_inside"] == "replica"
    # Replay paused: the report reads the standby (the old count), the need's page the primary.
    assert found["on_primary"]
    assert found["paused"] == found["before"], found
    assert found["detail_shows_new_need"], found
    assert found["resumed"] == found["before"] + 1, found
    for path, page in found["pages"].items():
        assert page["status"] == 200, (path, page)
        assert page["needs_reads"]["replica"] > 0, (path, page)
        assert page["needs_reads"]["default"] == 0, (path, page)
    assert found["health_up"]["replica"]["status"] == "ok", found["health_up"]

    verified = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, str(ROOT / "manage.py"), "audit_verify"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr

    standby.stop()
    after = _manage(_AFTER_STOP, env)
    assert after["figures"] == 200 and after["dashboard"] == 200, after
    assert after["health"]["replica"] == {"status": "unreachable"}, after
    print(f"replica test: {json.dumps(found['pages'])}; after the standby stopped: {after}")
