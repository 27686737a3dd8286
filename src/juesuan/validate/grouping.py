"""One finding per root cause: the cell that breaks the most relations is reported once, listing them.

A tail (尾差) is a hint about one relation, shown at the relation's total; mismatches are grouped
greedily by the cell they share most; and several findings at one cell of the same severity merge.
"""

from __future__ import annotations

from collections import Counter

from juesuan.layout.keys import CellKey
from juesuan.model.profile import SEVERITY_ORDER
from juesuan.util import a1
from juesuan.util.rounding import MISMATCH, TAIL
from juesuan.validate.context import Context, Violation
from juesuan.validate.emit import add
from juesuan.validate.report import SEVERITY_OF, Finding
from juesuan.validate.values import term_keys, value


def _cell_rank(ctx: Context, key: CellKey) -> tuple:
    """Where a cell stands, for "the first in table order": table, row, column (worked out once a check)."""
    memo = ctx.leaves_memo.setdefault("cell_rank", {})
    rank = memo.get(key)
    if rank is None:
        order = memo.get("order") or memo.setdefault("order", {t.id: i for i, t in enumerate(ctx.profile.tables)})
        cell = ctx.cells.get(key)
        letters, row = a1.split(cell.a1 if cell else "")
        rank = memo[key] = (order[key.table], row, len(letters), letters)
    return rank


def group(ctx: Context, violations: list[Violation]) -> None:
    """Turn violations into findings, one per root-cause cell."""
    for v in violations:
        if v.verdict == TAIL:
            key = (v.inst.target if v.inst is not None and v.inst.target is not None
                   else min(v.keys, key=lambda k: _cell_rank(ctx, k)))
            _finding_for(ctx, key, [v], TAIL)
    remaining = [v for v in violations if v.verdict == MISMATCH]
    tally = _Tally(ctx, remaining)
    while remaining:
        key = _root_cause(ctx, tally)
        members = [v for v in remaining if key in tally.roots[id(v)]]
        remaining = [v for v in remaining if key not in tally.roots[id(v)]]
        tally.remove(members)
        _finding_for(ctx, key, members, MISMATCH)


class _Tally:
    """Over the violations not yet reported: how many each cell could explain (through its roots), and
    the multisets of their own cells, their left sides' cells and the cells they define — kept as
    violations are taken away, not counted afresh for every root cause."""

    def __init__(self, ctx: Context, violations: list[Violation]):
        self.roots = {id(v): _roots(ctx, v) for v in violations}
        self.facts = {id(v): _facts(ctx, v) for v in violations}
        self.counts: Counter = Counter(k for v in violations for k in self.roots[id(v)])
        self.direct: Counter = Counter(k for v in violations for k in self.facts[id(v)][0])
        self.left: Counter = Counter(k for v in violations for k in self.facts[id(v)][1])
        self.targets: Counter = Counter(t for v in violations if (t := self.facts[id(v)][2]) is not None)

    def remove(self, violations: list[Violation]) -> None:
        for v in violations:
            own, left, target = self.facts[id(v)]
            _take(self.counts, self.roots[id(v)])
            _take(self.direct, own)
            _take(self.left, left)
            if target is not None:
                _take(self.targets, (target,))


def _take(counter: Counter, keys) -> None:
    for k in keys:
        n = counter[k] - 1
        if n:
            counter[k] = n
        else:
            del counter[k]


def _is_formula(ctx: Context, key: CellKey) -> bool:
    memo = ctx.leaves_memo.setdefault("is_formula", {})
    found = memo.get(key)
    if found is None:
        cell = ctx.cells.get(key)
        found = memo[key] = cell is not None and cell.formula is not None and key in ctx.graph.definitions
    return found


def _roots(ctx: Context, v: Violation) -> set[CellKey]:
    """The cells that could be the cause of a violation: its own cells, and for a formula cell of the
    workbook the typed cells it sums (a typo there shows in every total above it, in every table that
    takes it by formula)."""
    out = set(v.keys)
    for k in v.keys:
        out |= _typed_below(ctx, k)
    return out


def _typed_below(ctx: Context, key: CellKey) -> frozenset:
    """The typed cells (no formula in this workbook) a formula cell finally sums, following the
    workbook's own formulas (a total typed over as a constant is a typed cell)."""
    memo = ctx.leaves_memo.setdefault("typed_below", {})
    if key not in memo:
        memo[key] = frozenset()  # a cycle (a changed formula) ends here
        out: set[CellKey] = set()
        if _is_formula(ctx, key):
            for _, term in ctx.graph.definitions[key].rhs:
                for k in term_keys(ctx, term):
                    out |= _typed_below(ctx, k) if _is_formula(ctx, k) else {k}
        memo[key] = frozenset(out)
    return memo[key]


