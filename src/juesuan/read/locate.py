"""Find the 公开 tables in a user's workbook and where each of their cells is — by meaning.

Tables are found by 表号, title (with its variants, prefixes and a 表号 in brackets) or sheet name
(:mod:`.anchors`); several may share a sheet. Within a table's region, columns are found by the
header words above them, then by 栏次 (:mod:`.columns`); rows of 01/04 by label (行次 only where a row
has no label), code rows by a code column or by 类|款|项 columns, 06 in any number of blocks or as
one list. Each table's unit is read from its 单位 line. What was read, from where, and what was left
aside is kept per table (:class:`Reading`) for the report; what could not be read is a
:class:`Problem` and makes the table *unreadable*: rules that need it are not evaluated.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from juesuan.catalog import Catalog
from juesuan.layout.keys import CellKey
from juesuan.layout.tables import TOTAL_ROW, CodedTable, CodeRow, EconomicTable, PairedTable, SingleTable, TableLayout, new_table
from juesuan.layout.workbook import WorkbookLayout
from juesuan.model.profile import Profile, ReadingWords, TableSpec
from juesuan.read.anchors import candidate_regions
from juesuan.read.columns import ColumnMatch, match_columns, unit_of_header
from juesuan.read.grid import Region, cell_name, header_word, is_small_int, merge_map, shown
from juesuan.read.xlsx import Sheet, Workbook
from juesuan.util.a1 import col_letter
from juesuan.util.text import code_text, norm

_UNIT_RE = re.compile(r"单位[:：]?(万元|千元|元)")
_ANY_UNIT_RE = re.compile(r"单位[:：]\s*([^\s,，;；]{1,8})$")  # a unit line naming a unit we do not know
_YEAR_RE = re.compile(r"(20\d{2})年")
_ORDINAL_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．])")
_CODE_RE = re.compile(r"\d{3}(?:\d{2}){0,2}")
HEAD_ROWS = 12  # how far below a title the header of a table may start


class Problem(NamedTuple):
    """Something the locator could not read in a found table: a message of the check ``table_structure``
    (``schemas/checks.yaml``) with its parameters, at a cell (A1) or the whole table ("")."""

    table: str
    cell: str
    message: str
    params: dict


@dataclass
class Reading:
    """How one table was read: for the report's reading summary."""

    table: str  # 表号
    sheet: str
    cells: str = ""  # A1 range of the region
    found_by: str = ""  # 表号 / 标题 / 工作表名, and the text
    unit: str = ""  # 万元 / 元 / 千元, or "" when the table does not say
    unit_from: str = ""  # where the unit was read (a cell), "" when assumed
    unit_text: str = ""  # a 单位 line naming a unit juesuan does not know (亿美元)
    columns: dict[str, str] = field(default_factory=dict)  # "栏1" → "C（本年收入合计，按表头）"
    rows: int = 0
    rows_unit: str = "行"  # 01/04 count 行次 (two sides share a sheet row)
    row_span: str = ""  # a PDF (no cell addresses): the first and last row read, by code/行次 and label
    ignored: list[str] = field(default_factory=list)  # "A5 序号：不是本表的栏"
    notes: list[str] = field(default_factory=list)  # the table's own 注/说明 texts
    fatal: bool = False  # the table could not be read: rules that need it are not evaluated

    def as_dict(self) -> dict:
        return {"table": self.table, "sheet": self.sheet, "cells": self.cells, "found_by": self.found_by,
                "unit": self.unit or (f"无法识别（{self.unit_text}）" if self.unit_text else "未标明"), "unit_from": self.unit_from, "columns": dict(self.columns),
                "rows": self.rows, "rows_unit": self.rows_unit, "ignored": list(self.ignored), "readable": not self.fatal,
                **({"row_span": self.row_span} if self.row_span else {})}


