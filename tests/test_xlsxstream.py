"""The folder report's xlsx, written by render.xlsxstream, reads as the one openpyxl's write-only workbook
wrote: the same cells (values and types), header styles, column widths, frozen panes and auto filters, in
openpyxl, in calamine and in LibreOffice; text stays text; memory stays flat however many rows come."""

from __future__ import annotations

import copy
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from juesuan.batch import write_reports
from juesuan.render.xlsxstream import StreamBook

from .conftest import libreoffice_input
from .reports import checked_folder, hostile_results, openpyxl_report


def _styles(cell) -> tuple:
    return tuple(copy.copy(getattr(cell, k)) for k in ("font", "fill", "border", "alignment", "protection")) + (
        cell.number_format,)


def _book(path: Path) -> list[dict]:
    """Everything a reader sees of each sheet: every cell's value, type and style; widths, panes, filter."""
    wb = openpyxl.load_workbook(path)
    return [{"title": ws.title, "cells": [(c.coordinate, c.value, c.data_type, _styles(c)) for row in ws.iter_rows()
                                          for c in row],
             "widths": {k: d.width for k, d in ws.column_dimensions.items()}, "freeze": ws.freeze_panes,
             "filter": ws.auto_filter.ref, "defined": sorted(ws.defined_names)} for ws in wb.worksheets]


def _errors_as_text(cells: list) -> list:
    """openpyxl wrote a text that reads as an error value ("#REF!") as an error cell (LibreOffice saves it as
    the formula "=#REF!"); the report keeps it text, as every other text (the one difference, deliberate)."""
    from openpyxl.cell.cell import ERROR_CODES

    out = []
    for ref, v, t, style in cells:
        if t == "e" or (t == "f" and v[1:] in ERROR_CODES):
            assert v.lstrip("=") in ERROR_CODES, v
            v, t = v.lstrip("="), "s"
        out.append((ref, v, t, style))
    return out


def _reports(results, folder: Path) -> tuple[Path, Path]:
    new, _ = write_reports(iter(results), folder, folder / "new")
    return openpyxl_report(results, folder / "old.xlsx"), new


def test_the_report_reads_as_openpyxls_did(folder_results, tmp_path):
    results = folder_results + hostile_results()
    old, new = _reports(results, tmp_path)
    before, after = _book(old), _book(new)
    assert [s["title"] for s in after] == ["按文件汇总", "全部问题"]
    assert len(after[1]["cells"]) > 13 * 40, "real findings and every hostile one"
    assert "e" not in {t for s in after for _, _, t, _ in s["cells"]}
    assert {"e"} < {t for s in before for _, _, t, _ in s["cells"]}, "the hostile texts have one"
    for b, a in zip(before, after):
        assert a["cells"] == _errors_as_text(b["cells"]), a["title"]
        assert (a["widths"], a["freeze"], a["filter"]) == (b["widths"], b["freeze"], b["filter"])
    head = openpyxl.load_workbook(new)["全部问题"]
    assert head["A1"].font.b and head["A1"].fill.fill_type == "solid" and head["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert not head["A2"].font.b and head.freeze_panes == "A2"
    texts = {c.value: c.data_type for row in head.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    assert texts["=1+1"] == "s" and texts['=HYPERLINK("http://x")'] == "s", "a text beginning with = is text"
    assert "控制字符" in texts and "x" * 32767 in texts and "x" * 32768 not in texts


def test_no_formula_and_no_openpyxl_left_behind(tmp_path):
    new, _ = write_reports(iter(hostile_results()), tmp_path, tmp_path / "out")
    with zipfile.ZipFile(new) as zf:
        sheets = [zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/worksheets/")]
        assert zf.testzip() is None
    assert sheets and not any(re.search(r"<f[ >]", s) for s in sheets), "no cell is a formula"
    assert "=HYPERLINK(&quot;" not in sheets[1] and '=HYPERLINK("http://x")' in sheets[1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["juesuan-检查结果.json", "juesuan-检查结果.xlsx"]


def test_characters_xml_cannot_hold_are_dropped(tmp_path):
    """openpyxl refused U+FFFE, U+FFFF and lone surrogates (a file name read with surrogateescape): the report
    drops the first two and shows each undecodable byte of a name as U+FFFD (the name stays recognisable)
    instead of failing at the end of a long run."""
    book = StreamBook(tmp_path)
    ws = book.sheet("表", ["列"], [10])
    ws.append(["a\uffffb\ufffe"])
    ws.append(["\udc80名称\ud800"])
    ws.append(["\uffff"])
    with open(tmp_path / "t.xlsx", "wb") as fh:
        book.save(fh)
    book.close()
    assert [c.value for c in openpyxl.load_workbook(tmp_path / "t.xlsx")["表"]["A"]] == ["列", "ab", "\ufffd名称\ufffd", None]


def test_calamine_reads_what_it_read_before(folder_results, tmp_path):
    from python_calamine import CalamineWorkbook

    old, new = _reports(folder_results + hostile_results(), tmp_path)
    a, b = CalamineWorkbook.from_path(str(old)), CalamineWorkbook.from_path(str(new))
    assert b.sheet_names == a.sheet_names == ["按文件汇总", "全部问题"]
    errors = {(ws.title, c.row - 1, c.column - 1): c.value for ws in openpyxl.load_workbook(old).worksheets
              for row in ws.iter_rows() for c in row if c.data_type == "e"}
    assert errors
    for name in a.sheet_names:
        rows = b.get_sheet_by_name(name).to_python()
        expected = [[errors.get((name, i, j), v) for j, v in enumerate(row)]  # calamine read "" of an error cell
                    for i, row in enumerate(a.get_sheet_by_name(name).to_python())]
        assert rows == expected and len(rows) > 1


def test_memory_stays_flat(tmp_path):
    """Rows go to a temporary file: ten times the rows do not take ten times the memory."""
    def peak(rows: int) -> int:
        book = StreamBook(tmp_path)
        ws = book.sheet("全部问题", ["文件", "说明", "差额"], [10, 10, 10])
        tracemalloc.start()
        for i in range(rows):
            ws.append([f"部门{i:06d}.xlsx", f"第 {i} 行的说明：左边 {i}.00，右边 {i + 1}.00，差 -1.00。" * 3, i / 100])
        used = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        book.close()
        return used

    small, large = peak(3000), peak(30000)
    assert large < 2 * small + (1 << 20), (small, large)


def _lo_report(writer):
    def build(folder: Path) -> Path:
        results = checked_folder(folder / "books") + hostile_results()
        if writer == "openpyxl":
            return openpyxl_report(results, folder / "report.xlsx")
        return write_reports(iter(results), folder / "books", folder / "out")[0]
    return build


libreoffice_input("report-openpyxl")(_lo_report("openpyxl"))
libreoffice_input("report-stream")(_lo_report("stream"))


@pytest.mark.libreoffice("report-openpyxl", "report-stream")
def test_libreoffice_reads_what_it_read_before(lo):
    """LibreOffice opens the report and saves it again: the cells it saves are those it saved of openpyxl's."""
    before, after = _book(lo("report-openpyxl")), _book(lo("report-stream"))
    assert [s["title"] for s in after] == ["按文件汇总", "全部问题"]
    for b, a in zip(before, after):
        assert a["cells"] == _errors_as_text(b["cells"]) and len(a["cells"]) > 12 * 30, a["title"]
        assert (a["widths"], a["filter"]) == (b["widths"], b["filter"])
    ws = openpyxl.load_workbook(lo("report-stream"))["全部问题"]
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "FFDDEBF7" and ws["A1"].value == "文件"