def _facts(ctx: Context, v: Violation) -> tuple:
    """A violation's own cells, the cells of its left side, and the cell its relation defines (or None)."""
    left = [k for _, t in v.inst.lhs for k in term_keys(ctx, t)] if v.inst is not None else []
    return v.keys, left, v.inst.target if v.inst is not None else None


def _root_cause(ctx: Context, tally: _Tally) -> CellKey:
    """The cell that explains the most violations. An input cell that several violations share (through
    the totals above it) comes first — the typed figure, not the formulas; else, as before, the
    relation's own cells: the cell a relation defines, then the first in table order. (Each choice is
    the least of a key ending in the cell's place, unique per cell: the order of the tallies is
    immaterial.)"""
    counts, direct, left, targets = tally.counts, tally.direct, tally.left, tally.targets
    best = max(counts.values())
    cands = [k for k, n in counts.items() if n == best]
    inputs = [k for k in cands if not _is_formula(ctx, k) and (best > 1 or k in direct)]
    if inputs and (best > 1 or not any(_is_formula(ctx, k) for k in direct)):
        # a tie between two typed figures (05 and 03 disagree): the relation's left side, as the
        # relation reads and as the live 校验 sheet shows it (T05[#,c] = T03[#,c]: at 05)
        return min(inputs, key=lambda k: (value(ctx, k) == 0, k not in direct, k not in left, _cell_rank(ctx, k)))
    cands = [k for k in cands if k in direct] or [max(direct, key=lambda k: (counts[k], _cell_rank(ctx, k)))]
    return min(cands, key=lambda k: (k not in targets, _cell_rank(ctx, k)))


def _where(v: Violation) -> str:
    return f"（{v.inst.where}）" if v.inst is not None and v.inst.where else ""


def _finding_for(ctx: Context, key: CellKey, members: list[Violation], verdict: str) -> None:
    # the relation told first: the most severe, then one the cell itself is in (not through a total)
    members.sort(key=lambda v: (SEVERITY_ORDER[v.rule.severity], key not in v.keys,
                                v.inst is None or v.inst.target != key, v.rule.id))
    main = members[0]
    coef = sum(s for s, k in main.terms if k == key)
    if not coef:  # the cell is in the relation through a total above it
        coef = sum(s * ctx.graph.leaf_coefficients(k).get(key, 0) for s, k in main.terms if _is_formula(ctx, k)) or 1
    actual = value(ctx, key)
    expected = actual - main.diff / coef
    if verdict == TAIL:
        severity, template = "info", "relation.tail"
    else:
        severity = SEVERITY_OF[main.rule.severity]
        template = "relation.exceeds" if main.inst is not None and main.inst.op == "<=" else "relation.mismatch"
    left, right = _side_names(ctx, main)
    params = {"what": main.what or main.rule.text, "where": _where(main), "lhs": main.lhs, "rhs": main.rhs,
              "diff": main.diff, "tol": main.tol, "n": main.n, "left": left, "right": right}
    others = []
    for v in members[1:]:
        tag = v.rule.id + _where(v)
        if tag not in others and tag != main.rule.id + _where(main):
            others.append(tag)
    add(ctx, main.rule, key, template, params, severity=severity, expected=expected, actual=actual,
        difference=actual - expected, tolerance=main.tol, relations=others, kind=verdict,
        also=_also(ctx, key, main) if verdict == MISMATCH else [])


def _side_names(ctx: Context, v: Violation) -> tuple[str, str]:
    """``05表`` and ``03表`` when the two sides of a relation are in two tables, else 左边 and 右边."""
    if v.inst is None:
        return "左边", "右边"
    tables = [{t.table for _, t in side} for side in (v.inst.lhs, v.inst.rhs)]
    if all(len(t) == 1 for t in tables) and tables[0] != tables[1]:
        return tuple(ctx.profile.table(next(iter(t))).number.removeprefix("公开") for t in tables)
    return "左边", "右边"


def _also(ctx: Context, key: CellKey, v: Violation) -> list[str]:
    """The other cells of a relation between tables that could be the cause, to be marked too
    (``公开03表!D17``): the other tables' cells of the relation, their input cells first."""
    others = [k for k in v.keys if k.table != key.table and k in ctx.cells]
    others.sort(key=lambda k: (_is_formula(ctx, k), _cell_rank(ctx, k)))
    return [f"{ctx.cells[k].sheet}!{ctx.cells[k].a1}" for k in others[:12]]


def merge_same_cell(findings: list[Finding]) -> list[Finding]:
    """One cell, one finding per severity: later findings at the same cell join the first's relations."""
    out: list[Finding] = []
    seen: dict[tuple, Finding] = {}
    for f in findings:
        k = (f.sheet, f.cell, f.severity) if f.cell else None
        if k and k in seen:
            first = seen[k]
            if f.rule != first.rule and f.rule not in first.relations:
                first.relations.append(f.rule)
            first.relations.extend(r for r in f.relations if r not in first.relations and r != first.rule)
            continue
        if k:
            seen[k] = f
        out.append(f)
    return out
