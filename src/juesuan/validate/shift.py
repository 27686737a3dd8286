"""Find blocks of values pasted one row off, so they are reported once, as a shift (S-03).

A column block shifted by one row breaks the relations of every row it covers; reporting each
broken relation would bury the cause. For each table column (and for whole rows) with several broken
relations, we try the hypothesis "rows a..b show the values of the rows above (or below)": if undoing
it repairs most of the broken relations, one S-03 finding replaces them. Amounts displaced against
their labels from a row to the table's end (rows inserted into the code columns only) are tried too.

A group's hypotheses are many (hundreds in a workbook with many errors) and share their rows, so they
are judged together (:class:`GroupSearch`): on exact integers of one scale, with prefix sums of what
each relation's difference gains row by row, first on the broken relations alone.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import MAX_PREC, Decimal
from decimal import Context as DecimalContext

import numpy as np

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
INT64_SAFE = 2 ** 62  # sums bounded by this are done in numpy's int64, larger ones in Python integers
EXACT = DecimalContext(prec=MAX_PREC)


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


class _Relations:
    """The 强制 relations of a workbook as the shift search sees them, indexed once per check: each cell's
    relations with its sign in each of its terms there; each relation's difference as
    read and whether it is broken, worked out (exact: Decimal) the first time a group of cells it is in
    is searched; its envelope only when that is needed (a difference of 0 breaks nothing)."""

    def __init__(self, ctx: Context):
        self.ctx, self.expanded = ctx, ctx.expanded  # a relation: its index there
        of_cell: dict = {}  # cell → ((relation, its sign in one of its terms), …): tuples, which the
        get = of_cell.get  # garbage collector soon stops tracking (many lists would make it run more)
        for i, (inst, lhs, rhs) in enumerate(ctx.expanded):
            if inst.rule.severity != "E":
                continue
            for s, k in lhs:
                of_cell[k] = get(k, ()) + ((i, s),)
            for s, k in rhs:
                of_cell[k] = get(k, ()) + ((i, -s),)  # a cell on both sides: its signs add up (to 0)
        self.of_cell = of_cell
        self.facts: dict = {}
        self.tols: dict = {}

    def judge(self, i: int) -> tuple[Decimal, bool]:
        """(difference, broken) of relation ``i``."""
        got = self.facts.get(i)
        if got is None:
            ctx, (inst, lhs, rhs) = self.ctx, self.expanded[i]
            known, diff = ctx.values, ZERO  # every cell's value, formulas computed (validate.values)
            for s, k in lhs:
                v = known.get(k)
                diff += s * (v if v is not None else value(ctx, k))
            for s, k in rhs:
                v = known.get(k)
                diff += -s * (v if v is not None else value(ctx, k))
            broken = diff != 0 and not (inst.op == "<=" and diff < 0) and abs(diff) >= self.tol(i)
            got = self.facts[i] = (diff, broken)
        return got

    def op(self, i: int) -> str:
        return self.expanded[i][0].op

    def tol(self, i: int) -> Decimal:
        """The rounding envelope of relation ``i``."""
        got = self.tols.get(i)
        if got is None:
            _, lhs, rhs = self.expanded[i]
            got = self.tols[i] = envelope(max(leafcount(self.ctx, lhs), leafcount(self.ctx, rhs)))
        return got


def find_shifts(ctx: Context, violations: list[Violation]) -> list[Violation]:
    """Report each shifted block as S-03 and return the violations it does not explain."""
    mismatches = [v for v in violations if v.verdict == MISMATCH and v.inst is not None]
    if len(mismatches) < MIN_REPAIRED:
        return violations
    keyed = [(v.keys, {k.table for k in v.keys}) for v in mismatches]  # each one's cells, gathered once
    explained: set[int] = set()
    relations = None  # indexed when a table is first searched
    for tid, tl in ctx.layout.tables.items():
        if not tl.shift_groups() or tid not in ctx.located.readable:
            continue
        touching = [keys for keys, tables in keyed if tid in tables]
        if len(touching) < MIN_REPAIRED:
            continue
        relations = relations or _Relations(ctx)
        best = _best_shift(ctx, relations, tid, tl, touching)
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
        same_row = {next(iter(keys)).row for keys in touching
                    if len({k.row for k in keys}) == 1 and all(k.table == tid for k in keys)}
        whole = tuple(tl.spec.columns)
        groups = [g for g in groups if (len(same_row) >= 2 and g[0] != whole) or (not same_row and g[0] == whole)]
    return groups


def _best_shift(ctx: Context, relations: _Relations, tid: str, tl, touching) -> Shift | None:
    """The best-ranked explanation of the broken relations ``touching`` (their cells) of table ``tid``
    over its shift groups, the first of equal rank; None if no hypothesis explains them."""
    best = None
    narrow = _candidate_groups(tid, tl, touching)
    here = {k for keys in touching for k in keys if k.table == tid}
    for cols, rows in tl.shift_groups():
        block_too = (cols, rows) in narrow  # a paste one row off: only where the broken sums point to it
        n, pos, in_cols = len(rows), {r: i for i, r in enumerate(rows)}, set(cols)
        idx = sorted({pos[k.row] for k in here if k.col in in_cols and k.row in pos})  # the broken rows
        if len(idx) < 2:
            continue
        edges = sorted({j for i in idx for j in (i - 1, i, i + 1) if 0 <= j < n})
        starts = [a for a in edges if n - a >= MIN_MOVED
                  and len(idx) - bisect_left(idx, a) >= max(MIN_REPAIRED, (n - a) // 2)]
        # a displacement breaks most rows below where it starts
        group = _group(ctx, relations, tid, cols, rows)
        for cand in group.shifts(edges if block_too else [], starts) if group is not None else ():
            if best is None or cand.rank > best.rank:
                best = cand
    return best


def _group(ctx: Context, relations: _Relations, tid: str, cols, rows) -> "GroupSearch | None":
    """The search of one shift group of a workbook: its cells looked up once. None when fewer of the
    relations its cells are in are broken than any hypothesis must repair (the search would try none)."""
    cells, known, of_cell = ctx.cells, ctx.values, relations.of_cell  # every value, formulas computed
    keys = [[(tid, r, c) for c in cols] for r in rows]  # a CellKey hashes and compares as its tuple
    occurrences = [[of_cell.get(k, ()) for k in line] for line in keys]
    facts = {i: relations.judge(i) for i in {i for line in occurrences for o in line for i, _ in o}}
    if sum(1 for _, bad in facts.values() if bad) < MIN_REPAIRED:
        return None
    return GroupSearch(cols, rows, [all(k in cells for k in line) for line in keys],
                       [[known.get(k, ZERO) for k in line] for line in keys], occurrences, facts, relations)


class GroupSearch:
    """The search of one shift group, on plain data (:func:`_group` looks it up in a workbook; the
    tests compare it with a brute force): the group's values row by row as integers of one scale
    (exact: a unit of the smallest decimal the amounts, the differences or the envelopes have), and the
    relations its cells are in, split into the broken ones and the others.

    A hypothesis un-does a shift: rows take the values of other rows of the group (row i those of row
    i − s: a *layer* s) or 0 (the layer of zeros). What a relation's difference gains is the sum, over
    the cells that change, of its sign there times the change; summed row by row once per layer (prefix
    sums), it is two look-ups for any run of rows. An un-shift counts as an explanation when it changes
    at least ``MIN_MOVED`` cells and repairs, net of the relations it breaks, ``need`` of them."""

    def __init__(self, cols, rows, complete, values, occurrences, facts: dict, relations):
        """``complete[i]``: whether rows[i] has every column's cell; ``values[i][c]``: the value of each
        (0 where there is no cell); ``occurrences[i][c]``: [(relation, sign)] of each cell's terms;
        ``facts``: relation → (difference, broken) for every relation they name; ``relations``: its
        ``op(relation)`` and ``tol(relation)`` (the envelope, asked only where needed)."""
        self.n, self.cols, self.rows, self.relations, self.facts = len(rows), cols, rows, relations, facts
        self._ends(complete)
        self.before = sum(1 for _, bad in facts.values() if bad)
        self.need = max(MIN_REPAIRED, 0.6 * self.before)  # what a hypothesis must repair to explain them
        if self.before < MIN_REPAIRED:
            return  # no hypothesis can repair enough: none is tried
        unit = max([3] + [-v.as_tuple().exponent for line in values for v in line if v]  # 0 is 0 at any scale
                   + [-d.as_tuple().exponent for d, _ in facts.values() if d])  # an envelope: 0.005 × n
        self.unit = unit
        ints = [[_scaled(v, unit) for v in line] for line in values]
        self.entries = {True: [], False: []}  # broken or not → [(row, col, relation, sign)]
        for i, line in enumerate(occurrences):
            for c, o in enumerate(line):
                for r, sign in o:
                    if sign:
                        self.entries[facts[r][1]].append((i, c, r, sign))
        big = max((abs(v) for line in ints for v in line), default=0)
        weight = max(sum(abs(e[3]) for e in entries) for entries in self.entries.values())
        bound = (max((abs(_scaled(d, unit)) for d, _ in facts.values()), default=0) + 8 * weight * big
                 + 10 ** (unit + 6))  # what any sum below can reach (an envelope is under 10^6 万元)
        self.dtype = np.int64 if bound < INT64_SAFE else object  # else exact Python integers
        self.values = np.array(ints, dtype=self.dtype).reshape(self.n, len(cols))
        self.parts: dict = {}
        self.steps: dict = {}

    def _ends(self, complete) -> None:
        """``block_end[d][a]``: the first row from a on that a block shifted by d cannot cover (it, or
        the row it takes its values from, lacks a cell); ``whole_from[a]``: rows[a:] all have every cell."""
        n = self.n
        self.whole_from = [False] * (n + 1)
        self.whole_from[n] = True
        for i in range(n - 1, -1, -1):
            self.whole_from[i] = self.whole_from[i + 1] and complete[i]
        self.block_end = {}
        for d in (1, -1):
            end = [n] * (n + 1)
            for i in range(n - 1, -1, -1):
                ok = 0 <= i + d < n and complete[i] and complete[i + d]
                end[i] = end[i + 1] if ok else i
            self.block_end[d] = np.array(end, dtype=np.intp)

    def _part(self, broken: bool):
        """The broken relations of the group, or the others (those whose sum a change of its cells
        moves), those with cells in one row of the group first: (row, col, column, sign) of each cell's
        place in them; each one's difference, envelope and whether only a difference > 0 fails, as
        arrays; how many are in one row. None if there are none."""
        if broken not in self.parts:
            entries = self.entries[broken]
            rows_of: dict = {}
            for i, _, r, _ in entries:
                rows_of.setdefault(r, set()).add(i)
            order = sorted(rows_of, key=lambda r: len(rows_of[r]) > 1)  # stable: in one row first
            column = {r: j for j, r in enumerate(order)}
            rel = self.relations
            self.parts[broken] = None if not entries else (
                tuple(np.array(x, dtype=np.intp) for x in zip(*[(i, c, column[r], s) for i, c, r, s in entries])),
                np.array([_scaled(self.facts[r][0], self.unit) for r in order], dtype=self.dtype),
                np.array([_scaled(rel.tol(r), self.unit) for r in order], dtype=self.dtype),
                np.array([rel.op(r) == "<=" for r in order], dtype=bool),
                sum(1 for r in order if len(rows_of[r]) == 1))
        return self.parts[broken]

    def hypotheses(self, edges, starts):
        """(a, b, d, tail) of every hypothesis tried on the group, as arrays, in the order they are
        ranked (the first of equal rank wins):

        - ``(a, b, d, False)`` for each pair a < b of ``edges`` (the first ``MAX_CANDIDATES``) and d = 1,
          −1: "rows[a..b] show the values of rows[a+d..b+d]" (a paste one row off), when all those rows
          have every cell;
        - ``(a, n − 1, d, True)`` for each a of ``starts`` and d = ±1 … ±``MAX_DISPLACED``: "from rows[a]
          down, each amount stands d rows off its label" — rows were inserted into (d > 0) or deleted
          from (d < 0) the code and name columns, not the amount columns; when rows[a:] have every cell."""
        n, e = self.n, np.array(edges, dtype=np.intp)
        first, second = (x[:MAX_CANDIDATES] for x in np.triu_indices(len(e), 1))
        a, b = np.repeat(e[first], 2), np.repeat(e[second], 2)
        d = np.tile(np.array([1, -1], dtype=np.intp), len(first))
        ok = b < np.where(d == 1, self.block_end[1][a], self.block_end[-1][a])
        top = np.array([x for x in starts if self.whole_from[x]], dtype=np.intp)
        k = np.arange(1, MAX_DISPLACED + 1)
        shape = (len(top), MAX_DISPLACED, 2)  # each start, k = 1 … MAX_DISPLACED, d = k then −k
        wanted = np.broadcast_to((k <= np.minimum(MAX_DISPLACED, n - top - 1)[:, None])[:, :, None], shape)
        ta = np.broadcast_to(top[:, None, None], shape)[wanted]
        td = np.broadcast_to(k[None, :, None] * np.array([1, -1]), shape)[wanted]
        tail = np.concatenate([np.zeros(ok.sum(), dtype=bool), np.ones(len(ta), dtype=bool)])
        return (np.concatenate([a[ok], ta]), np.concatenate([b[ok], np.full(len(ta), n - 1, dtype=np.intp)]),
                np.concatenate([d[ok], td]), tail)

    def shifts(self, edges, starts) -> list[Shift]:
        """The hypotheses (see :meth:`hypotheses`) that explain the group's broken relations, as Shifts,
        in the order they are ranked. Every hypothesis is first judged on the broken relations alone
        (what it repairs is at most that); only those that could reach the bar are judged on the
        others (what it breaks)."""
        if self.before < MIN_REPAIRED:
            return []
        n = self.n
        reach = max([1] + [min(MAX_DISPLACED, n - x - 1) for x in starts if self.whole_from[x]])
        self._layers(reach)
        if self._most_repaired() < self.need:
            return []  # not one hypothesis can repair enough
        a, b, d, tail = self.hypotheses(edges, starts)
        if not len(a):
            return []
        zero = tail & (d > 0)  # the rows of the inserted labels: no amount of their own
        cut = np.minimum(a + d, n)
        # blocks: row i takes row i + d (layer −d); tails: row i takes row i − d (layer d)
        sel = (np.where(tail, d, -d) + reach, np.where(zero, cut, a), np.where(tail, n, b + 1),
               2 * reach + 1, np.where(zero, a, 0), np.where(zero, cut, 0))
        moved = _span_sums(self.moved, sel)
        fixed = self._judge(True, sel)
        keep = np.flatnonzero((moved >= MIN_MOVED) & (fixed >= self.need))
        if not len(keep):
            return []
        sel = (sel[0][keep], sel[1][keep], sel[2][keep], sel[3], sel[4][keep], sel[5][keep])
        repaired = fixed[keep] - self._judge(False, sel)
        out = []
        for j, r in zip(keep.tolist(), repaired.tolist()):
            if r >= self.need:
                ja, jb, jd, jt = int(a[j]), int(b[j]), int(d[j]), bool(tail[j])
                out.append(Shift(int(r), abs(jd) if jt else jb - ja, self.cols, self.rows, ja, jb, jd, jt))
        return out

    def _layers(self, reach: int) -> None:
        """``taken[l, i, c]``: the value row i takes in column c under layer l — for l = s + ``reach``
        (s = −reach … reach) that of row i − s, 0 outside the group; for l = 2·reach + 1, 0 — and
        ``moved[l, i]``: how many cells of rows[:i] that changes."""
        n, v = self.n, self.values
        pad = np.zeros((n + 2 * reach, v.shape[1]), dtype=self.dtype)  # reach ≥ 1: pad[0] is 0
        pad[reach:reach + n] = v
        at = reach - np.arange(-reach, reach + 1)[:, None] + np.arange(n)
        self.taken = pad[np.vstack([at, np.zeros((1, n), dtype=at.dtype)])]
        self.moved = np.zeros((len(self.taken), n + 1), dtype=np.int64)
        np.cumsum((self.taken != v).sum(axis=2), axis=1, out=self.moved[:, 1:])

    def _steps(self, broken: bool):
        """``step[l, i, j]``: what relation j of a part gains from row i taking its values in layer l;
        and, for the relations in one row, ``outcomes[l, i]``: how many of them that repairs (of the
        broken) or breaks (of the others). None if the part is empty."""
        if broken not in self.steps:
            part, got = self._part(broken), None
            if part is not None:
                (row, col, rel, sign), diff, tol, le, one = part
                layers = len(self.taken)
                step = np.zeros((layers, self.n, len(diff)), dtype=self.dtype)
                np.add.at(step, (np.arange(layers)[:, None], row, rel),
                          (self.taken[:, row, col] - self.values[row, col]) * sign)
                # a row that does not touch a relation leaves it as it is: counted 0 either way
                got = step, _outcome(diff[:one] + step[:, :, :one], tol[:one], le[:one], broken).sum(axis=2)
            self.steps[broken] = got
        return self.steps[broken]

    def _most_repaired(self) -> int:
        """At least what any hypothesis of the group repairs: of the broken relations in one row, what
        the layer that repairs most of them repairs over every row, and the layer of zeros besides; and
        every other broken relation."""
        steps = self._steps(True)
        if steps is None:
            return 0
        per_layer = steps[1].sum(axis=1)
        return int(per_layer[:-1].max() + per_layer[-1]) + steps[0].shape[2] - self._part(True)[-1]

    def _judge(self, broken: bool, sel):
        """Per hypothesis of ``sel``: how many of the broken relations it repairs (``broken``), or how
        many of the others it breaks. A relation with cells in one row only gains from that row: its
        outcome is counted row by row (prefix sums again); the others' gains are summed over the
        hypothesis's rows and judged one by one."""
        steps = self._steps(broken)
        if steps is None:
            return np.zeros(len(sel[0]), dtype=np.int64)
        step, outcomes = steps
        _, diff, tol, le, one = self._part(broken)
        count = np.zeros(len(sel[0]), dtype=np.int64)
        if one:
            per_row = np.zeros((len(step), self.n + 1), dtype=np.int64)
            np.cumsum(outcomes, axis=1, out=per_row[:, 1:])
            count += _span_sums(per_row, sel)
        if one < len(diff):
            gains = np.zeros((len(step), self.n + 1, len(diff) - one), dtype=self.dtype)
            np.cumsum(step[:, :, one:], axis=1, out=gains[:, 1:])  # … from rows[:i]
            count += _outcome(diff[one:] + _span_sums(gains, sel), tol[one:], le[one:], broken).sum(axis=1)
        return count


def _outcome(x, tol, le, broken: bool):
    """Where a relation's difference becomes ``x``: repaired (of the broken ones), or broken (of the others)."""
    fails = (abs(x) >= tol) & ~(le & (x <= 0))
    return ~fails if broken else fails


def _span_sums(prefix, sel):
    """What each hypothesis of ``sel`` sums from the prefix sums ``prefix`` [layer, row, …]: its rows
    lo:hi in its layer, and its rows zlo:zhi in the layer of zeros (z)."""
    li, lo, hi, z, zlo, zhi = sel
    return prefix[li, hi] - prefix[li, lo] + prefix[z, zhi] - prefix[z, zlo]


def _scaled(x: Decimal, unit: int) -> int:
    """``x`` × 10^unit, exactly (``unit`` at least the number of its decimals)."""
    return int(x.scaleb(unit, EXACT)) if x else 0


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
