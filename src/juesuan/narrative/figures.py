"""The figures a narrative states, taken through the validator's reading of the workbook
(:func:`juesuan.validate.engine.load`: the located tables, cached or computed values), and the inputs
of the 情况说明数据 sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from juesuan.layout.keys import CellKey, Lookup
from juesuan.model.expr import parse_ref
from juesuan.rules.instances import ref_cells
from juesuan.util.codes import parent
from juesuan.validate.context import Context
from juesuan.validate.values import value

from .spec import NarrativeSpec


@dataclass
class Row:
    """A 类 or 项 of 05 as the narrative names it: code, names on its path, value (and 04's value)."""

    code: str
    name: str
    value: Decimal
    path: tuple[str, ...] = ()  # 类名, 款名, 项名
    alt: Decimal | None = None  # the same 类 in 04 (may differ from 05 by a rounding tail)


@dataclass
class Figures:
    ctx: Context
    spec: NarrativeSpec
    inputs: dict = field(default_factory=dict)  # key → Decimal / str
    item_inputs: dict = field(default_factory=dict)  # code → {key → Decimal / str}
    _cache: dict = field(default_factory=dict)

    @property
    def year(self) -> int:
        return self.ctx.layout.year or 2024

    @property
    def department(self) -> str:
        return self.ctx.located.department or ""

    def cells(self, text: str) -> list[CellKey]:
        ref = parse_ref(text, self.ctx.profile)
        if self.ctx.layout.table(ref.table).kind == "coded" and ref.row not in ("合计", "*"):
            return self.ctx.layout.lookup_keys(Lookup(self.ctx.profile.table(ref.table).id, ref.row,
                                                      int(ref.col or 1)))
        return ref_cells(ref, self.ctx.layout)

    def value(self, name: str) -> Decimal | None:
        """A figure of the template by name (None when it is not a figure)."""
        if name not in self.spec.figures:
            return None
        if name not in self._cache:
            refs = self.spec.figures[name]
            refs = refs if isinstance(refs, list) else [refs]
            self._cache[name] = sum((value(self.ctx, k) for r in refs for k in self.cells(r)), Decimal(0))
        return self._cache[name]

    def input(self, key: str):
        return self.inputs.get(key)

    # --- 05 rows -----------------------------------------------------------------------------------

    def _rows(self, which: str) -> list[Row]:
        conf = self.spec.lists[which]
        tl = self.ctx.layout.table(conf["table"])
        col = int(conf.get("col", 1))
        names = {r.code: r.name for r in tl.rows[1:]}
        cat = self.ctx.catalog
        out = []
        want = 3 if which == "classes" else 7
        for i, r in enumerate(tl.rows):
            if not i or len(r.code) != want:
                continue
            v = value(self.ctx, CellKey(tl.spec.id, i, col))
            path = [r.name]
            code = r.code
            while len(code) > 3:
                code = parent(code)
                path.insert(0, names.get(code) or cat.name(code) or "")
            out.append(Row(r.code, r.name, v, tuple(path), self._alt(conf, r.code)))
        return out

    def _alt(self, conf: dict, code: str) -> Decimal | None:
        also = conf.get("also")
        if not also:
            return None
        tl = self.ctx.layout.table(also["table"])
        line = tl.class_line(code) if hasattr(tl, "class_line") else None
        if line is None:
            return None
        return value(self.ctx, CellKey(tl.spec.id, line, int(also["col"])))

    def rows(self, which: str) -> list[Row]:
        """The rows of list ``which`` of the template (``classes``: 类 rows; any other: 项 rows), all of
        them, zero or not, in table order."""
        key = ("rows", which)
        if key not in self._cache:
            self._cache[key] = self._rows(which)
        return self._cache[key]

    @property
    def classes(self) -> list[Row]:
        """The 类 rows of 05 (all, zero or not), in table order."""
        return self.rows("classes")

    @property
    def items(self) -> list[Row]:
        return self.rows("items")

    def item_lists(self) -> list[str]:
        """The template's lists of 项 rows (05's, and 07's / 08's where the template lists them)."""
        return [k for k in self.spec.lists if k not in ("classes", "econ")]

    # --- 06 lists ----------------------------------------------------------------------------------

    def econ(self, which: str, nonzero: bool = True) -> list[tuple[str, str, Decimal]]:
        """The 款 of 06 under the 类 codes of list ``which`` (人员经费 / 公用经费): code, name, value."""
        classes = self.spec.lists["econ"][which]
        tl = next(t for t in self.ctx.layout.tables_of("economic"))
        out = []
        for code in tl.econ_codes:
            if len(code) == 5 and code[:3] in classes:
                v = value(self.ctx, CellKey(tl.spec.id, code, None))
                name = tl.econ_names.get(code) or self.ctx.catalog.economic_name(code) or code
                if v != 0 or not nonzero:
                    out.append((code, name, v))
        return out

    def official_econ_name(self, code: str) -> str:
        return self.ctx.catalog.economic_name(code) or ""


def figures_of(path: str | Path, profile: str | None = None) -> Figures:
    """Read a workbook as the validator reads it, with its 情况说明数据 inputs."""
    from juesuan.validate.engine import load

    from .inputs import read_inputs
    from .spec import load_spec

    ctx = load(path)
    spec = load_spec(profile or ctx.profile.id)
    inputs, items = read_inputs(path, spec)
    return Figures(ctx, spec, inputs, items)
