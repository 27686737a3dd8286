"""Exact-string tests of the smallest writers: formulas, number formats, validations."""

from __future__ import annotations

import pytest

from juesuan.render import styles
from juesuan.api import build_template
from juesuan.render.formulas import compress, sheet_prefix

SAMPLE_CODES = ["2060399", "2060405", "2069999", "2080501", "2080505", "2080801", "2101101",
                "2150501", "2150502", "2210201"]


@pytest.fixture(scope="module")
def wb():
    _, wb = build_template("测试局", 2024, codes=SAMPLE_CODES)
    return wb


def test_compress_joins_runs_down_and_right_and_keeps_gaps():
    cells = [("", 7, "C"), ("", 8, "C"), ("", 9, "C"), ("", 12, "C"), ("", 8, "D"), ("", 8, "E")]
    assert compress(cells) == ["C7:C9", "C12", "D8:E8"]
    assert compress([("'x'!", 1, "A"), ("", 2, "A")]) == ["'x'!A1", "A2"]


def test_sheet_prefix_always_quotes():
    assert sheet_prefix("公开03表") == "'公开03表'!"
    assert sheet_prefix("it's") == "'it''s'!"


@pytest.mark.parametrize("sheet, cell, formula", [
    # 01: 本年收入合计, 本年支出合计, 总计 (R01-1..4); an expense line linked to the 03 类 row
    ("公开01表", "C33", "=SUM(C7:C14)"),
    ("公开01表", "F33", "=SUM(F7:F32)"),
    ("公开01表", "C36", "=SUM(C33:C35)"),
    ("公开01表", "F36", "=SUM(F33:F35)"),
    ("公开01表", "F12", "=SUMIF('公开03表'!$A$8:$A$30,\"206\",'公开03表'!$C$8:$C$30)"),
    # 02: row total (R02-1), 合计 = Σ 类 and 类 = Σ 款 and 款 = Σ 项 (R02-2/3)
    ("公开02表", "C7", "=SUM(D7:I7)"),
    ("公开02表", "D7", "=SUM(D8,D15,D21,D24,D28)"),
    ("公开02表", "D8", "=SUM(D9,D11,D13)"),
    ("公开02表", "D16", "=SUM(D17:D18)"),
    ("公开02表", "C10", "=SUM(D10:I10)"),
    # 04: income linked to 01, sums (R04-1..6), expense linked to 05/07
    ("公开04表", "C7", "=SUM('公开01表'!C7)"),
    ("公开04表", "C33", "=SUM(C7:C9)"),
    ("公开04表", "C34", "=SUM(C35:C37)"),
    ("公开04表", "C38", "=SUM(C33:C34)"),
    ("公开04表", "F12", "=SUM(G12:I12)"),
    ("公开04表", "G12", "=SUMIF('公开05表'!$A$8:$A$30,\"206\",'公开05表'!$C$8:$C$30)"),
    ("公开04表", "H12", "=0"),
    ("公开04表", "G33", "=SUM(G7:G32)"),
    ("公开04表", "F33", "=SUM(G33:I33)"),
    ("公开04表", "G38", "=SUM(G33:G34)"),
    # 05: 小计 = 基本 + 项目 (R05-1)
    ("公开05表", "C10", "=SUM(D10:E10)"),
    # 06: 类 = Σ 款 (R06-1), 人员经费合计 and 公用经费合计 (R06-2/3)
    ("公开06表", "C6", "=SUM(C7:C19)"),
    ("公开06表", "C39", "=SUM(C6,C20)"),
    ("公开06表", "I39", "=SUM(F6,F34,I6,I23,I29,I32)"),
    # 09: 合计 and 小计 (R09-1/2)
    ("公开09表", "A8", "=SUM(B8:C8,F8)"),
    ("公开09表", "C8", "=SUM(D8:E8)"),
    ("公开09表", "G8", "=SUM(H8:I8,L8)"),
    ("公开09表", "I8", "=SUM(J8:K8)"),
])
def test_formula_exact(wb, sheet, cell, formula):
    assert wb[sheet][cell].value == formula


def test_amount_number_format_exact(wb):
    assert styles.AMOUNT_FORMAT == "#,##0.00"
    assert wb["公开02表"]["D10"].number_format == "#,##0.00"
    assert wb["公开02表"]["A10"].number_format == "@"


def test_amount_validation_exact():
    dv = styles.amount_validation()
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "-1000000000000", "1000000000000")
    assert dv.allow_blank and dv.showErrorMessage and dv.errorStyle == "stop"
    assert dv.errorTitle == "金额格式不正确"
    assert dv.error == "请输入数字金额（单位：万元，保留两位小数），例如 1234.56。不要输入文字、单位或千分位逗号。"


def test_validation_ranges_on_sheet(wb):
    dvs = wb["公开09表"].data_validations.dataValidation
    assert len(dvs) == 1
    assert str(dvs[0].sqref) == "B8 D8:F8 H8 J8:L8"
