"""Layout habits: juesuan's own workbook re-laid out the way real departments, 决算 system exports and
provincial templates lay the same figures out (issue 8).

A canonical workbook (juesuan's builder, formulas replaced by their values: ``tests.books.constants_copy``)
is parsed into a small model, independent of juesuan's reader: a :class:`Book` of sheets, each a list of
:class:`Table` blocks; a table is its page furniture (title, 表号, 部门/年度/单位 lines, notes) and its
columns, each column a header path (the header words top-down, e.g. ``["本年支出", "小计"]``), a 栏次
value and its body cells. A *habit* is a function ``Book -> Book`` (it may change the model in place and
returns it); :func:`write` renders a book with openpyxl — merged multi-row headers from the paths, the
栏次 row only where the table has one. ``relayout(src, out, *habits)`` is the file-to-file form.

The canonical parse is by position, on purpose: it reads juesuan's own template only (row 1 title,
row 2 表号, row 3 furniture, header down to the 栏次 row, body down to the notes).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import openpyxl
from openpyxl.utils import get_column_letter

NUMBERS = ["01", "02", "03", "04", "05", "06", "07", "08", "09"]
CODE_TABLES = ["02", "03", "05", "07", "08"]


@dataclass
class Col:
    key: str  # stable id: "code", "name", "label:0", "line:0", "amt:3", "extra:序号" ...
    kind: str  # code / name / label / line / amount / extra
    path: list  # header words, top-down
    lanci: object = None  # the cell in the 栏次 row
    cells: list = field(default_factory=list)  # body values
    fmt: str | None = None  # number format of the body cells


@dataclass
class Table:
    number: str  # "01".."09": which table this is (for the habits, never written as such)
    title: str
    tag: str | None  # the 表号 cell ("公开01表"), None when left out
    dept: str  # "部门名称：…"
    year: str  # "2024 年度"
    unit: str | None  # "单位：万元"
    cols: list
    notes: list  # note lines below the table
    has_lanci: bool = True
    merges: list = field(default_factory=list)  # body merges: (row index, first col key, last col key)
    note_col: int = 0  # the column the notes start in
    header_total: bool = False  # the first body row (合计) sits in the header: label cells merged into it

    @property
    def nrows(self) -> int:
        return max((len(c.cells) for c in self.cols), default=0)

    def col(self, key: str) -> Col:
        return next(c for c in self.cols if c.key == key)

    def index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.cols) if c.key == key)

    def of_kind(self, *kinds) -> list:
        return [c for c in self.cols if c.kind in kinds]


@dataclass
class Sheet:
    name: str
    tables: list = field(default_factory=list)
    lines: list = field(default_factory=list)  # free rows before the tables (a 封面, a 目录): lists of cells
    gap: int = 2  # blank rows between stacked tables


@dataclass
class Book:
    sheets: list
    department: str
    year: int

    def tables(self) -> list:
        return [t for s in self.sheets for t in s.tables]

    def table(self, number: str) -> Table:
        return next(t for t in self.tables() if t.number == number)


Habit = Callable[[Book], Book]

# --- parsing juesuan's own workbook -------------------------------------------------------------------


def _merged_value(ws, row: int, col: int):
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col).value, (rng.min_row, rng.min_col)
    return ws.cell(row, col).value, (row, col)


def _kind(number: str, words: list) -> str:
    leaf = words[-1] if words else ""
    if "代码" in leaf:
        return "code"
    if "名称" in leaf:
        return "name"
    if leaf == "项目":
        return "label"
    if leaf == "行次":
        return "line"
    return "amount"


def _parse_sheet(ws, number: str) -> Table:
    width = ws.max_column
    title = ws.cell(1, 1).value
    tag = ws.cell(2, width).value
    furniture = [ws.cell(3, c).value for c in range(1, width + 1)]
    dept = next(v for v in furniture if isinstance(v, str) and v.startswith("部门名称"))
    year = next(v for v in furniture if isinstance(v, str) and "年度" in v)
    unit = next(v for v in furniture if isinstance(v, str) and v.startswith("单位"))
    lanci_row = next((r for r in range(4, 10) if ws.cell(r, 1).value in ("栏次", 1)), None)
    header_end = lanci_row - 1 if lanci_row else 5
    body_start = header_end + (2 if lanci_row else 1)
    body_end = body_start
    while body_end <= ws.max_row and not str(ws.cell(body_end, 1).value or "").startswith(("注", "说明")):
        body_end += 1
    cols, counters = [], {}
    for c in range(1, width + 1):
        words, seen = [], set()
        for r in range(4, header_end + 1):
            value, origin = _merged_value(ws, r, c)
            if value not in (None, "") and origin not in seen:
                seen.add(origin)
                words.append(str(value))
        kind = _kind(number, words)
        n = counters.get(kind, 0)
        counters[kind] = n + 1
        key = kind if kind in ("code", "name") and number not in ("06",) else f"{kind}:{n}"
        cells = [ws.cell(r, c).value for r in range(body_start, body_end)]
        cols.append(Col(key, kind, words, ws.cell(lanci_row, c).value if lanci_row else None, cells))
    table = Table(number, title, tag, dept, year, unit, cols,
                  [ws.cell(r, 1).value for r in range(body_end, ws.max_row + 1) if ws.cell(r, 1).value],
                  has_lanci=lanci_row is not None)
    for rng in ws.merged_cells.ranges:
        if body_start <= rng.min_row < body_end and rng.min_row == rng.max_row:
            table.merges.append((rng.min_row - body_start, cols[rng.min_col - 1].key, cols[rng.max_col - 1].key))
    return table


_PARSED: dict = {}


def parse(path: Path) -> Book:
    """juesuan's own workbook (nine sheets 公开NN表, constants or cached values) as a :class:`Book` (a fresh
    copy each call; the file is read once per path and modification time)."""
    path = Path(path)
    key = (path.resolve(), path.stat().st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = _parse(path)
    return copy.deepcopy(_PARSED[key])


def _parse(path: Path) -> Book:
    wb = openpyxl.load_workbook(path, data_only=True)
    tables = [_parse_sheet(wb[f"公开{n}表"], n) for n in NUMBERS]
    dept = tables[0].dept.split("：", 1)[1]
    year = int(re.search(r"\d{4}", tables[0].year).group())
    return Book([Sheet(f"公开{t.number}表", [t]) for t in tables], dept, year)


# --- writing ------------------------------------------------------------------------------------------


def _header_grid(table: Table):
    """(rows of header words, merges as (r0, c0, r1, c1), 0-based within the header)."""
    cols = table.cols
    depth = max((len(c.path) for c in cols), default=1) or 1
    grid = [[None] * len(cols) for _ in range(depth)]
    merges = []
    for j, col in enumerate(cols):
        for i, word in enumerate(col.path):
            grid[i][j] = word
        if col.path and len(col.path) < depth:  # the leaf word spans the rows below it
            merges.append((len(col.path) - 1, j, depth - 1, j))
    for i in range(depth):  # a group word (not a leaf) spans its neighbours with the same path to level i
        j = 0
        while j < len(cols):
            k = j
            if len(cols[j].path) > i + 1:
                while (k + 1 < len(cols) and len(cols[k + 1].path) > i + 1
                       and cols[k + 1].path[:i + 1] == cols[j].path[:i + 1]):
                    k += 1
            if k > j:
                for jj in range(j + 1, k + 1):
                    grid[i][jj] = None
                merges.append((i, j, i, k))
            j = k + 1
    if table.header_total:  # the 合计 row is the header's last row for the code columns
        assert not table.has_lanci
        for j, col in enumerate(cols):
            if col.kind == "code":
                m = next((m for m in merges if m[1] == m[3] == j and m[2] == depth - 1), None)
                if m:
                    merges.remove(m)
                merges.append((m[0] if m else depth - 1, j, depth, j))
    return grid, merges


def _put(ws, row: int, col: int, value, fmt=None):
    cell = ws.cell(row, col)
    cell.value = value
    if fmt:
        cell.number_format = fmt


def write_table(ws, table: Table, top: int) -> int:
    """Write ``table`` with its title on row ``top``; returns the first row after its notes."""
    width = len(table.cols)
    last = get_column_letter(width)
    r = top
    ws.cell(r, 1).value = table.title
    ws.merge_cells(f"A{r}:{last}{r}")
    r += 1
    if table.tag is not None:
        ws.cell(r, width).value = table.tag
        r += 1
    ws.cell(r, 1).value = table.dept
    if table.year:
        ws.cell(r, max(2, (width + 1) // 2)).value = table.year
    if table.unit:
        ws.cell(r, width).value = table.unit
    r += 1
    grid, merges = _header_grid(table)
    for i, row in enumerate(grid):
        for j, word in enumerate(row):
            if word is not None:
                ws.cell(r + i, j + 1).value = word
    for r0, c0, r1, c1 in merges:
        if (r0, c0) != (r1, c1):
            ws.merge_cells(start_row=r + r0, start_column=c0 + 1, end_row=r + r1, end_column=c1 + 1)
    r += len(grid)
    if table.has_lanci:
        for j, col in enumerate(table.cols):
            if col.lanci is not None:
                ws.cell(r, j + 1).value = col.lanci
        r += 1
    body = r
    for j, col in enumerate(table.cols):
        for i, value in enumerate(col.cells):
            if value is not None and not (table.header_total and i == 0 and col.kind == "code"):
                _put(ws, body + i, j + 1, value, col.fmt)
    for i, k0, k1 in table.merges:
        c0, c1 = sorted((table.index(k0), table.index(k1)))
        if c1 > c0 and not (table.header_total and i == 0):
            ws.merge_cells(start_row=body + i, start_column=c0 + 1, end_row=body + i, end_column=c1 + 1)
    r = body + table.nrows
    for text in table.notes:
        ws.cell(r, table.note_col + 1).value = text
        ws.merge_cells(start_row=r, start_column=table.note_col + 1, end_row=r, end_column=width)
        r += 1
    return r


def write(book: Book, out: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        r = 1
        for line in sheet.lines:
            for j, value in enumerate(line):
                if value is not None:
                    ws.cell(r, j + 1).value = value
            r += 1
        if sheet.lines and sheet.tables:
            r += sheet.gap
        for k, table in enumerate(sheet.tables):
            r = write_table(ws, table, r) + (sheet.gap if k + 1 < len(sheet.tables) else 0)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def relayout(src: Path, out: Path, *habits: Habit) -> Path:
    """``src`` (juesuan's workbook, constants) re-laid out by ``habits`` (applied in order) into ``out``."""
    book = parse(src)
    for habit in habits:
        book = habit(book)
    return write(book, out)


# --- helpers ------------------------------------------------------------------------------------------

_SCALE = {"元": Decimal(10000), "千元": Decimal(10)}


def _money(value, factor: Decimal, text: bool):
    if value is None or isinstance(value, str):
        return value
    d = (Decimal(str(value)) * factor).quantize(Decimal("0.01"))
    if text:
        return f"{d:,.2f}"
    return int(d) if d == d.to_integral_value() else float(d)


def _insert(table: Table, at: int, col: Col) -> None:
    col.cells = col.cells + [None] * (table.nrows - len(col.cells))
    table.cols.insert(at, col)


def _first_amount(table: Table) -> int:
    return next(i for i, c in enumerate(table.cols) if c.kind == "amount")


def _renumber_lanci(table: Table) -> None:
    """栏次 1, 2, … over the amount columns in their order (as a template laid out that way would print)."""
    n = 0
    for col in table.cols:
        if col.kind == "amount":
            n += 1
            col.lanci = n


# --- the habits ---------------------------------------------------------------------------------------


def identity(book: Book) -> Book:
    return book


def split_codes(numeric: bool = False, sparse: bool = False, tables=CODE_TABLES) -> Habit:
    """The code column split into 类 | 款 | 项 columns under one 科目代码 header (款/项 parts as '05';
    ``numeric``: stored as numbers shown with format 00; ``sparse``: each row fills only its own level)."""
    def habit(book: Book) -> Book:
        for table in book.tables():
            if table.number not in tables:
                continue
            i = table.index("code")
            code = table.cols[i]
            parts = {"类": [], "款": [], "项": []}
            for value in code.cells:
                text = "" if value is None else str(value)
                if not text.isdigit():
                    for level, cells in parts.items():
                        cells.append(text or None if level == "类" else None)
                    continue
                pieces = [text[:3], text[3:5] or None, text[5:7] or None]
                depth = sum(p is not None for p in pieces)
                for n, (level, cells) in enumerate(parts.items()):
                    piece = pieces[n]
                    if sparse and n != depth - 1:
                        piece = None
                    if piece is not None and numeric:
                        piece = int(piece)
                    cells.append(piece)
            new = [Col(f"code:{level}", "code", code.path + [level], code.lanci if level == "类" else None,
                       cells, "00" if numeric and level != "类" else None) for level, cells in parts.items()]
            table.cols[i:i + 1] = new
            table.merges = [(r, "code:类" if a == "code" else a, "code:类" if b == "code" else b)
                            for r, a, b in table.merges]
        return book
    habit.__name__ = f"split_codes{'_numeric' if numeric else ''}{'_sparse' if sparse else ''}"
    return habit


def no_lanci(book: Book) -> Book:
    """No 栏次 row: the columns are told by their header words only."""
    for table in book.tables():
        table.has_lanci = False
    return book


def unit(name: str = "元", text: bool = False) -> Habit:
    """Amounts in 元 (×10000) or 千元 (×10) and the unit line changed; ``text``: amounts as text with
    thousands separators ("8,534,700.00")."""
    factor = _SCALE[name]

    def habit(book: Book) -> Book:
        for table in book.tables():
            table.unit = f"单位：{name}"
            for col in table.of_kind("amount"):
                col.cells = [_money(v, factor, text) for v in col.cells]
        return book
    habit.__name__ = f"unit_{'yuan' if name == '元' else 'qianyuan'}{'_text' if text else ''}"
    return habit


def no_unit(book: Book) -> Book:
    for table in book.tables():
        table.unit = None
    return book


_ORDINALS = "一二三四五六七八九十"


def _ordinal(n: int) -> str:
    if n <= 10:
        return _ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _ORDINALS[tens - 1]) + "十" + (_ORDINALS[ones - 1] if ones else "")