@dataclass
class Located:
    """The layout read from a workbook, and what could not be placed."""

    layout: WorkbookLayout
    sheets: dict[str, Sheet]  # table id → sheet
    missing: list[TableSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    department: str = ""
    readings: dict[str, Reading] = field(default_factory=dict)  # table id → how it was read
    looked_in: list[str] = field(default_factory=list)  # every sheet searched, for messages

    @property
    def readable(self) -> dict[str, Sheet]:
        """The tables found and read: only these are checked (the rest are not evaluated)."""
        cached = self.__dict__.get("_readable")
        if cached is None or cached[0] != len(self.sheets):
            bad = self.unreadable
            cached = self.__dict__["_readable"] = (len(self.sheets), {t: s for t, s in self.sheets.items() if t not in bad})
        return cached[1]

    @property
    def unreadable(self) -> set[str]:
        return {tid for tid, r in self.readings.items() if r.fatal}

    def score(self) -> tuple:
        """How well this reading went: more tables read, fewer problems."""
        read = sum(1 for tid in self.sheets if tid not in self.unreadable)
        cells = sum(len(t.positions or ()) for t in self.layout.tables.values())
        return read, -len(self.problems), cells


class _Reader:
    """One table being read from one region."""

    def __init__(self, tl: TableLayout, region: Region, profile: Profile):
        self.tl, self.spec, self.region, self.profile = tl, tl.spec, region, profile
        self.words: ReadingWords = profile.reading
        self.problems: list[Problem] = []
        sheet = region.sheet
        self.reading = Reading(self.spec.number, sheet.name, found_by=f"{region.how}「{region.anchor}」")
        self.last_row = region.top
        self.pdf = bool(sheet.pages)  # a table read from a PDF: no column letters, no cell addresses
        self._note_re = re.compile("(?:" + "|".join(map(re.escape, self.words.notes)) + r")\d*[:.、]")
        tl.positions = {}

    def problem(self, message: str, cell: str = "", fatal: bool = True, **params) -> None:
        self.problems.append(Problem(self.spec.id, cell, message, params))
        if fatal:
            self.reading.fatal = True

    def put(self, key: CellKey, r: int, c: int) -> None:
        self.tl.positions[key] = (r, col_letter(c))
        if r > self.last_row:
            self.last_row = r

    def is_note(self, r: int) -> bool:
        """A row whose first text is a 注/说明 (in any column: a 序号 column pushes it right), or says the
        table has no data."""
        first = self.region.first_text(r)
        if first is None:
            return False
        t = first[1]  # normalised: “：” is “:”
        return bool(self._note_re.match(t)) or t.rstrip("。").endswith("故本表无数据")

    def notes_below(self, r: int) -> None:
        for rr in range(r, min(self.region.bottom, r + 6) + 1):
            for _, t in self.region.texts(rr)[:3]:
                if any(t.startswith(w) for w in self.words.notes) or "无数据" in t:
                    self.reading.notes.append(t)

    def col(self, c: int) -> str:
        """A column as the reading summary names it: its letter (``C``); in a PDF, where it stands in the
        printed table (``第3列``)."""
        return f"第{c}列" if self.pdf else col_letter(c)

    def col_words(self, c: int) -> str:
        return self.col(c) if self.pdf else f"{col_letter(c)} 列"

    def where(self, r: int, c: int) -> str:
        """A cell as the reading summary names it: ``F3``; in a PDF, the page it is printed on."""
        return f"第{self.region.sheet.pages[r - 1]}页" if self.pdf else cell_name(r, c)

    def columns_text(self, match: ColumnMatch, prefix: str = "栏") -> None:
        for k, c in sorted(match.cols.items()):
            head = match.headers.get(c, "")
            self.reading.columns[f"{prefix}{k}"] = f"{self.col(c)}（{head or '无表头'}，按{match.via[k]}）"
        for c in match.left_over:
            self.reading.ignored.append(f"{self.col_words(c)}「{match.headers[c]}」：不是本表的栏")

    def finish(self) -> None:
        region = self.region
        last = max(self.last_row, region.top)
        if not self.pdf:
            self.reading.cells = f"A{region.top}:{col_letter(max(region.width, 1))}{last}"
            return
        pages = region.sheet.pages[region.top - 1:last]
        a, b = min(pages), max(pages)
        self.reading.cells = f"第{a}页" if a == b else f"第{a}–{b}页"
        at = sorted((r, len(c), c, key) for key, (r, c) in self.tl.positions.items())
        if at and at[0][0] != at[-1][0]:  # rows of codes or labels (not the one line of 09)
            ends = [" ".join(str(t) for t in self.tl.describe(key) if t) for *_, key in (at[0], at[-1])]
            self.reading.row_span = f"从「{ends[0]}」到「{ends[1]}」"


# --------------------------------------------------------------------------------------------------
# The header of a table: where it starts, what its columns say


def _find_header_cell(reader: _Reader, words, start: int, stop: int) -> tuple[int, int] | None:
    wanted = {norm(w) for w in words}
    for r in range(start, min(stop, reader.region.bottom) + 1):
        for c, t in reader.region.texts(r):
            if header_word(t)[0] in wanted:
                return r, c
    return None


def _unit(reader: _Reader, head_rows, cols) -> None:
    """The table's unit: its 单位 line, else a unit inside a header cell."""
    region = reader.region
    for r in head_rows:
        for c, t in region.texts(r):
            m = _UNIT_RE.search(t)
            if m:
                reader.reading.unit, reader.reading.unit_from = m.group(1), reader.where(r, c)
                return
            other = _ANY_UNIT_RE.search(t)
            if other and not reader.reading.unit_text:
                reader.reading.unit_text, reader.reading.unit_from = other.group(1), reader.where(r, c)
    unit = unit_of_header(region, head_rows, cols)
    if unit:
        reader.reading.unit, reader.reading.unit_from = unit, "表头"


# --------------------------------------------------------------------------------------------------
# 02/03/05/07/08: code rows


def _is_code_value(v) -> bool:
    if isinstance(v, bool) or v is None:
        return False
    return bool(_CODE_RE.fullmatch(code_text(v)))


def _code_columns(reader: _Reader, start: int) -> tuple[list[int], int | None, int] | None:
    """(code columns — one, or 类|款|项 —, the name column, the header row) of a coded table."""
    region, words = reader.region, reader.words
    stop = start + HEAD_ROWS
    hit = _find_header_cell(reader, words.code_headers, start, stop)
    parts_hit = _find_header_cell(reader, words.split_parts[:1], hit[0] if hit else start, stop)
    code_cols: list[int] = []
    hr = None
    if parts_hit:
        pr, pc = parts_hit
        seq = [pc]
        for w in words.split_parts[1:]:
            nxt = next((c for c, t in region.texts(pr) if t == w and c > seq[-1]), None)
            if nxt is None:
                break
            seq.append(nxt)
        if len(seq) >= 2:
            code_cols, hr = seq, pr
    if not code_cols and hit:
        code_cols, hr = [hit[1]], hit[0]
    if not code_cols:
        counts: dict[int, int] = {}
        for r in region.rows(start):
            for c in range(1, region.width + 1):
                if _is_code_value(region.sheet.value(r, c)):
                    counts[c] = counts.get(c, 0) + 1
        if not counts:
            return None
        best = max(counts, key=lambda c: (counts[c], -c))
        code_cols, hr = [best], start
        reader.reading.ignored.append(f"找不到“科目代码”表头：按内容把 {reader.col_words(best)}当作科目代码列")
    name_col = _name_column(reader, code_cols, hr)
    return code_cols, name_col, hr


def _name_column(reader: _Reader, code_cols: list[int], hr: int) -> int | None:
    """The 科目名称 column: the header word nearest the code header (科目名称 before 项目), on either
    side of the code columns; else the column right of them."""
    region = reader.region
    ranks: dict[str, int] = {}
    for rank, word in enumerate(norm(w) for w in reader.words.name_headers):
        ranks.setdefault(word, rank)
    best = None
    for r in range(max(region.top, hr - 2), min(region.bottom, hr + 2) + 1):
        for c, v in region.sheet.row_values(r):
            rank = ranks.get(header_word(v)[0])
            if rank is None or c in code_cols or c > region.width:
                continue
            score = (rank, abs(r - hr), abs(c - code_cols[-1]))
            if best is None or score < best[0]:
                best = (score, c)
    return best[1] if best else code_cols[-1] + 1


def _row_code(region: Region, r: int, code_cols: list[int], carry: list[str]) -> str:
    """The code of a row: one cell, or the 类|款|项 parts (款 and 项 as two digits, a blank upper part
    carried from the rows above)."""
    if len(code_cols) == 1:
        return code_text(region.sheet.value(r, code_cols[0]))
    raws = [region.sheet.value(r, c) for c in code_cols]
    parts = [code_text(v) for v in raws]
    if not any(parts):
        return ""
    if not all(p.isdigit() for p in parts if p):
        return "".join(parts)
    last = max(i for i, p in enumerate(parts) if p)
    out = []
    for i in range(last + 1):
        p = parts[i] or (carry[i] if i < len(carry) else "")
        # a part stored as a number lost its leading zero (05 → 5); a part typed as text is kept as typed
        out.append(p.zfill(2) if i and isinstance(raws[i], (int, float)) else p)
    carry[:] = out
    return "".join(out)


def _first_data_row(reader: _Reader, hr: int, code_cols, name_col) -> int:
    """The first row below the header with a code or a 合计; in an empty table, the first row after
    the header rows (the 栏次 row is header)."""
    region, totals = reader.region, {norm(w) for w in reader.words.totals}
    numbers = {norm(w) for w in reader.words.number_headers}
    for r in region.rows(hr + 1):
        if {t for _, t in region.texts(r)} & numbers or _is_numbers_row(region, r):
            hr = r
            continue
        vals = [region.sheet.value(r, c) for c in code_cols]
        if any(_is_code_value(v) for v in vals):
            return r
        texts = {norm(shown(region.sheet, r, c)) for c in [*code_cols, name_col]}
        if texts & totals:
            return r
    return hr + 1


def _coded(reader: _Reader) -> None:
    tl, spec, region = reader.tl, reader.spec, reader.region
    start = region.top + (0 if region.how == "工作表名" else 1)
    found = _code_columns(reader, start)
    if found is None:
        reader.problem("no_code_column")
        return
    code_cols, name_col, hr = found
    first = _first_data_row(reader, hr, code_cols, name_col)
    head = range(start, first)
    others = [c for c in range(1, region.width + 1) if c not in code_cols and c != name_col]
    wanted = {k: spec.header_path(letter) for k, letter in spec.columns.items()}
    match = match_columns(region, head, others, wanted, reader.words, spec.column_words)
    _unit(reader, range(region.top, first), others)
    missing = [k for k in spec.columns if k not in match.cols]
    if missing:
        reader.problem("missing_columns", cell_name(hr, code_cols[0]), fatal=len(missing) == len(spec.columns),
                       columns=missing)
    reader.columns_text(match)
    reader.reading.columns["科目代码"] = "|".join(reader.col(c) for c in code_cols) + (
        "（类|款|项 分列）" if len(code_cols) > 1 else "")
    _coded_rows(reader, first, code_cols, name_col, match.cols)


def _coded_rows(reader: _Reader, first: int, code_cols, name_col, cols: dict[int, int]) -> None:
    tl, spec, region = reader.tl, reader.spec, reader.region
    totals = {norm(w) for w in reader.words.totals}
    body: list[tuple[int, CodeRow]] = []
    total_at, carry = None, []
    r = first
    for r in region.rows(first):
        if reader.is_note(r):
            reader.notes_below(r)
            break
        code = _row_code(region, r, code_cols, carry)
        raw_name = region.sheet.value(r, name_col) if name_col else None
        name = norm(raw_name) if raw_name is not None else ""
        if total_at is None and (code in totals or (not code and name in totals)
                                 or norm(shown(region.sheet, r, code_cols[0])) in totals):
            total_at = r
            reader.last_row = max(reader.last_row, r)
            continue
        if not code and not name and all(region.sheet.value(r, c) is None for c in cols.values()):
            continue
        body.append((r, CodeRow(code, "" if raw_name is None else str(raw_name).strip())))
    tl.rows = [TOTAL_ROW] + [row for _, row in body]
    if total_at is None and body:
        reader.problem("no_total_row", fatal=False)
    if total_at is not None:
        tl.row_of[0] = total_at
        for k, c in cols.items():
            reader.put(CellKey(spec.id, 0, k), total_at, c)
    letters = [(k, col_letter(c)) for k, c in cols.items()]
    for i, (rr, _) in enumerate(body, start=1):  # as reader.put, cell by cell
        tl.row_of[i] = rr
        for k, letter in letters:
            tl.positions[CellKey(spec.id, i, k)] = (rr, letter)
    if body and letters:
        reader.last_row = max(reader.last_row, body[-1][0])
    tl.code_col, tl.name_col = col_letter(code_cols[-1]), col_letter(name_col or code_cols[-1] + 1)
    reader.reading.rows = len(body)


# --------------------------------------------------------------------------------------------------
# 01/04: two sides of labelled lines


def _label_key(text) -> str:
    return _label_key_str(norm(text))


@lru_cache(maxsize=1 << 14)
def _label_key_str(t: str) -> str:
    return _ORDINAL_RE.sub("", t)


def _paired_labels(spec: TableSpec, profile: Profile):
    """Each side with its labels (:func:`_side_labels`), and every label of the table: made once per
    profile (the labels are the model's, the same for every workbook)."""
    memo = profile.__dict__.setdefault("_paired_labels", {})
    hit = memo.get(spec.id)
    if hit is None or hit[0] is not spec:
        side_labels = [(side, _side_labels(spec, profile, side)) for side in spec.sides]
        known = frozenset().union(*(labels for _, labels in side_labels))
        # could a label be the text of a number, a date or a truth value (1.5, -3, 2024-01-01, inf, True)?
        numeric = any(not k or k[0] in "0123456789-.+" or k.lower() in ("true", "false", "inf", "nan") for k in known)
        hit = memo[spec.id] = (spec, side_labels, known, numeric)
    return hit[1:]


def _label_texts(region: Region, r: int, numeric: bool):
    """(col, normalised text) of the cells of row ``r`` that can be a label: what ``region.texts`` gives,
    but only the text cells when no label could be a number's text (the amounts are not made text)."""
    if numeric or r in region.sheet.__dict__.get("_row_texts", {}):
        return region.texts(r)
    width = region.width
    return [(c, norm(v)) for c, v in region.sheet.row_values(r) if c <= width and type(v) is str]


def _side_labels(spec: TableSpec, profile: Profile, side) -> dict[str, list[int]]:
    """Label (without its ordinal) → the side's lines it names, in order."""
    out: dict[str, list[int]] = {}
    for line in range(side.first_line, side.last_line + 1):
        names = []
        if line in spec.lines:
            names.append(spec.lines[line])
        if spec.class_lines and spec.class_lines <= line < spec.class_lines + len(profile.classes):
            names.append(profile.classes[line - spec.class_lines][1])
        names += spec.label_variants.get(line, [])
        for n in names:
            out.setdefault(_label_key(n), []).append(line)
    return out


def _paired(reader: _Reader) -> None:
    tl, spec, region, profile = reader.tl, reader.spec, reader.region, reader.profile
    start = region.top + (0 if region.how == "工作表名" else 1)
    sides = []
    side_labels, known, numeric = _paired_labels(spec, profile)
    found = [(r, c, key) for r in region.rows(start) for c, t in _label_texts(region, r, numeric)
             if (key := _label_key_str(t)) in known]
    for side, labels in side_labels:
        hits: dict[int, list[tuple[int, list[int]]]] = {}
        for r, c, key in found:
            lines = labels.get(key)
            if lines:
                hits.setdefault(c, []).append((r, lines))
        if not hits:
            reader.problem("missing_lines", lines=_ranges(list(range(side.first_line, side.last_line + 1))))
            continue
        label_col = max(hits, key=lambda c: (len(hits[c]), -c))
        sides.append((side, label_col, hits[label_col]))
    label_cols = sorted({lc for _, lc, _ in sides})
    for side, label_col, hits in sides:
        _paired_side(reader, side, label_col, hits, label_cols, start)


def _paired_side(reader: _Reader, side, label_col: int, hits, label_cols, start: int) -> None:
    spec, region = reader.spec, reader.region
    first = min(r for r, _ in hits)
    nxt = next((c for c in label_cols if c > label_col), region.width + 1)
    band = list(range(label_col + 1, nxt))
    line_col = next((c for c in band if any(header_word(shown(region.sheet, r, c))[0] in reader.words.line_headers
                                            for r in range(start, first))), None)
    wanted = {k: spec.header_path(letter) for k, letter in side.values.items()}
    match = match_columns(region, range(start, first), [c for c in band if c != line_col], wanted, reader.words,
                          spec.column_words)
    _unit(reader, range(region.top, first), band)
    if len(match.cols) < len(side.values):
        lost = [k for k in side.values if k not in match.cols]
        reader.problem("missing_columns", fatal=not match.cols, columns=lost)
    reader.columns_text(match)
    rows_of: dict[int, int] = {}
    for r, lines in hits:
        line = next((n for n in lines if n not in rows_of), None)
        if line is not None:
            rows_of[line] = r
    if line_col is not None:  # rows without a label (the structural blanks) by their 行次
        for r in region.rows(first):
            n = is_small_int(region.sheet.value(r, line_col))
            if n is not None and side.has(n) and n not in rows_of and n in spec.blank_lines:
                rows_of[n] = r
    _paired_absent(reader, side, rows_of)
    for n, r in rows_of.items():
        for k, c in match.cols.items():
            reader.put(CellKey(spec.id, n, k), r, c)
    reader.reading.rows += len(rows_of)
    reader.reading.rows_unit = "个行次"


def _paired_absent(reader: _Reader, side, rows_of: dict[int, int]) -> None:
    """Lines the sheet does not have: a 类 missing from a shorter class list is 0 (noted); any other
    line makes the rules that use it not evaluated."""
    spec, profile = reader.spec, reader.profile
    lost, absent = [], []
    for n in range(side.first_line, side.last_line + 1):
        if n in rows_of or n in spec.blank_lines:
            continue
        is_class = spec.class_lines and spec.class_lines <= n < spec.class_lines + len(profile.classes)
        (absent if is_class and any(spec.class_lines <= m < spec.class_lines + len(profile.classes)
                                    for m in rows_of) else lost).append(n)
    for n in absent:
        reader.tl.absent.update(CellKey(spec.id, n, k) for k in side.values)
    if absent:
        codes = "、".join(profile.classes[n - spec.class_lines][0] for n in absent)
        reader.reading.ignored.append(f"本表的类目清单中没有 {codes}：按 0 计")
    if lost:
        reader.problem("missing_lines", fatal=False, lines=_ranges(lost))


def _ranges(nums: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(nums):
        if start is None:
            start = n
        if i + 1 == len(nums) or nums[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}–{n}")
            start = None
    return "、".join(out)


# --------------------------------------------------------------------------------------------------
# 06: 经济分类 codes in blocks (three, two, or one long list) and the named totals


def _economic_blocks(reader: _Reader, start: int):
    region, words = reader.region, reader.words
    hit = _find_header_cell(reader, words.code_headers, start, start + HEAD_ROWS)
    if hit is None:
        return None
    hr = hit[0]
    codes = {norm(w) for w in words.code_headers}
    names = {norm(w) for w in words.name_headers}
    values = {norm(w) for w in reader.words.words_for("决算数")}
    row = {c: header_word(t)[0] for c, t in region.texts(hr)}
    for r in (hr + 1, hr - 1):  # a value header may stand in the row below or above (merged headers)
        for c, t in region.texts(r):
            row.setdefault(c, header_word(t)[0])
    starts = sorted(c for c, w in row.items() if w in codes)
    blocks = []
    for i, cc in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else region.width + 1
        nc = next((c for c in range(cc + 1, end) if row.get(c) in names), cc + 1)
        vc = next((c for c in range(cc + 1, end) if row.get(c) in values), None)
        if vc is None:
            reader.problem("few_value_columns", cell_name(hr, cc))
            return None
        blocks.append((cc, nc, vc))
    return hr, blocks


def _economic(reader: _Reader) -> None:
    tl, spec, region = reader.tl, reader.spec, reader.region
    start = region.top + (0 if region.how == "工作表名" else 1)
    found = _economic_blocks(reader, start)
    if found is None:
        if not reader.problems:
            reader.problem("no_code_header")
        return
    hr, blocks = found
    _unit(reader, range(region.top, hr + 2), [vc for _, _, vc in blocks])
    for i, (cc, nc, vc) in enumerate(blocks, start=1):
        reader.reading.columns[f"第{i}块"] = f"代码 {reader.col(cc)}、名称 {reader.col(nc)}、决算数 {reader.col(vc)}"
    totals = {norm(t.key): t.key for t in spec.totals}
    totals_at: dict[str, tuple[int, int]] = {}
    for r in region.rows(hr + 1):
        if reader.is_note(r):
            reader.notes_below(r)
            break
        for c, t in region.texts(r):
            if t in totals and totals[t] not in totals_at:
                totals_at[totals[t]] = (r, c)
        for cc, nc, vc in blocks:
            _economic_cell(reader, r, cc, nc, vc)
    _economic_totals(reader, totals_at, blocks)
    reader.reading.rows = len(tl.econ_codes)


def _economic_cell(reader: _Reader, r: int, cc: int, nc: int, vc: int) -> None:
    tl, spec, sheet = reader.tl, reader.spec, reader.region.sheet
    raw = sheet.value(r, cc)
    code = code_text(raw)
    if not code or not (code.isdigit() and len(code) in (3, 5)):
        return
    if code in tl.econ_pos:
        reader.problem("duplicate_code", cell_name(r, cc), fatal=False, code=code)
        return
    raw_name = sheet.value(r, nc)
    tl.econ_codes.append(code)
    tl.econ_names[code] = "" if raw_name is None else str(raw_name).strip()
    tl.econ_pos[code] = (r, col_letter(cc), col_letter(nc), col_letter(vc))
    reader.put(CellKey(spec.id, code, None), r, vc)


def _economic_totals(reader: _Reader, totals_at: dict, blocks) -> None:
    spec, sheet = reader.spec, reader.region.sheet
    if not totals_at:
        reader.problem("no_totals_row", fatal=False)
        return
    merges = merge_map(sheet)
    for total in spec.totals:
        if total.key not in totals_at:
            r = next(iter(totals_at.values()))[0]
            reader.problem("no_named_total", f"A{r}", fatal=False, total=total.key)
            continue
        r, c = totals_at[total.key]
        end = max([cc for (rr, cc), top in merges.items() if top == (r, c)] + [c])
        vc = next((v for _, _, v in blocks if v > end), None)
        if vc is None:
            vc = next((cc for cc in range(end + 1, reader.region.width + 1) if sheet.value(r, cc) is not None), None)
        if vc is not None:
            reader.put(CellKey(spec.id, total.key, None), r, vc)


# --------------------------------------------------------------------------------------------------
# 09: one data row


def _single(reader: _Reader) -> None:
    spec, region, words = reader.spec, reader.region, reader.words
    start = region.top + (0 if region.how == "工作表名" else 1)
    wanted = {k: spec.header_path(letter) for k, letter in spec.columns.items()}
    vocab = {norm(w) for path in wanted.values() for p in path for w in words.words_for(p)}
    head_end = None
    for r in range(start, min(region.bottom, start + HEAD_ROWS) + 1):
        if any(header_word(t)[0] in vocab for _, t in region.texts(r)):
            head_end = r
    if head_end is None:
        reader.problem("no_single_line_row", last=max(spec.columns))
        return
    data = head_end + 1
    while data <= region.bottom and _is_numbers_row(region, data):
        data += 1
    cols = list(range(1, region.width + 1))
    match = match_columns(region, range(start, data), cols, wanted, words, spec.column_words)
    _unit(reader, range(region.top, data), cols)
    missing = [k for k in spec.columns if k not in match.cols]
    if missing:
        reader.problem("missing_columns", fatal=len(missing) == len(spec.columns), columns=missing)
    reader.columns_text(match)
    for k, c in match.cols.items():
        reader.put(CellKey(spec.id, 0, k), data, c)
    reader.reading.rows = 1
    reader.notes_below(data + 1)


def _is_numbers_row(region: Region, r: int) -> bool:
    """A 栏次 row: the numbers 1, 2, 3 … left to right — also when a cell or two of it was typed over
    (a date in its first cell must not make the 栏次 row the data row)."""
    vals = [is_small_int(v) for _, v in region.texts(r)]
    nums = [v for v in vals if v is not None]
    if len(vals) < 3 or len(nums) < max(3, len(vals) * 3 // 4):
        return False
    return all(b == a + 1 for a, b in zip(nums, nums[1:])) and nums[0] <= len(vals) - len(nums) + 1


_LOCATORS = {"coded": _coded, "paired": _paired, "economic": _economic, "single": _single}


# --------------------------------------------------------------------------------------------------
# The workbook


def _read_table(spec: TableSpec, profile: Profile, regions: list[Region]) -> tuple[TableLayout, Region | None, _Reader | None]:
    """The table read from the first of its candidate regions that reads; if none reads, the first
    region's attempt (its problems are the report) — unless the candidates are only mentions (a
    contents page), then the table is not found."""
    attempts = []
    for region in regions:
        tl = new_table(spec, profile, positions={})
        reader = _Reader(tl, region, profile)
        _LOCATORS[tl.kind](reader)
        reader.finish()
        if not reader.reading.fatal and tl.positions:
            return tl, region, reader
        attempts.append((tl, region, reader))
    real = [a for a in attempts if _room_for_a_table(a[1])]
    if real:
        return real[0]
    return new_table(spec, profile, positions={}), None, None


def _room_for_a_table(region: Region) -> bool:
    """Whether a region that did not read is still a table (reported as unreadable) rather than a mere
    mention of one — a line of a contents page: a title needs 3 rows under it, a bare 表号 6."""
    rows = region.bottom - region.top
    return rows >= 6 or (rows >= 3 and region.how != "表号")


def _inherit_units(readings: dict[str, Reading], regions: dict[str, Region]) -> None:
    """A table without a 单位 line of its own takes the unit of the table above it on the same sheet."""
    ordered = sorted(regions.items(), key=lambda kv: (kv[1].sheet.name, kv[1].top))
    last: dict[str, str] = {}
    for tid, region in ordered:
        reading = readings[tid]
        if reading.unit:
            last[region.sheet.name] = reading.unit
        elif region.sheet.name in last:
            reading.unit, reading.unit_from = last[region.sheet.name], "同一工作表上方的表"


def _department_year(regions: dict[str, Region], words: ReadingWords, path: Path | None) -> tuple[str, int]:
    dept, year = "", 0
    prefixes = tuple(norm(w) for w in words.department)
    for region in regions.values():
        for r in range(region.top, min(region.bottom, region.top + HEAD_ROWS) + 1):
            texts = region.texts(r)
            for i, (c, t) in enumerate(texts):
                for p in prefixes:
                    if not dept and t.startswith(p) and t[len(p):len(p) + 1] in (":", "："):
                        dept = t[len(p) + 1:] or (texts[i + 1][1] if i + 1 < len(texts) else "")
                m = _YEAR_RE.search(t)
                if not year and m and ("年度" in t or len(t) <= 8):
                    year = int(m.group(1))
        if dept and year:
            break
    if path is not None:  # the file name as a last resort: 某某局2024年度部门决算公开.xlsx
        stem = norm(path.stem)
        m = _YEAR_RE.search(stem) or re.search(r"(20\d{2})", stem)
        year = year or (int(m.group(1)) if m else 0)
        if not dept:
            name = re.split(r"20\d{2}|部门决算|决算|公开", stem)[0].strip("-_ ")
            if re.search(r"[\u4e00-\u9fff]{2,}", name) and len(name) <= 30:
                dept = name
    return dept, year


def locate(wb: Workbook, profile: Profile, catalog: Catalog) -> Located:
    """Find every table of ``profile`` in ``wb``; tables not found are listed in ``missing``."""
    candidates = candidate_regions(wb, profile)
    tables: dict[str, TableLayout] = {}
    used: dict[str, Region] = {}
    readings: dict[str, Reading] = {}
    problems: list[Problem] = []
    missing = []
    for spec in profile.tables:
        tl, region, reader = _read_table(spec, profile, candidates.get(spec.id, []))
        tables[spec.id] = tl
        if region is None:
            missing.append(spec)
            continue
        used[spec.id] = region
        readings[spec.id] = reader.reading
        problems.extend(reader.problems)
    _inherit_units(readings, used)
    for tid, tl in tables.items():
        tl.scale = profile.reading.units.get(readings[tid].unit, 1) if tid in readings else 1
    dept, year = _department_year(used, profile.reading, getattr(wb, "path", None))
    sheet_names = {tid: r.sheet.name for tid, r in used.items()}
    layout = WorkbookLayout(profile, dept, year, tables, catalog, sheet_names)
    located = Located(layout, {tid: r.sheet for tid, r in used.items()}, missing, problems, dept, readings,
                      [s.name for s in wb.sheets])
    return located
