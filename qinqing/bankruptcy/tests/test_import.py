"""Excel import of claims: all rows or none, with row-level errors; the template round-trips."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from qinqing.bankruptcy import demo, imports
from qinqing.bankruptcy.models import Case, Claim
from qinqing.core.testing import xlsx_declaring_every_cell, xlsx_with_part


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([label for _, label in imports.COLUMNS])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = ["武汉示例导入甲有限公司", "13800000001", "普通", 1000, 50, 0, "否", None, "否", None]


@pytest.fixture
def fast_case(bk_demo):
    return Case.objects.get(number=demo.FAST_TRACK_NUMBER)


def test_template_has_the_header_and_parses(fast_case):
    sheet = load_workbook(BytesIO(imports.template_bytes())).active
    assert [c.value for c in sheet[1]] == [label for _, label in imports.COLUMNS]
    rows, errors = imports.parse(imports.template_bytes())
    assert not errors and rows[0]["creditor_name"] == "武汉示例供应链有限公司"


def test_one_bad_row_imports_nothing(fast_case, bk_demo):
    before = Claim.objects.count()
    bad = ["", "", "职工", -1, 0, 0, "也许", None, "否", "2024-13-01"]
    with pytest.raises(imports.ImportFailed) as exc:
        imports.import_claims(
            actor=bk_demo["administrator"], case=fast_case, data=workbook([GOOD, bad])
        )
    errors = {(e.row, e.column) for e in exc.value.errors}
    assert (3, "债权人名称") in errors and (3, "本金") in errors
    assert (3, "债权性质（普通/税款社保）") in errors and (3, "有财产担保（是/否）") in errors
    assert (3, "申报日（YYYY-MM-DD）") in errors
    assert Claim.objects.count() == before


def test_service_errors_roll_back_the_whole_batch(fast_case, bk_demo):
    before = Claim.objects.count()
    zero = ["武汉示例导入乙有限公司", "", "普通", 0, 0, 0, "否", None, "否", None]
    with pytest.raises(imports.ImportFailed) as exc:
        imports.import_claims(
            actor=bk_demo["administrator"], case=fast_case, data=workbook([GOOD, zero])
        )
    assert [e.row for e in exc.value.errors] == [3]
    assert Claim.objects.count() == before


def test_good_file_through_the_page(client, fast_case, bk_demo):
    client.force_login(bk_demo["administrator"])
    second = ["湖北示例导入丙有限公司", "", "税款社保", 300, 0, 0, "是", 200, "否", None]
    upload = SimpleUploadedFile("claims.xlsx", workbook([GOOD, second]))
    response = client.post(f"/bankruptcy/cases/{fast_case.pk}/claims/import/", {"file": upload})
    assert response.status_code == 302
    assert fast_case.claims.filter(creditor__name__contains="导入").count() == 2
    garbage = SimpleUploadedFile("claims.xlsx", b"not a workbook")
    response = client.post(f"/bankruptcy/cases/{fast_case.pk}/claims/import/", {"file": garbage})
    assert response.status_code == 400 and "导入失败" in response.content.decode()


def test_a_file_declaring_every_cell_or_a_zip_bomb_is_refused_without_reading_it():
    labels = [label for _, label in imports.COLUMNS]
    rows, errors = imports.parse(xlsx_declaring_every_cell([labels, GOOD]))
    assert rows == [] and [e.reason for e in errors] == [
        "表格数据超过 2000 行的上限（第 1048576 行），请分批导入"
    ]
    rows, errors = imports.parse(xlsx_declaring_every_cell([labels, GOOD], last_row_value=None))
    assert not errors and [r["creditor_name"] for r in rows] == [GOOD[0]]
    rows, errors = imports.parse(xlsx_with_part("xl/worksheets/sheet1.xml", 64 * 1024 * 1024))
    assert rows == [] and "解压后超过 32 MB 的上限" in errors[0].reason
