"""The annotated copy: marks at the cells, a 校验结果 sheet, status lines — and nothing else changed."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest

from juesuan.api import fill_workbook
from juesuan.util.atomic import save_workbook
from juesuan.validate.engine import check
from juesuan.writeback.marks import COLORS, RESULTS_SHEET, STATE_SHEET, STATUS_PREFIX, annotate_file

from .conftest import readme_example, run_cli


@pytest.fixture(scope="module")
def published_xlsx(sample_xlsx):
    return sample_xlsx("published")


@pytest.fixture(scope="module")
def clean_xlsx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clean")
    data = folder / "clean.yaml"
    data.write_text(readme_example(), encoding="utf-8")
    _, wb = fill_workbook(data)
    return save_workbook(wb, folder / "clean.xlsx")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(path, skip_status=True):
    """Everything the annotation must keep, sheet by sheet and cell by cell."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        if ws.title in (RESULTS_SHEET, STATE_SHEET):
            continue
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if skip_status and isinstance(c.value, str) and c.value.startswith(STATUS_PREFIX):
                    continue
                if c.value is not None or c.protection.locked is False:
                    cells[c.coordinate] = (c.value, c.number_format, c.protection.locked, c.protection.hidden)
        out[ws.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.error)
                                  for dv in ws.data_validations.dataValidation),
            "protection": (ws.protection.sheet, ws.protection.password, ws.protection.formatColumns),
            "print": (ws.print_title_rows, str(ws.print_area), ws.page_setup.orientation, ws.page_setup.fitToWidth,
                      ws.page_setup.fitToHeight, str(ws.page_setup.paperSize), ws.page_margins.left,
                      ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None),
            "freeze": ws.freeze_panes,
            "conditional": sorted((str(cf.sqref), tuple(r.formula or ()) if hasattr(r, "formula") else ())
                                  for cf in ws.conditional_formatting for r in cf.rules),
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        }
    return out


def test_annotated_copy_marks_cells_and_keeps_everything_else(published_xlsx, tmp_path):
    before = _digest(published_xlsx)
    report = check(published_xlsx)
    out = tmp_path / "annotated.xlsx"
    annotate_file(published_xlsx, out, report)
    assert _digest(published_xlsx) == before  # the source is never modified
    assert _snapshot(out) == _snapshot(published_xlsx)
    wb = openpyxl.load_workbook(out)
    a10 = wb["公开02表"]["A10"]
    assert a10.fill.fgColor.rgb == "FF" + COLORS["error"]
    assert a10.comment.text.startswith("R02-4［错误］")
    assert wb["公开01表"]["F14"].fill.fgColor.rgb == "FF" + COLORS["info"]  # a tail: light blue
    assert wb["公开06表"]["B12"].fill.fgColor.rgb == "FF" + COLORS["warning"]
    assert wb["公开02表"]["A2"].value.startswith("本表校验：10 个错误，2 个提示")
    assert wb["公开09表"]["A2"].value.startswith("本表校验：通过")
    res = wb[RESULTS_SHEET]
    rows = list(res.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "级别")
    findings = rows[header + 1:]
    assert len(findings) == len(report.findings)
    link = res.cell(row=header + 2, column=3)
    assert link.hyperlink is not None and link.hyperlink.location.endswith(link.value.split("!")[1])
    assert wb[STATE_SHEET].sheet_state == "veryHidden"
    assert "检查时间" in [r[0] for r in rows[:6]]


@pytest.mark.libreoffice("published")
def test_round_trip_on_a_workbook_saved_by_libreoffice(lo, tmp_path):
    lo = lo("published")
    out = tmp_path / "lo-annotated.xlsx"
    annotate_file(lo, out, check(lo))
    assert _snapshot(out) == _snapshot(lo)


def _first_marked(report):
    f = next(f for f in report.findings if f.cell and f.severity == "error")
    return f.sheet, f.cell


def test_annotating_again_replaces_marks_and_a_clean_check_removes_them(clean_xlsx, tmp_path):
    original = openpyxl.load_workbook(clean_xlsx)
    # a wrong amount: annotate
    original["公开02表"]["D10"].value = 999
    bad = tmp_path / "bad.xlsx"
    original.save(bad)
    report = check(bad)
    sheet, cell = _first_marked(report)
    original = openpyxl.load_workbook(clean_xlsx)
    assert original[sheet][cell].comment is None
    original_fill = original[sheet][cell].fill.fgColor.rgb
    first = tmp_path / "first.xlsx"
    annotate_file(bad, first, report)
    # annotate the annotated copy again: the same marks, not stacked
    second = tmp_path / "second.xlsx"
    annotate_file(first, second, check(first))
    a, b = openpyxl.load_workbook(first), openpyxl.load_workbook(second)
    assert a[sheet][cell].fill.fgColor.rgb == "FF" + COLORS["error"]
    assert b[sheet][cell].comment.text == a[sheet][cell].comment.text
    assert "原批注" not in b[sheet][cell].comment.text
    assert b[RESULTS_SHEET].max_row == a[RESULTS_SHEET].max_row
    assert sum(1 for n in b.sheetnames if n == RESULTS_SHEET) == 1
    # fix the amount in the annotated copy: a clean check takes every mark away
    b["公开02表"]["D10"].value = 300
    fixed = tmp_path / "fixed.xlsx"
    b.save(fixed)
    assert check(fixed).findings == []
    clean = tmp_path / "clean-again.xlsx"
    annotate_file(fixed, clean, check(fixed))
    c = openpyxl.load_workbook(clean)
    assert RESULTS_SHEET not in c.sheetnames and STATE_SHEET not in c.sheetnames
    assert c[sheet][cell].comment is None and c[sheet][cell].fill.fgColor.rgb == original_fill
    assert all(not (isinstance(ws["A2"].value, str) and ws["A2"].value.startswith(STATUS_PREFIX)) for ws in c)
    assert _snapshot(clean) == _snapshot(clean_xlsx)


def test_user_comment_is_kept_and_restored(clean_xlsx, tmp_path):
    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(clean_xlsx)
    wb["公开02表"]["D10"].value = 999
    src = tmp_path / "bad.xlsx"
    wb.save(src)
    sheet, cell = _first_marked(check(src))
    wb[sheet][cell].comment = Comment("会计：待核实", "张三")
    wb.save(src)
    out = tmp_path / "out.xlsx"
    annotate_file(src, out, check(src))
    text = openpyxl.load_workbook(out)[sheet][cell].comment.text
    assert text.startswith(("R", "X", "V", "S"))
    assert text.endswith("——原批注——\n会计：待核实")
    again = tmp_path / "again.xlsx"
    wb2 = openpyxl.load_workbook(out)
    wb2["公开02表"]["D10"].value = 300
    wb2.save(again)
    clean = tmp_path / "clean.xlsx"
    annotate_file(again, clean, check(again))
    restored = openpyxl.load_workbook(clean)[sheet][cell].comment
    assert restored.text == "会计：待核实"


def test_cli_annotate(published_xlsx, tmp_path):
    out = tmp_path / "标注.xlsx"
    res = run_cli("check", published_xlsx, "--annotate", out)
    assert res.returncode == 1 and out.exists() and "已写出标注副本" in res.stdout
    res = run_cli("check", published_xlsx, "--annotate", out)
    assert res.returncode == 2 and "已存在" in res.stderr
    res = run_cli("check", published_xlsx, "--annotate", published_xlsx)
    assert res.returncode == 2 and "不能覆盖" in res.stderr
