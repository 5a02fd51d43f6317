import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from qinqing.core.audit import verify_chain
from qinqing.core.models import AuditEntry, Organisation, RoleGrant


def _counts():
    return [m.objects.count() for m in (Organisation, get_user_model(), RoleGrant, AuditEntry)]


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database(demo_users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    evidence = settings.MEDIA_ROOT / "claims" / "合同.pdf"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"%PDF-1.4 evidence")
    path = tmp_path / "qinqing.json.gz"
    call_command("backup", str(path))
    evidence.unlink()
    before = _counts()
    with pytest.raises(CommandError, match="不是空的"):  # refuses to overwrite
        call_command("restore", str(path))
    call_command("flush", interactive=False, verbosity=0)
    assert _counts() == [0, 0, 0, 0]
    call_command("restore", str(path))
    assert _counts() == before
    assert verify_chain().ok
    assert get_user_model().objects.get(username="judge").check_password("qinqing-demo")
    assert evidence.read_bytes() == b"%PDF-1.4 evidence"


@pytest.mark.django_db
def test_backup_refuses_a_broken_chain(demo_users, tmp_path):
    AuditEntry.objects.filter(seq=3).update(action="forged")
    with pytest.raises(CommandError) as excinfo:
        call_command("backup", str(tmp_path / "b.json"))
    assert excinfo.value.returncode == 1
    assert not (tmp_path / "b.json").exists()
