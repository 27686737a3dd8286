"""Cell values as the checks use them: read from the sheet, or computed in Python where a formula
has no cached result (files written by programs); a cached result that disagrees with the model's
formula is a finding (V-03), a formula that is neither cached nor the model's cannot be valued (V-05)."""

from __future__ import annotations

import re
from functools import lru_cache
from decimal import Decimal

from juesuan.layout.keys import CellKey
from juesuan.render.formulas import defining_formula
from juesuan.util import a1
from juesuan.util.money import CENT, add_signed, parse_amount
from juesuan.validate.context import Cell, Context
from juesuan.validate.emit import add

_SIMPLE = re.compile(r"[\d.+\-\s]+")
_SINGLE_SUM = re.compile(r"SUM\(([^(),:]+)\)")


def read_cells(ctx: Context) -> None:
    """Every amount cell of every located table, as the sheet holds it."""
    for tid, tl in ctx.layout.tables.items():
        sheet = ctx.located.readable.get(tid)
        if sheet is None:
            continue
        for key in tl.absent:
            ctx.cells[key] = Cell(key, sheet.name, "", None, value=Decimal(0), absent=True)
        name, value_at, formulas = sheet.name, sheet.value, sheet.formulas
        for key, row, c, where in _places(ctx, tid, tl):  # in the order of value_keys()
            raw = value_at(row, c)
            f = formulas.get((row, c))
            cell = Cell(key, name, where, raw)
            if f is not None:
                cell.formula, cell.cached = f
            if f is not None and not cell.cached:
                cell.value = None
            else:
                cell.value, cell.parsed = parse_amount(raw)
                if isinstance(raw, str) and raw.startswith("#"):
                    cell.parsed = False
                cell.unknown = not cell.parsed
            if tl.scale != 1:
                cell.scale = tl.scale
                if cell.value is not None:
                    cell.value = cell.value / tl.scale
            ctx.cells[key] = cell
    _text_numbers(ctx)


def _places(ctx: Context, tid: str, tl) -> list[tuple]:
    """(key, sheet row, column number, A1 text) of every amount cell of a table, in the order of
    ``value_keys()``: kept per placement (where the cells stand)."""
    memo = ctx.layout.placement.setdefault("places", {})
    hit = memo.get(tid)
    if hit is None:
        placed = tl.positions.items() if tl.positions is not None else ((k, tl.address(k)) for k in tl.value_keys())
        hit = memo[tid] = [(key, row, a1.col_index(col), f"{col}{row}") for key, (row, col) in placed]
    return hit


def _text_numbers(ctx: Context) -> None:
    """A number typed as text (``"118.97"``) in a cell a formula of the workbook sums is what the
    spreadsheet makes of it: not a number. SUM leaves it out, so the check does too: the cell is
    reported (V-01) and what depends on it is not judged. A table of constants keeps reading it."""
    texts = [c for c in ctx.cells.values() if c.formula is None and isinstance(c.raw, str) and c.value is not None]
    if not texts:
        return
    summed: set[CellKey] = set()
    for cell in ctx.cells.values():
        inst = ctx.graph.definitions.get(cell.key) if cell.formula is not None else None
        if inst is not None:
            summed.update(k for _, t in inst.rhs for k in term_keys(ctx, t))
    for c in texts:
        if c.key in summed:
            c.text_number, c.parsed, c.unknown = True, False, True


def term_keys(ctx: Context, term) -> list[CellKey]:
    """The workbook's cells a term stands for (a look-up: its rows; nothing the workbook lacks)."""
    if isinstance(term, CellKey):
        return [term] if term in ctx.cells else []
    return [k for k in ctx.layout.lookup_keys(term) if k in ctx.cells]


def value(ctx: Context, key: CellKey, stack=()) -> Decimal:
    """The value the checks use for a cell: 0 for a blank, a missing or an unreadable cell."""
    cell = ctx.cells.get(key)
    if cell is None:
        return Decimal(0)
    if cell.formula is not None and not cell.cached and not cell.computed:
        _compute(ctx, cell, stack)
    return cell.value if (cell.value is not None and cell.parsed) else Decimal(0)


def _compute(ctx: Context, cell: Cell, stack) -> None:
    inst = ctx.graph.definitions.get(cell.key)
    cell.computed = True
    summed, lost = _summed(ctx, inst) if inst is not None else ((), ())
    if lost:  # its formula takes cells of a table the workbook lacks or could not read: no value here
        cell.value, cell.unknown = None, True
        tables = "、".join(ctx.profile.table(t).number for t in lost)
        add(ctx, ctx.rule_of_check("uncomputable_formula"), cell.key, "lost_table",
            {"formula": cell.formula, "tables": tables})
        return
    if inst is not None and not _is_model_formula(ctx, cell, inst):
        inst = None  # a formula someone changed: its result cannot be known without a spreadsheet
    if inst is None or cell.key in stack:
        simple = simple_formula(cell.formula)
        cell.value = simple
        if simple is not None and cell.scale != 1:
            simple = simple / cell.scale
        if simple is None:
            cell.unknown = True  # relations through it are not judged against a guess
            add(ctx, ctx.rule_of_check("uncomputable_formula"), cell.key, "not_model", {"formula": cell.formula})
        return
    total = Decimal(0)
    below = stack + (cell.key,)
    cells = ctx.cells
    for sign, k in summed:
        c = cells[k]  # as value(ctx, k, below), without the call
        if c.formula is not None and not c.cached and not c.computed:
            _compute(ctx, c, below)
        total = add_signed(total, sign, c.value if (c.value is not None and c.parsed) else _ZERO)
        if c.unknown:
            cell.unknown = True
    cell.value = total


