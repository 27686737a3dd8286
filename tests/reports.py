"""What the folder reports are tested on: real results of a folder (the test layouts, the samples, a
workbook with its 情况说明 beside it, a workbook with hostile texts), hostile results made up, and the
reference writer — the xlsx as openpyxl's write-only workbook wrote it before juesuan wrote its own."""

from __future__ import annotations

import math
import shutil
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a department and a 科目名称 a hostile workbook carries: a formula, markup, entities, CR/LF, a line separator
HOSTILE_DEPARTMENT = '部门名称：=HYPERLINK("http://x","点我") <b>&amp;</b> ]]>\r\n甲局\u2028 '
HOSTILE_NAME = " =SUM(A1)&<x>\r基本工资\t"


def hostile_workbook(folder: Path) -> Path:
    """The careful sample with a hostile department, a hostile 科目名称, an amount changed and a formula typed
    where an amount goes."""
    from .books import edit_cells
    from .conftest import sample_copy

    src = sample_copy("careful", folder / "src")
    changes = [(f"公开0{i}表", "A3", HOSTILE_DEPARTMENT) for i in range(1, 9)]
    changes += [("公开06表", "B7", HOSTILE_NAME), ("公开02表", "D10", 181.0), ("公开03表", "D10", "=1+1")]
    out = edit_cells(src, folder / "hostile.xlsx", changes)
    shutil.rmtree(folder / "src")
    return out


_CHECKED: list[dict] = []


def checked_folder(folder: Path) -> list[dict]:
    """The results the workers hand the main process for a folder of real workbooks, as FolderRun sets them.
    Checked once a session: the first call's ``folder`` holds the workbooks, later calls get the same results."""
    from juesuan import batch

    from .conftest import sample_copy

    if _CHECKED:
        return _CHECKED
    folder.mkdir(parents=True, exist_ok=True)
    for p in (ROOT / "tests" / "data" / "layouts").glob("*.xlsx"):
        shutil.copy(p, folder / p.name)
    for name in ("careful", "published", "fund"):
        sample_copy(name, folder)
    shutil.copy(ROOT / "tests" / "data" / "narrative" / "shanghai-department.txt", folder / "shanghai-department.txt")
    hostile_workbook(folder / "甲局")
    results = batch._check_chunk([str(p) for p in batch.workbook_files(folder)])
    for r in results:
        r["path"] = batch.relative_name(Path(r["file"]), folder)
    assert any(r.get("narrative") for r in results), "a 情况说明 was checked"
    assert any("=SUM(A1)" in f["name"] for r in results for f in r["findings"]), "the hostile name is in a finding"
    _CHECKED.extend(results)
    return _CHECKED


_TEXTS = ["=1+1", "=HYPERLINK(\"http://x\")", "+1", "-1", "@a", " lead", "trail ", "\ttab", "a\r\nb", "a\rb", "a\nb",
          "]]>&<>\"'", "&amp;", "\x00控制\x01字符\x1f\x0b\x0c", "\x7f\x85\u2028\u2029", "😀中文", "", " ", "0123",
          "1e5", "TRUE", "#REF!", "x" * 40000, "\x01" + "y" * 32767, "<t>", "\u3000全角空格\u3000"]
_NUMBERS = [0, -0.0, 1, -1, 2024, 10 ** 20, 123456789012345678, 0.1 + 0.2, 1e-300, 5e-324, 1e308, math.nan,
            math.inf, -math.inf, Decimal("1.10"), Decimal("-0.005"), True, False, None]


def hostile_results() -> list[dict]:
    """Results whose every text and number is one a writer gets wrong easily."""
    out = []
    for i, text in enumerate(_TEXTS):
        nums = [_NUMBERS[(i + k) % len(_NUMBERS)] for k in range(4)]
        finding = {"table": text, "location": f"公开02表!C{i}", "rule": text[:20], "severity_cn": "错误", "code": text,
                   "name": text, "expected": nums[0], "actual": nums[1], "difference": nums[2], "tolerance": nums[3],
                   "message": text}
        out.append({"file": f"/x/{i}.xlsx", "path": text or f"{i}.xlsx", "status": "未通过", "valid": False,
                    "department": text, "year": nums[0] if i % 2 else 2024, "error": text,
                    "counts": {"error": 1, "warning": 0, "info": 0}, "findings": [finding, dict(finding, sentence=text)]})
    return out


def openpyxl_report(results, path: Path) -> Path:
    """The folder report's xlsx as the openpyxl write-only writer made it (the same sheets, rows and styles)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from juesuan import batch
    from juesuan.util import a1

    wb = Workbook(write_only=True)
    sheets = []
    for title, head, widths in (("按文件汇总", batch._SUMMARY_HEAD, (36, 30, 8, 10, 8, 8, 8, 60, 30, 12, 12, 12)),
                                ("全部问题", batch._FINDINGS_HEAD, (30, 26, 11, 16, 8, 8, 10, 24, 12, 12, 10, 8, 80))):
        ws = wb.create_sheet(title)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[a1.col_letter(i)].width = width
        ws.freeze_panes = "A2"
        fill = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
        _stream_row(ws, head, {"font": Font(bold=True), "fill": fill})
        sheets.append([ws, 1, a1.col_letter(len(head))])
    for r in results:
        _stream_row(sheets[0][0], batch.summary_row(r))
        sheets[0][1] += 1
        for row in batch.finding_rows(r):
            _stream_row(sheets[1][0], row)
            sheets[1][1] += 1
    for ws, rows, last in sheets:
        ws.auto_filter.ref = f"A1:{last}{rows}"
    wb.save(path)
    return path


def _stream_row(ws, values, style: dict | None = None) -> None:
    """render.cells.stream_row as it was: every string cleaned and stored as text."""
    from openpyxl.cell import WriteOnlyCell

    from juesuan.render.cells import clean_text

    cells = []
    for v in values:
        if isinstance(v, str):
            v = clean_text(v)
        if style or (isinstance(v, str) and v.startswith("=")):
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
            for k, attr in (style or {}).items():
                setattr(cell, k, attr)
            cells.append(cell)
        else:
            cells.append(v)
    ws.append(cells)
