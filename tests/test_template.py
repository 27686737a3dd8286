"""The generated template: roles of cells, furniture, protection, printing, other departments."""

from __future__ import annotations

import pytest
from openpyxl.utils import range_boundaries

from juesuan.api import build_template, parse_code_list
from juesuan.errors import CodeError
from juesuan.layout.keys import CellKey
from juesuan.rules.graph import graph_of

from .test_formulas import SAMPLE_CODES


@pytest.fixture(scope="module")
def built():
    return build_template("洛阳市洛龙区工业和信息化局", 2024, codes=SAMPLE_CODES)


def _cell(layout, wb, key):
    row, col = layout.table(key.table).address(key)
    return wb[layout.sheet(key)][f"{col}{row}"]


def test_every_derived_cell_is_a_formula_and_locked(built):
    layout, wb = built
    assert len(graph_of(layout).definitions) > 300
    for key in graph_of(layout).definitions:
        c = _cell(layout, wb, key)
        assert isinstance(c.value, str) and c.value.startswith("="), (layout.a1(key), c.value)
        assert c.protection.locked, layout.a1(key)


def test_every_input_cell_is_unlocked_empty_and_validated(built):
    layout, wb = built
    assert graph_of(layout).inputs
    validated = {}
    for ws in wb:
        cells = set()
        for dv in ws.data_validations.dataValidation:
            for rng in str(dv.sqref).split():
                c1, r1, c2, r2 = range_boundaries(rng)
                cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        validated[ws.title] = cells
    for key in graph_of(layout).inputs:
        c = _cell(layout, wb, key)
        assert c.value is None and not c.protection.locked, layout.a1(key)
        assert (c.row, c.column) in validated[c.parent.title], layout.a1(key)


def test_furniture_and_labels_and_locked_text(built):
    layout, wb = built
    for spec in layout.profile.tables:
        ws = wb[spec.number]
        assert ws["A1"].value == spec.title
        assert ws[f"{spec.last_col}2"].value == spec.number
        assert ws["A3"].value == "部门名称：洛阳市洛龙区工业和信息化局"
        assert ws[f"{spec.last_col}3"].value == "单位：万元"
        assert any(c.value == "2024 年度" for c in ws[3])
        assert ws.protection.sheet and not ws.protection.password
        assert ws["A1"].protection.locked
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage is True  # one page wide
        assert ws.print_title_rows and ws.freeze_panes
        notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("注：")]
        assert notes == [spec.note + "本表金额转换为万元时，因四舍五入可能存在尾差。"]
    ws = wb["公开01表"]
    assert [ws.cell(r, 2).value for r in range(7, 37)] == list(range(1, 31))
    assert ws["D7"].value == "一、一般公共服务支出" and ws["D32"].value == "二十六、抗疫特别国债安排的支出"
    assert ws["A15"].value is None and ws["C15"].value is None  # 行次 9: structural blank
    assert "A4:C4" in ws.merged_cells and "D4:F4" in ws.merged_cells
    ws9 = wb["公开09表"]
    assert [ws9.cell(7, c).value for c in range(1, 13)] == list(range(1, 13))
    assert "I5:K5" in ws9.merged_cells


def _print_settings(wb, layout):
    out = {}
    for spec in layout.profile.tables:
        ws = wb[spec.number]
        out[spec.number] = (int(ws.page_setup.paperSize), ws.page_setup.fitToWidth, ws.page_setup.fitToHeight,
                            ws.sheet_properties.pageSetUpPr.fitToPage is True)
    return out


def test_every_table_prints_one_page_wide_on_a4(built, tmp_path):
    """A4, fit to one page wide; the fixed tables on one page, the coded ones as many pages long as needed —
    in the workbook object and in the file written."""
    import openpyxl

    layout, wb = built
    expected = {spec.number: (9, 1, 0 if spec.kind == "coded" else 1, True) for spec in layout.profile.tables}
    assert len(expected) == 9
    assert _print_settings(wb, layout) == expected
    wb.save(tmp_path / "t.xlsx")
    assert _print_settings(openpyxl.load_workbook(tmp_path / "t.xlsx"), layout) == expected


def test_code_rows_parents_generated_in_code_order(built):
    layout, wb = built
    ws = wb["公开03表"]
    codes = [ws.cell(r, 1).value for r in range(8, 31)]
    assert codes == ["206", "20603", "2060399", "20604", "2060405", "20699", "2069999", "208", "20805",
                     "2080501", "2080505", "20808", "2080801", "210", "21011", "2101101", "215", "21505",
                     "2150501", "2150502", "221", "22102", "2210201"]
    assert ws["B24"].value == "资源勘探工业信息等支出" and ws["B27"].value == "一般行政管理事务"


