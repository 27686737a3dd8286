"""The rule graph of a layout: every relation instance, and what it makes of each cell.

A *defining* instance makes its left-hand cell a formula (the first defining relation of a cell wins);
the other cells are inputs or structural blanks. A derived cell finally sums a set of input cells, its
*leaves*: the rounding envelope counts them, the live 校验 sheet counts them with COUNTIF, 舍位平衡 turns
them into linear constraints. Computed once per layout shape (workbooks with the same codes share it).
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property

from juesuan.layout.keys import CellKey
from juesuan.layout.workbook import WorkbookLayout
from juesuan.rules.instances import Instance, all_instances


class RuleGraph:
    """Instances, definitions and leaves of one layout (use :func:`graph_of`)."""

    def __init__(self, layout: WorkbookLayout):
        self.layout = layout
        self._shape = layout.shape

    @property
    def instances(self) -> list[Instance]:
        if "instances" not in self._shape:
            self._shape["instances"] = all_instances(self.layout)
        return self._shape["instances"]

    @property
    def definitions(self) -> dict[CellKey, Instance]:
        """Derived cell → the instance that defines it (the first defining relation wins)."""
        if "definitions" not in self._shape:
            out: dict[CellKey, Instance] = {}
            blanks = self.layout.blanks
            for inst in self.instances:
                target = inst.target
                if inst.defines and target is not None and target not in out and target not in blanks and inst.rhs:
                    out[target] = inst
            self._shape["definitions"] = out
        return self._shape["definitions"]

    def leaves(self, key: CellKey) -> frozenset[CellKey]:
        """The input cells a derived cell's formula finally sums (the cell itself if it is an input)."""
        memo = self._shape.setdefault("leaves", {})
        if key not in memo:
            inst = self.definitions.get(key)
            if inst is None:
                memo[key] = frozenset({key})
            else:
                out: set[CellKey] = set()
                for _, term in inst.rhs:
                    for k in self.layout.keys_of(term):
                        out |= self.leaves(k)
                memo[key] = frozenset(out)
        return memo[key]

    def leaf_coefficients(self, key: CellKey) -> Counter:
        """The input cells a cell sums, with multiplicity and sign (the cell itself if it is an input)."""
        memo = self._shape.setdefault("leafcoef", {})
        if key not in memo:
            inst = self.definitions.get(key)
            out: Counter = Counter()
            if inst is None:
                out[key] = 1
            else:
                for sign, term in inst.rhs:
                    for k in self.layout.keys_of(term):
                        for leaf, n in self.leaf_coefficients(k).items():
                            out[leaf] += sign * n
            memo[key] = out
        return memo[key]

    @cached_property
    def inputs(self) -> list[CellKey]:
        """Cells a user types: neither derived nor structural blanks (per layout: positions differ)."""
        defs, blanks = self.definitions, self.layout.blanks
        return [k for k in self.layout.value_keys() if k not in defs and k not in blanks]


def graph_of(layout: WorkbookLayout) -> RuleGraph:
    """The rule graph of ``layout`` (shared by layouts of the same shape)."""
    graph = layout.__dict__.get("_graph")
    if graph is None:
        graph = layout.__dict__["_graph"] = RuleGraph(layout)
    return graph