def no_hangci(classes: int = 26) -> Habit:
    """01/04 without 行次 columns; with ``classes`` 24 (no 231/232) or 25 (no 234) the expense class
    list is shorter and renumbered (the removed rows are all zero in the samples)."""
    drop = {26: (), 25: ("抗疫特别国债",), 24: ("债务还本", "债务付息")}[classes]

    def habit(book: Book) -> Book:
        for table in (book.table("01"), book.table("04")):
            table.cols = [c for c in table.cols if c.kind != "line"]
            expense = [c for c in table.cols if c.key == "label:1"][0]
            gone = [i for i, v in enumerate(expense.cells) if v and any(w in str(v) for w in drop)]
            for i in gone:
                assert all(c.cells[i] in (None, 0, "0", "0.00") for c in table.cols if c.kind == "amount"), \
                    "a class with an amount cannot be dropped"
            keep = [i for i in range(table.nrows) if i not in gone]
            for col in table.cols:
                col.cells = [col.cells[i] for i in keep]
            n = 0
            for i, v in enumerate(expense.cells):
                m = re.match(r"^[一二三四五六七八九十]+、(.*)支出$", str(v or ""))
                if m:
                    n += 1
                    expense.cells[i] = f"{_ordinal(n)}、{m.group(1)}支出"
        return book
    habit.__name__ = f"no_hangci_{classes}"
    return habit


