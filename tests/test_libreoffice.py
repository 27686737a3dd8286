"""Generated workbooks opened and recalculated by headless LibreOffice, the real spreadsheet engine."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from juesuan.api import build_template, fill_workbook
from juesuan.util.atomic import save_workbook
from juesuan.fill.datafile import fill_from_datafile, read_datafile
from juesuan.layout.keys import CellKey
from juesuan.recalc import recalculate_many
from juesuan.util.rounding import OK, TAIL, classify
from juesuan.rules.graph import graph_of

from .conftest import count_soffice_runs, libreoffice_input

pytestmark = pytest.mark.libreoffice


def _value(wb, layout, key):
    row, col = layout.table(key.table).address(key)
    v = wb[layout.sheet(key)][f"{col}{row}"].value
    return None if v is None else Decimal(str(v)).quantize(Decimal("0.01"))


def _identity(layout, key):
    """A cell's meaning independent of row positions: (table, code or 行次 or name, 栏次)."""
    tl = layout.table(key.table)
    if tl.kind == "coded":
        return key.table, (tl.rows[key.row].code or "合计"), key.col
    return key.table, key.row, key.col


@pytest.fixture(scope="module")
def careful_recalculated(careful_path, lo):
    filled, _ = fill_workbook(careful_path)
    return filled, openpyxl.load_workbook(lo("careful"), data_only=True)


@pytest.fixture(scope="module")
def published(published_path):
    filled = fill_from_datafile(read_datafile(published_path))
    return {_identity(filled.layout, k): v for k, v in filled.values.items()}


@pytest.mark.libreoffice("careful")
def test_careful_sample_gives_the_published_totals(careful_recalculated, published):
    filled, wb = careful_recalculated
    layout = filled.layout
    L = lambda t, r, c: _value(wb, layout, CellKey(t, r, c))
    assert L("gk01", 27, 1) == Decimal("853.47")        # 本年收入合计
    assert L("gk01", 30, 1) == Decimal("853.47")        # 收入总计
    assert L("gk04", 32, 1) == Decimal("853.47")        # 财政拨款收入总计
    assert L("gk09", 0, 7) == Decimal("0.85")           # 三公 决算数合计
    assert L("gk09", 0, 1) == Decimal("1.20")           # 三公 预算数合计
    assert L("gk06", "公用经费合计", None) == Decimal("25.49")
    assert L("gk01", 44, 2) == Decimal("249.23")        # 资源勘探工业信息等支出, from 03


@pytest.mark.libreoffice("careful")
def test_every_derived_cell_matches_the_published_figure_or_lies_in_the_envelope(careful_recalculated, published):
    """Formulas sum rounded items, the published totals are rounded true totals: where they differ,
    the difference must be a rounding tail (GONGKAI.md §4). The differing totals are listed here."""
    filled, wb = careful_recalculated
    layout = filled.layout
    tails = {}
    compared = 0
    for key in graph_of(layout).definitions:
        ident = _identity(layout, key)
        if ident not in published or published[ident] is None:
            continue
        got = _value(wb, layout, key)
        assert got is not None, layout.a1(key)
        nonzero_leaves = [k for k in graph_of(layout).leaves(key) if filled.values.get(k)]
        verdict = classify(got - published[ident], len(nonzero_leaves))
        assert verdict in (OK, TAIL), (layout.a1(key), got, published[ident])
        compared += 1
        if verdict == TAIL:
            tails[layout.a1(key)] = (str(got), str(published[ident]))
    assert compared > 150
    # The published totals that differ from the sum of their published parts, by a tail each:
    assert tails == {
        "公开01表!F14": ("198.52", "198.53"),   # 08 社会保障和就业支出: 01 shows the rounded true total
        "公开01表!F33": ("853.46", "853.47"),   # 本年支出合计
        "公开01表!F36": ("853.46", "853.47"),   # 支出总计
        "公开02表!C7": ("853.46", "853.47"),    # 合计 栏1
        "公开02表!D7": ("853.46", "853.47"),    # 合计 栏2
        "公开03表!C7": ("853.46", "853.47"),    # 合计 栏1
        "公开03表!D7": ("479.97", "479.98"),    # 合计 基本支出
        "公开04表!F14": ("198.52", "198.53"),
        "公开04表!G14": ("198.52", "198.53"),
        "公开04表!F33": ("853.46", "853.47"),   # 本年支出合计
        "公开04表!G33": ("853.46", "853.47"),
        "公开04表!F38": ("853.46", "853.47"),   # 总计
        "公开04表!G38": ("853.46", "853.47"),
        "公开05表!C7": ("853.46", "853.47"),
        "公开05表!D7": ("479.97", "479.98"),
        "公开06表!C6": ("282.49", "282.51"),    # 301 工资福利支出
        "公开06表!C20": ("171.98", "171.99"),   # 303 对个人和家庭的补助
        "公开06表!C39": ("454.47", "454.49"),   # 人员经费合计
    }


