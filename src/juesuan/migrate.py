"""``juesuan migrate``: carry a filled workbook into a fresh template with other codes or another year.

Every input value of the old workbook is carried to the cell of the same meaning in the new one
(same table, same code or 行次, same 栏次). Nothing is dropped silently: a value with no place in the
new template — a removed code that still has amounts, a malformed code, a code the new edition of the
catalog no longer has, a total typed over its formula — is listed with its old cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from juesuan.catalog import default_catalog
from juesuan.validate.engine import load
from juesuan.layout.build import build_layout, hierarchy_rows
from juesuan.rules.graph import graph_of
from juesuan.util.codes import ITEM_RE, is_code
from juesuan.layout.keys import CellKey

KINDS = {"general": ("general", "all"), "fund": ("fund", "all"), "soe": ("soe", "all"), "other": ("all",)}


@dataclass
class Lost:
    cell: str  # 公开03表!D12 in the old workbook
    what: str  # code and name, or 行次
    value: Any
    why: str


@dataclass
class Migration:
    layout: Any
    values: dict[CellKey, Any]
    lost: list[Lost] = field(default_factory=list)
    carried: int = 0


def migrate(old: str | Path, add: dict[str, list[str]] | None = None, remove: set[str] | None = None,
            year: int | None = None, names: dict[str, str] | None = None, keep_totals: bool = False) -> Migration:
    """Plan the new workbook: its layout and the carried values (see the module docstring). With
    ``keep_totals`` (``extract``), totals are carried too, as the constants they were printed as."""
    add = add or {}
    remove = set(remove or ())
    names = dict(names or {})
    ctx = load(old)
    old_layout = ctx.layout
    profile = ctx.profile
    old_year = old_layout.year or 2024
    year = year or old_year
    catalog = default_catalog(year)
    old_catalog = default_catalog(old_year)
    lost: list[Lost] = []

    def dropped_by_edition(code: str) -> bool:
        return year != old_year and code in old_catalog.functional and code not in catalog.functional

    coded = {}
    for tl in old_layout.tables_of("coded"):
        spec = tl.spec
        codes = []
        for row in tl.rows[1:]:
            if ITEM_RE.fullmatch(row.code) and row.code not in codes:
                codes.append(row.code)
                names.setdefault(row.code, row.name)
        for kind, lst in add.items():
            if any(src in spec.codes_from for src in KINDS[kind]):
                codes.extend(c for c in lst if c not in codes)
        codes = [c for c in codes if c not in remove and not dropped_by_edition(c)]
        # the names of parents as the old workbook printed them
        for row in tl.rows[1:]:
            if is_code(row.code) and len(row.code) < 7 and row.name:
                names.setdefault(row.code, row.name)
        coded[spec.id] = hierarchy_rows(codes, names, catalog)
    extra, econ_names = set(), {}
    for econ in old_layout.tables_of("economic"):
        extra |= {c for c in econ.econ_codes if c in econ.spec.optional_codes}
        econ_names.update({c: n for c, n in econ.econ_names.items() if n})
    new = build_layout(profile, catalog, old_layout.department or "", year, coded, extra, econ_names)

    values: dict[CellKey, Any] = {}
    carried = 0
    new_inputs = set(graph_of(new).inputs)
    old_defs = graph_of(old_layout).definitions
    for key, cell in ctx.cells.items():
        raw = cell.raw
        if cell.formula is not None and key not in old_defs:
            raw = cell.value  # a formula typed into an input cell: carry its value
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if keep_totals and cell.parsed and cell.value is not None:
            carried += _carry_printed(old_layout, new, cell, values, lost,
                                      lambda: _why(old_layout, key, remove, dropped_by_edition))
            continue
        if cell.parsed and cell.value == 0 and key not in old_defs:
            new_key = _new_key(old_layout, new, key)
            if new_key is not None and new_key in new_inputs:
                values[new_key] = Decimal(0)
                carried += 1
            continue  # a 0 with no place is no amount: nothing is lost
        where = f"{cell.sheet}!{cell.a1}"
        what = old_layout.table(key.table).cell_label(key)
        if key in old_defs:
            if cell.formula is None and cell.value is not None:
                computed = sum((s * (ctx.cells[k].value or Decimal(0)) for s, t in old_defs[key].rhs
                                for k in old_layout.keys_of(t) if k in ctx.cells), Decimal(0))
                if computed != cell.value:
                    lost.append(Lost(where, what, raw, f"合计类单元格填的是常数（{raw}），新表中是公式，将按各项之和计算为 {computed}"))
            continue
        new_key = _new_key(old_layout, new, key)
        if new_key is None or new_key not in new_inputs:
            lost.append(Lost(where, what, raw, _why(old_layout, key, remove, dropped_by_edition)))
            continue
        values[new_key] = cell.value if cell.parsed and cell.value is not None else raw
        carried += 1
    if keep_totals:
        lost += _unplaced(ctx)
    return Migration(new, values, lost, carried)


def _unplaced(ctx) -> list[Lost]:
    """Figures printed in a found table's grid but outside every cell the reading placed (a column or a
    row that is not the table's), and every figure of a table that could not be read."""
    from juesuan.util.a1 import col_index, col_letter

    placed: dict[str, set] = {}
    for tid, sheet in ctx.located.sheets.items():
        tl = ctx.layout.tables[tid]
        if tid in ctx.located.unreadable:
            placed.setdefault(sheet.name, set())
            continue
        spots = placed.setdefault(sheet.name, set())
        spots.update((r, col_index(c)) for r, c in (tl.positions or {}).values())
    out = []
    sheets = {s.name: s for s in ctx.located.sheets.values()}
    for name, spots in placed.items():
        sheet = sheets[name]
        for r in range(1, sheet.max_row + 1):
            for c in range(1, sheet.max_col + 1):
                v = sheet.value(r, c)
                if isinstance(v, (int, float)) and not isinstance(v, bool) and (r, c) not in spots:
                    label = next((sheet.text(r, k) for k in range(1, c) if isinstance(sheet.value(r, k), str)), "")
                    out.append(Lost(f"{name}!{col_letter(c)}{r}", label, v, "没有对应的表格单元格，未放入"))
    return out


