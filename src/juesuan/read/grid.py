"""A sheet as a grid of cells to be read by meaning: merged ranges, header words above a column, the
region a table occupies on its sheet.

Nothing here knows juesuan's own template: a header is whatever text stands above a column (a merged
cell counts for every column it spans), a region is the rows from a table's title to the next title on
the same sheet.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field

from juesuan.read.xlsx import Sheet
from juesuan.util.text import norm

MAX_MERGE_CELLS = 200_000  # merged cells expanded per sheet; a crafted giant merge is clipped
_UNIT_IN_HEADER = re.compile(r"[(（](?:单位[:：]?)?(万元|千元|元)[)）]$")
_INT_RE = re.compile(r"\d{1,2}")
_TAG_WORD = re.compile(r"公开\d{1,2}表")  # a 表号 above the header is furniture, not a column's word
_YEAR_WORD = re.compile(r"20\d{2}年度?(决算)?")


def merge_map(sheet: Sheet) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, col) of every cell inside a merged range → (row, col) of the range's top-left cell (1-based)."""
    cached = sheet.__dict__.get("_merge_map")
    if cached is not None:
        return cached
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for (r0, c0), (r1, c1) in sheet.merged:
        r1, c1 = min(r1, sheet.max_row), min(c1, sheet.max_col)
        if (r1 - r0 + 1) * (c1 - c0 + 1) + len(out) > MAX_MERGE_CELLS:
            continue
        for r in range(r0 + 1, r1 + 2):
            for c in range(c0 + 1, c1 + 2):
                if (r, c) != (r0 + 1, c0 + 1):
                    out[(r, c)] = (r0 + 1, c0 + 1)
    sheet.__dict__["_merge_map"] = out
    return out


def shown(sheet: Sheet, r: int, c: int):
    """The value a reader sees at (r, c): a cell inside a merged range shows the range's value."""
    v = sheet.value(r, c)
    if v is None:
        top = merge_map(sheet).get((r, c))
        if top is not None:
            return sheet.value(*top)
    return v


def _cell_text(v) -> str:
    kind = type(v)  # the exact types first: what a sheet nearly always holds
    if kind is str:
        return norm(v)
    if kind is float:
        return str(int(v)) if v.is_integer() else repr(v)
    if kind is int:
        return str(v)
    if isinstance(v, float) and not isinstance(v, bool):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return norm(v)


def header_word(value) -> tuple[str, str | None]:
    if isinstance(value, str):
        return _header_word(value)
    if value is None:
        return _NO_WORD
    return _header_word_uncached(value)


_NO_WORD = ("", None)


@lru_cache(maxsize=1 << 14)
def _header_word(value: str) -> tuple[str, str | None]:
    return _header_word_uncached(value)


def _header_word_uncached(value) -> tuple[str, str | None]:
    """A header cell as a matching word and the unit it names: ``金额（万元）`` → (``金额``, ``万元``)."""
    t = norm(value)
    m = _UNIT_IN_HEADER.search(t)
    if m:
        return t[: m.start()], m.group(1)
    return t, None


def is_small_int(value) -> int | None:
    """A 栏次 / 行次 number (1–99) written as a number or as text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and float(value).is_integer() and 0 < value < 100:
        return int(value)
    if isinstance(value, str):
        return _small_int_text(value)
    return _small_int_text(norm(value))


@lru_cache(maxsize=1 << 14)
def _small_int_text(value: str) -> int | None:
    t = norm(value)
    return int(t) if _INT_RE.fullmatch(t) and int(t) > 0 else None


@dataclass
class Region:
    """The rows of one sheet that hold one table: from its title (or the sheet's top) to the row before
    the next table's title on the same sheet."""

    sheet: Sheet
    top: int
    bottom: int
    how: str  # how the table was found: 表号 / 标题 / 工作表名
    anchor: str = ""  # the text it was found by
    notes: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return self.sheet.max_col

    def rows(self, start: int | None = None):
        return range(max(start or self.top, self.top), self.bottom + 1)

    def texts(self, r: int) -> list[tuple[int, str]]:
        """(col, normalised text) of every non-empty cell of row ``r`` (merged cells once, at their start)."""
        cache = self.sheet.__dict__.setdefault("_row_texts", {})
        out = cache.get(r)
        if out is None:
            width = self.width
            out = cache[r] = [(c, _cell_text(v)) for c, v in self.sheet.row_values(r) if c <= width]
        return out

    def first_text(self, r: int) -> tuple[int, str] | None:
        """``texts(r)[0]`` (None for an empty row), without making the texts of the whole row."""
        cached = self.sheet.__dict__.get("_row_texts", {}).get(r)
        if cached is not None:
            return cached[0] if cached else None
        for c, v in self.sheet.row_values(r):  # left to right: the first is the only candidate
            return (c, _cell_text(v)) if c <= self.width else None
        return None

    def column_words(self, c: int, rows) -> list[str]:
        """The header words above column ``c`` in ``rows``, top to bottom, merged cells included, 栏次
        numbers left out."""
        words = []
        value, merges = self.sheet.value, merge_map(self.sheet)
        for r in rows:
            v = value(r, c)
            if v is None:  # as shown(): a cell inside a merged range shows the range's value
                top = merges.get((r, c))
                if top is None or (v := value(*top)) is None:
                    continue
            w = _column_word_text(v) if isinstance(v, str) else _column_word(v)
            if w and w not in words:
                words.append(w)
        return words


def _column_word(v) -> str:
    """A header cell as a column's word ("" for a 栏次 number or page furniture above the header:
    部门名称：…, 单位：万元, 2024 年度)."""
    if is_small_int(v) is not None:
        return ""
    w, _ = header_word(v)
    if ":" in w or _YEAR_WORD.fullmatch(w) or _TAG_WORD.fullmatch(w):
        return ""
    return w


_column_word_text = lru_cache(maxsize=1 << 14)(_column_word)  # the same header texts on every sheet


def cell_name(r: int, c: int) -> str:
    from juesuan.util.a1 import col_letter

    return f"{col_letter(c)}{r}"
