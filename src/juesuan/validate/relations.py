"""Every relation instance of the model judged on a workbook's values, with the rounding envelope.

An instance is judged only when the workbook has every cell it needs (a missing table, row or column
makes it *not evaluated*, never compared with 0) and none of them is unreadable (that cell is reported
once, as V-01). An instance with a ``when_zero`` condition is judged only while those cells are 0.
"""

from __future__ import annotations

from decimal import Decimal

from juesuan.layout.keys import CellKey
from juesuan.rules.instances import Instance
from juesuan.util.money import add_signed
from juesuan.util.rounding import MISMATCH, OK, classify, envelope
from juesuan.validate.context import Context, Violation
from juesuan.validate.values import term_keys, value


def leafcount(ctx: Context, terms) -> int:
    """Σ over terms of the number of non-zero input cells each one sums (at least 1 a term)."""
    total = 0
    memo, known = ctx.leaves_memo, ctx.values
    graph = None
    for _, key in terms:
        nz = memo.get(key)
        if nz is None:
            graph = graph or ctx.graph
            nz = memo[key] = sum(1 for k in graph.leaves(key)
                                 if k in ctx.cells and (known[k] if k in known else value(ctx, k)) != 0)
        total += max(1, nz)
    return total


def judge(ctx: Context, inst: Instance, lhs_terms, rhs_terms) -> Violation | None:
    """The violation of one expanded instance, or None when it holds (exactly, or ``<=``)."""
    if ctx.unknown and any(k in ctx.unknown for _, k in list(lhs_terms) + list(rhs_terms)):
        return None  # an unreadable cell is reported once, as V-01; what depends on it cannot be judged
    lhs, rhs = _signed_sum(ctx, lhs_terms), _signed_sum(ctx, rhs_terms)
    diff = lhs - rhs
    if inst.op == "<=" and diff <= 0:
        return None
    if inst.op == "=" and diff == 0:
        return None
    n = max(leafcount(ctx, lhs_terms), leafcount(ctx, rhs_terms))
    verdict = classify(diff, n)
    if verdict == OK:
        return None
    terms = list(lhs_terms) + [(-s, k) for s, k in rhs_terms]
    return Violation(inst.rule, inst, terms, lhs, rhs, diff, envelope(n), n, verdict)


def _signed_sum(ctx: Context, terms) -> Decimal:
    total = Decimal(0)
    known = ctx.values
    for s, k in terms:
        v = known.get(k)
        if v is None:
            v = value(ctx, k)
        total = add_signed(total, s, v)
    return total


def expand(ctx: Context, side, readable=None) -> list[tuple[int, CellKey]] | None:
    """A side's terms as the workbook's cells, or None if the workbook lacks a cell or table it needs."""
    out = []
    cells = ctx.cells
    readable = ctx.located.readable if readable is None else readable
    for sign, term in side:
        if isinstance(term, CellKey):
            if term not in cells:
                return None
            out.append((sign, term))
        else:
            if term.table not in readable:
                return None
            out.extend((sign, k) for k in term_keys(ctx, term))
    return out


def applies(ctx: Context, inst: Instance, readable=None) -> bool:
    """Whether a conditional instance applies: its condition's tables are read and its cells all 0."""
    if not inst.when_zero:
        return True
    readable = ctx.located.readable if readable is None else readable
    if any(k.table not in readable for k in inst.when_zero):
        return False
    known = ctx.values  # every cell's value, once computed_values has run
    return all((known[k] if k in known else value(ctx, k)) == 0 for k in inst.when_zero if k in ctx.cells)


def evaluate(ctx: Context) -> list[Violation]:
    """Judge every instance of the layout; returns the violations (tails and mismatches)."""
    out = []
    readable = ctx.located.readable
    known = ctx.values
    valued = len(known) == len(ctx.cells)  # every cell valued (computed_values has run)
    get = known.__getitem__
    zero = Decimal(0)
    for inst, lost, lhs, rhs, covered, cond, plain in _plan(ctx, readable):
        if inst.when_zero and not ((cond is not None and not any(map(get, cond))) if valued
                                   else applies(ctx, inst, readable)):
            ctx.skipped.add(inst.rule.id)
            continue
        ctx.judged.add(inst.rule.id)
        if lost:  # a table the relation names is missing or unreadable: not evaluated, never compared with 0
            ctx.not_evaluated.setdefault(inst.rule.id, set()).update(lost)
            continue
        if lhs is None or rhs is None:
            _not_evaluated(ctx, inst)
            continue
        if not lhs and not rhs:
            continue
        if covered:
            # the root cause is reported once, at the malformed code (R02-4); the relation still fails
            v = judge(ctx, inst, lhs, rhs)
            if v:
                ctx.explained.append(v)
            continue
        ctx.expanded.append((inst, lhs, rhs))
        if valued and not ctx.unknown:  # the instance that holds, told without judging it
            diff = ((sum(map(get, plain[0]), zero) if plain[0] is not None else _signed_sum(ctx, lhs))
                    - (sum(map(get, plain[1]), zero) if plain[1] is not None else _signed_sum(ctx, rhs)))
            if diff == 0 or (diff < 0 and inst.op == "<="):
                continue
        v = judge(ctx, inst, lhs, rhs)
        if v:
            if inst.code is not None and (not lhs or not rhs):
                present = inst.lhs if lhs else inst.rhs  # the side whose table has the code
                table = ctx.profile.table(_lookup_table(present)).number
                v.what = {"template": "relation.one_sided", "params": {"code": inst.code, "table": table}}
            out.append(v)
    return out


