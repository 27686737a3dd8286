"""What an accountant sees (issue 11): the truth at the right cell, in one vocabulary, on paper too.

Each test plays one step of an accountant's afternoon the way they would do it — type a figure into the
workbook, recalculate in a spreadsheet (LibreOffice here), run `juesuan` as a process — and asserts what
they would see: the CLI's words, the saved workbook's cells and styles, the recalculated values.
"""

from __future__ import annotations

import json

import openpyxl
import pytest

from .books import edit_cells
from .conftest import libreoffice_input, run_cli, sample_copy


def _json(path):
    res = run_cli("check", path, "--format", "json")
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout)


def _at(report, location):
    return [f for f in report["findings"] if f["location"] == location]


# --- 1. a figure pasted as text is named at its cell -------------------------------------------------

TEXT_118 = [("公开02表", "D17", "118.97")]
libreoffice_input("text-118")(lambda folder: edit_cells(sample_copy("careful", folder / "src"),
                                                        folder / "text-118.xlsx", TEXT_118))


def _text_at_d17(report):
    found = _at(report, "公开02表!D17")
    assert [(f["rule"], f["severity"]) for f in found] == [("V-01", "error")], report["findings"]
    assert "是文本，不是数字" in found[0]["message"] and "118.97" in found[0]["message"]
    # nothing else is blamed for it: not the formula cells above it, not the other tables
    assert [f["location"] for f in report["findings"] if f["severity"] == "error"] == ["公开02表!D17"]


def test_text_number_is_named_at_its_cell(tmp_path):
    path = edit_cells(sample_copy("careful", tmp_path / "src"), tmp_path / "text.xlsx", TEXT_118)
    _text_at_d17(_json(path))
    res = run_cli("check", path)
    assert res.returncode == 1 and "公开02表!D17" in res.stdout and "是文本" in res.stdout


@pytest.mark.libreoffice("text-118")
def test_text_number_after_recalculation_is_still_named_at_its_cell(lo):
    path = lo("text-118")
    ws = openpyxl.load_workbook(path, data_only=True)["公开02表"]
    assert ws["D16"].value == pytest.approx(26.51)  # the spreadsheet leaves the text out of its SUM
    report = _json(path)
    _text_at_d17(report)
    assert not [f for f in report["findings"] if f["rule"] == "V-03"]  # the formulas are not blamed


# --- 2. text does not spread through formulas ----------------------------------------------------------

TEXT_WAN = [("公开02表", "D30", "21.79万")]
libreoffice_input("text-wan")(lambda folder: edit_cells(sample_copy("careful", folder / "src"),
                                                        folder / "text-wan.xlsx", TEXT_WAN))


@pytest.mark.libreoffice("text-wan")
def test_text_in_an_input_stays_at_the_input(lo):
    path = lo("text-wan")
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["公开02表"]
    assert ws["D29"].value == 0 and ws["D28"].value == 0  # 款 and 类 are numbers, not the text
    report = _json(path)
    v01 = [f["location"] for f in report["findings"] if f["rule"] == "V-01"]
    assert v01 == ["公开02表!D30"], report["findings"]


# --- 6. one vocabulary for severity ------------------------------------------------------------------

WORDS = {"error": "错误", "warning": "警告", "info": "提示"}


def test_one_vocabulary_for_severity(tmp_path):
    path = sample_copy("published", tmp_path / "in")
    text = run_cli("check", path).stdout
    tags = {t for t in __import__("re").findall(r"\[([^\]]+)\] [RXVS]", text)}
    assert tags == {"错误", "警告", "提示"}, tags  # no 强制/提示·参考 mixed in
    assert text.count("级别：") == 1 and "“强制”" in text  # the official terms, explained once
    report = _json(path)
    assert {(f["severity"], f["severity_cn"]) for f in report["findings"]} == set(WORDS.items())
    out = tmp_path / "标注.xlsx"
    assert run_cli("check", path, "--annotate", out).returncode == 1
    ws = openpyxl.load_workbook(out)["校验结果"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "级别")
    assert {r[0] for r in rows[head + 1:]} == set(WORDS.values())
    assert "“强制”" in next(r[1] for r in rows if r[0] == "级别说明")
    res = run_cli("check", tmp_path / "in", "-o", tmp_path / "out")
    ws2 = openpyxl.load_workbook(tmp_path / "out" / "juesuan-检查结果.xlsx")["全部问题"]
    col = [c.value for c in ws2[1]].index("级别")
    assert {r[col] for r in ws2.iter_rows(min_row=2, values_only=True)} == set(WORDS.values())
    assert "个提示" in res.stdout


# --- 10. folder mode tells 甲局/决算公开.xlsx from 乙局/决算公开.xlsx ------------------------------------


def test_folder_mode_shows_paths_below_the_folder(tmp_path):
    folder = tmp_path / "各部门"
    sample_copy("careful", folder / "甲局").rename(folder / "甲局" / "决算公开.xlsx")
    sample_copy("published", folder / "乙局").rename(folder / "乙局" / "决算公开.xlsx")
    res = run_cli("check", folder, "-o", tmp_path / "out")
    assert res.returncode == 1
    sep = __import__("os").sep
    assert f"甲局{sep}决算公开.xlsx" in res.stdout and f"乙局{sep}决算公开.xlsx" in res.stdout, res.stdout
    wb = openpyxl.load_workbook(tmp_path / "out" / "juesuan-检查结果.xlsx")
    assert {r[0] for r in wb["按文件汇总"].iter_rows(min_row=2, values_only=True)} == \
        {f"甲局{sep}决算公开.xlsx", f"乙局{sep}决算公开.xlsx"}
    assert {r[0] for r in wb["全部问题"].iter_rows(min_row=2, values_only=True) if r[5] == "错误"} == \
        {f"乙局{sep}决算公开.xlsx"}
    data = json.loads((tmp_path / "out" / "juesuan-检查结果.json").read_text(encoding="utf-8"))
    assert {f["path"] for f in data["files"]} == {f"甲局{sep}决算公开.xlsx", f"乙局{sep}决算公开.xlsx"}
