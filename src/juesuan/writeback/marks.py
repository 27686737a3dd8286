"""Write check results back into a workbook: cell fills and notes, a status line per table sheet,
and a 校验结果 sheet with links — written once against :class:`Surface`, a small interface that the
openpyxl file writer (:class:`OpenpyxlSurface`) and the xlwings live-workbook writer
(:mod:`juesuan.writeback.xl`) implement.

Re-annotating replaces the old marks instead of stacking them: the original fill and note of every
marked cell, and the original content of every status cell, are kept in a very hidden sheet
(``juesuan_marks``) and restored first. A check with no finding removes every mark.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Protocol

from juesuan.validate.report import LEVELS, ORDER, SEVERITY_WORD, Report, counts_text, severity_note

from juesuan.util.names import RESULTS_SHEET, STATE_SHEET
from juesuan.render import styles
from juesuan.render.cells import put
STATUS_PREFIX = "本表校验："
NOTE_AUTHOR = "juesuan"
COLORS = styles.SEVERITY_COLORS  # red, amber, light blue: the one key (juesuan.render.styles)
STATUS_COLORS = {"error": "C00000", "warning": "9C5700", "info": "1F4E79", "ok": "375623"}
HEADER = ["级别", "规则", "位置", "表", "科目代码", "科目名称", "应为", "实为", "差额", "容差", "说明", "同一单元格还涉及"]


class Surface(Protocol):
    """What the write-back needs from a workbook, file or live."""

    def sheet_names(self) -> list[str]: ...
    def get_value(self, sheet: str, cell: str) -> Any: ...
    def set_value(self, sheet: str, cell: str, value: Any, bold_color: str | None = None) -> None: ...
    def get_fill(self, sheet: str, cell: str) -> Any: ...  # opaque, JSON-serialisable
    def set_fill(self, sheet: str, cell: str, fill: Any) -> None: ...  # a COLORS value or what get_fill gave
    def get_note(self, sheet: str, cell: str) -> str | None: ...
    def set_note(self, sheet: str, cell: str, text: str | None) -> None: ...
    def add_sheet(self, name: str, hidden: bool = False) -> None: ...
    def remove_sheet(self, name: str) -> None: ...
    def write_table(self, sheet: str, rows: list[list[Any]], links: dict[tuple[int, int], str],
                    widths: dict[int, float]) -> None: ...
    def activate(self, sheet: str) -> None: ...


# --------------------------------------------------------------------------------------------------
# Public API


def apply_marks(surface: Surface, report: Report, checked: str | None = None) -> dict[str, int]:
    """Replace the marks of earlier checks by those of ``report``. Returns counts of what was written."""
    ignored = _restore(surface)
    results = _free_name(surface, RESULTS_SHEET)
    if not report.findings and not report.narrative:
        return {"cells": 0, "findings": 0, "ignored": ignored}
    state = {"juesuan": 1, "results": results, "cells": {}, "status": {}}
    # cell marks: one per cell, the most severe finding wins, every finding at the cell in the note
    by_cell: dict[tuple[str, str], list] = {}
    for f in report.findings:
        if f.sheet and f.cell and f.sheet in surface.sheet_names():
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for f in report.findings:  # the other side of a relation between tables: it could be the cause too
        for where in f.also:
            sheet, _, cell = where.rpartition("!")
            if sheet in surface.sheet_names() and f not in by_cell.get((sheet, cell), []):
                by_cell.setdefault((sheet, cell), []).append(f)
    for (sheet, cell), fs in by_cell.items():
        fs.sort(key=lambda f: ORDER[f.severity])
        state["cells"][f"{sheet}!{cell}"] = {"fill": surface.get_fill(sheet, cell), "note": surface.get_note(sheet, cell)}
        surface.set_fill(sheet, cell, COLORS[fs[0].severity])
        note = "\n".join(_note_line(f, (sheet, cell)) for f in fs)
        original = surface.get_note(sheet, cell)
        if original:
            note += "\n——原批注——\n" + original
        surface.set_note(sheet, cell, note)
    # status line on every table sheet
    for number, sheet in report.tables.items():
        if sheet not in surface.sheet_names():
            continue
        fs = [f for f in report.findings if f.table == number
              or any(w.rpartition("!")[0] == sheet for w in f.also)]  # a relation with another table counts in both
        cell = _status_cell(surface, sheet)
        state["status"][sheet] = {"cell": cell, "value": surface.get_value(sheet, cell)}
        counts = _tally(fs)
        worst = fs and min(fs, key=lambda f: ORDER[f.severity]).severity
        text = STATUS_PREFIX + (counts_text(counts, skip_zero=True) if fs else "通过") + "（详见“校验结果”工作表）"
        surface.set_value(sheet, cell, text, bold_color=STATUS_COLORS[worst or "ok"])
    _results_sheet(surface, report, checked, results)
    _save_state(surface, state)
    return {"cells": len(by_cell), "findings": len(report.findings), "ignored": ignored}


def _tally(fs) -> dict[str, int]:
    return {s: sum(1 for f in fs if f.severity == s) for s in LEVELS}


def _note_line(f, at: tuple[str, str] | None = None) -> str:
    parts = [f"{f.rule}［{SEVERITY_WORD[f.severity]}］{f.message}"]
    if at is not None and (f.sheet, f.cell) != at:
        parts.append(f"（与 {f.location} 是同一个问题：两张表的数不一致，两处都可能有误）")
    if f.relations:
        parts.append(f"同一单元格还涉及：{'、'.join(f.relations)}")
    return "\n".join(parts)


def _status_cell(surface: Surface, sheet: str) -> str:
    """Row 2, the first cell that is empty or already holds a status line."""
    for col in "ABCDEFGHIJKL":
        value = surface.get_value(sheet, f"{col}2")
        if value is None or value == "" or (isinstance(value, str) and value.startswith(STATUS_PREFIX)):
            return f"{col}2"
    return "M2"


def _results_sheet(surface: Surface, report: Report, checked: str | None, name: str = RESULTS_SHEET) -> None:
    rows: list[list[Any]] = [
        ["检查结果（juesuan）"],
        ["检查文件", checked or report.file],
        ["检查时间", datetime.now().strftime("%Y-%m-%d %H:%M")],
        ["部门", report.department, "年度", report.year or ""],
        ["分类科目", report.catalog],
        ["合计", counts_text(report.counts)],
        ["级别说明", severity_note()],
    ]
    every = report.findings + (report.narrative or [])  # the 情况说明's findings after the tables'
    for number in sorted({f.table for f in every}):
        fs = [f for f in every if f.table == number]
        rows.append([number or "整个工作簿", counts_text(_tally(fs), skip_zero=True)])
    rows.append([])
    rows.append(list(HEADER))
    links = {}
    for f in every:
        if f.sheet and f.cell:
            links[(len(rows) + 1, 3)] = f"'{f.sheet}'!{f.cell}"
        text = f.message + (f"（原文：{f.sentence}）" if f.sentence else "")
        rows.append([SEVERITY_WORD[f.severity], f.rule, f.location, f.table, f.code, f.name,
                     _num(f.expected), _num(f.actual), _num(f.difference), _num(f.tolerance), text,
                     "、".join(f.relations)])
    surface.add_sheet(name)
    surface.write_table(name, rows, links,
                        {1: 12, 2: 8, 3: 16, 4: 10, 5: 10, 6: 26, 7: 11, 8: 11, 9: 10, 10: 8, 11: 70, 12: 24})
    surface.activate(name)


def _num(value):
    return None if value is None else float(value)


def _free_name(surface: Surface, name: str) -> str:
    """``name``, or ``name（juesuan）`` when the user has a sheet of that name juesuan did not make."""
    return name if name not in surface.sheet_names() else f"{name}（juesuan）"


_A1 = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")


def _restore(surface: Surface) -> int:
    """Undo the marks of an earlier check (as recorded in the state sheet). Entries of the state that
    do not parse (a damaged or crafted sheet) are ignored; returns how many. Only sheets juesuan
    recorded as its own are removed."""
    state, ignored = _load_state(surface)
    if state is None:
        return ignored
    names = surface.sheet_names()
    for where, orig in _items(state.get("cells")):
        sheet, _, cell = str(where).rpartition("!")
        if sheet in names and _A1.fullmatch(cell) and isinstance(orig, dict) and _fill_ok(orig.get("fill")) \
                and isinstance(orig.get("note"), (str, type(None))):
            surface.set_fill(sheet, cell, orig.get("fill"))
            surface.set_note(sheet, cell, orig.get("note"))
        else:
            ignored += 1
    for sheet, orig in _items(state.get("status")):
        if sheet in names and isinstance(orig, dict) and _A1.fullmatch(str(orig.get("cell", ""))) \
                and isinstance(orig.get("value"), (str, int, float, type(None))):
            surface.set_value(sheet, orig["cell"], orig.get("value"))
        else:
            ignored += 1
    results = state.get("results", RESULTS_SHEET)
    for name in (results if results in (RESULTS_SHEET, f"{RESULTS_SHEET}（juesuan）") else RESULTS_SHEET, STATE_SHEET):
        if name in surface.sheet_names():
            surface.remove_sheet(name)
    return ignored


def _items(value) -> list:
    return list(value.items()) if isinstance(value, dict) else []


def _fill_ok(fill) -> bool:
    if fill is None or isinstance(fill, str):
        return True
    if isinstance(fill, list):  # xlwings: an RGB triple
        return len(fill) == 3 and all(isinstance(x, int) and 0 <= x <= 255 for x in fill)
    if not isinstance(fill, dict) or not isinstance(fill.get("type"), (str, type(None))):
        return False
    return all(c is None or (isinstance(c, dict) and set(c) <= {"rgb", "theme", "tint", "indexed"})
               for c in (fill.get("fg"), fill.get("bg")))


def _load_state(surface: Surface) -> tuple[dict | None, int]:
    """The state of an earlier check, or None when there is none juesuan can trust; and 1 when a state
    sheet was there but did not parse (it is then left alone, and reported)."""
    if STATE_SHEET not in surface.sheet_names():
        return None, 0
    chunks = []
    for r in range(1, 10000):
        v = surface.get_value(STATE_SHEET, f"A{r}")
        if v in (None, ""):
            break
        chunks.append(str(v))
    try:
        state = json.loads("".join(chunks))
    except ValueError:
        state = None
    if not isinstance(state, dict):
        return None, 1
    return state, 0


def _save_state(surface: Surface, state: dict) -> None:
    text = json.dumps(state, ensure_ascii=False)
    surface.add_sheet(STATE_SHEET, hidden=True)
    size = 30000  # under Excel's 32,767 characters a cell
    for i in range(0, max(len(text), 1), size):
        surface.set_value(STATE_SHEET, f"A{i // size + 1}", text[i:i + size])


# --------------------------------------------------------------------------------------------------
# The openpyxl file writer


class OpenpyxlSurface:
    """A workbook file opened with openpyxl (which keeps values, formulas, merges, validations,
    protection and print settings on save)."""

    def __init__(self, wb):
        self.wb = wb

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def _cell(self, sheet, cell):
        """The cell, or the top-left cell of the merged range it lies in (the one that holds value,
        fill and note)."""
        ws = self.wb[sheet]
        c = ws[cell]
        if type(c).__name__ == "MergedCell":
            for rng in ws.merged_cells.ranges:
                if c.coordinate in rng:
                    return ws.cell(row=rng.min_row, column=rng.min_col)
        return c

    def get_value(self, sheet, cell):
        return self._cell(sheet, cell).value

    def set_value(self, sheet, cell, value, bold_color=None):
        from openpyxl.styles import Font

        c = self._cell(sheet, cell)
        put(c, value)
        if bold_color:
            c.font = Font(name=c.font.name or "宋体", size=c.font.sz or 10, bold=True, color="FF" + bold_color)

    def get_fill(self, sheet, cell):
        fill = self._cell(sheet, cell).fill
        return {"type": fill.fill_type, "fg": _color(fill.fgColor), "bg": _color(fill.bgColor)}

    def set_fill(self, sheet, cell, fill):
        from openpyxl.styles import PatternFill

        c = self._cell(sheet, cell)
        if isinstance(fill, str):
            c.fill = PatternFill(fill_type="solid", start_color="FF" + fill, end_color="FF" + fill)
        elif fill is None or fill.get("type") is None:
            c.fill = PatternFill(fill_type=None)
        else:
            c.fill = PatternFill(fill_type=fill["type"], fgColor=_uncolor(fill["fg"]), bgColor=_uncolor(fill["bg"]))

    def get_note(self, sheet, cell):
        comment = self._cell(sheet, cell).comment
        return comment.text if comment is not None else None

    def set_note(self, sheet, cell, text):
        from openpyxl.comments import Comment

        c = self._cell(sheet, cell)
        if text is None:
            c.comment = None
        else:
            comment = Comment(text, NOTE_AUTHOR)
            comment.width, comment.height = 360, 160
            c.comment = comment

    def add_sheet(self, name, hidden=False):
        if name in self.wb.sheetnames:
            del self.wb[name]
        ws = self.wb.create_sheet(name)
        if hidden:
            ws.sheet_state = "veryHidden"

    def remove_sheet(self, name):
        del self.wb[name]

    def write_table(self, sheet, rows, links, widths):
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        ws = self.wb[sheet]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                put(ws.cell(row=r, column=c), value)
        from openpyxl.worksheet.hyperlink import Hyperlink

        for (r, c), target in links.items():
            cell = ws.cell(row=r, column=c)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target, display=str(cell.value))
            cell.font = Font(color="FF0563C1", underline="single")
        for c, w in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = w
        ws["A1"].font = Font(bold=True, size=14)
        header_row = next((i for i, row in enumerate(rows, start=1) if row[:2] == HEADER[:2]), None)
        if header_row:
            for c in range(1, len(HEADER) + 1):
                ws.cell(row=header_row, column=c).font = Font(bold=True)
            ws.freeze_panes = f"A{header_row + 1}"
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(HEADER))}{len(rows)}"
            ws.print_title_rows = f"{header_row}:{header_row}"
        print_setup(ws)

    def activate(self, sheet):
        self.wb.active = self.wb.sheetnames.index(sheet)
        for ws in self.wb.worksheets:
            ws.sheet_view.tabSelected = ws.title == sheet


def print_setup(ws) -> None:
    """The 校验结果 sheet on paper: landscape A4, one page wide, the message columns wrapped."""
    from openpyxl.styles import Alignment

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    for row in ws.iter_rows(min_col=11, max_col=12):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")


def _color(color) -> dict | None:
    if color is None:
        return None
    if color.type == "rgb":
        return {"rgb": color.rgb}
    if color.type == "theme":
        return {"theme": color.theme, "tint": color.tint}
    if color.type == "indexed":
        return {"indexed": color.indexed}
    return None


def _uncolor(data):
    from openpyxl.styles.colors import Color

    if not data:
        return Color()
    if "rgb" in data:
        return Color(rgb=data["rgb"])
    if "theme" in data:
        return Color(theme=data["theme"], tint=data.get("tint", 0.0))
    return Color(indexed=data["indexed"])


def annotate_file(src, dst, report: Report, force: bool = False, backup: bool = True):
    """Write an annotated copy of ``src`` to ``dst`` (``src`` is never modified): the original package
    plus the marks (:mod:`juesuan.writeback.package`), or, for a package that writer cannot change
    safely, an openpyxl copy (``not_kept`` then says what it lost)."""
    from pathlib import Path

    from juesuan.errors import InputError
    from juesuan.util.atomic import save_package

    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise InputError(f"标注副本不能覆盖被检查的文件「{src}」：请用另一个文件名。")
    built = _in_package(src, report)
    if isinstance(built, tuple):
        counts, data = built
        save_package(data, dst, force=force, backup=backup)
        counts.update(not_kept=[], writer="package")
        return counts
    counts = _with_openpyxl(src, dst, report, force, backup)
    counts.update(not_kept=not_kept(src), writer="openpyxl", fallback=built)
    return counts


def _in_package(src, report: Report):
    """(counts, the annotated package's bytes); or why the package writer could not do it."""
    from juesuan.writeback.package import PackageSurface

    surface = None
    try:
        surface = PackageSurface(src, HEADER)
        counts = apply_marks(surface, report, checked=str(src))
        return counts, surface.build()
    except Exception as exc:  # Unsupported, or anything unforeseen: the openpyxl copy is the safe way
        return f"{type(exc).__name__}: {exc}"
    finally:
        if surface is not None:
            surface.close()


def _with_openpyxl(src, dst, report: Report, force: bool, backup: bool) -> dict:
    import openpyxl

    from juesuan.errors import InputError
    from juesuan.util.atomic import save_workbook

    try:
        wb = openpyxl.load_workbook(src)
    except Exception as exc:
        raise InputError(f"无法打开「{src}」写入标注：{exc}") from None
    counts = apply_marks(OpenpyxlSurface(wb), report, checked=str(src))
    save_workbook(wb, dst, force=force, backup=backup)
    return counts


def not_kept(src) -> list[str]:
    """What an openpyxl copy of ``src`` cannot keep, in the user's words (the original keeps it all)."""
    import zipfile

    try:
        with zipfile.ZipFile(src) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        return []
    out = []
    if any(n.startswith(("xl/media/", "xl/drawings/")) for n in names):
        out.append("图片和形状")
    if any(n.startswith("xl/charts/") for n in names):
        out.append("图表")
    if any(n.startswith("xl/pivot") for n in names):
        out.append("数据透视表")
    if "xl/vbaProject.bin" in names:
        out.append("宏")
    if any(n.startswith("xl/threadedComments/") for n in names):
        out.append("新版批注（批注会话）")
    if _has_cached_results(src, names):
        out.append("公式的计算结果（在 Excel/WPS 中打开后会重新计算）")
    return out


def _has_cached_results(src, names: list[str]) -> bool:
    import zipfile

    from juesuan.errors import InputError
    from juesuan.read.xlsx import open_checked, read_part

    try:
        with open_checked(src) as z:
            return any(re.search(rb"</f>\s*<v>[^<]", read_part(z, n, src))
                       for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (InputError, OSError, zipfile.BadZipFile):
        return False