def seq_first(book: Book) -> Book:
    """A 序号 column first (1, 2, … on the body rows); the notes move with the table's first column."""
    for table in book.tables():
        cells = list(range(1, table.nrows + 1))
        _insert(table, 0, Col("extra:序号", "extra", ["序号"], None, cells))
    return book


def notes_in_column_c(book: Book) -> Book:
    """The 注/说明 lines start in column C (as when a 序号 column pushes the text right)."""
    for table in book.tables():
        table.note_col = 2
    return book


def remark_last(book: Book) -> Book:
    for table in book.tables():
        cells = [None] * table.nrows
        if cells:
            cells[-1] = "无"
        _insert(table, len(table.cols), Col("extra:备注", "extra", ["备注"], None, cells))
    return book


def blank_column(book: Book) -> Book:
    """An empty column (no header, no values) before the first amount column."""
    for table in book.tables():
        _insert(table, _first_amount(table), Col("extra:blank", "extra", [], None, []))
    return book


def budget_column_01(book: Book) -> Book:
    """01 with 年初预算数 | 决算数 on both sides (栏次 renumbered 1–4: the budget takes 栏次 1)."""
    table = book.table("01")
    for side in (1, 0):
        amount = table.col(f"amount:{side}")
        amount.path = amount.path[:-1] + ["决算数"]
        budget = [_money(v, Decimal("1.1"), False) if isinstance(v, (int, float)) else v for v in amount.cells]
        _insert(table, table.index(amount.key), Col(f"extra:budget{side}", "extra",
                                                    amount.path[:-1] + ["年初预算数"], None, budget))
    n = 0
    for col in table.cols:
        if col.kind == "amount" or col.key.startswith("extra:budget"):
            n += 1
            col.lanci = n
    return book


