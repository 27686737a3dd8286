"""The built-in checks the model's rules name (``check:`` in ``schemas/<profile>.yaml``).

Each is a function registered under the name the check catalogue (``schemas/checks.yaml``) declares,
taking the rule that names it: its tables, cells and parameters come from the rule, its messages from
the catalogue. :data:`BUILTINS` and :data:`STAGED` together cover every declared check: the checks run
elsewhere in the pipeline (reading, values, relations, shift, pandera frames) are listed in
:data:`STAGED` with the module that runs them; a test holds the three lists together.
"""

from __future__ import annotations

from typing import Callable

from juesuan.layout.keys import CellKey
from juesuan.model.expr import parse_ref
from juesuan.model.profile import Rule
from juesuan.rules.instances import ref_cells
from juesuan.validate.context import Context
from juesuan.validate.emit import add
from juesuan.validate.values import value

BUILTINS: dict[str, Callable[[Context, Rule], None]] = {}
# checks run by another stage of the pipeline, not by a function here
STAGED = {
    "tables_present": "juesuan.validate.builtin.reading_problems",
    "table_structure": "juesuan.validate.builtin.reading_problems",
    "cached_formula": "juesuan.validate.values",
    "uncomputable_formula": "juesuan.validate.values",
    "shift": "juesuan.validate.shift",
    "code_structure": "juesuan.validate.frames",
    "economic_names": "juesuan.validate.frames",
    "amount_parsed": "juesuan.validate.frames",
    "two_decimals": "juesuan.validate.frames",
    "non_negative": "juesuan.validate.frames",
    "narrative": "juesuan.narrative.check",
}


def builtin(name: str):
    """Register the implementation of the declared check ``name``."""
    def deco(fn):
        BUILTINS[name] = fn
        return fn
    return deco


def run_builtins(ctx: Context) -> None:
    """Every rule's built-in check, in the model's order of rules."""
    reading_problems(ctx)
    for rule in ctx.profile.rules:
        fn = BUILTINS.get(rule.check)
        if fn is not None:
            fn(ctx, rule)


def cells_of(ctx: Context, refs) -> list[CellKey]:
    """The cells that references in the relation notation (``T04[33..60,4]``) stand for (resolved once
    per layout shape: they depend on the tables' rows, not on where they stand)."""
    memo = ctx.layout.shape.setdefault("cells_of", {})
    key = tuple(refs)
    found = memo.get(key)
    if found is None:
        found = memo[key] = [k for text in refs for k in ref_cells(parse_ref(text, ctx.profile), ctx.layout)]
    return list(found)


# --------------------------------------------------------------------------------------------------
# What the reader could not find


def reading_problems(ctx: Context) -> None:
    """S-01 for every table not found, S-02 for every structure the locator could not read."""
    present = ctx.rule_of_check("tables_present")
    for spec in ctx.located.missing:
        add(ctx, present, None, "missing", {"table": spec.number, "title": spec.title}, table=spec.number,
            kind="missing")
    structure = ctx.rule_of_check("table_structure")
    for problem in ctx.located.problems:
        spec = ctx.profile.table(problem.table)
        add(ctx, structure, None, problem.message, dict(problem.params, table=spec.number),
            sheet=ctx.located.sheets[problem.table].name, cell=problem.cell, table=spec.number, kind="structure")


@builtin("units")
def units(ctx: Context, rule: Rule) -> None:
    """S-05: a table whose unit the reader could not tell is checked as 万元, with a warning."""
    for tid, reading in ctx.located.readings.items():
        if not reading.unit and tid in ctx.located.readable:
            message, params = ("strange", {"unit": reading.unit_text}) if reading.unit_text else ("unknown", {})
            add(ctx, rule, None, message, dict(params, table=reading.table), sheet=reading.sheet,
                cell=reading.unit_from if reading.unit_text else "", table=reading.table, kind="structure")


# --------------------------------------------------------------------------------------------------
# Checks of one table


@builtin("structural_blanks")
def structural_blanks(ctx: Context, rule: Rule) -> None:
    """Amounts typed into 行次 that the layout prints empty (01: 9–26; 04: 4–26, 61–63)."""
    for tid in rule.tables:
        tl = ctx.layout.table(tid)
        if not ctx.located_table(tid):
            continue
        for line in tl.spec.blank_lines:
            for col in tl.spec.side_of(line).values:
                c = ctx.cells.get(CellKey(tl.spec.id, line, col))
                if c is not None and c.raw is not None:
                    add(ctx, rule, c.key, "filled", {"line": line, "raw": c.raw}, actual=c.value, kind="structure")


