"""The 情况说明 that goes with a workbook: `narrate` writes the same text into a 情况说明 sheet of a copy
of the workbook (the original untouched, --force/.bak rules), `check` of that workbook checks the sheet
and says so; `check DIR` picks up a 情况说明 beside each workbook (same file stem) and the folder
summary (console, xlsx, JSON) carries its counts."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl

from juesuan.narrative.check import SHEET_LABEL
from juesuan.util.names import NARRATIVE_SHEET
from juesuan.writeback.textsheet import write_text_sheet

from .conftest import run_cli
from .test_narrative import careful_filled, careful_text  # noqa: F401  (fixtures)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sheet(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [r[0] for r in wb[NARRATIVE_SHEET].iter_rows(max_col=1, values_only=True) if r and r[0]]
    finally:
        wb.close()


def test_narrate_writes_the_text_into_a_copy_and_check_reads_it(careful_filled, tmp_path):  # noqa: F811
    wb = Path(shutil.copy(careful_filled, tmp_path / "决算.xlsx"))
    before = _digest(wb)
    r = run_cli("narrate", str(wb), "-o", str(tmp_path / "情况说明.md"))
    assert r.returncode == 0, r.stderr
    copy = tmp_path / "决算-情况说明.xlsx"
    assert copy.is_file() and _digest(wb) == before  # the original is not touched
    text = (tmp_path / "情况说明.md").read_text(encoding="utf-8")
    lines = _sheet(copy)
    assert [ln.strip().lstrip("# ") for ln in text.split("\n\n") if ln.strip()] == lines  # the same text
    original = openpyxl.load_workbook(wb, read_only=True)
    assert openpyxl.load_workbook(copy, read_only=True).sheetnames == original.sheetnames + [NARRATIVE_SHEET]
    # check of the copy checks its sheet, and says so
    r = run_cli("check", str(copy), "--format", "json")
    part = json.loads(r.stdout)["narrative"]
    assert part["file"] == SHEET_LABEL and part["counts"] == {"error": 0, "warning": 0, "info": 0}
    # a figure changed in the sheet is found, at its sentence
    book = openpyxl.load_workbook(copy)
    ws = book[NARRATIVE_SHEET]
    cell = next(c for row in ws.iter_rows() for c in row if c.value and "占42.47%" in str(c.value))
    cell.value = cell.value.replace("占42.47%", "占42.48%")
    book.save(copy)
    r = run_cli("check", str(copy))
    assert r.returncode == 1 and f"【情况说明】{SHEET_LABEL}" in r.stdout and "42.48%" in r.stdout
    # the original, checked, has no such sheet and no 情况说明 part
    assert "narrative" not in json.loads(run_cli("check", str(wb), "--format", "json").stdout)


def test_narrate_follows_the_force_rules(careful_filled, tmp_path):  # noqa: F811
    wb = Path(shutil.copy(careful_filled, tmp_path / "决算.xlsx"))
    out, copy = tmp_path / "情况说明.docx", tmp_path / "副本.xlsx"
    copy.write_bytes(b"the user's own file")
    r = run_cli("narrate", str(wb), "-o", str(out), "--copy", str(copy))
    assert r.returncode == 2 and "已存在" in r.stderr + r.stdout
    assert not out.exists() and copy.read_bytes() == b"the user's own file"  # nothing written at all
    r = run_cli("narrate", str(wb), "-o", str(out), "--copy", str(copy), "--force")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "副本.xlsx.bak").read_bytes() == b"the user's own file"
    assert _sheet(copy)[0].startswith("第三部分")


def test_the_sheet_stores_text_as_text(careful_filled, tmp_path):  # noqa: F811
    lines = ["第三部分 2024年度部门决算情况说明", "=HYPERLINK(\"http://example.com\",\"点我\")", "@SUM(1,2)"]
    out = tmp_path / "副本.xlsx"
    write_text_sheet(careful_filled, out, lines)
    ws = openpyxl.load_workbook(out)[NARRATIVE_SHEET]
    assert [(c.value, c.data_type) for c in ws["A"]] == [(t, "s") for t in lines]


def test_folder_mode_checks_the_narrative_beside_each_workbook(careful_filled, careful_text, tmp_path):  # noqa: F811
    folder = tmp_path / "各部门"
    folder.mkdir()
    text = careful_text.read_text(encoding="utf-8")
    for stem in "abcde":
        shutil.copy(careful_filled, folder / f"{stem}.xlsx")
    (folder / "a.md").write_text(text, encoding="utf-8")  # clean
    (folder / "b.txt").write_text(text.replace("占42.47%", "占42.48%"), encoding="utf-8")  # one error
    write_text_sheet(careful_filled, folder / "c.xlsx", [ln.strip().lstrip("# ") for ln in text.split("\n\n")], force=True)
    (folder / "e.docx").write_bytes(b"not a word document")  # cannot be read: said so
    out = tmp_path / "报告"
    r = run_cli("check", str(folder), "-o", str(out), "--workers", "1")
    assert r.returncode == 1
    line = {f"{stem}.xlsx": ln for ln in r.stdout.splitlines() for stem in "abcde" if f" {stem}.xlsx（" in ln}
    assert "情况说明 a.md：0 个错误" in line["a.xlsx"] and "情况说明 b.txt：1 个错误" in line["b.xlsx"]
    assert line["b.xlsx"].startswith("未通过") and f"情况说明 {SHEET_LABEL}" in line["c.xlsx"]
    assert "情况说明" not in line["d.xlsx"]
    data = json.loads((out / "juesuan-检查结果.json").read_text(encoding="utf-8"))
    assert data["summary"]["narratives"] == 3 and data["summary"]["narrative_counts"]["error"] == 1
    files = {Path(f["file"]).name: f for f in data["files"]}
    assert files["b.xlsx"]["narrative"]["findings"][0]["rule"] == "N5b"
    assert any("e.docx" in n and "未能检查" in n for n in files["e.xlsx"]["notes"])
    wb = openpyxl.load_workbook(out / "juesuan-检查结果.xlsx")
    summary = {row[0]: row for row in wb["按文件汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["b.xlsx"][8:11] == ("b.txt", 1, 0)
    rows = [row for row in wb["全部问题"].iter_rows(min_row=2, values_only=True)
            if row[0] == "b.xlsx" and row[2] == "情况说明"]
    assert [(row[3], row[4]) for row in rows] == [("情况说明 五（二） 第1段", "N5b")] and "原文" in rows[0][12]
