"""The S-03 search of a group (validate.shift.GroupSearch: exact integers of one scale, prefix sums of
each relation's gains row by row, a first judgement on the broken relations alone) finds exactly what
judging every hypothesis on its own, cell by cell in Decimal, finds: the same hypotheses, in the same
order, with the same number of relations repaired.

The groups are random: a true grid of amounts, relations that hold on it (within their envelope or
not quite), then a block pasted one row off, amounts displaced from a row to the end, or a few amounts
typed wrong; some cells missing, some amounts with three decimals, some too large for 64 bits.
"""

from __future__ import annotations

import random
from decimal import MAX_PREC, Context, Decimal, localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juesuan.util.rounding import envelope
from juesuan.validate.shift import MAX_CANDIDATES, MAX_DISPLACED, MIN_MOVED, MIN_REPAIRED, GroupSearch

ZERO = Decimal(0)


def _fails(op: str, diff: Decimal, tol: Decimal) -> bool:
    return not (op == "<=" and diff <= 0) and abs(diff) >= tol


class _Relations:
    def __init__(self, rels):
        self.rels = rels

    def op(self, r):
        return self.rels[r]["op"]

    def tol(self, r):
        return self.rels[r]["tol"]


def _amount(rng: random.Random, huge: bool) -> Decimal:
    cents = rng.choice([0, rng.randrange(1, 100), rng.randrange(100, 100000), rng.randrange(100, 100000), -rng.randrange(1, 500)])
    x = Decimal(cents).scaleb(-rng.choice([2, 2, 2, 3, 0]))
    return x * Decimal(10) ** 22 if huge and rng.random() < 0.3 else x


def _shifted(rng: random.Random, true: list) -> list:
    """The grid as typed: ``true`` with a block pasted one row off (the row it left emptied, or not),
    amounts displaced by a few rows from a row to the end (the rows left without one held 0), or a few
    amounts wrong; sometimes a stray amount besides. ``true`` is changed where a displacement needs 0."""
    n, w = len(true), len(true[0])
    seen = [list(line) for line in true]
    kind = rng.choice(["block", "block", "tail", "noise"])
    if kind == "block" and n >= 3:
        d, size = rng.choice([1, -1]), rng.randint(2, n - 1)
        a = rng.randint(1, n - size) if d == 1 else rng.randint(0, n - size - 1)
        for i in range(a, a + size):
            seen[i] = list(true[i - d])
        if rng.random() < 0.5:
            seen[a - 1 if d == 1 else a + size] = [ZERO] * w
    elif kind == "tail" and n >= 3:
        a, d = rng.randrange(0, n - 2), rng.choice([1, 2, 3, -1, -2])
        gone = range(a, min(n, a + d)) if d > 0 else range(max(a, n + d), n)
        for i in gone:
            true[i] = [ZERO] * w
        for i in range(a, n):
            seen[i] = list(true[i + d]) if a <= i + d < n else [ZERO] * w
    for _ in range(rng.choice([0, 0, 0, 1, 3])):
        seen[rng.randrange(n)][rng.randrange(w)] = Decimal(rng.randrange(0, 90000)).scaleb(-2)
    return seen


def random_group(rng: random.Random):
    """(values, complete, occurrences, facts, relations, edges, starts) of a random group."""
    n, w = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 12]), rng.randint(1, 3)
    huge = rng.random() < 0.15
    holes = 0.05 if rng.random() < 0.3 else 0
    present = [[rng.random() >= holes for _ in range(w)] for _ in range(n)]
    complete = [all(line) for line in present]
    true = [[_amount(rng, huge) if present[i][c] else ZERO for c in range(w)] for i in range(n)]
    seen = [[v if present[i][c] else ZERO for c, v in enumerate(line)] for i, line in enumerate(_shifted(rng, true))]
    cells = [(i, c) for i in range(n) for c in range(w) if present[i][c]]
    rels = []
    by_row = [[(1, i, c) for c in range(w) if present[i][c]] for i in range(n)]  # a row's sum, as 02's 合计 column
    spans = [[(1, j, c) for j in range(i, min(n, i + rng.randint(2, 4))) for c in range(w) if present[j][c]]
             for i in range(n)]  # a parent's sum of the rows under it
    shapes = [t for t in by_row + spans if t and rng.random() < 0.6]
    shapes += [[(rng.choice([1, -1]), *rng.choice(cells)) for _ in range(rng.randint(1, 4))]
               for _ in range(rng.randint(0, 3) if cells else 0)]
    for terms in shapes:
        if rng.random() < 0.1:
            s, i, c = terms[0]
            terms.append((-s, i, c))  # a cell on both sides
        outside = -sum(s * true[i][c] for s, i, c in terms) + rng.choice([ZERO, ZERO, ZERO, Decimal("0.01"), Decimal("-3")])
        op = "<=" if rng.random() < 0.15 else "="
        diff = sum((s * seen[i][c] for s, i, c in terms), outside)
        rels.append({"op": op, "terms": terms, "diff": diff, "tol": envelope(rng.randint(1, 6))})
    occurrences = [[[] for _ in range(w)] for _ in range(n)]
    for r, rel in enumerate(rels):
        for s, i, c in rel["terms"]:
            occurrences[i][c].append((r, s))
    facts = {r: (rel["diff"], _fails(rel["op"], rel["diff"], rel["tol"])) for r, rel in enumerate(rels)}
    if rng.random() < 0.7:  # as find_shifts: the rows of the broken relations' cells
        rows = sorted({i for r, rel in enumerate(rels) if facts[r][1] for _, i, _ in rel["terms"]})
    else:
        rows = sorted(rng.sample(range(n), rng.randint(0, n)))
    edges = sorted({j for i in rows for j in (i - 1, i, i + 1) if 0 <= j < n})
    starts = [a for a in edges if n - a >= MIN_MOVED and rng.random() < 0.7]
    return seen, complete, occurrences, facts, rels, edges, starts