_ORDER = {"02": [0, 1, 3, 2, 6, 4, 5], "03": [0, 1, 2, 4, 3, 5], "05": [0, 2, 1], "07": [1, 0, 2, 3, 4, 5],
          "08": [0, 2, 1]}


def reorder_columns(book: Book) -> Book:
    """Amount columns of the code tables in another order, each with its header and its 栏次."""
    for table in book.tables():
        order = _ORDER.get(table.number)
        if not order:
            continue
        amounts = [i for i, c in enumerate(table.cols) if c.kind == "amount"]
        cols = [table.cols[i] for i in amounts]
        groups = [c.path[:-1] for c in cols]
        moved = [cols[k] for k in order]
        for slot, col in zip(amounts, moved):
            table.cols[slot] = col
        for col, g in zip(moved, groups):
            if col.path[:-1] != g and len(col.path) > 1:  # a column leaving its merged group: own header
                col.path = [col.path[-1]]
    return book


def name_before_code(book: Book) -> Book:
    """科目名称 before 科目代码 in the code tables (the 栏次 and 合计 labels travel with the code column)."""
    for table in book.tables():
        if table.number in CODE_TABLES:
            i, j = table.index("code"), table.index("name")
            table.cols[i], table.cols[j] = table.cols[j], table.cols[i]
            # the 合计 label's merge across 代码 and 名称 would now start at 名称 and swallow the label
            table.merges = [m for m in table.merges if not {m[1], m[2]} & {"code", "name"}]
    return book


