"""Find blocks of values pasted one row off, so they are reported once, as a shift (S-03).

A column block shifted by one row breaks the relations of every row it covers; reporting each
broken relation would bury the cause. For each table column (and for whole rows) with several broken
relations, we try the hypothesis "rows a..b show the values of the rows above (or below)": if undoing
it repairs most of the broken relations, one S-03 finding replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from juesuan.layout.keys import CellKey
from juesuan.util import a1
from juesuan.util.rounding import MISMATCH, envelope
from juesuan.validate.context import Context, Violation
from juesuan.validate.emit import add
from juesuan.validate.relations import leafcount
from juesuan.validate.values import value

MIN_REPAIRED = 3
MIN_MOVED = 3  # cells whose value the un-shift changes
ZERO = Decimal(0)
MAX_CANDIDATES = 400
MAX_DISPLACED = 6  # amounts displaced against their labels by up to this many rows


@dataclass
class Shift:
    """Rows ``rows[a..b]`` of columns ``cols`` hold the values of the rows ``d`` further on."""

    repaired: int
    length: int
    cols: tuple
    rows: list
    a: int
    b: int
    d: int
    tail: bool = False  # amounts displaced against the labels from row a to the table's end

    @property
    def rank(self) -> tuple[int, int]:
        return self.repaired, -self.length


def _prepare(ctx: Context, items):
    """(op, signed terms, envelope) of each 强制 relation, with the envelope of the values as read."""
    out = []
    for inst, lhs, rhs in items:
        if inst.rule.severity != "E":
            continue
        n = max(leafcount(ctx, lhs), leafcount(ctx, rhs))
        out.append((inst.op, list(lhs) + [(-s, k) for s, k in rhs], envelope(n)))
    return out


def _is_bad(op, diff, tol) -> bool:
    if op == "<=" and diff <= 0:
        return False
    return abs(diff) >= tol


class _Judge:
    """The prepared relations of a block, judged incrementally: each relation's difference is summed
    once; a hypothesis adds to it only what the cells it changes contribute (exact: Decimal)."""

    def __init__(self, values: dict, prepared: list):
        self.prepared = prepared
        self.diff: list[Decimal] = []
        self.coef: dict = {}  # cell → [(relation, its net sign in that relation)]
        for i, (_, terms, _) in enumerate(prepared):
            diff, net = ZERO, {}
            for s, k in terms:
                diff += s * values.get(k, ZERO)
                net[k] = net.get(k, 0) + s
            self.diff.append(diff)
            for k, c in net.items():
                if c:
                    self.coef.setdefault(k, []).append((i, c))
        self.bad = [_is_bad(op, d, tol) for (op, _, tol), d in zip(prepared, self.diff)]
        self.before = sum(self.bad)
        self.need = max(MIN_REPAIRED, 0.6 * self.before)  # what a hypothesis must repair to explain them
        self.touch = {k: {i for i, _ in occ} for k, occ in self.coef.items()}

    def bad_reach(self, tid: str, cols, rows):
        """``reach(a, b)``: how many broken relations touch a cell of rows[a:b] in ``cols`` — at most
        that many can an un-shift of those rows repair (the bound that prunes a hypothesis unseen)."""
        at = [{i for c in cols for i in self.touch.get(CellKey(tid, r, c), ()) if self.bad[i]} for r in rows]
        memo: dict = {}

        def reach(a: int, b: int) -> int:
            if (a, b) not in memo:
                memo[(a, b)] = len(set().union(*at[a:b]))
            return memo[(a, b)]
        return reach

    def judge(self, delta: dict) -> int | None:
        """How many broken relations the changes ``delta`` (relation → what its difference gains)
        repair, net of those they break, if that reaches ``need``; else None. The broken ones are judged
        first, and the count stops as soon as the bar is out of reach."""
        bad, diff, prepared, need = self.bad, self.diff, self.prepared, self.need
        broken = [i for i in delta if bad[i]]
        left = len(broken)  # the most the relations not yet judged can repair
        if left < need:
            return None
        repaired = 0
        for i in broken:
            op, _, tol = prepared[i]
            repaired += 1 - _is_bad(op, diff[i] + delta[i], tol)
            left -= 1
            if repaired + left < need:
                return None
        for i in delta:
            if not bad[i]:
                op, _, tol = prepared[i]
                repaired -= _is_bad(op, diff[i] + delta[i], tol)
                if repaired < need:
                    return None
        return repaired


def _add(delta: dict, occurrences, change) -> None:
    """A cell changed by ``change``: each relation it is in gains its sign times the change."""
    if change:
        for i, c in occurrences:
            delta[i] = delta.get(i, ZERO) + (change if c == 1 else -change if c == -1 else c * change)


def find_shifts(ctx: Context, violations: list[Violation]) -> list[Violation]:
    """Report each shifted block as S-03 and return the violations it does not explain."""
    mismatches = [v for v in violations if v.verdict == MISMATCH and v.inst is not None]
    if len(mismatches) < MIN_REPAIRED:
        return violations
    explained: set[int] = set()
    for tid, tl in ctx.layout.tables.items():
        if not tl.shift_groups() or tid not in ctx.located.readable:
            continue
        touching = [v for v in mismatches if any(k.table == tid for k in v.keys)]
        if len(touching) < MIN_REPAIRED:
            continue
        best = _best_shift(ctx, tid, tl, touching)
        if best is None:
            continue
        _report(ctx, tid, best)
        # the relations explained by the shift are not reported one by one
        lo = best.a - abs(best.d) if best.tail else best.a - 1
        block = {CellKey(tid, r, c) for r in best.rows[max(0, lo): best.b + 2] for c in best.cols}
        explained |= {i for i, v in enumerate(violations) if v.verdict == MISMATCH and v.keys & block}
        if best.tail:
            _drop_consequences(ctx, tid, block)
    return [v for i, v in enumerate(violations) if i not in explained]


def _drop_consequences(ctx: Context, tid: str, block: set) -> None:
    """Hints about the rows a displacement covers (a row all 0, blanks beside zeros) follow from it."""
    tl = ctx.layout.table(tid)
    codes = {tl.describe(k)[0] for k in block}
    number = tl.spec.number
    ctx.findings[:] = [f for f in ctx.findings
                       if not (f.severity == "info" and f.table == number and f.code in codes and f.kind != "shift")]


def _candidate_groups(tid, tl, touching):
    # A single wrong cell breaks its own row's sum once; a shifted column breaks the row sums of
    # several rows; a shifted block of whole rows keeps row sums and breaks several parents.
    groups = tl.shift_groups()
    if tl.kind == "coded":
        same_row = {next(iter(v.keys)).row for v in touching
                    if len({k.row for k in v.keys}) == 1 and all(k.table == tid for k in v.keys)}
        whole = tuple(tl.spec.columns)
        groups = [g for g in groups if (len(same_row) >= 2 and g[0] != whole) or (not same_row and g[0] == whole)]
    return groups


def _relations_by_cell(ctx: Context) -> dict:
    """Cell → the indices of the judged relations (``ctx.expanded``) it is a term of; built once."""
    memo = ctx.__dict__.get("_relations_by_cell")
    if memo is None or memo[0] != len(ctx.expanded):
        index: dict = {}
        for i, (_, lhs, rhs) in enumerate(ctx.expanded):
            for _, k in lhs + rhs:
                index.setdefault(k, []).append(i)
        memo = ctx.__dict__["_relations_by_cell"] = (len(ctx.expanded), index)
    return memo[1]


def _best_shift(ctx: Context, tid: str, tl, touching) -> Shift | None:
    best = None
    narrow = _candidate_groups(tid, tl, touching)
    for cols, rows in tl.shift_groups():
        block_too = (cols, rows) in narrow  # a paste one row off: only where the broken sums point to it
        bad_rows = sorted({k.row for v in touching for k in v.keys if k.table == tid and k.col in cols and k.row in rows})
        if len(bad_rows) < 2:
            continue
        pos = {r: i for i, r in enumerate(rows)}
        idx = sorted(pos[r] for r in bad_rows)
        edges = sorted({j for i in idx for j in (i - 1, i, i + 1) if 0 <= j < len(rows)})
        pairs = [(a, b) for a in edges for b in edges if b > a][:MAX_CANDIDATES]
        block_keys = {CellKey(tid, r, c) for r in rows for c in cols}
        by_cell = _relations_by_cell(ctx)
        seen = sorted({i for k in block_keys for i in by_cell.get(k, ())})  # in the order they were judged
        prepared = _prepare(ctx, [ctx.expanded[i] for i in seen])
        values = {k: value(ctx, k) for _, terms, _ in prepared for _, k in terms}
        judge = _Judge(values, prepared)
        reach = judge.bad_reach(tid, cols, rows)
        grid = _Grid(ctx, tid, cols, rows, judge)
        blocks = _block_shifts(grid, cols, rows, pairs if block_too else [], reach, judge)
        for a, b in (pairs if block_too else ()):
            for d in (1, -1):
                cand = blocks.get((a, b, d))
                if cand is not None and (best is None or cand.rank > best.rank):
                    best = cand
        bad_pos = set(idx)
        starts = [a for a in edges if len(rows) - a >= MIN_MOVED
                  and sum(1 for i in range(a, len(rows)) if i in bad_pos) >= max(MIN_REPAIRED, (len(rows) - a) // 2)
                  and reach(a, len(rows)) >= judge.need]  # a displacement breaks most rows below where it starts
        tails = _tail_shifts(grid, cols, rows, starts, judge)
        for a in starts:
            for k in range(1, _max_displacement(len(rows), a) + 1):
                for d in (k, -k):
                    cand = tails[(a, d)]
                    if cand is not None and (best is None or cand.rank > best.rank):
                        best = cand
    return best


def _max_displacement(n: int, a: int) -> int:
    return min(MAX_DISPLACED, n - a - 1)


def _tail_shifts(grid: "_Grid", cols, rows, starts, judge) -> dict:
    """Every hypothesis "from rows[a] down, each amount stands ``d`` rows off its label" for ``a`` in
    ``starts``: rows were inserted into (d > 0) or deleted from (d < 0) the code and name columns but
    not the amount columns. Undone: rows[i] takes the amount shown at rows[i − d]; rows with no amount of
    their own (the inserted labels, or the last rows) take 0. (a, d) → the Shift, or None.

    For each d the changes are summed from the table's end upwards, so the hypotheses of every start
    share the rows below: row i ≥ a + d takes rows[i − d] whatever a is; only the d rows from a take 0."""
    n, out = len(rows), {}
    if not starts:
        return out
    top = min(starts)
    wanted = {a: _max_displacement(n, a) for a in starts}
    for d in sorted({d for a, m in wanted.items() for k in range(1, m + 1) for d in (k, -k)}):
        shared: dict = {}  # relation → what its difference gains from the rows shared by every start
        moved, next_row = 0, n - 1  # next row to add to ``shared``
        for a in range(n - 1, top - 1, -1):
            first_shared = a + d if d > 0 else a
            while next_row >= max(first_shared, 0) and next_row >= a:
                j = next_row - d
                new = grid.vals[j] if 0 <= j < n else None
                moved += _row_changes(grid, next_row, new, shared)
                next_row -= 1
            if a not in wanted or abs(d) > wanted[a]:
                continue
            if not grid.whole_from[a]:
                out[(a, d)] = None
                continue
            delta, count = dict(shared), moved
            for i in range(a, min(a + d, n)) if d > 0 else ():
                count += _row_changes(grid, i, None, delta)  # the inserted labels' rows: no amount of their own
            out[(a, d)] = _verdict(judge, delta, count, Shift(0, abs(d), cols, rows, a, n - 1, d, tail=True))
    return out


def _row_changes(grid: "_Grid", i: int, new, delta: dict) -> int:
    """Row i taking the values ``new`` (None: 0 everywhere): its changed cells added to ``delta``;
    returns how many cells changed."""
    here, places, moved = grid.vals[i], grid.occ[i], 0
    for ci, old in enumerate(here):
        v = new[ci] if new is not None else ZERO
        if v != old:
            moved += 1
            _add(delta, places[ci], v - old)
    return moved


def _verdict(judge: _Judge, delta, moved: int, shift: "Shift") -> "Shift | None":
    """``shift`` with what it repairs, if it moves enough cells and repairs enough relations."""
    if moved < MIN_MOVED:
        return None
    repaired = judge.judge(delta)
    if repaired is None:
        return None
    shift.repaired = repaired
    return shift


class _Grid:
    """The cells of a shift group, row by row: their keys (None where the workbook has no such cell),
    values and the relations each is in, looked up once for all the hypotheses tried on the group."""

    def __init__(self, ctx, tid, cols, rows, judge: _Judge):
        self.keys = [[CellKey(tid, r, c) if CellKey(tid, r, c) in ctx.cells else None for c in cols] for r in rows]
        self.vals = [[value(ctx, k) if k is not None else ZERO for k in line] for line in self.keys]
        self.occ = [[judge.coef.get(k, ()) for k in line] for line in self.keys]
        n = len(rows)
        self.whole_from = [False] * (n + 1)  # rows[a:] all have every column's cell
        self.whole_from[n] = True
        for i in range(n - 1, -1, -1):
            self.whole_from[i] = self.whole_from[i + 1] and all(k is not None for k in self.keys[i])


def _block_shifts(grid: "_Grid", cols, rows, pairs, reach, judge) -> dict:
    """Every hypothesis "rows[a..b] show the values of rows[a+d..b+d]" (d = ±1) of ``pairs``: (a, b, d)
    → the Shift, when undoing it repairs enough. For each a and d the rows are added one by one as b
    grows, so the blocks from one start share their rows. A block that fewer broken relations touch
    than it would have to repair is not judged."""
    ends: dict[int, list[int]] = {}
    for a, b in pairs:
        ends.setdefault(a, []).append(b)
    n, out = len(rows), {}
    for a, bs in ends.items():
        for d in (1, -1):
            delta: dict = {}
            moved, i = 0, a
            for b in sorted(bs):
                while i is not None and i <= b:
                    j = i + d
                    if not 0 <= j < n or None in grid.keys[j] or None in grid.keys[i]:
                        i = None  # a row without its cells: no block from a reaches past it
                        break
                    moved += _row_changes(grid, i, grid.vals[j], delta)
                    i += 1
                if i is None:
                    break
                if reach(a, b + 1) >= judge.need:
                    out[(a, b, d)] = _verdict(judge, dict(delta), moved, Shift(0, b - a, cols, rows, a, b, d))
    return out


def _report(ctx: Context, tid: str, s: Shift) -> None:
    if s.tail:
        _report_tail(ctx, tid, s)
        return
    first = CellKey(tid, s.rows[s.a + s.d] if s.d == 1 else s.rows[s.a], min(s.cols))
    shown_rows = [s.rows[i + s.d] for i in range(s.a, s.b + 1)]
    cells = [ctx.cells[CellKey(tid, r, c)] for r in shown_rows for c in s.cols]
    rows = [a1.split(c.a1)[1] for c in cells]
    cols = sorted((a1.col_index(a1.split(c.a1)[0]), a1.split(c.a1)[0]) for c in cells)
    top, left, right = min(rows), cols[0][1], cols[-1][1]
    span = f"{left}{top}:{right}{max(rows)}"
    if _printed(ctx, tid):  # a PDF: no cell addresses, the rows by page and label
        ends = sorted(cells, key=lambda c: a1.order(c.a1))
        span = f"{_place(ctx, ends[0])}至{_place(ctx, ends[-1])}"
    src = ctx.cells[CellKey(tid, s.rows[s.a + s.d], min(s.cols))]
    dst = ctx.cells[CellKey(tid, s.rows[s.a], min(s.cols))]
    f = add(ctx, ctx.rule_of_check("shift"), first, "shifted",
            {"span": span, "direction": "向下" if s.d == 1 else "向上", "source": _place(ctx, src),
             "value": value(ctx, src.key), "target": _place(ctx, dst), "repaired": s.repaired}, kind="shift")
    f.cell = f"{left}{top}"


def _report_tail(ctx: Context, tid: str, s: Shift) -> None:
    """One finding for amounts displaced against their labels from a row to the table's end."""
    tl = ctx.layout.table(tid)
    col = min(s.cols)
    start = ctx.cells[CellKey(tid, s.rows[s.a], col)]
    # an example: the first amount that belongs to another row
    i = s.a + s.d if s.d > 0 else s.a
    src = ctx.cells[CellKey(tid, s.rows[i - s.d], col)] if s.d > 0 else ctx.cells[CellKey(tid, s.rows[i - s.d], col)]
    dst = ctx.cells[CellKey(tid, s.rows[i], col)]
    code, name = tl.describe(dst.key)
    f = add(ctx, ctx.rule_of_check("shift"), start.key, "displaced",
            {"start": _place(ctx, start), "rows": abs(s.d), "direction": "向下" if s.d > 0 else "向上",
             "source": _place(ctx, src), "value": value(ctx, src.key), "code": code, "name": name,
             "repaired": s.repaired}, kind="shift")
    f.params["cells"] = [ctx.cells[CellKey(tid, r, c)].a1 for r in s.rows[s.a:] for c in s.cols
                         if CellKey(tid, r, c) in ctx.cells]


def _printed(ctx: Context, tid: str) -> bool:
    """Whether the table was read from a PDF (its rows have pages, its cells no address)."""
    sheet = ctx.located.sheets.get(tid)
    return bool(sheet is not None and sheet.pages)


def _place(ctx: Context, cell) -> str:
    """Where a cell is, as the user can find it: ``C12`` in a workbook; in a PDF the page and the row's
    code and name (``第3页「2010301 行政运行」第1栏``)."""
    tid = cell.key.table
    if not _printed(ctx, tid):
        return cell.a1
    pages = ctx.located.sheets[tid].pages
    row = a1.split(cell.a1)[1]
    page = pages[row - 1] if 0 < row <= len(pages) else pages[0]
    code, name = ctx.layout.table(tid).describe(cell.key)
    label = " ".join(x for x in (code, name) if x)
    column = f"第{cell.key.col}栏" if isinstance(cell.key.col, int) else ""
    return f"第{page}页「{label}」{column}"
