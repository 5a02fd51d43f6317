"""The plain-statement writers used on hot paths write what the ORM would."""

import pytest

from qinqing.core import rows
from qinqing.core.models import Organisation

pytestmark = pytest.mark.django_db


def _org(code: str, name: str, **kw) -> Organisation:
    return Organisation(kind=Organisation.Kind.DEPARTMENT, code=code, name=name, **kw)


def test_insert_sets_keys_and_auto_now_add():
    objs = [_org("rows-a", "甲"), _org("rows-b", "乙")]
    rows.insert(objs)
    stored = {o.code: o for o in Organisation.objects.filter(code__startswith="rows-")}
    assert {o.pk for o in objs} == {o.pk for o in stored.values()}
    assert stored["rows-a"].created_at is not None
    assert stored["rows-b"].name == "乙"


def test_upsert_inserts_new_rows_and_updates_only_the_named_fields_of_existing_ones():
    kept = _org("rows-c", "丙")
    kept.save()
    fields = ("kind", "code", "name", "short_name", "is_active", "created_at")
    now = kept.created_at
    rows.upsert(
        Organisation,
        fields,
        [
            (Organisation.Kind.DEPARTMENT, "rows-c", "丙（新）", "", False, now),
            (Organisation.Kind.DEPARTMENT, "rows-d", "丁", "", True, now),
        ],
        unique_fields=["code"],
        update_fields=["name"],
    )
    kept.refresh_from_db()
    assert kept.name == "丙（新）"
    assert kept.is_active is True  # not among update_fields
    added = Organisation.objects.get(code="rows-d")
    assert added.name == "丁" and added.created_at == now
    assert Organisation.objects.filter(code__startswith="rows-").count() == 2


def test_select_values_and_select_one_convert_as_the_orm_does():
    org = _org("rows-e", "戊")
    org.save()
    found = rows.select_values(
        Organisation, ("code", "is_active", "created_at"), "code = %s", ["rows-e"]
    )
    assert found == list(
        Organisation.objects.filter(code="rows-e").values_list("code", "is_active", "created_at")
    )
    assert type(found[0][1]) is bool
    one = rows.select_one(Organisation, "code = %s", ["rows-e"], lock=True)
    assert one.pk == org.pk and one.created_at == org.created_at and one.is_active is True
    assert rows.select_one(Organisation, "code = %s", ["nobody"]) is None
    assert rows.exists(Organisation, "code = %s", ["rows-e"])
    assert not rows.exists(Organisation, "code = %s", ["nobody"])


def test_update_writes_only_the_named_fields():
    org = _org("rows-f", "己")
    org.save()
    org.name, org.short_name = "己（改）", "不写"
    rows.update(org, ["name"])
    stored = Organisation.objects.get(pk=org.pk)
    assert stored.name == "己（改）" and stored.short_name == ""
