"""Read a published PDF disclosure into the same cell grids as a workbook (:class:`~.xlsx.Workbook`).

A PDF has no cells: it has characters at positions and, for ruled tables, lines. Each table on a page
becomes a grid — from its ruling (pdfplumber's table finder: a cell spanning several columns or rows is a
merged range) or, for a table printed without rules, from the text alone: numbers make the columns they
stand in (an amount is right-aligned and never runs into the next cell), labels make columns between them,
two cells' texts printed against each other are cut where a column begins, and a header cell wrapped over
two lines is put back together. The lines printed above and below a table (title, 表号, 部门, 单位,
注) become rows of the grid too, each piece of text in the column it starts in. A table continued on the
next page — no title of its own, or the same lines repeated above it, and the same columns — is joined to
the one before, its repeated header rows dropped. Every joined table is one :class:`~.xlsx.Sheet` named
by its pages (``第3–5页``), whose ``pages`` say which page each row came from; the locator then reads it
by meaning like any sheet. Printed amounts (``1,234.50``, ``(1.00)``) become numbers; an empty cell is None.

Refused with a Chinese message (:class:`~juesuan.errors.InputError`): not a PDF, damaged, encrypted
(opening password), no text layer (a scan: juesuan does no OCR).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from juesuan.errors import InputError
from juesuan.read.xlsx import Sheet, Workbook
from juesuan.util.text import norm

_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\(\d[\d,]*(?:\.\d+)?\)")
_DECIMAL = re.compile(r"-?[\d,]*\d\.\d+|-?\d{1,3}(?:,\d{3})+|\(\d[\d,]*(?:\.\d+)?\)")
_INTEGER = re.compile(r"-?\d+")
GAP = 0.45  # a gap wider than this many character heights separates two pieces of text on a line
MIN_GUTTER = 1.0  # points: the narrowest gap between two cells' texts (within a word, characters touch)
EDGE_SLACK = 0.5  # points: how far a column edge may stand from the text that shows it
_NOTE = re.compile(r"^(?:注|说明)\d*[:：、.]")
_FURNITURE = re.compile(r"单位[:：]|部门(?:名称)?[:：]|公开\d+表")
_SPANNING = {"栏次", "合计", "总计"}  # labels printed across the code and name columns: they make no column


@dataclass
class Line:
    """One printed line: its pieces of text, each ``(x0, x1, text)``."""

    top: float
    bottom: float
    pieces: list[tuple[float, float, str]]
    chars: list = field(default_factory=list)
    spaces: list[float] = field(default_factory=list)  # the x centres of the line's space characters

    @property
    def text(self) -> str:
        return "".join(p[2] for p in self.pieces)


@dataclass
class Grid:
    """One table of one page: rows of cells, merged ranges (0-based, as calamine gives them), the
    column edges, and how many of its first rows are the header (the rows before the first amount)."""

    page: int
    rows: list[list]
    merged: list
    edges: list[float]
    head: list[str]  # the normalised text of the lines printed above the table
    body_top: int  # index of the first row of the table proper (after the lines above it)


# --------------------------------------------------------------------------------------------------
# Opening


def _open(path: Path):
    """The pdfplumber document, after the checks that give a clean refusal."""
    if not path.is_file():
        raise InputError(f"文件「{path}」不存在。" if not path.exists() else f"「{path}」是文件夹，不是 PDF。")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise InputError(f"无法读取「{path}」：不是 PDF 文件。")
    import pdfplumber

    try:
        pdf = pdfplumber.open(str(path))
        pdf.pages  # noqa: B018  (the page tree: an encrypted file fails here at the latest)
        return pdf
    except Exception as exc:  # pdfminer raises many types for broken or encrypted files
        cause = f"{type(exc).__name__} {exc} {type(exc.__context__).__name__ if exc.__context__ else ''}"
        if "password" in cause.lower() or "encrypt" in cause.lower() or _encrypted(path):
            raise InputError(f"无法读取「{path}」：PDF 已加密（设置了打开密码）。请用不加密的 PDF，"
                             "或在 PDF 阅读器中输入密码后另存为不加密的 PDF。") from None
        raise InputError(f"无法读取「{path}」：PDF 文件已损坏（{type(exc).__name__}）。") from None


def _encrypted(path: Path) -> bool:
    return b"/Encrypt" in path.read_bytes()


def _no_text(path: Path) -> InputError:
    return InputError(f"「{path}」没有文字层（可能是扫描件或图片），无法读取其中的表格和文字。"
                      "juesuan 不做文字识别（OCR）：请使用由 Excel/WPS/Word 直接导出的 PDF，或原工作簿。")


# --------------------------------------------------------------------------------------------------
# Characters into lines and pieces


def _lines(chars: list) -> list[Line]:
    """Characters grouped into printed lines (by their vertical middle), then into pieces by gaps."""
    spaces = [c for c in chars if not c["text"].strip()]
    chars = sorted((c for c in chars if c["text"].strip()), key=lambda c: (round(c["top"]), c["x0"]))
    rows: list[list] = []
    for ch in sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2):
        mid = (ch["top"] + ch["bottom"]) / 2
        if rows and abs(mid - rows[-1][0]) <= max(2.0, (ch["bottom"] - ch["top"]) * 0.4):
            rows[-1][1].append(ch)
        else:
            rows.append([mid, [ch]])
    lines = [_line(cs) for _, cs in rows]
    mids = [m for m, _ in rows]
    for sp in spaces:  # a space typed between two words: the words are one cell's text (see _pieces)
        mid = (sp["top"] + sp["bottom"]) / 2
        i = bisect.bisect_left(mids, mid)
        near = min((j for j in (i - 1, i) if 0 <= j < len(mids)), key=lambda j: abs(mids[j] - mid), default=None)
        if near is not None and abs(mids[near] - mid) <= max(2.0, (sp["bottom"] - sp["top"]) * 0.4):
            lines[near].spaces.append((sp["x0"] + sp["x1"]) / 2)
    return lines


def _line(chars: list) -> Line:
    chars = sorted(chars, key=lambda c: c["x0"])
    pieces: list[list] = []
    for ch in chars:
        size = ch["bottom"] - ch["top"]
        if pieces and ch["x0"] - pieces[-1][1] <= GAP * size:
            pieces[-1][1] = max(pieces[-1][1], ch["x1"])
            pieces[-1][2] += ch["text"]
        else:
            pieces.append([ch["x0"], ch["x1"], ch["text"]])
    return Line(min(c["top"] for c in chars), max(c["bottom"] for c in chars),
                [tuple(p) for p in pieces], chars)


def _value(text: str):
    """A printed amount as a number (``1,234.50``, ``(1.00)``); any other text as it is printed."""
    t = text.strip()
    if _DECIMAL.fullmatch(t):
        neg = t.startswith("(")
        number = float(t.strip("()").replace(",", ""))
        return -number if neg else number
    return t


def _column(edges: list[float], x: float) -> int:
    """The 0-based column whose span holds ``x`` (the nearest one outside the edges)."""
    for i in range(len(edges) - 1):
        if x < edges[i + 1]:
            return i
    return len(edges) - 2


# --------------------------------------------------------------------------------------------------
# A ruled table


def _ruled(table, chars: list) -> tuple[list[list], list, list[float]]:
    """The grid of a ruled table: its cells' text (characters by their centre), spans as merged ranges."""
    xs = sorted({round(v, 1) for c in table.cells for v in (c[0], c[2])})
    ys = sorted({round(v, 1) for c in table.cells for v in (c[1], c[3])})
    xs, ys = _dedupe(xs), _dedupe(ys)
    rows: list[list] = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    merged, owner = [], {}
    for x0, top, x1, bottom in table.cells:
        c0, c1 = _index(xs, x0), _index(xs, x1) - 1
        r0, r1 = _index(ys, top), _index(ys, bottom) - 1
        if c1 < c0 or r1 < r0:
            continue
        if c1 > c0 or r1 > r0:
            merged.append(((r0, c0), (r1, c1)))
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                owner[(r, c)] = (r0, c0)
    texts: dict[tuple[int, int], list] = {}
    for ch in chars:  # a character beyond the outer rule (see _overflow) goes on the text of the edge column
        c = min(max(bisect.bisect_right(xs, (ch["x0"] + ch["x1"]) / 2) - 1, 0), len(xs) - 2)
        r = bisect.bisect_right(ys, (ch["top"] + ch["bottom"]) / 2) - 1
        at = owner.get((r, c))
        if at is not None:
            texts.setdefault(at, []).append(ch)
    split = set()
    for (r, c), cs in texts.items():
        lines = _lines(cs)
        spread = _spread(lines, xs, c)
        if spread:  # one span holding text that stands in several columns: no rule between them
            split.add((r, c))
            for col, text in spread.items():
                rows[r][col] = _value(text)
            continue
        text = "".join(line.text for line in lines)
        rows[r][c] = _value(text) if text else None
    merged = [m for m in merged if m[0] not in split]
    return rows, merged, xs


