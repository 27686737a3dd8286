"""Deferred rows and conditional formats (juesuan.render.deferred): written straight into the sheet XML
at save, they give the same workbook as real openpyxl objects; read in memory, they become real objects."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
from openpyxl.formatting.rule import FormulaRule
from openpyxl.utils import column_index_from_string
from openpyxl.styles import Border, Font, PatternFill, Protection, Side

from juesuan.api import build_template, fill_workbook
from juesuan.demo import sample_path
from juesuan.render.deferred import BuiltWorkbook, DeferredSheet
from juesuan.render.styles import CellKinds
from juesuan.util.names import CHECK_SHEET

from . import bookdump

RED = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
BLUE = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")


def _saved(wb, path):
    wb.save(path)
    return path


def test_a_template_saved_from_deferred_rows_equals_one_made_of_real_cells(tmp_path):
    _, fast = build_template("某某局", 2024, **bookdump.TEMPLATE_ARGS)
    _, real = build_template("某某局", 2024, **bookdump.TEMPLATE_ARGS)
    assert all(ws.deferred for ws in fast.worksheets if isinstance(ws, DeferredSheet))
    for ws in real.worksheets:  # reading in memory makes every deferred row and format real
        ws.max_row, ws.conditional_formatting
    assert not any(ws.deferred for ws in real.worksheets if isinstance(ws, DeferredSheet))
    a = bookdump.dump(_saved(fast, tmp_path / "fast.xlsx"))
    b = bookdump.dump(_saved(real, tmp_path / "real.xlsx"))
    assert a == b
    assert sum(1 for line in a if line.startswith(f"[{CHECK_SHEET}] cell I")) > 100
    _assert_rows_in_order(tmp_path / "fast.xlsx")


def _assert_rows_in_order(path):
    """Excel refuses a sheet whose rows (or a row's cells) repeat or go backwards."""
    with zipfile.ZipFile(path) as z:
        for name in (n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            xml = z.read(name).decode("utf-8")
            rows = [int(r) for r in re.findall(r'<row r="(\d+)"', xml)]
            assert rows == sorted(set(rows)), name
            for row in re.findall(r"<row [^>]*>(.*?)</row>", xml):
                cols = [column_index_from_string(c) for c in re.findall(r'<c r="([A-Z]+)\d+"', row)]
                assert cols == sorted(set(cols)), name


def test_the_check_sheet_reads_in_memory_as_it_reads_from_the_file(tmp_path):
    _, wb = fill_workbook(sample_path("careful"))
    path = _saved(wb, tmp_path / "careful.xlsx")
    ws = wb[CHECK_SHEET]
    assert ws.deferred  # saving did not make the rows real …
    loaded = openpyxl.load_workbook(path)[CHECK_SHEET]
    values = lambda sheet: [[c.value if c.value != "" else None for c in row] for row in sheet.iter_rows()]
    in_memory = values(ws)  # … reading them does ('' in memory is an empty cell in the file, as always)
    assert not ws.deferred
    assert in_memory == values(loaded)
    last = ws.max_row
    assert ws.cell(last, 3).hyperlink.location == loaded.cell(last, 3).hyperlink.location
    assert ws.cell(last, 8).number_format == loaded.cell(last, 8).number_format == "0.000"


def _small_book():
    wb = BuiltWorkbook()
    wb.remove(wb.active)
    ws = wb.create_deferred_sheet("数据")
    ws.append(["名称", "值", "公式"])
    ws.append(["第一行", 1, "=B2*2"])
    ws["A2"].font = Font(name="宋体", size=10, bold=True)
    ws["C2"].number_format = "0.00"
    ws.defer_rows([[" 前后有空格 ", 2.5, "=IF(B3>1,\"大\",\"小\")"],
                   ["A&B <c> \"d\"", None, "=B4<>0"],
                   ["末行", True, "="],
                   ["", 0, None]],
                  link_col=1, links=[("'数据'!A1", "回到表头"), None, ("'数据'!B2", "数据!B2"), None])
    ws.conditional_formatting.add("B2:B9", FormulaRule(formula=["B2>1"], fill=BLUE))
    ws.conditional_formatting.add("C2:C9", FormulaRule(formula=["C2>1"], fill=RED))
    ws.defer_formats([("A3", [('A3="x"', RED, True), ("A3<>\"\"", BLUE, False)])])
    return wb


def test_deferred_rows_keep_text_numbers_formulas_styles_and_links(tmp_path):
    path = _saved(_small_book(), tmp_path / "small.xlsx")
    ws = openpyxl.load_workbook(path)["数据"]
    assert [ws.cell(r, c).value for r in (3, 4, 5, 6) for c in (1, 2, 3)] == [
        " 前后有空格 ", 2.5, '=IF(B3>1,"大","小")', 'A&B <c> "d"', None, "=B4<>0", "末行", True, "=", None, 0, None]
    assert ws["A3"].font.b and ws["A4"].font.name == "宋体" and ws["C5"].number_format == "0.00"
    assert ws["B4"].number_format == "General" and not ws["B4"].has_style  # a None is no cell at all
    assert ws["A3"].hyperlink.location == "'数据'!A1" and ws["A3"].hyperlink.display == "回到表头"
    assert ws["A4"].hyperlink is None and ws["A5"].hyperlink.location == "'数据'!B2"
    assert ws.dimensions == "A1:C6"
    rules = sorted(((str(cf.sqref), r.formula[0], r.priority, r.stopIfTrue, r.dxf.fill.fgColor.rgb)
                    for cf in ws.conditional_formatting for r in cf.rules), key=lambda t: t[2])
    # the deferred formats take the priorities add() would have given them after the real rule
    assert rules == [("B2:B9", "B2>1", 1, None, "FFDDEBF7"), ("C2:C9", "C2>1", 2, None, "FFFFC7CE"),
                     ("A3", 'A3="x"', 3, True, "FFFFC7CE"), ("A3", 'A3<>""', 4, None, "FFDDEBF7")]


def test_a_colour_no_real_rule_has_gets_its_own_differential_style(tmp_path):
    """Each deferred rule's colour is registered before writing: one no real rule has is written too,
    and one a real rule has is shared with it (one dxf per colour)."""
    wb = _small_book()
    ws = wb["数据"]
    green = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
    ws.defer_formats([("C3", [("C3=1", green, True)])])
    path = _saved(wb, tmp_path / "green.xlsx")
    assert ws.deferred  # written straight into the XML all the same
    loaded = openpyxl.load_workbook(path)["数据"]
    fills = {str(cf.sqref): [r.dxf.fill.fgColor.rgb for r in cf.rules] for cf in loaded.conditional_formatting}
    assert fills["C3"] == ["FFC6EFCE"] and fills["A3"] == ["FFFFC7CE", "FFDDEBF7"]
    assert fills["B2:B9"] == ["FFDDEBF7"] and fills["C2:C9"] == ["FFFFC7CE"]
    assert loaded["A4"].value == 'A&B <c> "d"'
    dxfs = zipfile.ZipFile(path).read("xl/styles.xml").decode("utf-8").split("<dxfs")[1].split("</dxfs>")[0]
    assert dxfs.count("<dxf>") == 3


def test_the_written_xml_is_utf8_not_character_references():
    wb = _small_book()
    buf = io.BytesIO()
    wb.save(buf)
    xml = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<t xml:space=\"preserve\"> 前后有空格 </t>" in xml
    deferred = xml.split('<row r="3"')[1].split("</sheetData>")[0]
    assert "A&amp;B &lt;c&gt;" in deferred and "<f>B4&lt;&gt;0</f>" in deferred and "&#" not in deferred


def _loose_book(materialize: bool):
    """Real cells, then loose cells around them: in a row of their own, in a row with real cells or a
    height, over a real cell, and text that begins with '='."""
    wb = BuiltWorkbook()
    wb.remove(wb.active)
    ws = wb.create_deferred_sheet("表")
    ws["A1"] = "标题"
    ws.row_dimensions[1].height = 30
    ws["B2"] = "旧值"
    ws.merge_cells("A5:B5")
    kinds = CellKinds(ws, bold=dict(font=Font(name="宋体", bold=True)), amount=dict(number_format="#,##0.00"),
                      framed=dict(border=Border(left=Side(style="thin"))))
    ws.put_cell(1, 3, "同行", kinds.style("bold"), text=True)  # a row with a real cell and a height
    ws.put_cell(2, 2, 7, kinds.style("amount"))  # over a real cell: it takes value and style
    ws.put_cell(3, 1, "=1+1", kinds.style("bold"), text=True)  # text, not a formula
    ws.put_cell(3, 2, "=B2*2", kinds.style("amount"))
    ws.put_cell(3, 4, None, kinds.style("framed"))  # a styled empty cell
    ws.put_cell(7, 6, 2.5, kinds.style("amount"))  # the dimension grows to F7
    ws.put_cell(4, 1, "控制\x01字符", kinds.style("bold"), text=True)
    ws.style_blanks(range(3, 5), range(1, 3), kinds.style("framed"))
    if materialize:
        ws.max_row  # reading in memory makes them openpyxl cells
    return wb, ws


def test_loose_cells_save_as_the_openpyxl_cells_they_become(tmp_path):
    fast, ws = _loose_book(False)
    assert ws.deferred and ws._loose
    real, ws_real = _loose_book(True)
    assert not ws_real.deferred
    a = bookdump.dump(_saved(fast, tmp_path / "loose.xlsx"))
    b = bookdump.dump(_saved(real, tmp_path / "real.xlsx"))
    assert a == b
    loaded = openpyxl.load_workbook(tmp_path / "loose.xlsx")["表"]
    assert loaded["A3"].value == "=1+1" and loaded["A3"].data_type == "s" and loaded["A3"].font.b
    assert loaded["B3"].value == "=B2*2" and loaded["B3"].data_type == "f"
    assert loaded["B2"].value == 7 and loaded["B2"].number_format == "#,##0.00"
    assert loaded["C1"].value == "同行" and loaded["A4"].value == "控制字符"
    assert loaded["D3"].value is None and loaded["D3"].border.left.style == "thin"
    assert loaded["B4"].border.left.style == "thin" and loaded["B3"].number_format == "#,##0.00"
    assert loaded.dimensions == ws_real.dimensions == "A1:F7"
    _assert_rows_in_order(tmp_path / "loose.xlsx")
    xml = zipfile.ZipFile(tmp_path / "loose.xlsx").read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert [int(r) for r in re.findall(r'<row r="(\d+)"', xml)] == [1, 2, 3, 4, 5, 7]


def test_a_merge_on_a_generated_sheet_is_openpyxl_s_merge():
    """The same merged cells, with the top-left cell's borders on the edges and its protection on
    every cell, as openpyxl's own merge gives them."""
    def build(wb, ws):
        thin = Side(style="thin", color="000000")
        for ref in ("B2", "F2", "B8"):
            ws[ref] = "合计"
            ws[ref].border = Border(left=thin, right=thin, top=thin, bottom=thin)
            ws[ref].protection = Protection(locked=False)
        ws["D4"].border = Border(bottom=thin)  # the bottom-right cell of a range gives its border
        for rng in ("B2:D4", "F2:G2", "B8:B9", "A12:C12"):
            ws.merge_cells(rng)
        return [(c.coordinate, type(c).__name__, c.border.left.style, c.border.right.style, c.border.top.style,
                 c.border.bottom.style, c.protection.locked) for row in ws.iter_rows() for c in row]

    plain = openpyxl.Workbook()
    built = BuiltWorkbook()
    built.remove(built.active)
    assert build(built, built.create_deferred_sheet("Sheet")) == build(plain, plain.active)