_ZERO = Decimal(0)


def _summed_cells(ctx: Context, inst) -> tuple:
    """(sign, cell) of every cell the formula of ``inst`` sums on this workbook: what :func:`term_keys`
    finds for its terms."""
    return _summed(ctx, inst)[0]


def _summed(ctx: Context, inst) -> tuple[tuple, tuple]:
    """:func:`_summed_cells`, and the tables its formula takes cells of that the workbook lacks or could
    not read (its result cannot be known here). Both depend only on where the cells stand and which
    tables are read: kept per placement."""
    if ctx.summed is None:
        ctx.summed = ctx.layout.placement.setdefault(("summed", frozenset(ctx.located.readable)), {})
    return _kept(ctx.summed, inst, _make_summed, ctx)


def _make_summed(inst, ctx: Context) -> tuple[tuple, tuple]:
    readable = ctx.located.readable
    return (tuple((sign, k) for sign, term in inst.rhs for k in term_keys(ctx, term)),
            tuple(sorted({term.table for _, term in inst.rhs if term.table not in readable})))


def _kept(memo: dict, inst, make, *args):
    """``make(inst, *args)`` for ``inst``, kept in ``memo`` (a placement's): the instance is kept beside
    it, so that its id is not taken for another instance's once it is gone."""
    hit = memo.get(id(inst))
    if hit is None or hit[0] is not inst:
        hit = memo[id(inst)] = (inst, make(inst, *args))
    return hit[1]


@lru_cache(maxsize=1 << 14)
def _plain(text: str) -> str:
    """A formula as it is compared with the model's: ``$`` and spaces aside, upper case, no ``=``."""
    text = "".join(text.replace("$", "").split()).upper().lstrip("=")
    single = _SINGLE_SUM.fullmatch(text)  # =SUM(C30) and =C30 (written before 0.x) mean the same
    return single.group(1) if single else text


def _is_model_formula(ctx: Context, cell: Cell, inst) -> bool:
    """Whether a formula is the one the model gives this cell (``$`` and spaces aside). The model's,
    as :func:`_plain` gives it, is made once per instance and placement of the cells (the workbooks
    of a folder made from one template share it)."""
    if ctx.models is None:
        ctx.models = ctx.layout.placement.setdefault("model_formulas", {})
    return _plain(cell.formula or "") == _kept(ctx.models, inst, _make_model_formula, ctx.layout)


def _make_model_formula(inst, layout) -> str:
    # each cell's reference made once per placement, not once per formula that sums it
    return _plain(defining_formula(layout, inst, layout.placement.setdefault("formula_parts", {})))


def simple_formula(text: str | None) -> Decimal | None:
    """The value of a formula made of numbers and + − only (``=12.5+3``), else None."""
    if not text or not _SIMPLE.fullmatch(text):
        return None
    try:
        total, sign, num = Decimal(0), 1, ""
        for ch in text.replace(" ", "") + "+":
            if ch in "+-":
                if num:
                    total += sign * Decimal(num)
                    num = ""
                sign = 1 if ch == "+" else -1
            else:
                num += ch
        return total
    except Exception:
        return None


def computed_values(ctx: Context) -> None:
    """Compute formulas without a cached result; compare cached results with the model (V-03)."""
    for cell in list(ctx.cells.values()):
        if cell.formula is not None and not cell.cached and not cell.computed:
            _compute(ctx, cell, ())
    zero = Decimal(0)  # as value() gives each cell, every formula now valued
    ctx.values = {k: c.value if (c.value is not None and c.parsed) else zero for k, c in ctx.cells.items()}
    ctx.unknown = {k for k, c in ctx.cells.items() if c.unknown}
    if ctx.unknown:  # a total the spreadsheet computed around an unreadable input is not judged either
        graph = ctx.graph
        ctx.unknown |= {k for k, c in ctx.cells.items() if c.formula is not None and c.cached
                        and k in graph.definitions and graph.leaves(k) & ctx.unknown}
    rule = ctx.rule_of_check("cached_formula")
    known, definitions = ctx.values, ctx.graph.definitions
    for cell in ctx.cells.values():
        if cell.formula is None or not cell.cached or not cell.parsed or cell.value is None:
            continue
        inst = definitions.get(cell.key)
        if inst is None:
            continue
        summed, lost = _summed(ctx, inst)
        if lost:
            continue  # the model's result needs a table the workbook lacks: the spreadsheet's is taken as it is
        model = _ZERO
        for sign, k in summed:
            model = add_signed(model, sign, known[k])
        shown = cell.value
        if model.quantize(CENT) != shown.quantize(CENT):
            add(ctx, rule, cell.key, "differs", {"shown": shown, "model": model},
                expected=model, actual=shown, difference=shown - model, kind="mismatch")
