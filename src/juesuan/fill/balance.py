"""舍位平衡: convert 元 figures to 万元 so that every published total equals the sum of its published
parts, and every relation that holds in the 元 data still holds in the published tables.

The problem is controlled rounding. Each input cell's published value is its true 万元 figure rounded
to 0.01 either down or up — never further; derived cells stay formulas, so they are the sums of their
published parts, and each must itself be its true total rounded down or up. The grand totals (each
table's 合计 栏1, 01/04 总计, 09 合计) are the ROUND_HALF_UP of their true totals.
Among the solutions, as few cells as possible (inputs and totals) leave plain rounding.

For one two-way table with nested rows the constraints form a network (column trees feeding the input
cells, which feed the row trees), so an integral solution always exists and the LP relaxation finds it.
Across tables (02 ↔ 01 income, 05 ↔ 06, per-fund balances …) the relations are kept as soft
constraints: a data set whose constraints admit no exact balance is balanced as far as possible and
the relations left unbalanced are reported (they become 尾差 hints in ``juesuan check``).

Solved as a small mixed-integer programme with SciPy's HiGHS (``scipy.optimize.milp``), imported only here.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from juesuan.layout.workbook import WorkbookLayout
from juesuan.util.money import round_half_up
from juesuan.layout.keys import CellKey, Lookup
from juesuan.rules.graph import graph_of

TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")
SLACK_COST = 1000.0
TIME_LIMIT = 60.0  # seconds


@dataclass
class Moved:
    """A cell whose published value is not its plain rounding."""

    key: CellKey
    cell: str  # 公开03表!D12
    yuan: Decimal  # the 元 figure (a total's 元 sum for a derived cell)
    plain: Decimal
    published: Decimal
    derived: bool


@dataclass
class BalanceResult:
    values: dict[CellKey, Decimal]  # published 万元 values of the input cells
    moved: list[Moved] = field(default_factory=list)
    unbalanced: list[str] = field(default_factory=list)  # relations that could not be balanced
    grand_totals: dict[CellKey, Decimal] = field(default_factory=dict)
    true_values: dict[CellKey, Decimal] = field(default_factory=dict)  # 万元, exact
    # how the solver stopped: "optimal", "time_limit", "infeasible", "unbounded" or "other"
    status: str = "optimal"
    note: str = ""  # a sentence for the user when the solution may not be the one with fewest changes


def leaf_coefficients(layout: WorkbookLayout, key: CellKey) -> Counter:
    """The input cells a cell sums, with multiplicity (the cell itself if it is an input)."""
    return graph_of(layout).leaf_coefficients(key)


def grand_total_keys(layout: WorkbookLayout) -> list[CellKey]:
    """The cells whose published value must be the plain rounding of the true total."""
    # 06 has no 合计 of its own: 人员经费合计 + 公用经费合计 is 05's 基本支出, and forcing both halves to
    # plain rounding would break X-06 on about one data set in twenty; they stay floor-or-ceil totals.
    keys = [k for tl in layout.tables.values() for k in tl.grand_totals()]
    return [k for k in keys if k in graph_of(layout).definitions]


def true_values(layout: WorkbookLayout, yuan: dict[CellKey, Decimal]) -> dict[CellKey, Decimal]:
    """Exact 万元 values of every cell, from the 元 figures of the input cells."""
    graph = graph_of(layout)
    out = {k: v / TEN_THOUSAND for k, v in yuan.items()}
    for key in graph.definitions:
        out[key] = sum((n * out.get(leaf, Decimal(0)) for leaf, n in leaf_coefficients(layout, key).items()),
                       Decimal(0))
    return out


def floor_cents(x: Decimal) -> int:
    """``x`` 万元 rounded down to a whole 0.01 万元, in units of 0.01."""
    return int((x * 100).to_integral_value(rounding=ROUND_FLOOR))


def ceil_cents(x: Decimal) -> int:
    """``x`` 万元 rounded up to a whole 0.01 万元, in units of 0.01."""
    return int((x * 100).to_integral_value(rounding=ROUND_CEILING))


def plain(layout: WorkbookLayout, yuan: dict[CellKey, Decimal]) -> BalanceResult:
    """Per-cell plain rounding (``--balance off``): every cell, totals included, is ROUND_HALF_UP of its
    true value on its own — as the 部门决算 system prints it, tails and all."""
    graph = graph_of(layout)
    truth = true_values(layout, yuan)
    values = {k: round_half_up(v) for k, v in truth.items() if k in yuan or k in graph.definitions}
    return BalanceResult(values, true_values=truth)


# --------------------------------------------------------------------------------------------------
# The programme


@dataclass
class Solution:
    x: Any  # the variables' values (numpy array), None when the solver found no solution
    status: str  # "optimal", "time_limit", "infeasible", "unbounded" or "other"


MILP_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}


class Program:
    """A small mixed-integer programme: minimise Σ cost·x subject to rows low ≤ Σ a·x ≤ high."""

    def __init__(self) -> None:
        self.costs: list[float] = []
        self.lows: list[float] = []
        self.highs: list[float] = []
        self.integrality: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, low, high)

    def var(self, cost: float, low: float = 0.0, high: float = 1.0, integer: bool = True) -> int:
        """A new variable; its index."""
        self.costs.append(cost)
        self.lows.append(low)
        self.highs.append(high)
        self.integrality.append(1 if integer else 0)
        return len(self.costs) - 1

    def eq(self, coefs: dict[int, float], rhs: float) -> None:
        self.rows.append((dict(coefs), rhs, rhs))

    def le(self, coefs: dict[int, float], rhs: float) -> None:
        self.rows.append((dict(coefs), -math.inf, rhs))

    def _slack_pair(self) -> tuple[int, int]:
        return (self.var(SLACK_COST, 0.0, math.inf, integer=False),
                self.var(SLACK_COST, 0.0, math.inf, integer=False))

    def soft_eq(self, coefs: dict[int, float], rhs: float) -> tuple[int, int]:
        """Σ a·x + minus − plus = rhs, each unit of slack costing SLACK_COST; the pair (plus, minus)."""
        plus, minus = self._slack_pair()
        self.eq({**coefs, minus: 1.0, plus: -1.0}, rhs)
        return plus, minus

    def soft_le(self, coefs: dict[int, float], rhs: float) -> tuple[int, int]:
        """Σ a·x − minus ≤ rhs, each unit of slack costing SLACK_COST; the pair (plus, minus) as
        :meth:`soft_eq` gives it (``plus`` stays 0). A ≤ relation that cannot hold is relaxed and
        reported, instead of making the whole programme infeasible."""
        plus, minus = self._slack_pair()
        self.le({**coefs, minus: -1.0}, rhs)
        return plus, minus

    def solve(self, time_limit: float) -> Solution:
        """Solve with HiGHS (``scipy.optimize.milp``); no variables: trivially optimal."""
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import lil_matrix

        n = len(self.costs)
        if not n:
            return Solution(np.zeros(0), "optimal")
        A = lil_matrix((max(len(self.rows), 1), n))
        for i, (row, _, _) in enumerate(self.rows):
            for j, v in row.items():
                A[i, j] = v
        cons = ([LinearConstraint(A.tocsr(), [r[1] for r in self.rows], [r[2] for r in self.rows])]
                if self.rows else [])
        res = milp(np.array(self.costs), constraints=cons, integrality=np.array(self.integrality),
                   bounds=Bounds(np.array(self.lows), np.array(self.highs)), options={"time_limit": time_limit})
        return Solution(res.x, MILP_STATUS.get(res.status, "other"))


# --------------------------------------------------------------------------------------------------
# 舍位平衡 as a programme


@dataclass
class _Inputs:
    """Every non-zero input cell's floor (in 0.01 万元), and the 0/1 variable of those that may round up."""

    floor: dict[CellKey, int]
    var: dict[CellKey, int]

    def linear(self, coefs: Counter) -> tuple[dict[int, float], int]:
        """Σ coef·p over leaves as (coefficients of the variables, fixed integer part)."""
        row: dict[int, float] = {}
        base = 0
        for leaf, n in coefs.items():
            if n == 0 or leaf not in self.floor:
                continue
            base += n * self.floor[leaf]
            if leaf in self.var:
                row[self.var[leaf]] = row.get(self.var[leaf], 0.0) + n
        return row, base


