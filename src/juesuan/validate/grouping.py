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
from juesuan.validate.values import value


def _cell_rank(ctx: Context, key: CellKey) -> tuple:
    order = [t.id for t in ctx.profile.tables]
    cell = ctx.cells.get(key)
    letters, row = a1.split(cell.a1 if cell else "")
    return order.index(key.table), row, len(letters), letters


def group(ctx: Context, violations: list[Violation]) -> None:
    """Turn violations into findings, one per root-cause cell."""
    for v in violations:
        if v.verdict == TAIL:
            key = (v.inst.target if v.inst is not None and v.inst.target is not None
                   else min(v.keys, key=lambda k: _cell_rank(ctx, k)))
            _finding_for(ctx, key, [v], TAIL)
    remaining = [v for v in violations if v.verdict == MISMATCH]
    while remaining:
        counts = Counter(k for v in remaining for k in v.keys)
        best = max(counts.values())
        targets = {v.inst.target for v in remaining if v.inst is not None and v.inst.target is not None}
        cands = [k for k, n in counts.items() if n == best]
        key = min(cands, key=lambda k: (k not in targets, _cell_rank(ctx, k)))
        members = [v for v in remaining if key in v.keys]
        remaining = [v for v in remaining if key not in v.keys]
        _finding_for(ctx, key, members, MISMATCH)


def _where(v: Violation) -> str:
    return f"（{v.inst.where}）" if v.inst is not None and v.inst.where else ""


def _finding_for(ctx: Context, key: CellKey, members: list[Violation], verdict: str) -> None:
    members.sort(key=lambda v: (SEVERITY_ORDER[v.rule.severity], v.inst is None or v.inst.target != key, v.rule.id))
    main = members[0]
    coef = sum(s for s, k in main.terms if k == key) or 1
    actual = value(ctx, key)
    expected = actual - main.diff / coef
    if verdict == TAIL:
        severity, template = "info", "relation.tail"
    else:
        severity = SEVERITY_OF[main.rule.severity]
        template = "relation.exceeds" if main.inst is not None and main.inst.op == "<=" else "relation.mismatch"
    params = {"what": main.what or main.rule.text, "where": _where(main), "lhs": main.lhs, "rhs": main.rhs,
              "diff": main.diff, "tol": main.tol, "n": main.n}
    others = []
    for v in members[1:]:
        tag = v.rule.id + _where(v)
        if tag not in others and tag != main.rule.id + _where(main):
            others.append(tag)
    add(ctx, main.rule, key, template, params, severity=severity, expected=expected, actual=actual,
        difference=actual - expected, tolerance=main.tol, relations=others, kind=verdict)


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