@builtin("no_zero_rows")
def no_zero_rows(ctx: Context, rule: Rule) -> None:
    """Code rows whose every column is 0 or blank; one finding for a table with nothing but such rows."""
    for tid in rule.tables:
        tl = ctx.layout.table(tid)
        if not ctx.located_table(tid):
            continue
        spec, known = tl.spec, ctx.values
        zero = [i for i in range(1, len(tl.rows))
                if all((known[k] if k in known else value(ctx, k)) == 0
                       and k not in ctx.unknown  # text is reported at its cell, not as 0
                       for k in (CellKey(spec.id, i, c) for c in spec.columns) if k in ctx.cells)]
        if zero and len(zero) == len(tl.rows) - 1:
            add(ctx, rule, None, "table_empty", {"table": spec.number}, sheet=ctx.located.sheets[spec.id].name,
                table=spec.number, kind="structure")
            continue
        codes = {tl.rows[i].code for i in zero}
        for i in zero:
            row = tl.rows[i]
            # a 类/款 row is zero because its children are: report the children only
            if any(c != row.code and c.startswith(row.code) for c in codes):
                continue
            add(ctx, rule, CellKey(spec.id, i, min(spec.columns)), "row_zero", {"code": row.code, "name": row.name},
                kind="structure")


@builtin("blank_zero_mix")
def blank_zero_mix(ctx: Context, rule: Rule) -> None:
    """A table that leaves some amounts blank and fills others with 0."""
    structural = ctx.layout.blanks
    for tid, tl in ctx.layout.tables.items():
        if tid not in ctx.located.readable or tl.is_empty:
            continue
        blanks, zeros = [], 0
        keys = [k for k in tl.value_keys() if k in ctx.cells]
        # a table without formulas (a PDF, pasted values) shows its totals where the template computes
        # them: a total is not a cell someone chose to fill with 0, as a formula cell is not
        printed = ctx.graph.definitions if not any(ctx.cells[k].formula is not None for k in keys) else {}
        for key in keys:
            c = ctx.cells[key]
            if key in structural or c.formula is not None or key in printed:
                continue
            if c.value is None and c.parsed:  # empty, or a dash
                blanks.append(key)
            elif c.value == 0 and c.parsed:
                zeros += 1
        if blanks and zeros:
            add(ctx, rule, blanks[0], "mixed", {"blanks": len(blanks), "zeros": zeros}, kind="format")


@builtin("usually_zero")
def usually_zero(ctx: Context, rule: Rule) -> None:
    """Cells that are 0 for most departments (01 行次 28, 58): a warning when they are not."""
    for key in cells_of(ctx, rule.cells):
        if key in ctx.cells and value(ctx, key) != 0:
            tl = ctx.layout.table(key.table)
            add(ctx, rule, key, "nonzero", {"label": tl.line_label(key.row), "value": value(ctx, key)},
                actual=value(ctx, key))


@builtin("empty_fund_tables")
def empty_fund_tables(ctx: Context, rule: Rule) -> None:
    """X-09: a fund table is empty exactly when 04 has none of that money, and an empty one says so."""
    for fund in rule.param("funds"):
        tid = ctx.profile.table(fund["table"]).id
        money_cells = cells_of(ctx, fund["money"])
        if tid not in ctx.located.readable or any(k.table not in ctx.located.readable for k in money_cells):
            continue
        tl = ctx.layout.table(tid)
        if not tl.is_empty:
            continue
        has_money = any(value(ctx, k) != 0 for k in money_cells if k in ctx.cells)
        sheet = ctx.located.sheets[tid]
        source = ctx.profile.table(money_cells[0].table).number
        if has_money:
            add(ctx, rule, None, "money_but_empty", {"source": source, "fund": fund["fund"], "table": tl.spec.number},
                sheet=sheet.name, table=tl.spec.number, kind="structure")
        elif not _has_empty_note(ctx, tid):
            add(ctx, rule, None, "empty_without_note", {"table": tl.spec.number}, sheet=sheet.name,
                table=tl.spec.number, kind="structure")


def _has_empty_note(ctx: Context, tid: str) -> bool:
    """Whether an empty table says why: a 说明 line, or a 注 that says the table has no data (in any
    column of the table's note area)."""
    reading = ctx.located.readings.get(tid)
    return reading is not None and any(t.startswith("说明") or "无数据" in t for t in reading.notes)


@builtin("filled")
def filled(ctx: Context, rule: Rule) -> None:
    """A workbook with no amount at all is an unfilled template, not a disclosure that passes; the
    income and expense tables of one that is filled have code rows."""
    inputs = [k for k in ctx.graph.inputs if k in ctx.cells]
    if inputs and all(value(ctx, k) == 0 for k in inputs):
        add(ctx, rule, None, "nothing", {}, kind="structure")
        return
    for tid in rule.tables:
        tl = ctx.layout.table(tid)
        if ctx.located_table(tid) and tl.is_empty:
            add(ctx, rule, None, "no_rows", {"table": tl.spec.number}, sheet=ctx.located.sheets[tl.spec.id].name,
                table=tl.spec.number, kind="structure")