@pytest.mark.libreoffice("published")
def test_published_sample_keeps_its_constants(lo):
    out = openpyxl.load_workbook(lo("published"), data_only=True)
    assert out["公开01表"]["F14"].value == 198.53
    assert out["公开06表"]["C39"].value == 454.49
    codes = [out["公开02表"].cell(r, 1).value for r in range(8, 31)]
    assert codes.count("208050") == 2 and "206039" in codes
    assert out["公开03表"]["F11"].value == 0 and out["公开03表"]["F12"].value is None  # 20604 款 formula; 2060405 blank


@libreoffice_input("blank-template")
def _blank_template(folder):
    _, wb = build_template("某局", 2024, codes=["2010101", "2080501"], fund_codes=["2120801"], soe_codes=["2230105"],
                           names={"2230105": "国有企业退休人员社会化管理补助支出", "22301": "解决历史遗留问题及改革成本支出"})
    return save_workbook(wb, folder / "t.xlsx")


@pytest.mark.libreoffice("blank-template")
def test_blank_template_computes_without_errors(lo):
    out = openpyxl.load_workbook(lo("blank-template"), data_only=True)
    for ws in out:
        for row in ws.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and (c.value.startswith("#") or c.value.startswith("Err:"))), \
                    f"{ws.title}!{c.coordinate} = {c.value}"
    assert out["公开01表"]["C36"].value == 0


@libreoffice_input("fund-and-soe")
def _fund_and_soe(folder):
    data = folder / "fund.yaml"
    data.write_text("""
部门: 某某区自然资源局
年度: 2024
公开01表: {1: 100, 2: 50, 3: 10, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 28: 0, 29: 0, 58: 0, 59: 0}
公开03表:
  科目:
    - [2010101, null, null, 100, 0, 0, 0, 0]
    - [2120801, null, null, 0, 30, 0, 0, 0]
    - [2120802, null, null, 0, 20, 0, 0, 0]
    - [2230105, 国有企业退休人员社会化管理补助支出, null, 0, 10, 0, 0, 0]
公开05表:
  科目:
    - [2010101, null, null, 100, 0]
公开07表:
  科目:
    - [2120801, null, 0, 30, null, 0, 30, 0]
    - [2120802, null, 0, 20, null, 0, 20, 0]
公开08表:
  科目:
    - [2230105, 国有企业退休人员社会化管理补助支出, null, 0, 10]
科目名称: {"22301": 解决历史遗留问题及改革成本支出}
""", encoding="utf-8")
    _, wb = fill_workbook(data)
    return save_workbook(wb, folder / "fund.xlsx")  # named like the "fund" input: recalculate_many keeps both


@pytest.mark.libreoffice("fund-and-soe", "fund")
def test_fund_and_soe_spending_flow_into_04_and_01(lo):
    out = openpyxl.load_workbook(lo("fund-and-soe"), data_only=True)
    other = openpyxl.load_workbook(lo("fund"), data_only=True)  # the other fund.xlsx of the same run
    assert other["公开01表"]["A3"].value != out["公开01表"]["A3"].value
    ws4, ws1, ws7 = out["公开04表"], out["公开01表"], out["公开07表"]
    row212 = 7 + (33 + 10) - 33  # 十一、城乡社区支出 is the 11th 类
    assert ws4[f"D{row212}"].value == "十一、城乡社区支出"
    assert ws4[f"H{row212}"].value == 50 and ws4[f"F{row212}"].value == 50
    assert ws4["H33"].value == 50 and ws4["I33"].value == 10 and ws4["F33"].value == 160  # 本年支出合计
    assert ws4["C33"].value == 160 and ws4["C38"].value == ws4["F38"].value == 160        # 收入 = 支出
    assert ws1["F33"].value == 160 and ws1["C33"].value == 160
    assert ws7["E7"].value == 50 and ws7["E8"].value == 50


def test_recalculate_one_workbook_and_refuse_its_own_folder(libreoffice, tmp_path):
    """``recalculate`` (``juesuan recalc``): one file, one run; never into the source's folder."""
    from juesuan.recalc import recalculate

    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = 2.5, "=A1*4"
    wb.save(tmp_path / "small.xlsx")
    count_soffice_runs(1)
    out = recalculate(tmp_path / "small.xlsx", tmp_path / "out")
    assert out == tmp_path / "out" / "small.xlsx"
    assert openpyxl.load_workbook(out, data_only=True).active["A2"].value == 10
    assert openpyxl.load_workbook(out).active["A2"].value == "=A1*4"  # the formula stays
    with pytest.raises(Exception, match="不能是") as err:
        recalculate(tmp_path / "small.xlsx", tmp_path)
    assert getattr(err.value, "exit_code", None) == 2
    with pytest.raises(Exception, match="不能是"):
        recalculate_many([tmp_path / "small.xlsx"], tmp_path)
    assert recalculate_many([], tmp_path / "none") == []
