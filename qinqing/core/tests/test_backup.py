"""Backups that restore: a consistent snapshot under live writes, the uploaded files, and the
data keys the encrypted columns need (no restore without them); key rotation; start-up checks."""

import base64
import json
import os
import tarfile
import threading
from datetime import date

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qinqing.core import crypto
from qinqing.core.audit import audit_log, verify_chain
from qinqing.core.checks import refuse_to_start_if_misconfigured
from qinqing.core.models import AuditEntry, Organisation, RoleGrant

KEY_A = base64.urlsafe_b64encode(b"A" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()
ID_NUMBER = "42011119700101001X"


def _counts():
    return [m.objects.count() for m in (Organisation, get_user_model(), RoleGrant, AuditEntry)]


def _expert(code="T-1", id_number=ID_NUMBER, cipher=None):
    from qinqing.bidding.models import Expert

    return Expert.objects.create(
        database=Organisation.objects.get(code="whggzy-experts"),
        code=code,
        name="测试专家",
        id_number_cipher=cipher or crypto.encrypt(id_number),
        id_number_hash=crypto.keyed_hash(id_number),
        id_last4=id_number[-4:],
        phone="13900000000",
        region_code="420111",
        title="senior",
        birth_date=date(1970, 1, 1),
    )


def _id_number(code="T-1"):
    from qinqing.bidding.models import Expert

    return crypto.decrypt(Expert.objects.get(code=code).id_number_cipher)


def _empty_database():
    call_command("flush", interactive=False, verbosity=0)
    assert _counts() == [0, 0, 0, 0]


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database(demo_users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    evidence = settings.MEDIA_ROOT / "claims" / "合同.pdf"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"%PDF-1.4 evidence")
    _expert()
    path = tmp_path / "qinqing.tar.gz"
    call_command("backup", str(path))
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "media/claims/合同.pdf" in names
    assert manifest["vendor"] == connection.vendor
    assert manifest["data_keys"] == [crypto.current_key().kid]
    assert manifest["audit_entries"] == AuditEntry.objects.count()
    evidence.unlink()
    before = _counts()
    with pytest.raises(CommandError, match="不是空的"):  # refuses to overwrite
        call_command("restore", str(path))
    _empty_database()
    call_command("restore", str(path))
    assert _counts() == before
    assert verify_chain().ok
    assert get_user_model().objects.get(username="judge").check_password("qinqing-demo")
    assert evidence.read_bytes() == b"%PDF-1.4 evidence"
    assert _id_number() == ID_NUMBER


@pytest.mark.django_db(transaction=True)
def test_no_restore_without_the_data_keys_the_backup_names(demo_users, tmp_path, settings):
    """A restore on a new machine (another SECRET_KEY, no data keys) used to 'succeed' and lose
    every encrypted field."""
    settings.MEDIA_ROOT = tmp_path / "media"
    _expert()  # under the key derived from this machine's SECRET_KEY
    path = tmp_path / "qinqing.tar.gz"
    call_command("backup", str(path))
    _empty_database()

    settings.SECRET_KEY = "another machine's secret key"
    with pytest.raises(CommandError, match="需要数据密钥") as refused:
        call_command("restore", str(path))
    assert refused.value.returncode == 1
    assert _counts() == [0, 0, 0, 0]  # nothing changed


@pytest.mark.django_db(transaction=True)
def test_a_rotated_key_list_restores_and_reads(demo_users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.QINQING_DATA_KEYS = [KEY_A]
    _expert()
    path = tmp_path / "qinqing.tar.gz"
    call_command("backup", str(path))
    _empty_database()
    settings.QINQING_DATA_KEYS = [KEY_B]
    with pytest.raises(CommandError, match="需要数据密钥"):
        call_command("restore", str(path))
    settings.QINQING_DATA_KEYS = [KEY_B, KEY_A]
    call_command("restore", str(path))
    assert _id_number() == ID_NUMBER


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_a_broken_chain(demo_users, tmp_path):
    AuditEntry.objects.filter(seq=3).update(action="forged")
    with pytest.raises(CommandError) as excinfo:
        call_command("backup", str(tmp_path / "b.tar.gz"))
    assert excinfo.value.returncode == 1
    assert "第 3 条" in str(excinfo.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_writers_append_is_consistent(demo_users, tmp_path, settings):
    """`qinqing backup` refused 2 of 2 while the intake took writes (the chain was read outside
    one snapshot)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (SQLite serialises writes)")
    settings.MEDIA_ROOT = tmp_path / "media"
    stop, errors = threading.Event(), []

    def writer():
        try:
            while not stop.is_set():
                audit_log(actor=None, action="test.live")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for n in range(3):
            call_command("backup", str(tmp_path / f"live-{n}.tar.gz"))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    last = tmp_path / "live-2.tar.gz"
    with tarfile.open(last) as tar:
        saved = json.load(tar.extractfile("manifest.json"))["audit_entries"]
    assert 0 < saved < AuditEntry.objects.count()  # writes went on during and after it
    _empty_database()
    call_command("restore", str(last))
    assert verify_chain().checked == saved


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_first_format_still_restores(demo_users, tmp_path):
    path = tmp_path / "old.json"
    call_command(
        "dumpdata",
        exclude=["contenttypes", "auth.permission", "sessions", "admin.logentry"],
        output=str(path),
        verbosity=0,
    )
    before = _counts()
    _empty_database()
    call_command("restore", str(path))
    assert _counts() == before and verify_chain().ok


# --- keys -----------------------------------------------------------------------------------


def _v1(plaintext: str) -> str:
    """A ciphertext as the first release wrote it (key derived from SECRET_KEY)."""
    nonce = os.urandom(12)
    key = crypto.data_keys()[-1].encrypt
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), b"v1")
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


@pytest.mark.django_db
def test_rotate_keys_rewrites_every_ciphertext_and_hash(demo_users, settings):
    from qinqing.bidding.models import Expert

    _expert("T-1", cipher=_v1(ID_NUMBER))  # from the first release
    settings.QINQING_DATA_KEYS = [KEY_A]
    _expert("T-2", "420111197001010027")
    assert crypto.kids_in_use() == {crypto.legacy_kid(), crypto.current_key().kid}

    settings.QINQING_DATA_KEYS = [KEY_B, KEY_A]
    call_command("rotate_keys")
    new = crypto.current_key()
    assert crypto.kids_in_use() == {new.kid}
    for expert in Expert.objects.all():
        plain = crypto.decrypt(expert.id_number_cipher)
        assert expert.id_number_cipher.startswith(f"v2:{new.kid}:")
        assert expert.id_number_hash == crypto.keyed_hash(plain)
    settings.QINQING_DATA_KEYS = [KEY_B]  # the old keys can go
    assert _id_number("T-1") == ID_NUMBER
    assert AuditEntry.objects.filter(action="crypto.rotate_keys").exists()


@pytest.mark.django_db
def test_rotate_keys_stops_at_a_key_it_does_not_hold(demo_users, settings):
    settings.QINQING_DATA_KEYS = [KEY_A]
    _expert()
    settings.QINQING_DATA_KEYS = [KEY_B]
    with pytest.raises(CommandError, match="未配置"):
        call_command("rotate_keys")


def test_the_server_refuses_to_start_without_its_keys(settings):
    settings.DEBUG, settings.SECRET_KEY_FROM_ENV = False, False
    settings.QINQING_DATA_KEYS, settings.QINQING_SIGNING_KEY = [], ""
    with pytest.raises(ImproperlyConfigured) as refused:
        refuse_to_start_if_misconfigured()
    for name in ("SECRET_KEY", "QINQING_DATA_KEYS", "QINQING_SIGNING_KEY"):
        assert name in str(refused.value)
    settings.SECRET_KEY_FROM_ENV, settings.QINQING_DATA_KEYS = True, [KEY_A]
    settings.QINQING_SIGNING_KEY, settings.ALLOWED_HOSTS_FROM_ENV = KEY_B, True
    refuse_to_start_if_misconfigured()
    settings.DEBUG, settings.QINQING_DATA_KEYS = True, ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="第 1 个密钥"):
        refuse_to_start_if_misconfigured()