def _plain_is_up(x: Decimal) -> bool:
    return round_half_up(x) * 100 == ceil_cents(x)


def _input_cells(program: Program, yuan: dict[CellKey, Decimal], truth: dict[CellKey, Decimal]) -> _Inputs:
    """Each input is rounded down or up (a 0/1 variable); leaving its plain rounding costs 1."""
    leaves = [k for k in yuan if truth[k] != 0]
    floor = {k: floor_cents(truth[k]) for k in leaves}
    var = {k: program.var(-1.0 if _plain_is_up(truth[k]) else 1.0)
           for k in leaves if floor[k] != ceil_cents(truth[k])}
    return _Inputs(floor, var)


def _derived_cells(program: Program, layout: WorkbookLayout, inputs: _Inputs, truth: dict[CellKey, Decimal],
                   grand: set[CellKey]) -> None:
    """A derived cell's published sum is its true total rounded down or up (a 0/1 variable, leaving
    plain rounding costs 1); a grand total's is the ROUND_HALF_UP of its true total."""
    graph = graph_of(layout)
    for key in graph.definitions:
        coefs = leaf_coefficients(layout, key)
        if key not in truth or not coefs:
            continue
        row, base = inputs.linear(coefs)
        lo, hi = floor_cents(truth[key]), ceil_cents(truth[key])
        if lo == hi:
            program.eq(row, lo - base)
        elif key in grand:
            program.eq(row, int(round_half_up(truth[key]) * 100) - base)
        else:
            up = program.var(-1.0 if _plain_is_up(truth[key]) else 1.0)
            program.eq({**row, up: -1.0}, lo - base)  # Σ − up = lo


