"""The Excel add-in side (optional extra ``pip install 'juesuan[xlwings]'``).

``check_caller()`` runs from an Excel macro (xlwings ``RunPython``): it saves a *copy* of the open
workbook to a temporary file (the open workbook is neither saved nor closed), checks the copy, and
writes the same marks and 校验结果 sheet as ``juesuan check --annotate`` into the open workbook through
:class:`XlwingsSurface` — the live-workbook implementation of :class:`juesuan.writeback.Surface`.

xlwings drives Excel on Windows and macOS; it does not support WPS. WPS users have the 校验 sheet of
the template (it checks itself) and ``juesuan check``.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from juesuan.writeback.marks import apply_marks

VBA_MODULE = '''Attribute VB_Name = "juesuan"
' juesuan：检查当前工作簿（部门决算公开 公开01表–公开09表），结果写回本工作簿。
' 需要 xlwings 加载项（命令行执行：xlwings addin install）。
Sub JuesuanCheck()
    RunPython "import juesuan.writeback.xl; juesuan.writeback.xl.check_caller()"
End Sub
'''


def _as_text(value):
    """A string Excel must keep as text: a leading apostrophe stops =, +, - and @ making a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _hex_to_rgb(hexcolor: str) -> tuple[int, int, int]:
    return int(hexcolor[0:2], 16), int(hexcolor[2:4], 16), int(hexcolor[4:6], 16)


class XlwingsSurface:
    """An open workbook in Excel, through xlwings (``book`` is an ``xlwings.Book``)."""

    def __init__(self, book):
        self.book = book

    def _range(self, sheet, cell):
        return self.book.sheets[sheet].range(cell)

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def get_value(self, sheet, cell):
        return self._range(sheet, cell).value

    def set_value(self, sheet, cell, value, bold_color=None):
        rng = self._range(sheet, cell)
        rng.value = _as_text(value)
        if bold_color:
            rng.font.bold = True
            rng.font.color = _hex_to_rgb(bold_color)

    def get_fill(self, sheet, cell):
        color = self._range(sheet, cell).color
        return None if color is None else list(color)

    def set_fill(self, sheet, cell, fill):
        rng = self._range(sheet, cell)
        if isinstance(fill, str):
            rng.color = _hex_to_rgb(fill)
        else:
            rng.color = None if fill is None else tuple(fill)

    def get_note(self, sheet, cell):
        note = self._range(sheet, cell).note
        return None if note is None else note.text

    def set_note(self, sheet, cell, text):
        rng = self._range(sheet, cell)
        if rng.note is not None:
            rng.note.delete()
        if text is not None:
            rng.api.AddComment(text)  # Excel's own call: xlwings has no method that creates a note

    def add_sheet(self, name, hidden=False):
        if name in self.sheet_names():
            self.book.sheets[name].delete()
        sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        if hidden:
            sheet.visible = False

    def remove_sheet(self, name):
        self.book.sheets[name].delete()

    def write_table(self, sheet, rows, links, widths):
        ws = self.book.sheets[sheet]
        width = max((len(r) for r in rows), default=1)
        ws.range("A1").value = [[_as_text(v) for v in r] + [None] * (width - len(r)) for r in rows]
        for (r, c), target in links.items():
            rng = ws.range((r, c))
            rng.add_hyperlink(f"#{target}", text_to_display=str(rng.value))
        ws.range("A1").font.bold = True

    def activate(self, sheet):
        self.book.sheets[sheet].activate()


def check_book(book) -> Any:
    """Check an open workbook and write the marks into it; returns the report."""
    from juesuan.validate.engine import check

    with tempfile.TemporaryDirectory(prefix="juesuan-xl-") as tmp:
        copy = Path(tmp) / "copy.xlsx"
        book.api.SaveCopyAs(str(copy))  # the open workbook keeps its name, path and saved state
        report = check(copy)
    report.file = book.fullname
    with unprotected(book, [s for s in report.tables.values()]):
        apply_marks(XlwingsSurface(book), report, checked=book.fullname)
    return report


@contextmanager
def unprotected(book, names):
    """juesuan's sheets are protected (no password): Excel refuses fills, notes and values on them
    through COM. Unprotect each protected sheet for the marks and protect it again, as it was, after —
    also when writing fails. A sheet protected with a password is refused with a Chinese message."""
    from juesuan.errors import InputError

    done = []
    try:
        for name in names:
            if name not in [s.name for s in book.sheets]:
                continue
            api = book.sheets[name].api
            if not api.ProtectContents:
                continue
            allow = (api.Protection.AllowFormattingColumns, api.Protection.AllowFormattingRows)
            try:
                api.Unprotect("")
            except Exception:
                raise InputError(f"工作表「{name}」设置了保护密码，无法写入检查结果：请先“审阅 → 撤销工作表保护”"
                                 "（输入密码）后再检查。") from None
            done.append((api, allow))
        yield
    finally:
        for api, (cols, rows) in done:
            api.Protect("", AllowFormattingColumns=cols, AllowFormattingRows=rows)


def check_caller() -> None:
    """Entry point for the Excel macro (``RunPython``): check the workbook that called it."""
    import xlwings as xw

    from juesuan.errors import JuesuanError

    book = xw.Book.caller()
    try:
        report = check_book(book)
    except JuesuanError as exc:
        book.app.alert(str(exc), title="juesuan")
        return
    from juesuan.validate.report import counts_text

    book.app.alert(f"检查完成：{counts_text(report.counts)}。详见“校验结果”工作表。", title="juesuan")


def write_vba_module(folder: str | os.PathLike, force: bool = False) -> Path:
    """Write ``juesuan.bas``, the VBA module with the JuesuanCheck macro, into ``folder``."""
    from juesuan.util.atomic import atomic_write

    data = VBA_MODULE.replace("\n", "\r\n").encode("gbk")  # the VBA editor reads the ANSI code page
    return atomic_write(Path(folder) / "juesuan.bas", lambda fh: fh.write(data), force=force)


__all__ = ["XlwingsSurface", "check_book", "check_caller", "write_vba_module"]