def _carry_printed(old, new, cell, values: dict, lost: list, why) -> int:
    """A printed figure (``extract``), total or not, into its cell of the new layout as a constant."""
    new_key = _new_key(old, new, cell.key, totals=True)
    if new_key is not None and new_key not in values:
        values[new_key] = cell.value
        return 1
    lost.append(Lost(f"{cell.sheet}!{cell.a1}", old.table(cell.key.table).cell_label(cell.key), cell.raw,
                     "同一科目重复出现，只保留第一次" if new_key is not None else why()))
    return 0


def _new_key(old, new, key: CellKey, totals: bool = False) -> CellKey | None:
    tl = old.table(key.table)
    if totals and tl.kind == "coded" and key.row == 0:
        return key  # the 合计 row: row 0 in every layout
    found = tl.counterpart(key, new.table(key.table))
    if totals and found is None and key in graph_of(new).definitions:
        return key  # a total of the table (06's 人员经费合计): the same key in every layout
    if totals and found is not None and found not in graph_of(new).inputs and found not in graph_of(new).definitions:
        return None
    return found


def _why(old, key: CellKey, remove: set[str], dropped) -> str:
    tl = old.table(key.table)
    if tl.kind == "coded" and key.row:
        code = tl.rows[key.row].code
        if code in remove:
            return f"科目 {code} 已用 --remove-codes 删除，但仍有金额"
        if not ITEM_RE.fullmatch(code):
            return f"科目代码“{code}”不是 7 位项级代码，新表中没有这一行"
        if dropped(code):
            return f"科目 {code} 不在新年度的分类科目中"
    if tl.kind == "paired" and key in old.blanks:
        return f"行次 {key.row} 是空行"
    return "新表中没有对应的单元格"