_TITLES = {"06": "一般公共预算财政拨款基本支出决算表", "08": "国有资本经营预算财政拨款收入支出决算表",
           "09": "一般公共预算财政拨款“三公”经费支出决算表"}


def title_variants(book: Book) -> Book:
    for number, title in _TITLES.items():
        book.table(number).title = title
    return book


def tag_in_title(book: Book) -> Book:
    """The 表号 inside the title cell: 收入支出决算总表（公开01表）; no 表号 cell of its own."""
    for table in book.tables():
        table.title = f"{table.title}（{table.tag}）"
        table.tag = None
    return book


def title_prefixed(book: Book) -> Book:
    """Titles prefixed with department and year: 某某局2024年度收入支出决算总表."""
    for table in book.tables():
        table.title = f"{book.department}{book.year}年度{table.title}"
    return book


def no_tag(book: Book) -> Book:
    """No 表号 at all: tables are found by their titles."""
    for table in book.tables():
        table.tag = None
    return book


def contents_sheet(book: Book) -> Book:
    """A 目录 sheet first, listing 公开01表 … with the titles."""
    lines = [[f"{book.department}{book.year}年度部门决算公开目录"], ["序号", "表号", "表名"]]
    for k, t in enumerate(book.tables(), 1):
        lines.append([k, f"公开{t.number}表", t.title])
    book.sheets.insert(0, Sheet("目录", [], lines))
    return book


