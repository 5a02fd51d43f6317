"""deploy/: nginx (deploy/nginx-qinqing.conf, its paths and ports moved to a temporary prefix on
loopback) in front of gunicorn (deploy/gunicorn.conf.py) serving the app against the test
database, as docs/operations.md installs them. Skipped, saying why, where nginx is absent
(`make test` installs nginx-light through scripts/system-deps.sh)."""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from qinqing.core import crypto

ROOT = Path(__file__).resolve().parents[3]
SITE = ROOT / "deploy" / "nginx-qinqing.conf"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.path.exists(p)), None
)
MB = 1024 * 1024

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="nginx not installed (scripts/system-deps.sh test)"),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "qinqing.example.gov.cn")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("qinqing.example.gov.cn")]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "fullchain.pem", directory / "privkey.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _database_url(directory: Path) -> str:
    """The test database for another process: PostgreSQL's by name, SQLite's (in memory)
    copied to a file with the online backup API."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        port = db.get("PORT") or 5432
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"
    import sqlite3

    connection.ensure_connection()
    copy = directory / "test.sqlite3"
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    return f"sqlite:///{copy}"


def _site_config(**replace: str) -> str:
    text = SITE.read_text()
    for old, new in replace.items():
        assert text.count(old) >= 1, f"{old!r} is no longer in {SITE.name}"
        text = text.replace(old, new)
    return text


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"not listening on {port}:\n{log.read_text()[-3000:]}")


@pytest.fixture
def behind_nginx(tmp_path, demo_users):
    """(https port, http port, static root) of nginx in front of gunicorn, both on loopback."""
    static_root = tmp_path / "var" / "static"
    # The manifest as collectstatic writes it; the production storage would also compress
    # every file (half a minute), which nginx's gzip_static only uses when it is there.
    with override_settings(
        STATIC_ROOT=static_root,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        },
    ):
        call_command("collectstatic", "--no-input", verbosity=0)
    app_port, https_port, http_port = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "1",
        "ALLOWED_HOSTS": "qinqing.example.gov.cn,127.0.0.1",
        "TRUSTED_PROXIES": "127.0.0.1",
        "SECRET_KEY": "deploy-test-" + "x" * 50,
        "QINQING_DATA_KEYS": crypto.new_key(),
        "QINQING_SIGNING_KEY": crypto.new_key(),
        "QINQING_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": _database_url(tmp_path),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    gunicorn_log = tmp_path / "gunicorn.log"
    gunicorn_command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
    ]
    gunicorn = subprocess.Popen(  # noqa: S603 (our own command line)
        [*gunicorn_command, "--bind", f"127.0.0.1:{app_port}", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=gunicorn_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    cert, key = _self_signed(prefix)
    site = _site_config(
        **{
            "127.0.0.1:8000": f"127.0.0.1:{app_port}",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "/etc/ssl/qinqing/fullchain.pem": str(cert),
            "/etc/ssl/qinqing/privkey.pem": str(key),
            "/var/lib/qinqing/static/": f"{static_root}/",
        }
    )
    (prefix / "qinqing.conf").write_text(site)
    temp = "\n".join(
        f"    {name}_temp_path {prefix}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root (a CI container), workers would otherwise run as nobody, who cannot read tmp_path.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {prefix}/logs/access.log;
{temp}
    include {prefix}/qinqing.conf;
}}
"""
    )
    nginx_log = prefix / "logs" / "error.log"
    nginx = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            NGINX,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(nginx_log),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=nginx_log.open("a"),
    )
    try:
        _wait_for(app_port, gunicorn, gunicorn_log)
        _wait_for(https_port, nginx, nginx_log)
        yield https_port, http_port, static_root
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
        for process in (nginx, gunicorn):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _https(port: int) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # self-signed
    return http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)


def _get(port: int, path: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = _https(port)
    conn.request("GET", path, headers={"Host": "qinqing.example.gov.cn"})
    response = conn.getresponse()
    return response, response.read()


def test_nginx_in_front_of_gunicorn(behind_nginx):
    https_port, http_port, static_root = behind_nginx

    # The app, through TLS: its own headers, HSTS among them (X-Forwarded-Proto read).
    response, body = _get(https_port, "/login/")
    assert response.status == 200, body[:500]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Secure" in response.headers["Set-Cookie"]
    response, body = _get(https_port, "/healthz")
    assert response.status == 200 and json.loads(body)["static"] == "ok"

    # Static files come from STATIC_ROOT through nginx, cached for a year: a file put there
    # after the app started is served (the app's WhiteNoise indexed the directory at start).
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    response, body = _get(https_port, f"/static/{manifest['core/qinqing.js']}")
    assert response.status == 200 and b"data-confirm" in body
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    (static_root / "probe.txt").write_text("served by nginx")
    response, body = _get(https_port, "/static/probe.txt")
    assert response.status == 200 and body == b"served by nginx"

    # A body over the largest limit is refused by nginx before it reaches the app.
    conn = _https(https_port)
    conn.putrequest("POST", "/needs/submit/", skip_host=True)
    conn.putheader("Host", "qinqing.example.gov.cn")
    conn.putheader("Content-Length", str(17 * MB))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and b"nginx" in response.read()

    # Plain HTTP is only a redirect to HTTPS.
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    conn.request("GET", "/login/", headers={"Host": "qinqing.example.gov.cn"})
    response = conn.getresponse()
    assert response.status == 301
    assert response.headers["Location"] == "https://qinqing.example.gov.cn/login/"
