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


def _judged(values, override, prepared) -> int:
    """How many prepared relations are mismatches with ``override`` values."""
    bad = 0
    for op, terms, tol in prepared:
        diff = sum((s * override.get(k, values.get(k, ZERO)) for s, k in terms), ZERO)
        if op == "<=" and diff <= 0:
            continue
        if abs(diff) >= tol:
            bad += 1
    return bad


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
        block = {CellKey(tid, r, c) for r in best.rows[max(0, best.a - 1): best.b + 2] for c in best.cols}
        explained |= {i for i, v in enumerate(violations) if v.verdict == MISMATCH and v.keys & block}
    return [v for i, v in enumerate(violations) if i not in explained]


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


def _best_shift(ctx: Context, tid: str, tl, touching) -> Shift | None:
    best = None
    for cols, rows in _candidate_groups(tid, tl, touching):
        bad_rows = sorted({k.row for v in touching for k in v.keys if k.table == tid and k.col in cols and k.row in rows})
        if len(bad_rows) < 2:
            continue
        pos = {r: i for i, r in enumerate(rows)}
        idx = sorted(pos[r] for r in bad_rows)
        edges = sorted({j for i in idx for j in (i - 1, i, i + 1) if 0 <= j < len(rows)})
        pairs = [(a, b) for a in edges for b in edges if b > a][:MAX_CANDIDATES]
        block_keys = {CellKey(tid, r, c) for r in rows for c in cols}
        prepared = _prepare(ctx, [e for e in ctx.expanded if any(k in block_keys for _, k in e[1] + e[2])])
        values = {k: value(ctx, k) for _, terms, _ in prepared for _, k in terms}
        before = _judged(values, {}, prepared)
        for a, b in pairs:
            for d in (1, -1):
                cand = _try(ctx, tid, cols, rows, a, b, d, values, prepared, before)
                if cand is not None and (best is None or cand.rank > best.rank):
                    best = cand
    return best


def _try(ctx, tid, cols, rows, a, b, d, values, prepared, before) -> Shift | None:
    """The shift hypothesis rows[a..b] ← rows[a+d..b+d], if undoing it repairs enough."""
    override = {}
    for i in range(a, b + 1):
        j = i + d
        if not 0 <= j < len(rows):
            return None
        for c in cols:
            src, dst = CellKey(tid, rows[j], c), CellKey(tid, rows[i], c)
            if src not in ctx.cells or dst not in ctx.cells:
                return None
            override[dst] = value(ctx, src)
    moved = sum(1 for k, v in override.items() if v != values.get(k, value(ctx, k)))
    if moved < MIN_MOVED:
        return None  # one wrong cell beside zeros is not a shift
    repaired = before - _judged(values, override, prepared)
    if repaired >= MIN_REPAIRED and repaired >= 0.6 * before:
        return Shift(repaired, b - a, cols, rows, a, b, d)
    return None


def _report(ctx: Context, tid: str, s: Shift) -> None:
    first = CellKey(tid, s.rows[s.a + s.d] if s.d == 1 else s.rows[s.a], min(s.cols))
    shown_rows = [s.rows[i + s.d] for i in range(s.a, s.b + 1)]
    cells = [ctx.cells[CellKey(tid, r, c)] for r in shown_rows for c in s.cols]
    rows = [a1.split(c.a1)[1] for c in cells]
    cols = sorted((a1.col_index(a1.split(c.a1)[0]), a1.split(c.a1)[0]) for c in cells)
    top, left, right = min(rows), cols[0][1], cols[-1][1]
    span = f"{left}{top}:{right}{max(rows)}"
    src = ctx.cells[CellKey(tid, s.rows[s.a + s.d], min(s.cols))]
    dst = ctx.cells[CellKey(tid, s.rows[s.a], min(s.cols))]
    f = add(ctx, ctx.rule_of_check("shift"), first, "shifted",
            {"span": span, "direction": "向下" if s.d == 1 else "向上", "source": src.a1,
             "value": value(ctx, src.key), "target": dst.a1, "repaired": s.repaired}, kind="shift")
    f.cell = f"{left}{top}"