def cover_sheet(book: Book) -> Book:
    lines = [[f"{book.year}年度部门决算公开"], [None], [f"部门名称：{book.department}"],
             ["公开01表 收入支出决算总表 至 公开09表 财政拨款“三公”经费支出决算表"], [f"{book.year + 1}年8月"]]
    book.sheets.insert(0, Sheet("封面", [], lines))
    return book


def one_sheet(book: Book) -> Book:
    """All tables stacked vertically on one sheet (two blank rows between them)."""
    tables = book.tables()
    others = [s for s in book.sheets if not s.tables]
    book.sheets = others + [Sheet("部门决算公开表", tables)]
    return book


_NAMES = {"01": "表1 收支总表", "02": "表2 收入", "03": "表3 支出", "04": "表4 财拨总表", "05": "表5 一般公共预算",
          "06": "表6 基本支出", "07": "表7 政府性基金", "08": "表8 国资", "09": "表9 三公"}


def renamed_sheets(book: Book) -> Book:
    for sheet in book.sheets:
        if len(sheet.tables) == 1:
            sheet.name = _NAMES[sheet.tables[0].number]
    return book


def shuffled_sheets(book: Book) -> Book:
    """Sheets Sheet1…SheetN in a shuffled (fixed) order."""
    order = [3, 0, 8, 1, 6, 2, 5, 7, 4]
    tabled = [s for s in book.sheets if s.tables]
    if len(tabled) == 9:
        others = [s for s in book.sheets if not s.tables]
        book.sheets = others + [tabled[i] for i in order]
    for k, sheet in enumerate(s for s in book.sheets if s.tables):
        sheet.name = f"Sheet{k + 1}"
    return book


# --- 06 ------------------------------------------------------------------------------------------------


def _rows06(table: Table):
    """06 as (block, code, name, amount) rows, block 0 人员 / 1 公用, and the two totals."""
    rows, totals = [], {}
    for b in range(3):
        code, name, amount = table.cols[3 * b:3 * b + 3]
        for i in range(table.nrows):
            c, n, a = code.cells[i], name.cells[i], amount.cells[i]
            text = str(c or "")
            if text.endswith("合计") or str(n or "").endswith("合计"):
                continue
            if c is not None:
                rows.append((0 if b == 0 else 1, c, n, a))
    last = table.nrows - 1
    totals[0] = (table.cols[0].cells[last], table.cols[2].cells[last])
    totals[1] = (table.cols[3].cells[last], table.cols[8].cells[last])
    return rows, totals


def long_list_06(book: Book) -> Book:
    """06 as one long list: 人员经费 codes, 人员经费合计, 公用经费 codes, 公用经费合计."""
    table = book.table("06")
    rows, totals = _rows06(table)
    code, name, amount = [], [], []
    for block in (0, 1):
        for _, c, n, a in (r for r in rows if r[0] == block):
            code.append(c), name.append(n), amount.append(a)
        code.append(totals[block][0]), name.append(None), amount.append(totals[block][1])
    fmt = table.cols[2].fmt
    table.cols = [Col("code:0", "code", ["科目代码"], None, code), Col("name:0", "name", ["科目名称"], None, name),
                  Col("amount:0", "amount", ["决算数"], None, amount, fmt)]
    table.merges = [(i, "code:0", "name:0") for i, v in enumerate(code) if str(v).endswith("合计")]
    return book


def two_blocks_06(book: Book) -> Book:
    """06 in two blocks: 人员经费 (301, 303) left, 公用经费 (302, 307, 310, 312, 313, 399) right, the two
    合计 on the last row."""
    table = book.table("06")
    rows, totals = _rows06(table)
    left = [r for r in rows if r[0] == 0]
    right = [r for r in rows if r[0] == 1]
    n = max(len(left), len(right))
    cols = []
    for b, (block, side) in enumerate(((left, "人员经费"), (right, "公用经费"))):
        cells = [[r[k] for r in block] + [None] * (n - len(block)) for k in (1, 2, 3)]
        cells[0].append(totals[b][0]), cells[1].append(None), cells[2].append(totals[b][1])
        cols += [Col(f"code:{b}", "code", [side, "科目代码"], None, cells[0]),
                 Col(f"name:{b}", "name", [side, "科目名称"], None, cells[1]),
                 Col(f"amount:{b}", "amount", [side, "决算数"], None, cells[2])]
    table.cols = cols
    table.merges = [(n, "code:0", "name:0"), (n, "code:1", "name:1")]
    return book


