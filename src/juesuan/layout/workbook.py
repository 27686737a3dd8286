"""A concrete workbook layout: the model's tables with a department's rows, and where each cell is.

:class:`WorkbookLayout` is what the builder renders and what relations are instantiated on
(:mod:`juesuan.rules.graph`). It knows, for every logical cell (:class:`~juesuan.layout.keys.CellKey`),
its table, sheet, row and column, and which cells are structural blanks.
"""

from __future__ import annotations

from functools import cached_property

from juesuan.catalog import Catalog
from juesuan.layout.keys import CellKey, Lookup
from juesuan.layout.tables import TableLayout
from juesuan.model.profile import Profile

_SHAPES: dict[tuple, dict] = {}  # layout signature → what is computed once per shape (instances, leaves …)
_PLACEMENTS: dict[tuple, dict] = {}  # shape and every cell's place → what depends on where cells stand


class WorkbookLayout:
    """The nine tables of one department's workbook."""

    def __init__(self, profile: Profile, department: str, year: int, tables: dict[str, TableLayout],
                 catalog: Catalog, sheet_names: dict[str, str] | None = None):
        self.profile = profile
        self.department = department
        self.year = year
        self.tables = tables
        self.catalog = catalog
        self.sheet_names = sheet_names or {}

    def table(self, key: str) -> TableLayout:
        return self.tables[self.profile.table(key).id]

    def tables_of(self, kind: str) -> list[TableLayout]:
        return [t for t in self.tables.values() if t.kind == kind]

    def sheet(self, key: CellKey) -> str:
        spec = self.profile.table(key.table)
        return self.sheet_names.get(spec.id, spec.number)

    def a1(self, key: CellKey, with_sheet: bool = True) -> str:
        row, col = self.table(key.table).address(key)
        return f"{self.sheet(key)}!{col}{row}" if with_sheet else f"{col}{row}"

    @cached_property
    def signature(self) -> tuple:
        """What relation instances depend on: the profile and each table's codes (not positions).

        Workbooks of the same shape (a reviewer's folder) share their instances and definitions.
        """
        parts: list = [self.profile.id, id(self.profile)]
        for tid, t in self.tables.items():
            sig = t.signature()
            if sig is not None:
                parts.append((tid, sig))
        return tuple(parts)

    @cached_property
    def shape(self) -> dict:
        """A cache shared by every layout of the same signature (see :mod:`juesuan.rules.graph`)."""
        shape = _SHAPES.get(self.signature)
        if shape is None:
            if len(_SHAPES) > 64:
                _SHAPES.clear()
            shape = _SHAPES[self.signature] = {}
        return shape

    @cached_property
    def placement(self) -> dict:
        """A cache shared by every layout of the same shape placed alike: the same sheet names, every
        cell at the same address, the same lines absent — the workbooks of a folder made from one
        template. What depends on where the cells stand (a cell's model formula, which cells a
        relation's terms find) is computed once per placement. A layout's cells must not move after
        this is first used (the validator only reads them)."""
        key = (self.signature, tuple(sorted(self.sheet_names.items())),
               tuple((tid, None if t.positions is None else tuple(t.positions.items()), tuple(sorted(t.absent)))
                     for tid, t in self.tables.items()))
        placement = _PLACEMENTS.get(key)
        if placement is None:
            if len(_PLACEMENTS) > 64:
                _PLACEMENTS.clear()
            placement = _PLACEMENTS[key] = {}
        return placement

    @cached_property
    def blanks(self) -> set[CellKey]:
        """Structural blanks: 行次 printed with no amount, the 合计 row of an empty table."""
        out: set[CellKey] = set()
        for t in self.tables.values():
            out |= t.structural_blanks()
        return out

    def value_keys(self) -> list[CellKey]:
        return [k for t in self.tables.values() for k in t.value_keys()]

    def lookup_keys(self, lookup: Lookup) -> list[CellKey]:
        """The cells a :class:`~juesuan.layout.keys.Lookup` stands for: rows of that code."""
        memo = self.shape.setdefault("lookups", {})
        found = memo.get(lookup)
        if found is None:
            tl = self.table(lookup.table)
            rows = self._rows_by_code(tl)
            found = memo[lookup] = [CellKey(tl.spec.id, i, lookup.col) for i in rows.get(lookup.code, ())]
        return found

    def _rows_by_code(self, tl: TableLayout) -> dict[str, list[int]]:
        """Code → the indexes of a coded table's rows with it (not 合计), in order: made once per shape
        (its codes are part of the signature), so that a look-up does not scan every row."""
        index = self.shape.setdefault("rows by code", {})
        found = index.get(tl.spec.id)
        if found is None:
            found = index[tl.spec.id] = {}
            for i, r in enumerate(tl.rows):
                if i:
                    found.setdefault(r.code, []).append(i)
        return found

    def keys_of(self, term) -> list[CellKey]:
        """A term's cells: a cell is itself, a look-up the rows it finds."""
        return self.lookup_keys(term) if isinstance(term, Lookup) else [term]