def test_empty_fund_tables_carry_the_explanation_and_a_blank_total(built):
    layout, wb = built
    for number, word in (("公开07表", "政府性基金"), ("公开08表", "国有资本经营")):
        ws = wb[number]
        assert all(ws.cell(7, c).value is None for c in range(3, ws.max_column + 1))
        texts = [ws.cell(r, 1).value for r in range(8, 10)]
        assert texts[1].startswith("说明：本部门没有" + word)


def test_department_with_fund_spending_and_several_kuan():
    codes = ["2010101", "2010102", "2010350", "2013101"]  # 201 with three 款: 20101, 20103, 20131
    layout, wb = build_template("某某区政府办公室", 2025, codes=codes, fund_codes=["2120801", "2120802"],
                                names={"20103": "政府办公厅（室）及相关机构事务", "2010350": "事业运行",
                                       "20131": "党委办公厅（室）及相关机构事务", "2013101": "行政运行"})
    ws7 = wb["公开07表"]
    assert [ws7.cell(r, 1).value for r in range(8, 12)] == ["212", "21208", "2120801", "2120802"]
    assert ws7["F8"].value == "=SUM(F9)" and ws7["E8"].value == "=SUM(F8:G8)"  # 类 = Σ 款; 栏3 = 栏4 + 栏5
    assert ws7["F7"].value == "=SUM(F8)" and ws7["E7"].value == "=SUM(F7:G7)"
    assert not any(str(ws7.cell(r, 1).value or "").startswith("说明") for r in range(1, 20))
    assert ws7["E11"].value == "=SUM(F11:G11)"
    ws5 = wb["公开05表"]
    assert [ws5.cell(r, 1).value for r in range(8, 16)] == ["201", "20101", "2010101", "2010102", "20103",
                                                            "2010350", "20131", "2013101"]
    assert ws5["D8"].value == "=SUM(D9,D12,D14)"  # 类 = Σ of its three 款
    assert "2120801" not in [ws5.cell(r, 1).value for r in range(8, 20)]
    ws3 = wb["公开03表"]
    assert "2120801" in [ws3.cell(r, 1).value for r in range(8, 20)]
    ws4 = wb["公开04表"]
    assert ws4["H17"].value == "=SUMIF('公开07表'!$A$8:$A$11,\"212\",'公开07表'!$E$8:$E$11)"
    assert wb["公开03表"]["A1"].value == "支出决算表"
    assert any(c.value == "2025 年度" for c in wb["公开03表"][3])


def test_code_without_name_is_an_error_naming_code_and_remedy():
    with pytest.raises(CodeError) as err:
        build_template("某局", 2024, codes=["2019998"])
    msg = str(err.value)
    assert "2019998" in msg and "--codes" in msg and "科目名称" in msg


def test_user_names_fill_catalog_gaps_for_parents_too():
    with pytest.raises(CodeError) as err:  # the 款 21698 is not in the bundled catalog
        build_template("某局", 2024, codes=["2169801"], names={"2169801": "某项支出"})
    assert "21698" in str(err.value)
    layout, wb = build_template("某局", 2024, codes=["2169801"], names={"21698": "某款", "2169801": "某项支出"})
    ws = wb["公开02表"]
    assert [ws.cell(r, 2).value for r in range(8, 11)] == ["商业服务业等支出", "某款", "某项支出"]


@pytest.mark.parametrize("text", ["20603", "206039", "2060399x", "２０６０３９９９", "abc"])
def test_malformed_codes_are_refused(text):
    with pytest.raises(CodeError) as err:
        parse_code_list(text)
    assert "格式不正确" in str(err.value)


def test_code_list_parsing_with_names_fullwidth_and_separators():
    codes, names = parse_code_list("２０６０３９９，2150517=产业发展、21505=工业和信息产业监管")
    assert codes == ["2060399", "2150517"]
    assert names == {"2150517": "产业发展", "21505": "工业和信息产业监管"}


def test_optional_economic_code_30311():
    layout, wb = build_template("某局", 2024, codes=["2010101"], econ_extra={"30311"})
    ws = wb["公开06表"]
    assert ws["A31"].value == "30311" and ws["A32"].value == "30399"
    assert CellKey("gk06", "30311", None) in graph_of(layout).inputs
