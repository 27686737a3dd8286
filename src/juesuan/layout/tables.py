"""One department's table, by kind: where each logical cell is, and what its rows are.

The model knows four kinds of table (``TableSpec.kind``), and each is a class here with its own
declared fields; code elsewhere asks the table (``address``, ``value_keys``, ``describe`` …) instead of
switching on its kind:

- :class:`PairedTable` — 01/04: two sides of 行次 with value columns by 栏次;
- :class:`CodedTable` — 02/03/05/07/08: a 合计 row and 功能分类 code rows;
- :class:`EconomicTable` — 06: fixed 经济分类 codes in blocks, and named totals;
- :class:`SingleTable` — 09: one row of 栏次.

A layout read from a user's workbook knows where each cell actually is (``positions``: rows
inserted, columns moved); a generated layout computes positions from the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from juesuan.layout.keys import CellKey
from juesuan.model.profile import Profile, TableSpec, cn_numeral
from juesuan.util import a1
from juesuan.util.codes import is_code, level


@dataclass
class CodeRow:
    """A row of a coded table (02/03/05/07/08). Row 0 of every coded table is its 合计 row."""

    code: str
    name: str
    generated: bool = False  # a 类/款 parent the tool added

    @property
    def level(self) -> str:
        if self.code == "" and self.name == "合计":
            return "合计"
        return level(self.code)


TOTAL_ROW = CodeRow("", "合计")


@dataclass
class TableLayout:
    """What every kind of table answers. Subclasses declare their own fields."""

    spec: TableSpec
    profile: Profile
    positions: dict | None = None  # CellKey → (sheet row, column letter), for layouts read from a file
    absent: set = field(default_factory=set)  # cells the file's layout does not have and that count as 0
    scale: int = 1  # the file's unit in 万元: an amount read is divided by this (元: 10000)

    kind: ClassVar[str] = ""

    @property
    def is_empty(self) -> bool:
        """A table with no rows to fill (an empty 07/08): its 合计 row stays blank."""
        return False

    def address(self, key: CellKey) -> tuple[int, str]:
        """(sheet row, column letter) of a logical cell."""
        if self.positions is not None:
            return self.positions[key]
        return self._model_address(key)

    def _model_address(self, key: CellKey) -> tuple[int, str]:
        raise NotImplementedError

    def value_keys(self) -> list[CellKey]:
        """Every amount cell of the table, structural blanks included."""
        if self.positions is not None:
            return list(self.positions)
        return self._model_keys()

    def _model_keys(self) -> list[CellKey]:
        raise NotImplementedError

    @property
    def last_row(self) -> int:
        """The last row of the table body (before the 注)."""
        raise NotImplementedError

    def structural_blanks(self) -> set[CellKey]:
        return set()

    def describe(self, key: CellKey) -> tuple[str, str]:
        """(code, name) of the row of a cell, as findings show it."""
        raise NotImplementedError

    def cell_label(self, key: CellKey) -> str:
        """A short label of a cell for lists (``2080501 行政单位离退休 栏2``, ``行次28 栏1``)."""
        raise NotImplementedError

    def counterpart(self, key: CellKey, other: "TableLayout") -> CellKey | None:
        """The cell of the same meaning in ``other``, the same table of another layout (None: no such cell)."""
        return key

    def signature(self) -> tuple | None:
        """What relation instances depend on in this table (None: nothing beyond the model)."""
        return None if self.positions is None else tuple(sorted(self.positions))

    def grand_totals(self) -> list[CellKey]:
        """Cells whose published value is the plain rounding of their true total (舍位平衡)."""
        return []

    def shift_groups(self) -> list[tuple[tuple, list]]:
        """(columns, rows) blocks in which a paste one row off can be looked for."""
        return []


@dataclass
class PairedTable(TableLayout):
    """01 and 04: income and expense sides, rows by 行次."""

    kind: ClassVar[str] = "paired"

    def _model_address(self, key):
        side = self.spec.side_of(key.row)
        return self.spec.first_row + key.row - side.first_line, side.values[key.col]

    def _model_keys(self):
        s = self.spec
        return [CellKey(s.id, line, col) for side in s.sides
                for line in range(side.first_line, side.last_line + 1) for col in side.values]

    @property
    def last_row(self):
        s = self.spec
        return s.first_row + max(side.last_line - side.first_line for side in s.sides)

    def structural_blanks(self):
        s = self.spec
        return {CellKey(s.id, line, col) for line in s.blank_lines for col in s.side_of(line).values}

    def line_label(self, line: int) -> str:
        """The printed label of a 行次 ('' for a blank line)."""
        s = self.spec
        if line in s.lines:
            return s.lines[line]
        i = self._class_index(line)
        return f"{cn_numeral(i + 1)}、{self.profile.classes[i][1]}" if i is not None else ""

    def line_class(self, line: int) -> str | None:
        i = self._class_index(line)
        return self.profile.classes[i][0] if i is not None else None

    def class_line(self, code: str) -> int | None:
        for i, (c, _) in enumerate(self.profile.classes):
            if c == code:
                return self.spec.class_lines + i
        return None

    def _class_index(self, line: int) -> int | None:
        s = self.spec
        if s.class_lines and 0 <= line - s.class_lines < len(self.profile.classes):
            return line - s.class_lines
        return None

    def describe(self, key):
        return f"行次{key.row}", self.line_label(key.row)

    def cell_label(self, key):
        return f"行次{key.row} 栏{key.col}"

    def grand_totals(self):
        return [CellKey(self.spec.id, side.last_line, min(side.values)) for side in self.spec.sides]

    def shift_groups(self):
        spec = self.spec
        out = []
        for side in spec.sides:
            lines = [n for n in range(side.first_line, side.last_line + 1) if n not in spec.blank_lines]
            for c in side.values:
                out.append(((c,), lines))
            if len(side.values) > 1:
                out.append((tuple(side.values), lines))
        return out


@dataclass
class CodedTable(TableLayout):
    """02/03/05/07/08: row 0 is 合计, rows 1… are 功能分类 codes."""

    rows: list[CodeRow] = field(default_factory=lambda: [TOTAL_ROW])
    row_of: dict[int, int] = field(default_factory=dict)  # row index → sheet row (layouts read from a file)
    code_col: str = ""  # the columns of codes and names (the model's, or where a file has them)
    name_col: str = ""

    kind: ClassVar[str] = "coded"

    def __post_init__(self):
        self.code_col = self.code_col or self.spec.code_col
        self.name_col = self.name_col or self.spec.name_col

    @property
    def is_empty(self):
        return len(self.rows) <= 1

    def _model_address(self, key):
        return self.spec.first_row + key.row, self.spec.columns[key.col]

    def _model_keys(self):
        return [CellKey(self.spec.id, i, col) for i in range(len(self.rows)) for col in self.spec.columns]

    @property
    def last_row(self):
        return self.spec.first_row + len(self.rows) - 1

    def sheet_row(self, index: int) -> int:
        """The sheet row of row ``index`` (0 = 合计)."""
        return self.row_of.get(index, self.spec.first_row + index)

    def structural_blanks(self):
        return {CellKey(self.spec.id, 0, col) for col in self.spec.columns} if self.is_empty else set()

    def describe(self, key):
        row = self.rows[key.row]
        return (row.code, row.name) if key.row else ("", "合计")

    def cell_label(self, key):
        row = self.rows[key.row]
        return f"{row.code} {row.name} 栏{key.col}" if key.row else f"合计 栏{key.col}"

    def signature(self):
        return tuple(r.code for r in self.rows)

    def counterpart(self, key, other):
        if key.row == 0:
            return None
        code = self.rows[key.row].code
        return next((CellKey(key.table, i, key.col) for i, r in enumerate(other.rows) if i and r.code == code), None)

    def well_formed_codes(self) -> list[str]:
        return [r.code for r in self.rows[1:] if is_code(r.code)]

    def malformed_codes(self) -> list[str]:
        return [r.code for r in self.rows[1:] if not is_code(r.code)]

    def grand_totals(self):
        return [] if self.is_empty else [CellKey(self.spec.id, 0, min(self.spec.columns))]

    def shift_groups(self):
        rows = list(range(1, len(self.rows)))
        out = [((c,), rows) for c in self.spec.columns]
        out.append((tuple(self.spec.columns), rows))
        return out


@dataclass
class EconomicTable(TableLayout):
    """06: 经济分类 codes in blocks of (code, name, value) columns, and the named totals."""

    econ_codes: list[str] = field(default_factory=list)  # codes in the layout, block by block
    econ_names: dict[str, str] = field(default_factory=dict)
    econ_pos: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)  # code → (row, code, name, value cols)

    kind: ClassVar[str] = "economic"

    def has_econ(self, key: str) -> bool:
        return key in self.econ_pos or any(t.key == key for t in self.spec.totals)

    def _model_address(self, key):
        if key.row in self.econ_pos:
            row, _, _, col = self.econ_pos[key.row]
            return row, col
        total = next(t for t in self.spec.totals if t.key == key.row)
        return self.totals_row, total.value_col

    def _model_keys(self):
        s = self.spec
        return [CellKey(s.id, c, None) for c in self.econ_codes] + [CellKey(s.id, t.key, None) for t in s.totals]

    @property
    def totals_row(self) -> int:
        return self.spec.first_row + self.spec.body_rows

    @property
    def last_row(self):
        return self.totals_row

    def describe(self, key):
        return (key.row, self.econ_names.get(key.row, "")) if key.row in self.econ_pos else ("", key.row)

    def cell_label(self, key):
        return f"{key.row} {self.econ_names.get(key.row, '')}".strip()

    def counterpart(self, key, other):
        return key if key.row in other.econ_pos else None

    def shift_groups(self):
        """Each block's codes in sheet order (a read layout: the file's blocks, one long list included)."""
        blocks: dict[str, list[tuple[int, str]]] = {}
        for code, (row, _, _, col) in self.econ_pos.items():
            blocks.setdefault(col, []).append((row, code))
        return [((None,), [code for _, code in sorted(rows)]) for rows in blocks.values() if len(rows) > 2]

    def signature(self):
        totals = tuple(k for k in (self.positions or {}) if isinstance(k.row, str) and not k.row.isdigit())
        return tuple(self.econ_codes), totals


@dataclass
class SingleTable(TableLayout):
    """09: one data row, columns by 栏次."""

    kind: ClassVar[str] = "single"

    def _model_address(self, key):
        return self.spec.first_row, self.spec.columns[key.col]

    def _model_keys(self):
        return [CellKey(self.spec.id, 0, col) for col in self.spec.columns]

    @property
    def last_row(self):
        return self.spec.first_row

    def describe(self, key):
        return f"栏次{key.col}", self.header_label(key.col)

    def cell_label(self, key):
        return f"栏次{key.col}"

    def header_label(self, col: int) -> str:
        """The header words above a 栏次 (``决算数·公务用车购置及运行维护费·小计``)."""
        spec = self.spec
        idx = a1.col_index(spec.columns[col]) - 1
        parts = []
        for r in sorted(spec.header_rows)[:-1]:
            row = spec.header_rows[r]
            text = row[idx] if idx < len(row) else ""
            if not text:  # the nearest header text left of this column, within its merge
                for j in range(idx, -1, -1):
                    if j < len(row) and row[j]:
                        text = row[j] if any(_in_merge(m, r, idx, j) for m in spec.header_merges) else ""
                        break
            if text:
                parts.append(str(text))
        return "·".join(parts)

    def grand_totals(self):
        return [CellKey(self.spec.id, 0, c) for c in self.spec.grand_totals if c in self.spec.columns]


def _in_merge(rng: str, row: int, col_idx: int, start_idx: int) -> bool:
    c1, r1, c2, r2 = a1.range_bounds(rng)
    return r1 <= row <= r2 and c1 - 1 == start_idx and c1 - 1 <= col_idx <= c2 - 1


TABLE_CLASSES: dict[str, type[TableLayout]] = {
    cls.kind: cls for cls in (PairedTable, CodedTable, EconomicTable, SingleTable)
}


def new_table(spec: TableSpec, profile: Profile, **fields) -> TableLayout:
    """An empty table of the class the model's kind names."""
    return TABLE_CLASSES[spec.kind](spec, profile, **fields)
