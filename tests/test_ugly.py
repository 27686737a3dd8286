"""Ugly values and ugly files: a finding or a clean exit 2, never a traceback."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juesuan.validate.engine import check
from juesuan.util.money import parse_amount, round_half_up

from .books import edit_cells
from .conftest import run_cli, sample_copy


@pytest.fixture(scope="module")
def base(sample_xlsx):
    """The careful sample as a workbook whose inputs are constants (formulas computed by the checker)."""
    return sample_xlsx("careful")


def _with(base, tmp_path, sheet, cell, value):
    """The check of ``base`` with ``value`` typed into ``sheet!cell`` (the checker never reads protection)."""
    return check(edit_cells(base, tmp_path / "ugly.xlsx", [(sheet, cell, value)]))


def _at(report, where):
    return [(f.rule, f.severity) for f in report.findings if f.location == where]


@pytest.mark.parametrize("value, expect", [
    ("abc", ("V-01", "error")),
    ("#REF!", ("V-01", "error")),
    ("180元", ("V-01", "error")),
    (180.001, ("V-02", "warning")),
])
def test_bad_values_are_findings_at_their_cell(base, tmp_path, value, expect):
    report = _with(base, tmp_path, "公开02表", "D10", value)
    assert expect in _at(report, "公开02表!D10"), report.flat()


@pytest.mark.parametrize("value", ["１８０．００", "180.00", " 180 ", "180"])
def test_numeric_text_summed_by_a_formula_is_text_at_its_cell(base, tmp_path, value):
    # the spreadsheet's SUM leaves text out, so the check does: the cell is named, nothing else is blamed
    report = _with(base, tmp_path, "公开02表", "D10", value)
    assert report.flat() and [f.location for f in report.findings if f.severity == "error"] == ["公开02表!D10"]
    assert "是文本，不是数字" in next(f for f in report.findings if f.rule == "V-01").message


@pytest.mark.parametrize("value", ["１８０．００", "180.00", " 180 ", "180", 180])
def test_numeric_text_in_a_table_of_constants_is_read_as_a_number(tmp_path, value):
    from .books import constants_copy

    base = constants_copy(sample_copy("careful", tmp_path / "src"), tmp_path / "constants.xlsx")
    report = _with(base, tmp_path, "公开02表", "D10", value)
    assert report.errors == 0, report.flat()


def test_thousands_separator_is_a_number(tmp_path):
    from .books import constants_copy

    base = constants_copy(sample_copy("careful", tmp_path / "src"), tmp_path / "constants.xlsx")
    report = _with(base, tmp_path, "公开02表", "D10", "1,180.00")
    assert all(r != "V-01" for r, _ in _at(report, "公开02表!D10"))
    assert report.errors >= 1  # the amount itself is now wrong: 1180 ≠ 180 in 03 and 05


@pytest.mark.parametrize("mark", ["—", "-", "－"])
def test_dash_is_blank(base, tmp_path, mark):
    report = _with(base, tmp_path, "公开03表", "F10", mark)
    assert report.errors == 0
    assert ("V-04", "info") in [(f.rule, f.severity) for f in report.findings]  # blank among zeros


def test_negative_and_structural_blank_values(base, tmp_path):
    report = _with(base, tmp_path, "公开01表", "C8", -5)
    assert ("R01-8", "warning") in _at(report, "公开01表!C8")
    report = _with(base, tmp_path, "公开01表", "C15", 5)
    assert ("R01-6", "error") in _at(report, "公开01表!C15")


def test_missing_table_is_a_finding(base, tmp_path):
    wb = openpyxl.load_workbook(base)
    del wb["公开08表"]
    wb.save(tmp_path / "seven.xlsx")
    report = check(tmp_path / "seven.xlsx")
    assert ("S-01", "error") in [(f.rule, f.severity) for f in report.findings if f.table == "公开08表"]


# --- files --------------------------------------------------------------------------------------


def _xml_bomb(base, out):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;">]><sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol2;</t></si></sst>')
    src = zipfile.ZipFile(base)
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        if "xl/sharedStrings.xml" not in src.namelist():
            dst.writestr("xl/sharedStrings.xml", bomb)
    return out


def _encrypted(base, out):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(base, "rb") as fin, open(out, "wb") as fout:
        OOXMLFile(fin).encrypt("secret", fout)
    return out


@pytest.mark.parametrize("make, words", [
    (lambda b, p: _write(p, "not a workbook".encode()), ["不是 Excel 工作簿"]),
    (lambda b, p: _write(p, b""), ["不是 Excel 工作簿"]),
    (lambda b, p: _write(p, b.read_bytes()[:3000]), ["已损坏"]),
    (lambda b, p: _write(p.with_suffix(".xls"), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), [".xls", "另存为"]),
    (lambda b, p: _xml_bomb(b, p), ["实体", "恶意"]),
    (lambda b, p: _encrypted(b, p), ["加密"]),
    (lambda b, p: _zip_without_workbook(p), ["没有工作簿"]),
    (lambda b, p: _other_workbook(p), ["找不到任何公开表"]),
])
def test_unusable_files_exit_2_with_a_chinese_message(base, tmp_path, make, words):
    path = make(base, tmp_path / "bad.xlsx")
    res = run_cli("check", path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and all(w in res.stderr for w in words), res.stderr
    assert str(path.name) in res.stderr


def _write(p, data):
    p.write_bytes(data)
    return p


def _zip_without_workbook(p):
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    return p


def _other_workbook(p):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "工资表"
    wb.save(p)
    return p


# --- properties ---------------------------------------------------------------------------------


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False))
def test_parse_amount_reads_what_excel_shows(d):
    assert parse_amount(str(d)) == (d, True)
    assert parse_amount(f"{d:,}") == (d, True)
    full = str(d).translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－"))
    assert parse_amount(full) == (d, True)


@given(st.one_of(st.text(max_size=12), st.floats(allow_nan=True), st.integers(), st.none(), st.booleans()))
def test_parse_amount_never_raises(value):
    number, ok = parse_amount(value)
    assert (number is None) or ok


@settings(max_examples=500)
@given(st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1e-11, -1e-11, 1.0000000000000001e-11, 1e-12, 5e-324,
                                               99999999999999.98, -99999999999999.98, 1e14, 1e15, 999999999999999.9])))
def test_a_float_amount_reads_as_its_text_would(value):
    """A float is read in one step (``Decimal(repr(x))``) only well inside the range: what it gives is what
    reading its text gives — range refusals (1e15, 1e-12) and signs (-0.0) included."""
    number, ok = parse_amount(value)
    by_text = parse_amount(repr(value)) if value == value and abs(value) != float("inf") else (None, False)
    assert ok == by_text[1]
    assert str(number) == str(by_text[0])


@given(st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3))
def test_round_half_up_is_excel_round(d):
    r = round_half_up(d)
    assert abs(r - d) <= Decimal("0.005")
    if abs(d * 1000) % 10 == 5:  # exactly half a cent: away from zero, as Excel's ROUND
        assert abs(r) > abs(d)


CELLS = [("公开01表", "C7"), ("公开02表", "D10"), ("公开03表", "E10"), ("公开05表", "D17"), ("公开06表", "C7"),
         ("公开09表", "E8"), ("公开04表", "C35")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=st.sampled_from(CELLS),
       value=st.one_of(st.text(max_size=8), st.floats(allow_nan=False, allow_infinity=False, width=32),
                       st.integers(-10**9, 10**9), st.none(), st.just("—"), st.just("1,234.50")))
def test_any_cell_value_gives_a_report_never_a_crash(base, tmp_path, cell, value):
    if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        value = value.encode("unicode_escape").decode("ascii")  # openpyxl refuses control characters
    report = _with(base, tmp_path, cell[0], cell[1], value)
    assert report.findings is not None
    if value is None or (isinstance(value, (int, float)) and value == 0):
        return
    if isinstance(value, str) and value.startswith("="):
        return  # typed into a cell this is a formula (=0 is a number), not text: V-05 covers the others
    parsed, ok = parse_amount(value)
    if not ok:
        assert ("V-01", "error") in _at(report, f"{cell[0]}!{cell[1]}")


def test_characters_xml_cannot_hold_never_reach_a_written_workbook(base, tmp_path):
    """A 科目名称 holding U+FFFF and U+FFFE (a file another program wrote is not always well-formed XML):
    the workbook `juesuan extract` writes from it opens — the characters are dropped, the name kept."""
    import re

    from juesuan.migrate import migrate
    from juesuan.render.cells import clean_text
    from juesuan.render.workbook import build_workbook
    from juesuan.util.atomic import save_workbook

    src, dst = tmp_path / "bad.xlsx", tmp_path / "extracted.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":  # 公开03表: the first 科目名称 after a code
                m = re.search(rb'<c r="B(\d+)"[^>]*t="inlineStr"><is><t>', data)
                data = data[:m.end()] + "\uffff\ufffe".encode("utf-8") + data[m.end():]
            zout.writestr(info, data)
    plan = migrate(src, keep_totals=True)
    save_workbook(build_workbook(plan.layout, plan.values), dst)
    names = [c.value for row in openpyxl.load_workbook(dst)["公开03表"].iter_rows() for c in row
             if isinstance(c.value, str)]
    assert names and not any("\uffff" in n or "\ufffe" in n for n in names)
    assert clean_text("a\uffffb\ufffe\x01c") == "abc"
    assert clean_text("局\udcb2.xlsx") == "局\ufffd.xlsx"  # a name's undecodable byte stays visible
