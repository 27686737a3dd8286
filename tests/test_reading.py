"""The reader by meaning (issue 8): what it records about how each table was read, what it refuses,
what it does not evaluate, units, profiles that extend another, and displaced amounts.

The corpus of layout habits and the comparison with the canonical layout are in tests/test_layouts.py;
these tests pin the reader's own promises on small, hand-made changes to juesuan's workbook.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from juesuan.errors import InputError, ModelError
from juesuan.model.profile import load_profile, profile_from_text
from juesuan.validate.engine import check, load

from .books import constants_copy
from .conftest import run_cli


@pytest.fixture(scope="module")
def const(sample_xlsx, tmp_path_factory) -> Path:
    """The careful sample with its formulas replaced by values: a workbook 'from elsewhere'."""
    out = tmp_path_factory.mktemp("reading") / "careful-const.xlsx"
    return constants_copy(sample_xlsx("careful"), out)


def _edit(src: Path, out: Path, fn) -> Path:
    wb = openpyxl.load_workbook(src)
    fn(wb)
    wb.save(out)
    return out


def _sig(report):
    return sorted((f.rule, f.severity, f.table, f.code) for f in report.findings)


def test_reading_summary_names_sheet_columns_and_unit(const):
    report = check(const)
    by_table = {r["table"]: r for r in report.reading}
    assert set(by_table) == {f"公开{n:02d}表" for n in range(1, 10)}
    r02 = by_table["公开02表"]
    assert r02["sheet"] == "公开02表" and r02["unit"] == "万元" and r02["readable"]
    assert r02["columns"]["栏1"].startswith("C（本年收入合计")
    assert r02["rows"] > 5
    assert report.profile["id"] == "national-2024"
    data = json.loads(report.to_json())
    assert data["reading"][0]["table"] == "公开01表" and data["not_evaluated"] == {}


def test_explain_prints_the_reading_summary(const):
    out = run_cli("check", const, "--explain")
    assert "读取情况" in out.stdout and "公开06表 ← 工作表「公开06表」" in out.stdout
    assert "第1块 代码 A、名称 B、决算数 C" in out.stdout


def _to_yuan(wb, sheets=None):
    """Every amount of ``sheets`` (default: all nine) ×10000 and its unit line 单位：元."""
    for ws in wb.worksheets:
        if sheets and ws.title not in sheets:
            continue
        for row in ws.iter_rows(min_row=6 if ws.title == "公开06表" else 7):
            for c in row:
                line_col = ws.title in ("公开01表", "公开04表") and c.column in (2, 5)
                lanci = ws.title == "公开09表" and c.row == 7
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and not line_col and not lanci:
                    c.value = float(Decimal(str(c.value)) * 10000)
        for row in ws.iter_rows(max_row=4):
            for c in row:
                if isinstance(c.value, str) and c.value.strip() == "单位：万元":
                    c.value = "单位：元"


def test_yuan_workbook_is_converted_never_checked_as_wanyuan(const, tmp_path):
    """Amounts ×10000 under 单位：元 — all nine tables, or 03 alone beside 万元 tables: the same findings
    as the 万元 original (so 03 was converted before 01/02/05 were compared with it), a note says so."""
    base = check(const)
    yuan = check(_edit(const, tmp_path / "yuan.xlsx", _to_yuan))
    assert _sig(yuan) == _sig(base)
    assert any("以元为单位" in n for n in yuan.notes)
    assert all(r["unit"] == "元" for r in yuan.reading)
    mixed = check(_edit(const, tmp_path / "mixed.xlsx", lambda wb: _to_yuan(wb, {"公开03表"})))
    assert _sig(mixed) == _sig(base)
    assert [r["unit"] for r in mixed.reading if r["table"] == "公开03表"] == ["元"]

    def off(wb):  # one 03 amount off by 5,000 元 = 0.5 万元
        _to_yuan(wb, {"公开03表"})
        ws = wb["公开03表"]
        cell = next(c for row in ws.iter_rows(min_row=8, min_col=4) for c in row
                    if isinstance(c.value, float) and c.value > 0)
        cell.value += 5000
    wrong = check(_edit(const, tmp_path / "yuan-off.xlsx", off))
    assert wrong.errors > base.errors, wrong.flat()


def test_table_without_unit_gets_a_warning(const, tmp_path):
    def drop_unit(wb):
        ws = wb["公开09表"]
        for row in ws.iter_rows(max_row=4):
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("单位"):
                    c.value = None
    report = check(_edit(const, tmp_path / "nounit.xlsx", drop_unit))
    assert ("S-05", "warning", "公开09表", "") in _sig(report)


def test_unreadable_table_is_not_evaluated_never_compared_with_zero(const, tmp_path):
    """06 with its code headers gone: X-06 and the 06 rules are listed as not evaluated, no X-06 error."""
    def break_06(wb):
        ws = wb["公开06表"]
        for row in ws.iter_rows(max_row=8):
            for c in row:
                if c.value in ("科目代码", "决算数"):
                    c.value = "？"
    report = check(_edit(const, tmp_path / "bad06.xlsx", break_06))
    rules = {f.rule for f in report.findings}
    assert "S-02" in rules and "X-06" not in rules and "R06-2" not in rules
    assert "X-06" in report.not_evaluated and report.not_evaluated["X-06"] == ["公开06表"]
    assert report.rule_status["X-06"] == "未检查"
    assert any("未检查" in n for n in report.notes)


def test_no_table_found_is_refused_naming_what_was_looked_for(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "预算表"
    wb.active["A1"] = "2024年度某某局预算公开"
    wb.active["A3"] = 123
    path = tmp_path / "not-gongkai.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        check(path)
    assert "「预算表」" in str(err.value) and "表号" in str(err.value)
    out = run_cli("check", path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "找不到任何公开表" in out.stderr + out.stdout


def test_tables_found_but_none_readable_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "收入决算表"
    for r in range(2, 9):
        ws.cell(r, 1, f"第 {r} 行：这里没有表头")
    path = tmp_path / "title-only.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        check(path)
    assert "读不出" in str(err.value) and "公开02表" in str(err.value)


def test_contents_sheet_is_not_taken_for_a_table(const, tmp_path):
    def contents(wb):
        ws = wb.create_sheet("目录", 0)
        for i, spec in enumerate(load_profile().tables, start=1):
            ws.cell(i, 1, spec.number)
            ws.cell(i, 2, spec.title)
    report = check(_edit(const, tmp_path / "toc.xlsx", contents))
    assert _sig(report) == _sig(check(const))
    assert all(r["sheet"] != "目录" for r in report.reading)


def test_extends_overrides_tables_and_rules_and_can_drop(tmp_path):
    text = """