def reference(values, complete, rels, edges, starts) -> list[tuple]:
    """Every hypothesis on its own: the grid un-shifted, every relation summed again in Decimal (with
    every digit: amounts of more than 28 digits are not rounded)."""
    with localcontext(Context(prec=MAX_PREC)):
        return _reference(values, complete, rels, edges, starts)


def _reference(values, complete, rels, edges, starts) -> list[tuple]:
    n, w = len(values), len(values[0])
    named = [r for r, rel in enumerate(rels) if rel["terms"]]
    was = {r: _fails(rels[r]["op"], rels[r]["diff"], rels[r]["tol"]) for r in named}
    need = max(MIN_REPAIRED, 0.6 * sum(was.values()))
    out = []

    def judge(new, a, b, d, tail, length):
        if sum(new[i][c] != values[i][c] for i in range(n) for c in range(w)) < MIN_MOVED:
            return
        repaired = 0
        for r in named:
            rel = rels[r]
            after = rel["diff"] + sum((s * (new[i][c] - values[i][c]) for s, i, c in rel["terms"]), ZERO)
            now = _fails(rel["op"], after, rel["tol"])
            repaired += int(was[r] and not now) - int(now and not was[r])
        if repaired >= need:
            out.append((repaired, length, a, b, d, tail))

    for a, b in [(a, b) for a in edges for b in edges if b > a][:MAX_CANDIDATES]:
        for d in (1, -1):
            if all(0 <= i + d < n and complete[i] and complete[i + d] for i in range(a, b + 1)):
                judge([list(values[i + d]) if a <= i <= b else list(values[i]) for i in range(n)], a, b, d, False, b - a)
    for a in starts:
        if not all(complete[a:]):
            continue
        for k in range(1, min(MAX_DISPLACED, n - a - 1) + 1):
            for d in (k, -k):
                new = [list(values[i]) if i < a else list(values[i - d]) if a <= i - d < n else [ZERO] * w
                       for i in range(n)]
                judge(new, a, n - 1, d, True, abs(d))
    return out


def _fast(values, complete, occurrences, facts, rels, edges, starts) -> list[tuple]:
    search = GroupSearch(("c",) * len(values[0]), list(range(len(values))), complete, values, occurrences, facts,
                         _Relations(rels))
    return [(s.repaired, s.length, s.a, s.b, s.d, s.tail) for s in search.shifts(edges, starts)]


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_the_group_search_finds_what_judging_each_hypothesis_alone_finds(seed):
    values, complete, occurrences, facts, rels, edges, starts = random_group(random.Random(seed))
    assert _fast(values, complete, occurrences, facts, rels, edges, starts) == reference(values, complete, rels, edges, starts)


def test_the_random_groups_are_not_vacuous():
    """Of 300 random groups, a tenth or more have an explanation, some in Python integers (beyond 64 bits), and
    the search agrees on each."""
    found = huge = 0
    for seed in range(300):
        group = random_group(random.Random(seed))
        values, complete, occurrences, facts, rels, edges, starts = group
        want = reference(values, complete, rels, edges, starts)
        assert _fast(*group) == want, seed
        found += bool(want)
        search = GroupSearch(("c",) * len(values[0]), list(range(len(values))), complete, values, occurrences,
                             facts, _Relations(rels))
        huge += bool(want) and search.dtype is object
    assert found >= 30, found
    assert huge >= 2, (found, huge)


def test_a_displacement_whose_inserted_rows_take_zeros_is_found():
    """Three code rows inserted at row 3 of nine, the amounts not moved: rows 3–5 (the inserted codes,
    no amount of their own) show the amounts of rows 6–8, which show nothing. Un-doing it repairs
    three row sums by taking the amounts back and three by taking 0 — the search must count both."""
    true = [Decimal(x) for x in ("12.30", "4.56", "7.89", "0", "0", "0", "100.01", "20.02", "3.03")]
    seen = true[:3] + true[6:] + [ZERO] * 3
    rels = [{"op": "=", "terms": [(1, i, 0)], "diff": seen[i] - true[i], "tol": envelope(1)} for i in range(9)]
    group = ([[v] for v in seen], [True] * 9, [[[(i, 1)]] for i in range(9)],
             {i: (rel["diff"], _fails("=", rel["diff"], rel["tol"])) for i, rel in enumerate(rels)}, rels,
             list(range(2, 9)), [3])
    found = _fast(*group)
    assert found == reference(group[0], group[1], rels, group[5], group[6])
    assert (6, 3, 3, 8, 3, True) in found, found