def _plan(ctx: Context, readable) -> list[tuple]:
    """Per instance, what does not depend on the values — the tables it names that are not read, the
    cells each side finds, whether a malformed code covers a missing side, the cells of its condition
    (None: a condition's table is not read), each side's cells when it only adds them (else None: it
    is summed term by term) — in the order judged. It depends only on where the cells stand and which
    tables are read: kept per placement."""
    instances = ctx.graph.instances
    memo = ctx.layout.placement.setdefault("plans", {})
    key = frozenset(readable)
    hit = memo.get(key)
    if hit is not None and hit[0] is instances:
        return hit[1]
    malformed = {t.spec.id: [c for c in t.malformed_codes() if c] for t in ctx.layout.tables_of("coded")}
    steps = []
    for inst in instances:
        lost = tuple(t for t in relation_tables(ctx.profile, inst) if t not in readable)
        lhs = rhs = plain_lhs = plain_rhs = None
        if not lost:
            lhs, plain_lhs = _side(ctx, inst.lhs, readable)
            rhs, plain_rhs = _side(ctx, inst.rhs, readable)
        covered = (lhs is not None and rhs is not None and (lhs or rhs) and inst.code is not None
                   and _covered_by_malformed(inst, lhs, rhs, malformed))
        cond = (None if any(k.table not in readable for k in inst.when_zero)
                else tuple(k for k in inst.when_zero if k in ctx.cells))
        steps.append((inst, lost, lhs, rhs, bool(covered), cond, (plain_lhs, plain_rhs)))
    memo[key] = (instances, steps)
    return steps


def _side(ctx: Context, side, readable) -> tuple:
    """:func:`expand` of a side, as a tuple (None if the workbook lacks what it needs), and its cells
    when it only adds them (else None: summed as :func:`_signed_sum` sums them, the same steps)."""
    out: list = []
    cells, plain = ctx.cells, True
    for sign, term in side:
        if term.__class__ is CellKey:
            if term not in cells:
                return None, None
            out.append((sign, term))
        else:
            if term.table not in readable:
                return None, None
            out.extend((sign, k) for k in ctx.layout.lookup_keys(term) if k in cells)  # as term_keys
        if sign != 1:
            plain = False
    return tuple(out), (tuple(k for _, k in out) if plain else None)


def relation_tables(profile, inst: Instance) -> tuple[str, ...]:
    """The ids of the tables the relation of ``inst`` names, whether or not the instance kept a term of
    each (a table the workbook lacks leaves no term)."""
    return profile.relation_tables(inst.rule.relations[inst.rel_no])


def _not_evaluated(ctx: Context, inst: Instance) -> None:
    """Record why an instance could not be judged: the tables it needs that are missing or unreadable."""
    tables = {t.table for _, t in list(inst.lhs) + list(inst.rhs)}
    lost = sorted(t for t in tables if t not in ctx.located.readable)
    if lost:
        ctx.not_evaluated.setdefault(inst.rule.id, set()).update(lost)


def _lookup_table(side) -> str:
    return next(t.table for _, t in side)


def _covered_by_malformed(inst: Instance, lhs, rhs, malformed) -> bool:
    """A code missing on one side where that side has a cut or malformed code covering it is already
    reported there (R02-4): one root cause, one report."""
    for side, terms in ((inst.lhs, lhs), (inst.rhs, rhs)):
        if not terms:
            tid = _lookup_table(side)
            if any(inst.code.startswith(x) for x in malformed.get(tid, ())):
                return True
    return False


def relation_envelope(ctx: Context, inst: Instance) -> Decimal | None:
    """The rounding envelope the validator applies to ``inst`` on this workbook (None if not judged)."""
    lhs, rhs = expand(ctx, inst.lhs), expand(ctx, inst.rhs)
    if lhs is None or rhs is None:
        return None
    return envelope(max(leafcount(ctx, lhs), leafcount(ctx, rhs)))


def relation_difference(ctx: Context, inst: Instance) -> Decimal | None:
    """Left minus right of ``inst`` on this workbook (None if not judged)."""
    lhs, rhs = expand(ctx, inst.lhs), expand(ctx, inst.rhs)
    if lhs is None or rhs is None:
        return None
    return sum((s * value(ctx, k) for s, k in lhs), Decimal(0)) - sum((s * value(ctx, k) for s, k in rhs), Decimal(0))


__all__ = ["MISMATCH", "evaluate", "expand", "judge", "leafcount", "relation_difference", "relation_envelope"]
