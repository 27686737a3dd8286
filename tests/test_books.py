"""The test helpers' fast cell editor writes what openpyxl writes (tests/books.py)."""

from __future__ import annotations

import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Protection

from juesuan.check import check

from .books import _cell_re, cell_xml, edit_cells

VALUES = st.one_of(st.text(max_size=10), st.floats(), st.integers(-10**12, 10**12), st.none(), st.booleans(),
                   st.decimals(allow_nan=False, allow_infinity=False, places=3), st.sampled_from(ERROR_CODES),
                   st.sampled_from(["=SUM(A1:A2)", "=", "=12.5+3", " 180 ", "  ", "a&b<c>\"'", "１８０．００"]))


def _openpyxl_cell(tmp_path, value, styled):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"].value = value
    if styled:
        ws["B2"].protection = Protection(locked=False)
    wb.save(tmp_path / "o.xlsx")
    with zipfile.ZipFile(tmp_path / "o.xlsx") as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    m = _cell_re("B2").search(xml)
    return m and m.group(0)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES, styled=st.booleans())
def test_cell_xml_is_what_openpyxl_writes(tmp_path, value, styled):
    if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        with pytest.raises(openpyxl.utils.exceptions.IllegalCharacterError):
            cell_xml("B2", value)
        return
    written = _openpyxl_cell(tmp_path, value, styled)
    if written is None:  # openpyxl leaves out an empty cell without style; the files we edit style every cell
        assert not styled and value in (None, "")
        return
    assert cell_xml("B2", value, "1" if styled else None) == written


@pytest.fixture(scope="module")
def careful_xlsx(sample_xlsx):
    return sample_xlsx("careful")


def test_edited_copy_checks_like_an_openpyxl_edited_copy(careful_xlsx, tmp_path):
    changes = [("公开02表", "D10", 181.0), ("公开02表", "B10", "  名称 "), ("公开03表", "E10", "#REF!"),
               ("公开05表", "D10", "=D11*2"), ("公开01表", "C7", None), ("公开06表", "C7", Decimal("12.345"))]
    fast = edit_cells(careful_xlsx, tmp_path / "fast.xlsx", changes)
    wb = openpyxl.load_workbook(careful_xlsx)
    for sheet, a1, value in changes:
        wb[sheet][a1].value = value
    wb.save(tmp_path / "slow.xlsx")
    a, b = check(fast).to_dict(), check(tmp_path / "slow.xlsx").to_dict()
    a.pop("file"), b.pop("file")
    assert a == b and a["findings"]
    fa, fb = openpyxl.load_workbook(fast), openpyxl.load_workbook(tmp_path / "slow.xlsx")
    for sheet, a1, _ in changes:
        assert (fa[sheet][a1].value, fa[sheet][a1].data_type, fa[sheet][a1].style_id) == \
            (fb[sheet][a1].value, fb[sheet][a1].data_type, fb[sheet][a1].style_id)
