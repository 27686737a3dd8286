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

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from juesuan.layout.workbook import WorkbookLayout
from juesuan.util.money import round_half_up
from juesuan.layout.keys import CellKey, Lookup
from juesuan.rules.graph import graph_of

TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")
SLACK_COST = 1000.0


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


def _floor(x: Decimal) -> int:
    return int((x * 100).to_integral_value(rounding=ROUND_FLOOR))


def _ceil(x: Decimal) -> int:
    return int((x * 100).to_integral_value(rounding=ROUND_CEILING))


def plain(layout: WorkbookLayout, yuan: dict[CellKey, Decimal]) -> BalanceResult:
    """Per-cell plain rounding (``--balance off``): every cell, totals included, is ROUND_HALF_UP of its
    true value on its own — as the 部门决算 system prints it, tails and all."""
    graph = graph_of(layout)
    truth = true_values(layout, yuan)
    values = {k: round_half_up(v) for k, v in truth.items() if k in yuan or k in graph.definitions}
    return BalanceResult(values, true_values=truth)


def balance(layout: WorkbookLayout, yuan: dict[CellKey, Decimal]) -> BalanceResult:
    """Controlled rounding of the input cells given in 元 (see the module docstring)."""
    graph = graph_of(layout)
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    truth = true_values(layout, yuan)
    leaves = [k for k in yuan if truth[k] != 0]
    floor = {k: _floor(truth[k]) for k in leaves}
    free = [k for k in leaves if _floor(truth[k]) != _ceil(truth[k])]
    var = {k: i for i, k in enumerate(free)}
    derived = [k for k in graph.definitions if k in truth and leaf_coefficients(layout, k)]
    grand = set(grand_total_keys(layout))

    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, lb, ub)
    costs: list[float] = [0.0] * len(free)
    integrality: list[int] = [1] * len(free)
    lb: list[float] = [0.0] * len(free)
    ub: list[float] = [1.0] * len(free)
    constant = 0.0

    def new_var(cost: float, low: float, high: float, integer: int) -> int:
        costs.append(cost)
        lb.append(low)
        ub.append(high)
        integrality.append(integer)
        return len(costs) - 1

    # inputs: leaving plain rounding costs 1
    for k in free:
        if round_half_up(truth[k]) * 100 == _ceil(truth[k]):
            costs[var[k]] = -1.0
            constant += 1.0
        else:
            costs[var[k]] = 1.0

    def linear(coefs: Counter) -> tuple[dict[int, float], int]:
        """Σ coef·p over leaves as (coefficients of free variables, fixed integer part)."""
        row: dict[int, float] = {}
        base = 0
        for leaf, n in coefs.items():
            if n == 0 or leaf not in floor:
                continue
            base += n * floor[leaf]
            if leaf in var:
                row[var[leaf]] = row.get(var[leaf], 0.0) + n
        return row, base

    # derived cells: their published sum is the true total rounded down or up
    derived_vars: dict[CellKey, int] = {}
    for key in derived:
        row, base = linear(leaf_coefficients(layout, key))
        lo, hi = _floor(truth[key]), _ceil(truth[key])
        plain_up = round_half_up(truth[key]) * 100 == hi and lo != hi
        if lo == hi:
            rows.append((row, lo - base, lo - base))
            continue
        if key in grand:
            target = int(round_half_up(truth[key]) * 100)
            rows.append((row, target - base, target - base))
            continue
        e = new_var(-1.0 if plain_up else 1.0, 0.0, 1.0, 1)
        if plain_up:
            constant += 1.0
        derived_vars[key] = e
        row = dict(row)
        row[e] = row.get(e, 0.0) - 1.0
        rows.append((row, lo - base, lo - base))

    # relations that hold exactly in the 元 data hold in the published tables (soft across tables)
    seen = set()
    relation_rows = []
    for inst in graph.instances:
        coefs: Counter = Counter()
        for sign, side in ((1, inst.lhs), (-1, inst.rhs)):
            for s, term in side:
                for k in (layout.lookup_keys(term) if isinstance(term, Lookup) else [term]):
                    for leaf, n in leaf_coefficients(layout, k).items():
                        coefs[leaf] += sign * s * n
        coefs = Counter({k: n for k, n in coefs.items() if n})
        if not coefs:
            continue  # identical on both sides (a definition): formulas keep it
        diff = sum((n * truth.get(k, Decimal(0)) for k, n in coefs.items()), Decimal(0))
        if (inst.op == "=" and diff != 0) or (inst.op == "<=" and diff > 0):
            continue  # not true in the data: nothing to keep
        row, base = linear(coefs)
        sig = (inst.op, tuple(sorted(row.items())), base)
        if sig in seen:
            continue
        seen.add(sig)
        if not row:
            if (inst.op == "=" and base != 0) or (inst.op == "<=" and base > 0):
                relation_rows.append((inst, None))
            continue
        plus = new_var(SLACK_COST, 0.0, np.inf, 0)
        minus = new_var(SLACK_COST, 0.0, np.inf, 0)
        row = dict(row)
        row[minus] = 1.0
        if inst.op == "=":
            row[plus] = -1.0
            rows.append((row, -base, -base))
        else:
            rows.append((row, -np.inf, -base))
        relation_rows.append((inst, (plus, minus)))

    n = len(costs)
    values: dict[CellKey, Decimal] = {k: Decimal(floor[k]) / 100 for k in leaves}
    unbalanced: list[str] = []
    if n:
        A = lil_matrix((max(len(rows), 1), n))
        lo_b, hi_b = [], []
        for i, (row, low, high) in enumerate(rows):
            for j, v in row.items():
                A[i, j] = v
            lo_b.append(low)
            hi_b.append(high)
        cons = [LinearConstraint(A.tocsr(), lo_b, hi_b)] if rows else []
        res = milp(np.array(costs), constraints=cons, integrality=np.array(integrality),
                   bounds=Bounds(np.array(lb), np.array(ub)), options={"time_limit": 60})
        if res.x is None:
            return _fallback(layout, yuan, truth, "无法求得平衡解（约束矛盾）")
        x = res.x
        for k, i in var.items():
            values[k] = Decimal(floor[k] + int(round(x[i]))) / 100
        for inst, slack in relation_rows:
            if slack is None or x[slack[0]] > 0.5 or x[slack[1]] > 0.5:
                unbalanced.append(f"{inst.rule.id}{'（' + inst.where + '）' if inst.where else ''}：{inst.rule.text}")
    result = BalanceResult(values, unbalanced=sorted(set(unbalanced)), true_values=truth)
    _moved(layout, yuan, result)
    result.grand_totals = {k: _published(layout, result.values, k) for k in grand}
    return result


def _fallback(layout, yuan, truth, why):
    result = plain(layout, yuan)
    result.unbalanced = [why]
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
