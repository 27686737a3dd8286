"""The live 校验 sheet: plain formulas from the same relation instances as the validator; recalculated
by LibreOffice, its statuses agree with `juesuan check`, rule by rule."""

from __future__ import annotations

import openpyxl
import pytest

from juesuan.api import build_template
from juesuan.validate.engine import check
from juesuan.render.livecheck import SHEET, status_formula
from juesuan.rules.graph import graph_of

from .books import edit_cells
from .conftest import libreoffice_input, sample_copy
from .test_formulas import SAMPLE_CODES


def test_status_formulas_exact():
    # an error value (#VALUE! from text in a side) is 不符, never an error shown as the status
    assert status_formula("=", "G9", "H9") == \
        '=IF(ISERROR(G9),"不符",IF(ABS(G9)=0,"通过",IF(ABS(G9)<H9,"尾差","不符")))'
    assert status_formula("<=", "G9", "H9") == '=IF(ISERROR(G9),"不符",IF(G9<=0,"通过",IF(G9<H9,"尾差","不符")))'
    assert status_formula("=", "G9", "H9", "OR(C8<>0)") == \
        '=IF(OR(C8<>0),"不适用",IF(ISERROR(G9),"不符",IF(ABS(G9)=0,"通过",IF(ABS(G9)<H9,"尾差","不符"))))'


def test_check_sheet_rows_are_the_model_relations():
    layout, wb = build_template("测试局", 2024, codes=SAMPLE_CODES)
    ws = wb[SHEET]
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "规则" and r[3] == "关系")
    detail = rows[header + 1:]
    r011 = next(r for r in detail if r[0] == "R01-1")
    assert (r011[2], r011[4], r011[5]) == ("公开01表!C33", "=SUM('公开01表'!C33)", "=SUM('公开01表'!C7:C14)")
    assert r011[7] == ('=(MAX(1,MAX(MAX(1,COUNTIF(\'公开01表\'!C7:C14,">0")+COUNTIF(\'公开01表\'!C7:C14,"<0")),'
                       'MAX(1,COUNTIF(\'公开01表\'!C7,">0")+COUNTIF(\'公开01表\'!C7,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C8,">0")+COUNTIF(\'公开01表\'!C8,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C9,">0")+COUNTIF(\'公开01表\'!C9,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C10,">0")+COUNTIF(\'公开01表\'!C10,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C11,">0")+COUNTIF(\'公开01表\'!C11,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C12,">0")+COUNTIF(\'公开01表\'!C12,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C13,">0")+COUNTIF(\'公开01表\'!C13,"<0"))+'
                       'MAX(1,COUNTIF(\'公开01表\'!C14,">0")+COUNTIF(\'公开01表\'!C14,"<0"))))+1)*0.005')
    rules = {r[0] for r in detail if r[0]}
    assert rules == {i.rule.id for i in graph_of(layout).instances}
    # conditional formatting on the table cell points at its status row
    cf = wb["公开01表"].conditional_formatting
    assert any("C33" in str(rng.sqref) for rng in cf)


def _live_status(path):
    ws = openpyxl.load_workbook(path, data_only=True)[SHEET]
    out = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] == "规则":
            break
        if row[0]:
            out[row[0]] = row[6]
    return out


def _agree(lo):
    live = _live_status(lo)
    report = check(lo)
    assert report.rule_status
    expected = {k: v for k, v in report.rule_status.items()}
    got = {k: live.get(k, "通过") for k in expected}
    assert got == expected, {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    return report


def _mutated(sample, changes):
    """A builder of the LibreOffice input: the sample workbook with ``changes`` typed in."""
    def build(folder):
        return edit_cells(sample_copy(sample, folder / "src"), folder / "mutated.xlsx", changes)
    return build


@pytest.mark.libreoffice("published", "careful", "fund")
def test_live_statuses_agree_with_check_on_the_samples(lo):
    for name in ("published", "careful", "fund"):
        report = _agree(lo(name))
        if name == "published":
            assert report.rule_status["X-04"] == "尾差" and report.rule_status["R06-2"] == "尾差"


MUTATIONS = [
    [("公开02表", "D10", 190)],                     # an item of 02: 02 ≠ 01, 02 ≠ 03 …
    [("公开01表", "C8", 5)],                        # 政府性基金 income with no fund table
    [("公开06表", "C7", 90.80)],                    # 06 人员经费 ≠ 05 基本支出
    [("公开09表", "K8", 2.00)],                     # 三公 决算 > 预算
    [("公开05表", "D17", 118.96)],                  # a 0.01 change: a tail, not an error
]
for _i, _changes in enumerate(MUTATIONS):
    libreoffice_input(f"livecheck-careful-{_i}")(_mutated("careful", _changes))
libreoffice_input("livecheck-fund-07")(_mutated("fund", [("公开07表", "G9", 44.00)]))


@pytest.mark.parametrize("i", [pytest.param(i, marks=pytest.mark.libreoffice(f"livecheck-careful-{i}"))
                               for i in range(len(MUTATIONS))],
                         ids=[f"{c[0][0][2:4]}-{c[0][1]}" for c in MUTATIONS])
def test_live_statuses_agree_with_check_on_mutations(lo, i):
    _agree(lo(f"livecheck-careful-{i}"))


@pytest.mark.libreoffice("livecheck-fund-07")
def test_live_statuses_on_the_fund_department_with_a_mutated_07(lo):
    report = _agree(lo("livecheck-fund-07"))
    assert report.rule_status["R07-2"] == "不符"