def header_words_06(book: Book) -> Book:
    """06 headers 经济分类科目编码 and 金额（万元）."""
    for col in book.table("06").cols:
        if col.kind == "code":
            col.path = col.path[:-1] + ["经济分类科目编码"]
        elif col.kind == "amount":
            col.path = col.path[:-1] + ["金额（万元）"]
    return book


def multirow_header_06(book: Book) -> Book:
    """06 with a header row under 科目代码: 科目代码/科目名称 merged down two rows, 决算数 over 金额（万元）."""
    for col in book.table("06").cols:
        if col.kind == "amount":
            col.path = col.path + ["金额（万元）"]
    return book


# --- notes, furniture --------------------------------------------------------------------------------


def note_instead_of_explanation(book: Book) -> Book:
    """The empty 07/08's 说明 line written as 注：…故本表无数据。"""
    for table in book.tables():
        table.notes = ["注：" + n[3:] if str(n).startswith("说明：") else n for n in table.notes]
    return book


def unit_name_line(word: str = "编制单位") -> Habit:
    """编制单位：… / 单位名称：… instead of 部门名称：…"""
    def habit(book: Book) -> Book:
        for table in book.tables():
            table.dept = f"{word}：{book.department}"
        return book
    habit.__name__ = {"编制单位": "unit_line_bianzhi", "单位名称": "unit_line_mingcheng"}[word]
    return habit


def year_line_juesuan(book: Book) -> Book:
    for table in book.tables():
        table.year = f"{book.year}年度决算"
    return book


_ITEMS09 = [[0, 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11]]


def interleaved_09(book: Book) -> Book:
    """09 laid out 预算 | 决算 per item (the 上海 order, GONGKAI §2.9), under 财政拨款“三公”经费, no 栏次."""
    table = book.table("09")
    old = table.cols
    cols = []
    for k, (b, a) in enumerate(_ITEMS09):
        item = old[a].path[1:]  # ["合计"] / ["公务用车购置及运行维护费", "小计"] …
        for which, idx in (("预算数", b), ("决算数", a)):
            col = copy.copy(old[idx])
            col.path = ["财政拨款“三公”经费"] + item + [which]
            cols.append(col)
    table.cols = cols
    table.has_lanci = False
    return book


def total_last(book: Book) -> Book:
    """合计 as the last row of 02/03/05 (上海)."""
    for number in ("02", "03", "05"):
        table = book.table(number)
        for col in table.cols:
            col.cells = col.cells[1:] + col.cells[:1]
        last = table.nrows - 1
        table.merges = [(last if r == 0 else r - 1, a, b) for r, a, b in table.merges]
    return book


# --- displaced blocks ---------------------------------------------------------------------------------

# 政府性基金 codes (城乡社区支出 / 国有土地使用权出让收入安排的支出) inserted into 05's label columns
INSERTED = [("212", "城乡社区支出"), ("21208", "国有土地使用权出让收入安排的支出"), ("2120801", "征地和拆迁补偿支出"),
            ("2120802", "土地开发支出"), ("2120803", "城市建设支出")]


def displaced_05(k: int, before: str = "215") -> Habit:
    """k code rows inserted into 05's code and name columns (not into its amount columns) just above the
    row of code ``before``: from there down every amount stands k rows above its own label."""
    def habit(book: Book) -> Book:
        table = book.table("05")
        code, name = table.col("code"), table.col("name")
        at = [str(v) for v in code.cells].index(before)
        code.cells[at:at] = [c for c, _ in INSERTED[:k]]
        name.cells[at:at] = [n for _, n in INSERTED[:k]]
        return book
    habit.__name__ = f"displaced_05_by_{k}"
    return habit


