"""A concrete workbook layout: the model's tables with a department's rows, and where each cell is.

:class:`WorkbookLayout` is what the builder renders and what relations are instantiated on. It
knows, for every logical cell (:class:`~juesuan.relations.CellKey`), its sheet, row and column,
and whether it is an input, a derived cell (with the relation that defines it) or a structural blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from juesuan.util.codes import LEVELS
from juesuan.catalog import Catalog
from juesuan.errors import CodeError
from juesuan.model.profile import Profile, TableSpec, cn_numeral
from juesuan.layout.keys import CellKey
from juesuan.rules.instances import Instance, all_instances

CODE_RE = re.compile(r"\d{7}")
_SHAPES: dict[tuple, dict] = {}  # layout signature → cached instances, definitions, leaves


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
        return LEVELS.get(len(self.code), "") if self.code.isdigit() else ""


TOTAL_ROW = CodeRow("", "合计")


@dataclass
class TableLayout:
    spec: TableSpec
    profile: Profile
    rows: list[CodeRow] = field(default_factory=list)  # coded tables: [合计, code rows…]
    econ_codes: list[str] = field(default_factory=list)  # 06: codes in the layout, block by block
    econ_names: dict[str, str] = field(default_factory=dict)
    econ_pos: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)  # code → (row, code, name, value cols)
    # A layout read from a user's workbook knows where each cell actually is (rows inserted, columns
    # moved); a generated layout computes positions from the model.
    positions: dict | None = None
    row_of: dict[int, int] = field(default_factory=dict)  # coded: row index → sheet row (read layouts)

    # --- queries used by relations -------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        """A coded table with no code rows (an empty 07/08): its 合计 row stays blank."""
        return self.spec.kind == "coded" and len(self.rows) <= 1

    def class_line(self, code: str) -> int | None:
        for i, (c, _) in enumerate(self.profile.classes):
            if c == code:
                return self.spec.class_lines + i
        return None

    def has_econ(self, key: str) -> bool:
        return key in self.econ_pos or any(t.key == key for t in self.spec.totals)

    # --- positions -----------------------------------------------------------------------------
    def address(self, key: CellKey) -> tuple[int, str]:
        """(sheet row, column letter) of a logical cell."""
        if self.positions is not None:
            return self.positions[key]
        s = self.spec
        if s.kind == "paired":
            side = s.side_of(key.row)
            return s.first_row + key.row - side.first_line, side.values[key.col]
        if s.kind == "coded":
            return s.first_row + key.row, s.columns[key.col]
        if s.kind == "single":
            return s.first_row, s.columns[key.col]
        if key.row in self.econ_pos:
            row, _, _, col = self.econ_pos[key.row]
            return row, col
        total = next(t for t in s.totals if t.key == key.row)
        return self.totals_row, total.value_col

    @property
    def totals_row(self) -> int:
        return self.spec.first_row + self.spec.body_rows

    @property
    def last_row(self) -> int:
        """The last row of the table body (before the 注)."""
        s = self.spec
        if s.kind == "paired":
            return s.first_row + max(side.last_line - side.first_line for side in s.sides)
        if s.kind == "coded":
            return s.first_row + len(self.rows) - 1
        if s.kind == "single":
            return s.first_row
        return self.totals_row

    def value_keys(self) -> list[CellKey]:
        """Every amount cell of the table, structural blanks included."""
        if self.positions is not None:
            return list(self.positions)
        s = self.spec
        if s.kind == "paired":
            return [CellKey(s.id, line, col) for side in s.sides
                    for line in range(side.first_line, side.last_line + 1) for col in side.values]
        if s.kind == "coded":
            return [CellKey(s.id, i, col) for i in range(len(self.rows)) for col in s.columns]
        if s.kind == "single":
            return [CellKey(s.id, 0, col) for col in s.columns]
        return [CellKey(s.id, c, None) for c in self.econ_codes] + [CellKey(s.id, t.key, None) for t in s.totals]

    def structural_blanks(self) -> set[CellKey]:
        s = self.spec
        if s.kind == "paired":
            return {CellKey(s.id, line, col) for line in s.blank_lines for col in s.side_of(line).values}
        if self.is_empty:
            return {CellKey(s.id, 0, col) for col in s.columns}
        return set()

    def line_label(self, line: int) -> str:
        """The printed label of a 行次 of a paired table ('' for a blank line)."""
        s = self.spec
        if line in s.lines:
            return s.lines[line]
        if s.class_lines and 0 <= line - s.class_lines < len(self.profile.classes):
            i = line - s.class_lines
            return f"{cn_numeral(i + 1)}、{self.profile.classes[i][1]}"
        return ""

    def line_class(self, line: int) -> str | None:
        s = self.spec
        if s.class_lines and 0 <= line - s.class_lines < len(self.profile.classes):
            return self.profile.classes[line - s.class_lines][0]
        return None


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

    def sheet(self, key: CellKey) -> str:
        spec = self.profile.table(key.table)
        return self.sheet_names.get(spec.id, spec.number)

    def a1(self, key: CellKey, with_sheet: bool = True) -> str:
        row, col = self.table(key.table).address(key)
        return f"{self.sheet(key)}!{col}{row}" if with_sheet else f"{col}{row}"

    # --- cell roles ----------------------------------------------------------------------------
    @cached_property
    def signature(self) -> tuple:
        """What relation instances depend on: the profile and each table's codes (not positions).

        Workbooks of the same shape (a reviewer's folder) share their instances and definitions.
        """
        parts: list = [self.profile.id, id(self.profile)]
        for tid, t in self.tables.items():
            if t.spec.kind == "coded":
                parts.append((tid, tuple(r.code for r in t.rows)))
            elif t.spec.kind == "economic":
                parts.append((tid, tuple(t.econ_codes), tuple(k for k in (t.positions or {}) if isinstance(k.row, str)
                                                               and not k.row.isdigit())))
            elif t.positions is not None:
                parts.append((tid, tuple(sorted(t.positions))))
        return tuple(parts)

    @cached_property
    def _shape(self) -> dict:
        shape = _SHAPES.get(self.signature)
        if shape is None:
            if len(_SHAPES) > 64:
                _SHAPES.clear()
            shape = _SHAPES[self.signature] = {}
        return shape

    @property
    def instances(self) -> list[Instance]:
        if "instances" not in self._shape:
            self._shape["instances"] = all_instances(self)
        return self._shape["instances"]

    @cached_property
    def blanks(self) -> set[CellKey]:
        out: set[CellKey] = set()
        for t in self.tables.values():
            out |= t.structural_blanks()
        return out

    @property
    def definitions(self) -> dict[CellKey, Instance]:
        """Derived cell → the instance that defines it (the first defining relation wins)."""
        if "definitions" not in self._shape:
            self._shape["definitions"] = self._definitions()
        return self._shape["definitions"]

    def _definitions(self) -> dict[CellKey, Instance]:
        out: dict[CellKey, Instance] = {}
        for inst in self.instances:
            target = inst.target
            if not inst.defines or target is None or target in out or target in self.blanks:
                continue
            if not inst.rhs:
                continue
            out[target] = inst
        return out

    def value_keys(self) -> list[CellKey]:
        return [k for t in self.tables.values() for k in t.value_keys()]

    def lookup_keys(self, lookup) -> list[CellKey]:
        """The cells a :class:`~juesuan.relations.Lookup` stands for: rows of that code."""
        memo = self._shape.setdefault("lookups", {})
        found = memo.get(lookup)
        if found is None:
            tl = self.table(lookup.table)
            found = memo[lookup] = [CellKey(tl.spec.id, i, lookup.col) for i, r in enumerate(tl.rows)
                                    if i and r.code == lookup.code]
        return found

    def leaves(self, key: CellKey) -> set[CellKey]:
        """The input cells a derived cell's formula finally sums (the cell itself if it is an input)."""
        memo = self._shape.setdefault("leaves", {})
        if key not in memo:
            memo[key] = frozenset(self._leaves(key))
        return memo[key]

    def _leaves(self, key: CellKey) -> set[CellKey]:
        inst = self.definitions.get(key)
        if inst is None:
            return {key}
        out: set[CellKey] = set()
        for _, term in inst.rhs:
            for k in (self.lookup_keys(term) if not isinstance(term, CellKey) else [term]):
                out |= self.leaves(k)
        return out

    @cached_property
    def inputs(self) -> list[CellKey]:
        return [k for k in self.value_keys() if k not in self.definitions and k not in self.blanks]


# --------------------------------------------------------------------------------------------------
# Building layouts


def check_code(code: str, where: str = "") -> str:
    """A 项 code as given by a user: 7 digits, or a clear Chinese error."""
    if not CODE_RE.fullmatch(code):
        hint = ""
        if code.isdigit() and len(code) in (3, 5):
            hint = f"（{len(code)} 位是{LEVELS[len(code)]}级代码；类、款行由项自动生成，只需给出 7 位项级代码）"
        raise CodeError(f"{where}科目代码「{code}」格式不正确：应为 7 位数字的项级功能分类代码{hint}，例如 2010101。")
    return code


def name_for(code: str, names: dict[str, str], catalog: Catalog, where: str = "") -> str:
    """The name of a functional code: the user's name, else the catalog's, else an error."""
    if code in names:
        return names[code]
    found = catalog.name(code)
    if found:
        return found
    level = LEVELS.get(len(code), "")
    raise CodeError(
        f"{where}科目代码 {code}（{level}级）在内置分类科目中没有名称。请给出名称："
        f"命令行写作 --codes {code}=科目名称（类、款级代码同样可以这样给出名称），"
        f"或在数据文件的「科目名称」中写 \"{code}\": 科目名称。"
    )


def hierarchy_rows(codes: list[str], names: dict[str, str], catalog: Catalog,
                   where=lambda code: "") -> list[CodeRow]:
    """类/款/项 rows for 项 codes, in code order, with the 类 and 款 parents generated.

    ``where(code)`` places a 项 code in the user's input, for messages.
    """
    out: list[CodeRow] = [TOTAL_ROW]
    seen: set[str] = set()
    for code in sorted(set(codes)):
        for parent, generated in ((code[:3], True), (code[:5], True), (code, False)):
            if parent in seen:
                continue
            seen.add(parent)
            out.append(CodeRow(parent, name_for(parent, names, catalog, where(code)), generated))
    return out


def verbatim_rows(rows: list[tuple[str, str | None]], names: dict[str, str], catalog: Catalog,
                  where=lambda i: "") -> list[CodeRow]:
    """Rows as a department reported them, in their order; a missing 类/款 parent of a well-formed
    code is inserted before its first child. Malformed and duplicate codes are kept as given."""
    present = {code for code, _ in rows}
    out: list[CodeRow] = [TOTAL_ROW]
    added: set[str] = set()
    for i, (code, name) in enumerate(rows):
        if code.isdigit() and len(code) in (5, 7):
            for plen in (3, 5):
                parent = code[:plen]
                if plen < len(code) and parent not in present and parent not in added:
                    added.add(parent)
                    out.append(CodeRow(parent, name_for(parent, names, catalog, where(i)), True))
        if name is None:
            name = name_for(code, names, catalog, where(i)) if code.isdigit() else ""
        out.append(CodeRow(code, name))
    return out


def economic_layout(tl: TableLayout, catalog: Catalog, extra: set[str], names: dict[str, str]) -> None:
    """Place the 06 codes block by block (optional codes only when in ``extra``)."""
    s = tl.spec
    for block in s.blocks:
        row = s.first_row
        for code in block.codes:
            if code in s.optional_codes and code not in extra:
                continue
            tl.econ_codes.append(code)
            tl.econ_names[code] = names.get(code) or catalog.economic_name(code) or ""
            tl.econ_pos[code] = (row, block.code_col, block.name_col, block.value_col)
            row += 1
        if row - s.first_row > s.body_rows:
            raise CodeError(f"{s.number} 第一栏的科目多于 {s.body_rows} 行")


def build_layout(profile: Profile, catalog: Catalog, department: str, year: int,
                 coded_rows: dict[str, list[CodeRow]], econ_extra: set[str] = frozenset(),
                 econ_names: dict[str, str] | None = None) -> WorkbookLayout:
    """A layout from the rows of each coded table (others get the model's fixed rows)."""
    tables = {}
    for spec in profile.tables:
        tl = TableLayout(spec, profile)
        if spec.kind == "coded":
            tl.rows = coded_rows.get(spec.id) or [TOTAL_ROW]
        elif spec.kind == "economic":
            economic_layout(tl, catalog, set(econ_extra), econ_names or {})
        tables[spec.id] = tl
    return WorkbookLayout(profile, department, year, tables, catalog)


def template_layout(profile: Profile, catalog: Catalog, department: str, year: int,
                    code_lists: dict[str, list[str]], names: dict[str, str],
                    econ_extra: set[str] = frozenset()) -> WorkbookLayout:
    """The layout of a blank template for code lists keyed general/fund/soe/other.

    A table's ``codes_from`` names the lists feeding it; ``all`` is every list.
    """
    coded = {}
    for spec in profile.tables:
        if spec.kind != "coded":
            continue
        codes: list[str] = []
        for src in spec.codes_from:
            if src == "all":
                for lst in code_lists.values():
                    codes.extend(lst)
            else:
                codes.extend(code_lists.get(src, []))
        coded[spec.id] = hierarchy_rows(codes, names, catalog) if codes else [TOTAL_ROW]
    return build_layout(profile, catalog, department, year, coded, econ_extra)