def _spread(lines: list[Line], xs: list[float], c0: int) -> dict[int, str]:
    """The text of a span spread over columns when its pieces stand in different columns (a header row
    printed without the rules between its cells); {} when the span holds one text."""
    cols: dict[int, list[str]] = {}
    for line in lines:
        for x0, x1, text in line.pieces:
            col = max(c0, bisect.bisect_right(xs, (x0 + x1) / 2) - 1)
            cols.setdefault(col, []).append(text)
    return {c: "".join(t) for c, t in cols.items()} if len(cols) > 1 else {}


def _dedupe(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or v - out[-1] > 1.5:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


# --------------------------------------------------------------------------------------------------
# A table printed without rules


@dataclass
class _Col:
    """One column of an unruled table: the x span of its printed text and how that text is aligned —
    ``right`` (amounts), ``left`` (labels, codes) or ``centre`` (行次, 栏次, headers)."""

    x0: float
    x1: float
    align: str


def _fine(line: Line) -> list[tuple[float, float, str]]:
    """A line's pieces cut at every gap of :data:`MIN_GUTTER` or more: two cells printed side by side with
    only their padding between them (``853.47一、一般公共服务支出``) are two pieces here. For finding the
    columns only: text is cut for good at the columns' edges (:func:`_cut`)."""
    return _pieces(line, lambda a, b: b["x0"] - a["x1"] >= MIN_GUTTER)


def _cut(line: Line, edges: list[float]) -> list[tuple[float, float, str]]:
    """A line's pieces, also cut where a gap of :data:`MIN_GUTTER` or more holds a column edge."""
    inner = edges[1:-1]

    def cut(a, b) -> bool:
        lo, hi = a["x1"], b["x0"]
        return hi - lo >= MIN_GUTTER and any(lo - EDGE_SLACK <= e <= hi + EDGE_SLACK for e in inner)
    return _pieces(line, cut)


def _pieces(line: Line, cut) -> list[tuple[float, float, str]]:
    """A line's characters into pieces at gaps wider than :data:`GAP` and where ``cut`` says — never at a
    gap holding a typed space (``853.47 万元`` in a sentence is one text)."""
    chars = sorted(line.chars, key=lambda c: c["x0"])
    spaces = sorted(line.spaces)
    pieces: list[list] = []
    prev = None
    for ch in chars:
        near = ch["x0"] - pieces[-1][1] <= GAP * (ch["bottom"] - ch["top"]) if pieces else False
        if near and (not cut(prev, ch) or _spaced(spaces, prev["x1"], ch["x0"])):
            pieces[-1][1] = max(pieces[-1][1], ch["x1"])
            pieces[-1][2] += ch["text"]
        else:
            pieces.append([ch["x0"], ch["x1"], ch["text"]])
        prev = ch
    return [tuple(p) for p in pieces]


def _spaced(spaces: list[float], lo: float, hi: float) -> bool:
    i = bisect.bisect_left(spaces, lo)
    return i < len(spaces) and spaces[i] <= hi


def _is_number(text: str) -> bool:
    t = text.strip()
    return bool(_DECIMAL.fullmatch(t) or _INTEGER.fullmatch(t))


def _decimals(pieces) -> int:
    return sum(1 for p in pieces if _DECIMAL.fullmatch(p[2].strip()))


def _is_numbers_line(pieces) -> bool:
    """The 栏次 line: the word 栏次 and numbers, or the numbers 1, 2, 3… from left to right."""
    nums = [int(p[2]) for p in pieces if _INTEGER.fullmatch(p[2].strip()) and len(p[2].strip()) <= 2]
    if any(norm(p[2]) == "栏次" for p in pieces):
        return bool(nums)
    return len(nums) >= 3 and len(nums) == len(pieces) and nums == list(range(1, len(nums) + 1))


def _is_note(line: Line) -> bool:
    return bool(_NOTE.match(norm(line.text)))


def _spans(pieces) -> list[list]:
    """Overlapping x spans of ``pieces`` merged: ``[x0, x1, [pieces]]`` from left to right."""
    out: list[list] = []
    for p in sorted(pieces):
        if out and p[0] <= out[-1][1]:
            out[-1][1] = max(out[-1][1], p[1])
            out[-1][2].append(p)
        else:
            out.append([p[0], p[1], [p]])
    return out


def _alignment(pieces, prefer: str) -> str:
    """How a column of numbers is aligned: amounts to the right; whole numbers (codes, 行次, 栏次) by the
    edge they share; ``prefer`` when they all have the same width (amounts: right; 栏次 numbers: centre)."""
    if any(_DECIMAL.fullmatch(p[2].strip()) for p in pieces):
        return "right"
    spread = {k: round(max(f(p) for p in pieces) - min(f(p) for p in pieces), 1)
              for k, f in (("centre", lambda p: (p[0] + p[1]) / 2), ("left", lambda p: p[0]), ("right", lambda p: p[1]))}
    return min(spread, key=lambda k: (spread[k], k != prefer))


def _columns(fine: list[list], first: int, data: list[int]) -> list[_Col]:
    """The columns of an unruled table from its lines' fine pieces (``fine[first:]``: from its first amount
    or 栏次 line; ``data``: the lines of amounts — none in an empty table). Numbers (amounts, codes, 行次; in
    an empty table the 栏次 numbers) make the columns they stand in — a number never runs into the next
    cell; labels make columns between them (a label that runs over a column of numbers spans cells and
    makes none). Where a table has no labels yet (an empty table), the columns between its numbers are
    those of its most detailed header line."""
    heads = next((f for f in fine[first:] if _is_numbers_line(f)), [])
    heads = [p for p in heads if _INTEGER.fullmatch(p[2])]
    numbers = [p for i in data for p in fine[i] if _is_number(p[2])]
    cols = [_Col(s[0], s[1], _alignment(s[2], "right")) for s in _spans(numbers)]
    cols += [_Col(p[0], p[1], "centre") for p in _empty_columns(heads, cols)]

    def free(p) -> bool:
        return not _is_number(p[2]) and not any(p[0] < c.x1 and c.x0 < p[1] for c in cols)
    labels = [p for f in fine[first:] for p in f if free(p) and norm(p[2]) not in _SPANNING]
    if not labels and not data and first:
        labels = max(([p for p in f if free(p)] for f in fine[:first]), key=len)
    cols += [_Col(s[0], s[1], "left") for s in _spans(labels)]
    return sorted(cols, key=lambda c: c.x0)


def _empty_columns(heads: list, cols: list[_Col]) -> list:
    """The 栏次 numbers of the columns no amount is printed in (blank cells print as nothing): each
    number stands for the columns half-way to its neighbours."""
    heads = sorted(heads)
    mids = [(a[1] + b[0]) / 2 for a, b in zip(heads, heads[1:])]
    out = []
    for i, p in enumerate(heads):
        lo, hi = mids[i - 1] if i else float("-inf"), mids[i] if i < len(mids) else float("inf")
        if not any(lo <= (c.x0 + c.x1) / 2 < hi for c in cols) and not any(p[0] < c.x1 and c.x0 < p[1] for c in cols):
            out.append(p)
    return out


def _is_data_line(pieces) -> bool:
    """A line of a table's amounts: numbers in three cells or more (code, 行次 and amounts count), or two
    with an amount among them — never the 栏次 line, nor a sentence of the 情况说明 with figures in it."""
    count = sum(1 for p in pieces if _is_number(p[2]))
    prose = any(mark in p[2] for p in pieces for mark in "，。；")
    return (count >= 3 or (count == 2 and _decimals(pieces) > 0)) and not prose and not _is_numbers_line(pieces)


def _edges(cols: list[_Col]) -> list[float]:
    """Where each column's cells begin: just after the text of the column before when either is
    right-aligned (amounts end where their cell ends; the cell of an amount begins where the text before
    it ends), else just before the text of a left-aligned column, half-way to a centred one (so a header
    centred over its column falls in it)."""
    edges = [cols[0].x0 - 1]
    for left, right in zip(cols, cols[1:]):
        if "right" in (left.align, right.align):  # a right-aligned text ends where its cell does
            edges.append(left.x1 + EDGE_SLACK)
        elif right.align == "left":
            edges.append(right.x0 - EDGE_SLACK)
        else:
            edges.append((left.x1 + right.x0) / 2)
    return edges + [cols[-1].x1 + 1]


def _aligned(lines: list[Line], first: int, data: list[int]) -> tuple[list[list], list, list[float]]:
    """The grid of an unruled table (``lines[first]``: its first amount or 栏次 line; ``data``: its lines of
    amounts): one row per line, each piece in the column it starts in; a header piece over several columns
    is merged across them."""
    fine = [_fine(line) for line in lines]
    edges = _edges(_columns(fine, first, data))
    width = len(edges) - 1
    out = _unwrap(lines, [_cut(line, edges) for line in lines], first, edges)
    rows, merged = [], []
    for i, pieces in enumerate(out):
        if not pieces:
            continue
        r, row = len(rows), [None] * width
        amount_line = _decimals(pieces) > 0
        for p in pieces:
            c, c1 = _span(edges, *p) if i >= first else _header_span(out, i, p, first, edges)
            row[c] = _value(p[2]) if row[c] is None else f"{row[c]}{p[2]}"
            if c1 > c and not amount_line:
                merged.append(((r, c), (r, c1)))
        rows.append(row)
    return rows, merged, edges


def _header_span(out: list[list], r: int, p: tuple, first: int, edges: list[float]) -> tuple[int, int]:
    """The columns a header piece stands over: those of its characters; for a header printed at the left
    of a merged cell (a header below it in its column starts where it starts), also the columns up to the
    next piece on its line — and within the header above it — that have headers below them."""
    c, c1 = _span(edges, *p)
    below = [(q, _span(edges, *q)[0]) for u in range(r + 1, first) for q in out[u]]
    if not any(col == c and abs(q[0] - p[0]) <= EDGE_SLACK and abs(q[1] - p[1]) > EDGE_SLACK for q, col in below):
        return c, c1
    nxt = min((_span(edges, *q)[0] for q in out[r] if q[0] > p[1]), default=len(edges) - 1)
    for u in range(r - 1, -1, -1):  # the header above it, if any: its span ends this one's
        spans = [_header_span(out, u, q, first, edges) for q in out[u]]
        parent = next((s for s in spans if s[0] <= c <= s[1]), None)
        if parent is not None:
            nxt = min(nxt, parent[1] + 1)
            break
    return c, max([c1] + [col for _, col in below if c1 < col < nxt])


def _span(edges: list[float], x0: float, x1: float, text: str) -> tuple[int, int]:
    """The first and last column of a piece: those its first and last characters' centres stand in."""
    half = (x1 - x0) / max(len(text), 1) / 2
    return _column(edges, x0 + half), _column(edges, x1 - half)


def _unwrap(lines: list[Line], pieces: list[list], first: int, edges: list[float]) -> list[list]:
    """The header lines' pieces with the text header cells wrapped onto the next line put back on their
    first line (``一般公共预算财政``⏎``拨款``): a header line of nothing but such rests — each right under a
    piece of its column that fills the column (one more character would not have fitted), closer to it
    than half a line — is joined to the pieces above it."""
    out = [list(p) for p in pieces]
    for r in range(1, first):
        joins = [_wrapped_from(out, lines, r, q, edges) for q in out[r]]
        if not out[r] or not all(joins):
            continue
        for q, (u, p) in zip(out[r], joins):
            i = out[u].index(p)
            out[u][i] = (p[0], p[1], p[2] + q[2])
        out[r] = []
    return out


def _wrapped_from(out: list[list], lines: list[Line], r: int, q: tuple, edges: list[float]):
    """(line, piece) whose wrapped rest ``q`` is, or None: the nearest piece above in ``q``'s column."""
    col = _span(edges, q[0], q[1], q[2])[0]
    for u in range(r - 1, -1, -1):
        above = [p for p in out[u] if _span(edges, p[0], p[1], p[2])[0] == col]
        if above:
            return (u, above[0]) if _wraps_onto(above[0], q, lines[u], lines[r], edges) else None
    return None


def _wraps_onto(p: tuple, q: tuple, upper: Line, lower: Line, edges: list[float]) -> bool:
    """Whether ``q`` (on ``lower``) is the rest of ``p``'s text, wrapped in its cell."""
    c0, c1 = _span(edges, p[0], p[1], p[2])
    char = (p[1] - p[0]) / max(len(p[2]), 1)
    full = (edges[c1 + 1] - edges[c0]) - (p[1] - p[0]) < 1.5 * char
    close = lower.top - upper.bottom < (upper.bottom - upper.top) / 2
    return full and close and p[0] <= q[0] and q[1] <= p[1]


# --------------------------------------------------------------------------------------------------
# A page: its tables, with the lines around them


def _place(lines: list[Line], edges: list[float]) -> list[list]:
    """Lines printed outside a table, as rows of its grid: each piece in the column it starts in."""
    width = len(edges) - 1
    out = []
    for line in lines:
        row: list = [None] * width
        for x0, _, text in line.pieces:
            c = _column(edges, x0 + 0.5)
            while c < width - 1 and row[c] is not None:
                c += 1
            row[c] = text if row[c] is None else f"{row[c]} {text}"
        out.append(row)
    return out


def _page_grids(page, number: int) -> tuple[list[Grid], list[Line]]:
    """The tables of one page (ruled ones, else one unruled table when the page has amount lines) and the
    page's lines outside any table."""
    chars = page.chars
    tables = [t for t in page.find_tables() if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2]
    tables.sort(key=lambda t: t.bbox[1])
    lines = _lines(chars)
    if not tables:
        grid = _unruled_grid(lines, number)
        return ([grid], []) if grid else ([], lines)
    grids, above = [], 0.0
    for i, t in enumerate(tables):
        x0, top, x1, bottom = t.bbox
        below = tables[i + 1].bbox[1] if i + 1 < len(tables) else page.height + 1
        band = [c for c in chars if top - 1 <= (c["top"] + c["bottom"]) / 2 <= bottom + 1]
        inside = [c for c in band if x0 - 1 <= (c["x0"] + c["x1"]) / 2 <= x1 + 1]
        rows, merged, edges = _ruled(t, inside + _overflow(inside, band))
        head = [ln for ln in lines if above <= (ln.top + ln.bottom) / 2 < top - 1]
        foot = [ln for ln in lines if bottom + 1 < (ln.top + ln.bottom) / 2 < below and (i + 1 == len(tables))]
        pre = _place(head, edges)
        merged = [((r0 + len(pre), c0), (r1 + len(pre), c1)) for (r0, c0), (r1, c1) in merged]
        grids.append(Grid(number, pre + rows + _place(foot, edges), merged, edges,
                          [norm(ln.text) for ln in head], len(pre)))
        above = bottom + 1
    return grids, []


def _overflow(inside: list, band: list) -> list:
    """The characters beside a ruled table that go on the text of its first or last column (a header
    wider than its column, printed across the table's outer rule): on the line of a character inside,
    each closer to the one before than a piece gap."""
    seen = {id(c) for c in inside}
    out: list = []
    reach = list(inside)
    while reach:
        nxt = []
        for ch in band:
            if id(ch) in seen:
                continue
            if any(_same_line(ch, c) and min(abs(ch["x0"] - c["x1"]), abs(c["x0"] - ch["x1"]))
                   <= GAP * (ch["bottom"] - ch["top"]) for c in reach):
                seen.add(id(ch))
                nxt.append(ch)
        out += nxt
        reach = nxt
    return out


def _same_line(a, b) -> bool:
    return abs((a["top"] + a["bottom"]) / 2 - (b["top"] + b["bottom"]) / 2) <= max(2.0, (a["bottom"] - a["top"]) * 0.4)


def _unruled_grid(lines: list[Line], number: int) -> Grid | None:
    """An unruled page's table, when the page has one (two lines of amounts, one line of nothing but
    amounts, or a 栏次 line): from its header lines (the lines above its first amount or 栏次 line, below
    the title and the 部门/单位 line) to the line before its first 注/说明; the lines above and below it
    are placed in its columns."""
    fine = [_fine(line) for line in lines]
    data = [i for i, f in enumerate(fine) if _is_data_line(f)]
    numbers = [i for i, f in enumerate(fine) if _is_numbers_line(f)]
    if len(data) < 2 and not numbers and not any(all(_is_number(p[2]) for p in fine[i]) for i in data):
        return None
    first = min(data[:1] + numbers[:1])
    start, size = first, _size(lines[first])
    while start > 0 and not _is_furniture(lines[start - 1]) and _size(lines[start - 1]) <= 1.2 * size:
        start -= 1  # up to the 部门/单位/表号 line or the title (printed larger): a continued page has neither
    end = next((i for i in range(first, len(lines)) if _is_note(lines[i])), len(lines))
    rows, merged, edges = _aligned(lines[start:end], first - start, [i - start for i in data if i < end])
    pre, foot = _place(lines[:start], edges), _place(lines[end:], edges)
    merged = [((r0 + len(pre), c0), (r1 + len(pre), c1)) for (r0, c0), (r1, c1) in merged]
    return Grid(number, pre + rows + foot, merged, edges, [norm(ln.text) for ln in lines[:start]], len(pre))


def _size(line: Line) -> float:
    return max(c["bottom"] - c["top"] for c in line.chars)


def _is_furniture(line: Line) -> bool:
    """A line above a table that is not its header: 部门名称…, 单位：万元, 2024 年度, a 表号."""
    return bool(_FURNITURE.search(norm(line.text)))  # not 单位 alone: 附属单位上缴收入 is a header


# --------------------------------------------------------------------------------------------------
# Joining a table continued over pages


def _header(rows: list[list], start: int) -> list[tuple]:
    """The header rows of a table proper: the rows before its first amount, as text."""
    out = []
    for row in rows[start:]:
        if any(isinstance(v, float) for v in row):
            break
        out.append(tuple(norm(v) if v is not None else "" for v in row))
    return out


def _continues(prev: list[Grid], grid: Grid) -> bool:
    """Whether ``grid`` goes on with the table of ``prev``: on the next page, the same number of columns,
    and no title lines of its own (or the very same ones repeated)."""
    last, first = prev[-1], prev[0]
    if grid.page != last.page + 1 or len(grid.edges) != len(first.edges):
        return False
    own = [h for h in grid.head if h]
    return not own or own == [h for h in first.head if h]


def _join(grids: list[Grid]) -> tuple[list[list], list, list[int]]:
    """Rows of a table's pages joined: repeated title lines and header rows dropped; each row's page."""
    first = grids[0]
    rows, merged, pages = list(first.rows), list(first.merged), [first.page] * len(first.rows)
    header = _header(first.rows, first.body_top)
    for g in grids[1:]:
        skip = g.body_top
        mine = _header(g.rows, skip)
        if header and mine[: len(header)] == header:
            skip += len(header)
        offset = len(rows) - skip
        rows += g.rows[skip:]
        pages += [g.page] * (len(g.rows) - skip)
        merged += [((r0 + offset, c0), (r1 + offset, c1)) for (r0, c0), (r1, c1) in g.merged if r0 >= skip]
    _numbers_in_amount_columns(rows)
    return rows, merged, pages


def _numbers_in_amount_columns(rows: list[list]) -> None:
    """An amount printed without decimals (``12``) is a number in a column of printed amounts; elsewhere
    (科目代码, 行次, 栏次) digits stay text, as they were typed."""
    start = next((i for i, row in enumerate(rows) if any(isinstance(v, float) for v in row)), len(rows))
    width = max((len(r) for r in rows), default=0)
    amount_cols = {c for row in rows[start:] for c, v in enumerate(row) if isinstance(v, float)}
    for c in range(width):  # a column of nothing but 0 (an empty column printed with whole numbers)
        seen = {row[c] for row in rows[start:] if c < len(row) and row[c] is not None}
        if seen == {"0"}:
            amount_cols.add(c)
    for row in rows[start:]:
        for c in amount_cols:
            if c < width and c < len(row) and isinstance(row[c], str) and _INTEGER.fullmatch(row[c]):
                row[c] = float(row[c])


def _sheet_name(pages: list[int]) -> str:
    a, b = min(pages), max(pages)
    return f"第{a}页" if a == b else f"第{a}–{b}页"


# --------------------------------------------------------------------------------------------------
# The document


@dataclass
class PdfDocument:
    """What a PDF holds for juesuan: its tables as a workbook, and the text of the pages without tables."""

    workbook: Workbook
    text_pages: list[tuple[int, list[str]]]  # (page number, lines) of every page that holds no table
    pages: int


_CACHE: dict[tuple, PdfDocument] = {}  # the last document read: tables and text come from one reading


def read_document(path: str | Path) -> PdfDocument:
    """The PDF's tables and text (read once per file version: ``check x.pdf`` needs both)."""
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    doc = _read_document(path)
    _CACHE.clear()
    if key is not None:
        _CACHE[key] = doc
    return doc


def _read_document(path: Path) -> PdfDocument:
    pdf = _open(path)
    groups: list[list[Grid]] = []
    text_pages: list[tuple[int, list[str]]] = []
    any_text = False
    try:
        for number, page in enumerate(pdf.pages, start=1):
            grids, lines = _page_grids(page, number)
            any_text = any_text or bool(page.chars)
            if not grids and lines:  # the text as pdfplumber lays it out (spaces where the page has them)
                text_pages.append((number, (page.extract_text() or "").splitlines()))
            for g in grids:
                if groups and _continues(groups[-1], g):
                    groups[-1].append(g)
                else:
                    groups.append([g])
        count = len(pdf.pages)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"无法读取「{path}」：PDF 内容损坏，无法解析（{type(exc).__name__}）。") from None
    finally:
        pdf.close()
    if not any_text:
        raise _no_text(path)
    sheets = []
    for group in groups:
        rows, merged, pages = _join(group)
        sheets.append(Sheet(_sheet_name(pages), rows, (0, 0), {}, merged, pages=pages))
    return PdfDocument(Workbook(path, sheets), text_pages, count)


def read_pdf(path: str | Path) -> Workbook:
    """The tables of a PDF as a workbook of sheets (one per table, named by its pages)."""
    return read_document(path).workbook


def narrative_lines(path: str | Path) -> list[str]:
    """The text of a PDF's pages that hold no table: the 情况说明 and the rest of the disclosure's text."""
    return [line for _, lines in read_document(path).text_pages for line in lines]


def has_narrative(path: str | Path) -> bool:
    """Whether the PDF's text pages hold a 情况说明 (its 第三部分, or a heading naming it)."""
    for line in narrative_lines(path):
        t = norm(line)
        if t.startswith("第三部分") or (len(t) < 40 and t.endswith("情况说明")):
            return True
    return False
