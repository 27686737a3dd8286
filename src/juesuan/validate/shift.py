"""Find blocks of values pasted one row off, so they are reported once, as a shift.

A column block shifted by one row breaks the relations of every row it covers; reporting each
broken relation would bury the cause. For each table column (and for whole rows) with several broken
relations, we try the hypothesis "rows a..b show the values of the rows above (or below)": if undoing
it repairs most of the broken relations, one S-03 finding replaces them.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl.utils import column_index_from_string

from juesuan.util.money import money
from juesuan.layout.keys import CellKey
from juesuan.util.rounding import MISMATCH, envelope

MIN_REPAIRED = 3
MIN_MOVED = 3  # cells whose value the un-shift changes
ZERO = Decimal(0)
MAX_CANDIDATES = 400


def _prepare(ctx, items):
    """(op, signed terms, envelope) of each item, with the envelope of the values as read."""
    from juesuan.validate.engine import _leafcount

    out = []
    for inst, lhs, rhs in items:
        if inst.rule.severity != "E":
            continue
        n = max(_leafcount(ctx, lhs), _leafcount(ctx, rhs))
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


def find_shifts(ctx, violations):
    from juesuan.validate.engine import _add, _value

    layout = ctx.layout
    mismatches = [v for v in violations if v.verdict == MISMATCH and v.inst is not None]
    if len(mismatches) < MIN_REPAIRED:
        return violations
    resolved_all: set[int] = set()
    for tid, tl in layout.tables.items():
        if tl.spec.kind not in ("coded", "paired") or tid not in ctx.located.sheets:
            continue
        touching = [v for v in mismatches if any(k.table == tid for k in v.keys)]
        if len(touching) < MIN_REPAIRED:
            continue
        # A single wrong cell breaks its own row's sum once; a shifted column breaks the row sums of
        # several rows; a shifted block of whole rows keeps row sums and breaks several parents.
        same_row = {next(iter(v.keys)).row for v in touching
                    if len({k.row for k in v.keys}) == 1 and all(k.table == tid for k in v.keys)}
        groups = _groups(tl)
        if tl.spec.kind == "coded":
            whole = tuple(tl.spec.columns)
            groups = [g for g in groups if (len(same_row) >= 2 and g[0] != whole) or (not same_row and g[0] == whole)]
        best = None
        for cols, rows in groups:
            bad_rows = sorted({k.row for v in touching for k in v.keys if k.table == tid and k.col in cols and k.row in rows})
            if len(bad_rows) < 2:
                continue
            pos = {r: i for i, r in enumerate(rows)}
            idx = sorted(pos[r] for r in bad_rows)
            edges = sorted({j for i in idx for j in (i - 1, i, i + 1) if 0 <= j < len(rows)})
            pairs = [(a, b) for a in edges for b in edges if b > a][:MAX_CANDIDATES]
            block_keys = {CellKey(tid, r, c) for r in rows for c in cols}
            items = [e for e in ctx.expanded if any(k in block_keys for _, k in e[1] + e[2])]
            prepared = _prepare(ctx, items)
            values = {k: _value(ctx, k) for _, terms, _ in prepared for _, k in terms}
            before = _judged(values, {}, prepared)
            for a, b in pairs:
                if True:
                    for d in (1, -1):
                        override = {}
                        ok = True
                        for i in range(a, b + 1):
                            j = i + d
                            if not 0 <= j < len(rows):
                                ok = False
                                break
                            for c in cols:
                                src = CellKey(tid, rows[j], c)
                                dst = CellKey(tid, rows[i], c)
                                if src not in ctx.cells or dst not in ctx.cells:
                                    ok = False
                                    break
                                override[dst] = _value(ctx, src)
                        if not ok:
                            continue
                        moved = sum(1 for k, v in override.items() if v != values.get(k, _value(ctx, k)))
                        if moved < MIN_MOVED:
                            continue  # one wrong cell beside zeros is not a shift
                        after = _judged(values, override, prepared)
                        repaired = before - after
                        if repaired >= MIN_REPAIRED and repaired >= 0.6 * before:
                            cand = (repaired, -(b - a), cols, rows, a, b, d)
                            if best is None or cand[:2] > best[:2]:
                                best = cand
        if best is None:
            continue
        repaired, _, cols, rows, a, b, d = best
        first = CellKey(tid, rows[a + d] if d == 1 else rows[a], min(cols))
        shown_rows = [rows[i + d] for i in range(a, b + 1)]
        cells = [ctx.cells[CellKey(tid, r, c)] for r in shown_rows for c in cols]
        top, bottom = min(cells, key=lambda c: _row(c.a1)), max(cells, key=lambda c: _row(c.a1))
        left = min(cells, key=lambda c: column_index_from_string(c.a1.rstrip("0123456789")))
        right = max(cells, key=lambda c: column_index_from_string(c.a1.rstrip("0123456789")))
        span = f"{_col(left.a1)}{_row(top.a1)}:{_col(right.a1)}{_row(bottom.a1)}"
        where = "向下" if d == 1 else "向上"
        example_src = ctx.cells[CellKey(tid, rows[a + d], min(cols))]
        example_dst = ctx.cells[CellKey(tid, rows[a], min(cols))]
        f = _add(ctx, "S-03", first,
                 f"{span} 的金额看起来整体{where}错位了一行（例如 {example_src.a1} 的 {money(_value(ctx, example_src.key))} "
                 f"应在 {example_dst.a1}）：按错位还原后，{repaired} 处不平衡随之消失。请检查复制粘贴。",
                 kind="shift")
        f.cell = f"{_col(left.a1)}{_row(top.a1)}"
        # the relations explained by the shift are not reported one by one
        block = {CellKey(tid, r, c) for r in rows[max(0, a - 1): b + 2] for c in cols}
        for i, v in enumerate(violations):
            if v.verdict == MISMATCH and v.keys & block:
                resolved_all.add(i)
    return [v for i, v in enumerate(violations) if i not in resolved_all]


def _groups(tl):
    """(columns, rows) groups to test: each column alone, and all columns together (whole rows)."""
    spec = tl.spec
    out = []
    if spec.kind == "coded":
        rows = list(range(1, len(tl.rows)))
        for c in spec.columns:
            out.append(((c,), rows))
        out.append((tuple(spec.columns), rows))
    else:
        for side in spec.sides:
            lines = [n for n in range(side.first_line, side.last_line + 1) if n not in spec.blank_lines]
            for c in side.values:
                out.append(((c,), lines))
            if len(side.values) > 1:
                out.append((tuple(side.values), lines))
    return out


def _row(a1: str) -> int:
    return int(a1[len(a1.rstrip("0123456789")):] or 0)


def _col(a1: str) -> str:
    return a1.rstrip("0123456789")
