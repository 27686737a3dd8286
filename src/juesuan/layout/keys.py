"""Logical cells: what relations, formulas and findings refer to, whatever the sheet looks like."""

from __future__ import annotations

from typing import NamedTuple, Union


class CellKey(NamedTuple):
    """A logical cell: table id, row key and 栏次 (a NamedTuple: hashing it is cheap).

    Row keys by table kind: paired → 行次 (int); coded → row index (0 = 合计, 1… = code rows);
    economic → the 经济分类 code or the total's name (col None); single → 0.
    """

    table: str
    row: Union[int, str]
    col: Union[int, None]


class Lookup(NamedTuple):
    """The sum of the rows of a coded table whose code equals ``code`` (0 when there is none)."""

    table: str
    code: str
    col: int


Term = tuple[int, Union[CellKey, Lookup]]  # (sign, target)