def displaced_row(book: Book, k: int, before: str = "215") -> int:
    """The sheet row of the first displaced amount when ``displaced_05(k, before)`` is written alone."""
    table = book.table("05")
    at = [str(v) for v in table.col("code").cells].index(before)
    grid, _ = _header_grid(table)
    return 1 + (1 if table.tag else 0) + 1 + len(grid) + (1 if table.has_lanci else 0) + at + 1


# --- composites ---------------------------------------------------------------------------------------


def system_export(book: Book) -> Book:
    """A 决算 system export: split numeric codes, no 行次, a 序号 column, an 编制单位 line."""
    for habit in (split_codes(numeric=True), no_hangci(26), seq_first, unit_name_line("编制单位")):
        book = habit(book)
    return book


def yuan_text_one_sheet(book: Book) -> Book:
    """A 元 workbook, amounts as text with thousands separators, all tables on one sheet."""
    for habit in (unit("元", text=True), one_sheet):
        book = habit(book)
    return book


system_export.__name__ = "system_export"
yuan_text_one_sheet.__name__ = "yuan_text_one_sheet"

# Every habit of issue 8, by name (the single-habit corpus).
HABITS: dict[str, Habit] = {h.__name__: h for h in [
    split_codes(), split_codes(numeric=True), split_codes(sparse=True), split_codes(numeric=True, sparse=True),
    no_lanci, unit("元"), unit("元", text=True), unit("千元"),
    no_hangci(26), no_hangci(25), no_hangci(24),
    seq_first, remark_last, blank_column, budget_column_01, reorder_columns, name_before_code,
    title_variants, tag_in_title, title_prefixed, no_tag, contents_sheet, cover_sheet, one_sheet,
    renamed_sheets, shuffled_sheets, long_list_06, two_blocks_06, multirow_header_06, header_words_06,
    note_instead_of_explanation, notes_in_column_c, unit_name_line("编制单位"),
    unit_name_line("单位名称"), year_line_juesuan, interleaved_09, total_last, system_export,
    yuan_text_one_sheet,
]}

# Habits that commute with any other (for the property test); the 06 re-blockings exclude each other.
COMBINABLE = [n for n in HABITS if n not in ("system_export", "yuan_text_one_sheet")]
EXCLUSIVE = [{"long_list_06", "two_blocks_06"}, {"no_hangci_26", "no_hangci_25", "no_hangci_24"},
             {"unit_yuan", "unit_yuan_text", "unit_qianyuan"},
             {"split_codes", "split_codes_numeric", "split_codes_sparse", "split_codes_numeric_sparse"},
             {"renamed_sheets", "shuffled_sheets", "one_sheet"}, {"tag_in_title", "no_tag"},
             {"unit_line_bianzhi", "unit_line_mingcheng"}]

# The order in which combined habits are applied: tables rebuilt first (06 blocks, 09, column order),
# then codes split, rows and columns added, header words, notes and furniture, units, sheets last.
ORDER = ["long_list_06", "two_blocks_06", "interleaved_09", "reorder_columns", "name_before_code", "budget_column_01",
         "no_hangci_26", "no_hangci_25", "no_hangci_24", "total_last",
         "split_codes", "split_codes_numeric", "split_codes_sparse", "split_codes_numeric_sparse",
         "seq_first", "remark_last", "blank_column", "multirow_header_06", "header_words_06", "no_lanci",
         "note_instead_of_explanation", "notes_in_column_c", "title_variants", "tag_in_title", "no_tag",
         "title_prefixed", "unit_line_bianzhi", "unit_line_mingcheng", "year_line_juesuan",
         "unit_yuan", "unit_yuan_text", "unit_qianyuan", "contents_sheet", "cover_sheet",
         "renamed_sheets", "shuffled_sheets", "one_sheet"]
assert sorted(ORDER) == sorted(COMBINABLE), set(ORDER) ^ set(COMBINABLE)


def combination(names) -> list:
    """The habits ``names`` (at most one of each exclusive group), in the order they apply."""
    names = set(names)
    for group in EXCLUSIVE:
        assert len(names & group) <= 1, names & group
    return [HABITS[n] for n in ORDER if n in names]