def _violated(op: str, value) -> bool:
    return value != 0 if op == "=" else value > 0


def _relation_coefs(layout: WorkbookLayout, inst) -> Counter:
    """lhs − rhs of a relation instance over the input cells (zero coefficients dropped)."""
    coefs: Counter = Counter()
    for sign, side in ((1, inst.lhs), (-1, inst.rhs)):
        for s, term in side:
            for k in layout.keys_of(term):
                for leaf, n in leaf_coefficients(layout, k).items():
                    coefs[leaf] += sign * s * n
    return Counter({k: n for k, n in coefs.items() if n})


def _relations(program: Program, layout: WorkbookLayout, inputs: _Inputs,
               truth: dict[CellKey, Decimal]) -> list[tuple[Any, tuple[int, int] | None]]:
    """Relations that hold exactly in the 元 data hold in the published tables, as soft constraints.
    Returns each kept relation with its slack pair (None: no variable in it, and it fails)."""
    seen = set()
    kept: list[tuple[Any, tuple[int, int] | None]] = []
    for inst in graph_of(layout).instances:
        coefs = _relation_coefs(layout, inst)
        if not coefs:
            continue  # identical on both sides (a definition): formulas keep it
        if _violated(inst.op, sum((n * truth.get(k, Decimal(0)) for k, n in coefs.items()), Decimal(0))):
            continue  # not true in the data: nothing to keep
        row, base = inputs.linear(coefs)
        sig = (inst.op, tuple(sorted(row.items())), base)
        if sig in seen:
            continue
        seen.add(sig)
        if not row:
            if _violated(inst.op, base):
                kept.append((inst, None))
        elif inst.op == "=":
            kept.append((inst, program.soft_eq(row, -base)))
        else:
            kept.append((inst, program.soft_le(row, -base)))
    return kept


NOTES = {
    "time_limit": "求解达到时间上限（{limit:g} 秒），结果可能不是最少改动的平衡解。",
    "other": "求解器未报告最优（{status}），结果可能不是最少改动的平衡解。",
}
FALLBACKS = {
    "time_limit": "求解达到时间上限（{limit:g} 秒）仍未得到平衡解：各填写单元格改为逐格四舍五入",
}


def balance(layout: WorkbookLayout, yuan: dict[CellKey, Decimal], time_limit: float = TIME_LIMIT) -> BalanceResult:
    """Controlled rounding of the input cells given in 元 (see the module docstring); ``time_limit`` in
    seconds bounds the solver (``status``/``note`` of the result say when it stopped on it)."""
    truth = true_values(layout, yuan)
    program = Program()
    inputs = _input_cells(program, yuan, truth)
    grand = set(grand_total_keys(layout))
    _derived_cells(program, layout, inputs, truth, grand)
    relations = _relations(program, layout, inputs, truth)
    solution = program.solve(time_limit)
    if solution.x is None:
        why = FALLBACKS.get(solution.status, "无法求得平衡解（约束矛盾）").format(limit=time_limit)
        return _fallback(layout, yuan, why, solution.status)
    x = solution.x
    values = {k: Decimal(f + (int(round(x[inputs.var[k]])) if k in inputs.var else 0)) / 100
              for k, f in inputs.floor.items()}
    unbalanced = {f"{inst.rule.id}{'（' + inst.where + '）' if inst.where else ''}：{inst.rule.text}"
                  for inst, slack in relations if slack is None or x[slack[0]] > 0.5 or x[slack[1]] > 0.5}
    note = NOTES.get(solution.status, NOTES["other"]) if solution.status != "optimal" else ""
    result = BalanceResult(values, unbalanced=sorted(unbalanced), true_values=truth, status=solution.status,
                           note=note.format(limit=time_limit, status=solution.status))
    _moved(layout, yuan, result)
    result.grand_totals = {k: _published(layout, result.values, k) for k in grand}
    return result


def _fallback(layout, yuan, why, status):
    result = plain(layout, yuan)
    result.unbalanced = [why]
    result.status = status
    return result


def _published(layout: WorkbookLayout, values: dict[CellKey, Decimal], key: CellKey) -> Decimal:
    return sum((n * values.get(leaf, Decimal(0)) for leaf, n in leaf_coefficients(layout, key).items()), Decimal(0))


def _moved(layout: WorkbookLayout, yuan: dict[CellKey, Decimal], result: BalanceResult) -> None:
    graph = graph_of(layout)
    truth = result.true_values
    for key in list(yuan) + [k for k in graph.definitions if k in truth]:
        derived = key in graph.definitions
        published = _published(layout, result.values, key) if derived else result.values.get(key, Decimal(0))
        plain_value = round_half_up(truth[key])
        if published != plain_value:
            y = truth[key] * TEN_THOUSAND
            result.moved.append(Moved(key, layout.a1(key), y, plain_value, published, derived))
