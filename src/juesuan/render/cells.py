"""Writing a value into an openpyxl cell safely: the user's text is data, never a formula.

openpyxl turns any string beginning with ``=`` into a formula, and refuses control characters.
Every cell juesuan fills with text that came from a user's file or data file (department, 科目名称,
codes, sheet and file names, messages quoting cells) goes through :func:`put`.
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

EXCEL_TEXT_LIMIT = 32767  # characters a cell holds
# what XML 1.0 cannot hold: control characters (openpyxl's list) and U+FFFE, U+FFFF (a file holding them
# is not well-formed: Excel and openpyxl refuse to open it)
_NOT_XML = re.compile(ILLEGAL_CHARACTERS_RE.pattern + "|[\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate: an undecodable byte of a file name


def clean_text(text: str) -> str:
    """``text`` as a workbook can hold it: without control characters, U+FFFE and U+FFFF, each lone
    surrogate shown as U+FFFD (the name stays recognisable), cut to Excel's cell limit."""
    text = _NOT_XML.sub("", text)
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    return text[:EXCEL_TEXT_LIMIT]


def put(cell, value) -> None:
    """Set ``cell`` to ``value``; a string is always stored as text, whatever it begins with."""
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
    else:
        cell.value = value


def append_row(ws, values) -> None:
    """``ws.append(values)`` with every string stored as text (and cleaned as :func:`put` cleans it)."""
    values = [clean_text(v) if isinstance(v, str) else v for v in values]
    ws.append(values)
    for i, v in enumerate(values, start=1):
        if isinstance(v, str) and v.startswith("="):
            ws.cell(row=ws.max_row, column=i).data_type = "s"
