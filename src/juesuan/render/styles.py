"""Cell styles, number formats and data validations of the generated workbook."""

from __future__ import annotations

from copy import copy

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.worksheet.datavalidation import DataValidation

AMOUNT_FORMAT = "#,##0.00"
CODE_FORMAT = "@"

FONT_NAME = "宋体"
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
BODY_FONT = Font(name=FONT_NAME, size=10)
NOTE_FONT = Font(name=FONT_NAME, size=9)

_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)

CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
CENTER_NOWRAP = Alignment(horizontal="center", vertical="center")
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
NOTE_ALIGN = Alignment(horizontal="left", vertical="top", wrap_text=True)

# Input cells are tinted on screen; the sheets print in black and white, so the tint never prints.
INPUT_FILL = PatternFill(fill_type="solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
UNLOCKED = Protection(locked=False)

# What a colour means, everywhere (the annotated copy, the live 校验 sheet, the README's key):
# 错误 red, 警告 amber, 提示 light blue.
SEVERITY_COLORS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}


def severity_fill(severity: str) -> PatternFill:
    color = "FF" + SEVERITY_COLORS[severity]
    return PatternFill(fill_type="solid", start_color=color, end_color=color)
LOCKED = Protection(locked=True)

AMOUNT_LIMIT = "1000000000000"  # 1 万亿 万元: far above any department, below float trouble


def amount_validation() -> DataValidation:
    """The data validation of input amount cells: a decimal number, with a Chinese message."""
    return DataValidation(
        type="decimal",
        operator="between",
        formula1="-" + AMOUNT_LIMIT,
        formula2=AMOUNT_LIMIT,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        errorTitle="金额格式不正确",
        error="请输入数字金额（单位：万元，保留两位小数），例如 1234.56。不要输入文字、单位或千分位逗号。",
        promptTitle="金额（万元）",
        prompt="填写本单元格金额，单位：万元，保留两位小数。",
    )


# The kinds of table cell, each one named style: a cell takes its kind by name, one assignment, instead
# of resolving font, alignment, format, fill, protection and border one by one (openpyxl hashes each
# style object again on every assignment). The names show in Excel's 单元格样式 list.
AMOUNT_INPUT = "决算·金额·填报"  # unlocked, tinted
AMOUNT_LOCKED = "决算·金额·公式"  # a formula, or a structural blank
AMOUNT_GIVEN = "决算·金额·给定"  # a value typed where the layout has a blank: unlocked, not tinted
TEXT = "决算·文字"
TEXT_CENTER = "决算·文字·居中"
CODE = "决算·科目编码"
HEADER = "决算·表头"
GRID = "决算·表格线"  # an empty cell of the table: its border only


def _table_styles() -> dict[str, dict]:
    amount = dict(font=BODY_FONT, alignment=RIGHT, number_format=AMOUNT_FORMAT, border=BORDER)
    return {
        AMOUNT_INPUT: dict(amount, fill=INPUT_FILL, protection=UNLOCKED),
        AMOUNT_LOCKED: dict(amount, protection=LOCKED),
        AMOUNT_GIVEN: dict(amount, protection=UNLOCKED),
        TEXT: dict(font=BODY_FONT, alignment=LEFT, border=BORDER),
        TEXT_CENTER: dict(font=BODY_FONT, alignment=CENTER, border=BORDER),
        CODE: dict(font=BODY_FONT, alignment=LEFT, number_format=CODE_FORMAT, border=BORDER),
        HEADER: dict(font=HEADER_FONT, alignment=CENTER, border=BORDER),
        GRID: dict(font=DEFAULT_FONT, border=BORDER),
    }


def add_table_styles(wb) -> None:
    """Register the table cells' named styles in ``wb`` (once, before any cell takes one). Their fonts,
    borders … are shared by every workbook, not copied for each: openpyxl's style objects cannot be
    changed in place (a cell's ``font`` is an immutable proxy), a style is only ever replaced."""
    for name, parts in _table_styles().items():
        wb.add_named_style(NamedStyle(name=name, **parts))


class CellKinds:
    """The style of each kind of cell of one sheet, resolved once: a cell then takes its kind's style by
    one copy of a small array, instead of openpyxl hashing and looking up each of its font, border,
    fill, protection and format again. Each kind is given as ``font=…, border=…`` attributes, or is
    a named style of the workbook (:meth:`named`)."""

    def __init__(self, ws=None, **kinds: dict):
        self._arrays = {}
        for kind, parts in kinds.items():
            proto = Cell(ws)  # not in the sheet: it only registers the parts in the workbook's lists
            for attr, value in parts.items():
                setattr(proto, attr, value)
            self._arrays[kind] = proto._style

    @classmethod
    def named(cls, wb, names) -> "CellKinds":
        """The kinds of ``wb``'s named styles ``names``: a cell of one is as ``cell.style = name``."""
        kinds = cls()
        kinds._arrays = {name: wb._named_styles[name].as_tuple() for name in names}
        return kinds

    def style(self, kind: str):
        """The style array of ``kind``, shared (never changed): for
        :meth:`juesuan.render.deferred.DeferredSheet.put_cell`."""
        return self._arrays[kind]

    def apply(self, cell, kind: str) -> None:
        cell._style = copy(self._arrays[kind])


def table_kinds(wb) -> CellKinds:
    """The table cells' kinds: their named styles (registered by :func:`add_table_styles`)."""
    return CellKinds.named(wb, _table_styles())