profile: my-province-2024
extends: national-2024
name: 某省格式
tables:
  - {id: gk06, title: 基本支出决算表}
rules:
  - {id: R01-7, drop: true}
  - {id: R09-3, severity: E, text: 三公决算不得超预算, relations: [{expr: "T09[c+6] <= T09[c] for c in 1..6"}]}
"""
    p = profile_from_text(text)
    assert p.id == "my-province-2024" and p.table("gk06").title == "基本支出决算表"
    assert p.table("gk06").blocks == load_profile().table("gk06").blocks  # the rest is inherited
    assert "R01-7" not in {r.id for r in p.rules} and p.rule("R09-3").severity == "E"
    with pytest.raises(ModelError):
        profile_from_text(text.replace("R01-7", "R99-9"))


def test_user_profile_file_from_the_cli(const, tmp_path):
    prof = tmp_path / "mine.yaml"
    prof.write_text("profile: mine\nextends: national-2024\nname: 我的格式\n", encoding="utf-8")
    out = run_cli("check", const, "--profile", prof, "--format", "json")
    assert json.loads(out.stdout)["profile"] == {"id": "mine", "name": "我的格式"}


def test_shanghai_profile_is_the_national_model_with_its_differences():
    sh, nat = load_profile("shanghai-2024"), load_profile()
    assert [t.id for t in sh.tables][6:] == ["gk09", "gk07", "gk08"]
    assert "30311" in sh.table("gk06").blocks[0].codes and len(sh.table("gk06").blocks) == 2
    assert sh.rule("R06-3").relations[0].expr == "T06[公用经费合计] = T06[302] + T06[310]"
    assert len(sh.table("gk08").columns) == 6 and len(nat.table("gk08").columns) == 3
    assert sh.rule("R01-1") == nat.rule("R01-1")


def _displace(ws, first_row: int, k: int) -> None:
    """k code rows inserted into columns A:B of 05 at ``first_row`` but not into its amount columns (the
    note below the table moves down with the labels)."""
    last = max(r for r in range(first_row, ws.max_row + 1) if str(ws.cell(r, 1).value or "")[:1].isdigit())
    for rng in [m for m in ws.merged_cells.ranges if m.min_row > last]:
        ws.unmerge_cells(str(rng))
    notes = [(r, ws.cell(r, 1).value) for r in range(last + 1, ws.max_row + 1) if ws.cell(r, 1).value]
    for r, _ in notes:
        ws.cell(r, 1).value = None
    for r, text in notes:
        ws.cell(r + k, 1, text)
    labels = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(first_row, last + 1)]
    inserted = [(f"21208{i:02d}", f"插入的科目{i}") for i in range(1, k + 1)]
    for i, (code, name) in enumerate(inserted + labels):
        ws.cell(first_row + i, 1, code)
        ws.cell(first_row + i, 2, name)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_amounts_displaced_by_k_rows_are_one_finding(const, tmp_path, k):
    base = check(const)

    def displace(wb):
        ws = wb["公开05表"]
        row = next(r for r in range(8, ws.max_row + 1) if str(ws.cell(r, 1).value) == "215")
        _displace(ws, row, k)
    report = check(_edit(const, tmp_path / f"disp{k}.xlsx", displace))
    shifts = [f for f in report.findings if f.rule == "S-03"]
    assert len(shifts) == 1, report.flat()
    assert shifts[0].params["rows"] == k and f"错位了 {k} 行" in shifts[0].message
    extra = [s for s in _sig(report) if s not in _sig(base) and s[0] != "S-03"]
    # the inserted labels themselves are codes of no department (R02-4 for unknown / orphan codes),
    # but no consequential mismatch of any relation is reported
    assert all(rule == "R02-4" for rule, *_ in extra), extra


def test_missing_tables_are_never_compared_with_zero(sample_xlsx, tmp_path):
    """02, 04, 06–09 deleted: no X-02 '0 ≠ 853.47', the between-table rules they feed are 未检查."""
    wb = openpyxl.load_workbook(sample_xlsx("careful"))
    for name in ("公开02表", "公开04表", "公开06表", "公开07表", "公开08表", "公开09表"):
        del wb[name]
    path = tmp_path / "three-tables.xlsx"
    wb.save(path)
    report = check(path)
    assert not [f for f in report.findings if f.rule.startswith("X-")], report.flat()
    assert {"X-02", "X-05", "X-06"} <= set(report.not_evaluated)
    assert report.rule_status["X-02"] == "未检查" and report.rule_status["X-04"] != "未检查"


def test_a_unit_juesuan_does_not_know_is_named_at_its_cell(const, tmp_path):
    def odd_unit(wb):
        ws = wb["公开03表"]
        for row in ws.iter_rows(max_row=4):
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("单位"):
                    c.value = "单位：亿美元"
                    where = c.coordinate
        wb.custom_where = where
    wb = openpyxl.load_workbook(const)
    odd_unit(wb)
    path = tmp_path / "odd-unit.xlsx"
    wb.save(path)
    report = check(path)
    s05 = [f for f in report.findings if f.rule == "S-05"]
    assert len(s05) == 1 and "“亿美元”无法识别" in s05[0].message
    assert s05[0].location == f"公开03表!{wb.custom_where}"
    assert "无法识别（亿美元）" in [r["unit"] for r in report.reading if r["table"] == "公开03表"][0]


def test_explain_columns_are_not_named_after_the_table_number(const):
    by = {r["table"]: r for r in check(const).reading}
    assert all("公开" not in v for r in by.values() for v in r["columns"].values()), by["公开01表"]["columns"]
    assert by["公开01表"]["rows_unit"] == "个行次" and by["公开02表"]["rows_unit"] == "行"


def test_a_lanci_row_typed_over_is_still_header_not_data(const, tmp_path):
    """A date typed into 09's 栏次 row (1…12): the amounts are still read from the row below."""
    def date_in_lanci(wb):
        wb["公开09表"]["A7"] = "2024-12-31"
    report = check(_edit(const, tmp_path / "lanci.xlsx", date_in_lanci))
    assert _sig(report) == _sig(check(const)), report.flat()
    assert [r["cells"] for r in report.reading if r["table"] == "公开09表"][0].endswith("8")
