"""The model's rules and pandera schemas: loud failures, built-in checks, the generated rule list."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml

from juesuan.validate.engine import check
from juesuan.fill.datafile import fill_from_datafile, read_datafile
from juesuan.render.workbook import build_workbook
from juesuan.util.atomic import save_workbook
from juesuan.errors import ModelError
from juesuan.model.profile import profile_from_dict

from .conftest import ROOT, run_cli

RAW = yaml.safe_load((ROOT / "schemas" / "national-2024.yaml").read_text(encoding="utf-8"))


def test_a_schema_naming_an_unregistered_check_fails_loudly():
    raw = copy.deepcopy(RAW)
    raw["frames"]["amounts"]["columns"]["value"].append({"check": "no_such_check", "rule": "V-01"})
    with pytest.raises(ModelError, match="no_such_check"):
        profile_from_dict(raw)


def test_a_schema_naming_an_unknown_rule_fails_loudly():
    raw = copy.deepcopy(RAW)
    raw["frames"]["code_rows"]["columns"]["code"][0]["rule"] = "R99-9"
    with pytest.raises(ModelError, match="R99-9"):
        profile_from_dict(raw)


def test_a_relation_with_a_typo_fails_loudly():
    raw = copy.deepcopy(RAW)
    raw["rules"][0]["relations"][0]["expr"] = "T01[27] == T01[1..8]"
    with pytest.raises(ModelError):
        profile_from_dict(raw)
    raw["rules"][0]["relations"][0]["expr"] = "T11[27] = T01[1..8]"
    with pytest.raises(ModelError, match="T11"):
        profile_from_dict(raw)


def test_every_named_check_is_in_the_pandera_schemas():
    from juesuan.catalog import default_catalog
    from juesuan.model.profile import load_profile
    from juesuan.model.profile import frame_refs
    from juesuan.validate.frames import Context, build_schemas

    prof = load_profile()
    schemas = build_schemas(prof, Context(default_catalog(2024), prof))
    for frame, schema in schemas.items():
        names = [c.name for c in schema.checks] + [c.name for col in schema.columns.values() for c in col.checks]
        assert sorted(names) == sorted(r.check for r in frame_refs(prof) if r.frame == frame)


def test_rule_list_in_docs_is_generated_from_the_model():
    res = run_cli("rules", "--format", "markdown")
    assert res.returncode == 0
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").strip() == res.stdout.strip(), \
        "docs/rules.md is stale: juesuan rules --format markdown > docs/rules.md"
    ids = [r["id"] for r in RAW["rules"]]
    assert all(f"| {i} |" in res.stdout for i in ids)


def _variant(tmp_path, edit, source="tests/data/fund-department.yaml"):
    df = read_datafile(ROOT / source)
    edit(df.data)
    filled = fill_from_datafile(df)
    return check(save_workbook(build_workbook(filled.layout, filled.values), tmp_path / "v.xlsx"))


def test_x09_fund_money_with_an_empty_07(tmp_path):
    report = _variant(tmp_path, lambda d: d.pop("公开07表"))
    assert ("公开07表", "X-09", "error") in [(f.table, f.rule, f.severity) for f in report.findings]


def test_x10a_code_in_03_missing_from_02(tmp_path):
    def edit(d):
        d["公开02表"]["科目"] = d["公开02表"]["科目"][1:]  # drop 2060399 from 02
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    x = [f for f in report.findings if f.rule == "X-10a" or "X-10a" in f.relations]
    assert x and all(f.severity == "error" for f in x)
    assert any(f.table == "公开03表" and f.code == "2060399" for f in x)
    one_sided = [f for f in x if isinstance(f.params.get("what"), dict)]
    assert one_sided and all(f.params["what"]["params"] == {"code": f.params["what"]["params"]["code"], "table": "公开03表"}
                             for f in one_sided)
    assert any("只出现在公开03表中" in f.message for f in one_sided)


def test_r02_5_all_zero_row_is_a_hint(tmp_path):
    def edit(d):
        d["公开05表"]["科目"].append([2089999, None, None, 0, 0])
        d["公开03表"]["科目"].append([2089999, None, None, 0, 0, 0, 0, 0])
        d["公开02表"]["科目"].append([2089999, None, None, 0, 0, 0, 0, 0, 0])
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    hints = [(f.table, f.code) for f in report.findings if f.rule == "R02-5"]
    assert sorted(hints) == [(t, "2089999") for t in ("公开02表", "公开03表", "公开05表")]  # not its 款 20899 again
    assert report.errors == 0


def test_r02_5_an_empty_table_is_one_hint(tmp_path):
    from juesuan.api import build_template

    _, wb = build_template("某局", 2024, codes=["2010101", "2080501"])
    report = check(save_workbook(wb, tmp_path / "blank.xlsx"))
    r025 = [(f.table, f.cell) for f in report.findings if f.rule == "R02-5"]
    assert sorted(r025) == [("公开02表", ""), ("公开03表", ""), ("公开05表", "")]


def test_r01_7_balance_use_is_a_warning(tmp_path):
    def edit(d):
        d["公开01表"]["28"] = 5
        d["公开01表"]["59"] = 5
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    assert ("公开01表!C34", "R01-7", "warning") in [(f.location, f.rule, f.severity) for f in report.findings]


def _findings(report, rule):
    return [(f.location, f.severity, f.actual) for f in report.findings if f.rule == rule]


def test_r01_7_balance_distribution_is_a_warning_at_line_58(tmp_path):
    """结余分配 (行次 58, on the 支出 side: 公开01表 F34) non-zero: the other half of R01-7."""
    def edit(d):
        d["公开01表"]["29"] = 5  # 年初结转和结余 on the income side: both sides still balance
        d["公开01表"]["58"] = 5
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    assert _findings(report, "R01-7") == [("公开01表!F34", "warning", Decimal("5"))]
    assert report.errors == 0


def test_r01_7_is_silent_when_both_lines_are_zero(tmp_path):
    report = _variant(tmp_path, lambda d: None, "workbooks/sample-careful.yaml")
    assert _findings(report, "R01-7") == []


@pytest.fixture(scope="module")
def careful_built(sample_xlsx):
    """The careful sample as juesuan writes it: formulas without cached values, 07 and 08 empty, each with
    its “说明：…故本表无数据。” line."""
    return sample_xlsx("careful")


def _note_cell(path, sheet):
    import openpyxl

    ws = openpyxl.load_workbook(path)[sheet]
    return next(c.coordinate for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("说明：") and c.value.endswith("故本表无数据。"))


def test_x09_empty_fund_table_with_its_explanation_is_fine(careful_built):
    report = check(careful_built)
    assert _findings(report, "X-09") == []


@pytest.mark.parametrize("sheet", ["公开07表", "公开08表"])
def test_x09_empty_fund_table_without_its_explanation_is_an_error(careful_built, tmp_path, sheet):
    from .books import edit_cells

    cell = _note_cell(careful_built, sheet)
    report = check(edit_cells(careful_built, tmp_path / "no-note.xlsx", [(sheet, cell, None)]))
    x09 = [f for f in report.findings if f.rule == "X-09"]
    assert [(f.location, f.table, f.severity, f.kind) for f in x09] == [(sheet, sheet, "error", "structure")]


def test_v05_a_formula_without_result_that_juesuan_cannot_compute_is_a_warning(careful_built, tmp_path):
    """``=D10*2`` typed into an input cell of a workbook saved without results: no value to check with."""
    from .books import edit_cells

    report = check(edit_cells(careful_built, tmp_path / "f.xlsx", [("公开02表", "E10", "=D10*2")]))
    v05 = [(f.location, f.table, f.severity) for f in report.findings if f.rule == "V-05"]
    assert v05 == [("公开02表!E10", "公开02表", "warning")]
    assert report.errors == 0  # the cell counts as unknown: relations through it are not judged


def test_v05_a_constant_formula_is_computed(careful_built, tmp_path):
    """``=100+80`` and ``=12.5+3`` are numbers and + only: juesuan computes them (no V-05)."""
    from .books import edit_cells

    base = check(careful_built)
    same = check(edit_cells(careful_built, tmp_path / "same.xlsx", [("公开02表", "D10", "=100+80")]))  # D10 is 180
    assert same.flat() == base.flat()
    more = check(edit_cells(careful_built, tmp_path / "more.xlsx", [("公开02表", "E10", "=12.5+3")]))
    assert not [f for f in more.findings if f.rule == "V-05"]
    # 合计 栏3 is now 15.5 where 01 表 says 0: reported at the cell typed, not at the totals above it
    e10 = next(f for f in more.findings if f.location == "公开02表!E10")
    # expected 0.01: the sample's 02 合计 is 0.01 below 01 already (a tail), so 01 asks for 0.01 here
    assert (e10.rule, e10.severity, e10.actual, e10.expected) == ("X-02", "error", Decimal("15.5"), Decimal("0.01"))


def test_v05_a_changed_total_formula_without_result_is_a_warning(careful_built, tmp_path):
    from .books import edit_cells

    report = check(edit_cells(careful_built, tmp_path / "total.xlsx", [("公开02表", "C10", "=D10*2")]))
    assert ("公开02表!C10", "V-05", "warning") in [(f.location, f.rule, f.severity) for f in report.findings]


@pytest.fixture(scope="module")
def careful_constants(careful_built, tmp_path_factory):
    from .books import constants_copy

    return constants_copy(careful_built, tmp_path_factory.mktemp("rules-const") / "constants.xlsx")


def _without_row(src, out, sheet, row):
    import openpyxl

    wb = openpyxl.load_workbook(src)  # constants only: no formula points at the rows that move up
    wb[sheet].delete_rows(row)
    wb.save(out)
    return out


def _r024(report):
    return sorted((f.location, f.code, f.severity) for f in report.findings if f.rule == "R02-4")


def test_r02_4_a_xiang_row_without_its_kuan_row(careful_constants, tmp_path):
    assert _r024(check(careful_constants)) == []
    # 公开02表 rows 8–10: 206, 20603, 2060399; without 20603 the 项 2060399 moves up to row 9
    report = check(_without_row(careful_constants, tmp_path / "m.xlsx", "公开02表", 9))
    assert _r024(report) == [("公开02表!A9", "2060399", "error")]


def test_r02_4_kuan_rows_without_their_lei_row(careful_constants, tmp_path):
    # without the 类 206 (公开05表 row 8), its 款 20603, 20604 and 20699 have no parent
    report = check(_without_row(careful_constants, tmp_path / "m.xlsx", "公开05表", 8))
    assert _r024(report) == [("公开05表!A10", "20604", "error"), ("公开05表!A12", "20699", "error"),
                             ("公开05表!A8", "20603", "error")]


@pytest.mark.parametrize("name", ["careful", "published"])
def test_an_instance_passed_over_as_holding_is_one_judging_finds_holding(sample_xlsx, name):
    """evaluate() tells a holding instance by its sums alone; judging every instance term by term
    (the path taken when not every cell is valued) must give the same violations and the same rules
    judged and skipped — on the sample and on random amounts, negative, zero and off by a cent."""
    import random

    from juesuan.validate.engine import load
    from juesuan.validate.relations import evaluate

    def run(ctx, values, judge_all):
        ctx.values = dict(values)
        if judge_all:
            ctx.values[object()] = Decimal(0)  # one entry more than the cells: every instance judged
        ctx.judged, ctx.skipped, ctx.expanded, ctx.explained, ctx.not_evaluated = set(), set(), [], [], {}
        found = [(v.rule.id, v.inst.where, v.lhs, v.rhs, v.verdict) for v in evaluate(ctx)]
        return found, set(ctx.judged), set(ctx.skipped), [(i.rule.id, i.where) for i, _, _ in ctx.expanded]

    ctx = load(sample_xlsx(name))
    rng = random.Random(7)
    keys = sorted(ctx.values, key=str)
    conditions = sorted({k for i in ctx.graph.instances for k in i.when_zero if k in ctx.cells}, key=str)
    values = dict(ctx.values)
    seen_violations = 0
    for trial in range(12):
        for k in rng.sample(keys, trial * 4) + rng.sample(conditions, trial % 2):
            values[k] = rng.choice([Decimal(0), -values[k], values[k] + Decimal("0.01"),
                                    Decimal(rng.randrange(-5000, 500000)) / 100])
        fast, slow = run(ctx, values, False), run(ctx, values, True)
        assert fast == slow
        seen_violations += len(fast[0])
    assert seen_violations > 20 and fast[2], "the trials must break relations and skip conditional ones"


def test_a_relation_planned_once_finds_what_expanding_it_finds(sample_xlsx, tmp_path):
    """The plan kept per placement holds, per instance, exactly what expand() finds for each side (and
    a side's cells when it only adds them), on a whole workbook and on one that lacks a table."""
    import openpyxl

    from juesuan.validate.engine import load
    from juesuan.validate.relations import _plan, expand

    wb = openpyxl.load_workbook(sample_xlsx("careful"))
    del wb["公开05表"]
    wb.save(tmp_path / "no05.xlsx")
    for path in (sample_xlsx("careful"), tmp_path / "no05.xlsx"):
        ctx = load(path)
        steps = _plan(ctx, ctx.located.readable)
        assert len(steps) == len(ctx.graph.instances) > 100
        for inst, lost, lhs, rhs, _, _, plain in steps:
            if lost:
                continue
            for side, got, added in ((inst.lhs, lhs, plain[0]), (inst.rhs, rhs, plain[1])):
                want = expand(ctx, side)
                assert got == (None if want is None else tuple(want))
                if want is not None:
                    assert added == (tuple(k for _, k in want) if all(s == 1 for s, _ in side) else None)


def test_a_formula_taking_a_missing_table_is_never_judged_against_it(careful_built, tmp_path):
    """公开04表 lines 1-3 are formulas taking 公开01表. With 01 gone: a workbook saved without results
    gets V-05 at those cells (no value can be known; a KeyError once); one saved with Excel's results
    keeps them, and no V-03 claims the model gives 0.00 (the model's result needs 01)."""
    import re
    import zipfile

    import openpyxl

    from .books import cached_copy

    wb = openpyxl.load_workbook(careful_built)
    del wb["公开01表"]
    wb.save(tmp_path / "no01.xlsx")
    report = check(tmp_path / "no01.xlsx")
    v05 = sorted(f.location for f in report.findings if f.rule == "V-05")
    assert v05 == ["公开04表!C7", "公开04表!C8", "公开04表!C9"]
    assert all("公开01表" in f.message for f in report.findings if f.rule == "V-05")
    assert report.rule_status["X-01"] == "未检查"

    cached = cached_copy(careful_built, tmp_path / "cached.xlsx")
    with zipfile.ZipFile(cached) as zin, zipfile.ZipFile(tmp_path / "cached-no01.xlsx", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":  # the sheet left out of the workbook, its results kept
                data, n = re.subn(r'<sheet [^>]*name="公开01表"[^>]*/>'.encode(), b"", data)
                assert n == 1
            zout.writestr(info, data)
    report = check(tmp_path / "cached-no01.xlsx")
    assert not [f for f in report.findings if f.rule in ("V-03", "V-05")]
    assert [f.rule for f in report.findings if f.severity == "error"] == ["S-01"]
