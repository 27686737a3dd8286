"""科目代码: the 3/5/7-digit rule of 支出功能分类 codes (类 3, 款 5, 项 7 digits), written once."""

from __future__ import annotations

import re

LEVELS = {3: "类", 5: "款", 7: "项"}
ITEM_RE = re.compile(r"\d{7}")  # a 项 code


def is_code(code: object) -> bool:
    """A well-formed functional code: 3, 5 or 7 digits (类, 款, 项)."""
    return isinstance(code, str) and code.isdigit() and len(code) in LEVELS


def level(code: str) -> str:
    """类 / 款 / 项 for a well-formed code, else ''."""
    return LEVELS.get(len(code), "") if code.isdigit() else ""


def parent(code: str) -> str:
    """The code of the 类 or 款 a 款 or 项 belongs to (``2080501`` → ``20805``)."""
    return code[: len(code) - 2]
