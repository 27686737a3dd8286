"""Cell styles, number formats and data validations of the generated workbook."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
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
