"""What a check of one workbook works on: its cells, as read and computed, and the findings so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from juesuan.catalog import Catalog
from juesuan.layout.keys import CellKey
from juesuan.layout.workbook import WorkbookLayout
from juesuan.model.profile import Profile, Rule
from juesuan.read.locate import Located
from juesuan.rules.graph import RuleGraph, graph_of
from juesuan.rules.instances import Instance
from juesuan.validate.report import Finding


@dataclass(slots=True)
class Cell:
    """One amount cell of a table: where it is, what it holds, and the value the checks use."""

    key: CellKey
    sheet: str
    a1: str
    raw: Any
    formula: str | None = None
    cached: bool = False
    value: Decimal | None = None
    parsed: bool = True
    computed: bool = False  # value computed in Python (formula without a cached result)
    text_number: bool = False  # a number typed as text where a formula sums it: SUM leaves it out
    unknown: bool = False  # unreadable, or computed from an unreadable cell: relations through it are not judged
    scale: int = 1  # the table's unit in 万元 (元: 10000): ``value`` is in 万元, the sheet shows value × scale
    absent: bool = False  # a cell the file's layout does not have (a 类 of a shorter class list): 0

    @property
    def shown(self) -> Decimal | None:
        """The value as the sheet shows it, in the table's own unit."""
        if self.value is None or self.scale == 1:
            return self.value
        return self.value * self.scale


@dataclass
class Violation:
    """A relation instance that does not hold: its terms, both sides, the difference and the verdict."""

    rule: Rule
    inst: Instance | None
    terms: list[tuple[int, CellKey]]
    lhs: Decimal
    rhs: Decimal
    diff: Decimal
    tol: Decimal
    n: int
    verdict: str
    what: Any = None  # a nested message standing for the rule's text (a code present on one side only)

    @property
    def keys(self) -> set[CellKey]:
        return {k for _, k in self.terms}


@dataclass
class Context:
    path: Path
    profile: Profile
    catalog: Catalog
    located: Located
    cells: dict[CellKey, Cell] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    leaves_memo: dict = field(default_factory=dict)
    unknown: set = field(default_factory=set)  # keys whose value cannot be read or computed
    expanded: list = field(default_factory=list)  # (instance, lhs terms, rhs terms) of every judged relation
    skipped: set = field(default_factory=set)  # rule ids with instances that did not apply (a when_zero cell non-zero)
    judged: set = field(default_factory=set)  # rule ids with instances that applied
    explained: list = field(default_factory=list)  # violations reported through their root cause instead
    not_evaluated: dict = field(default_factory=dict)  # rule id → table ids it needed that could not be read
    read_notes: list = field(default_factory=list)  # what the reader read with reservations
    sheet_names: list | None = None  # every sheet of the file (None: not known, as for a PDF)
    values: dict = field(default_factory=dict)  # key → the value the checks use, once every formula is valued
    summed: dict | None = None  # defining instance → the cells its formula sums here (values._summed_cells)
    models: dict | None = None  # defining instance → its model formula on this placement (values._is_model_formula)

    @property
    def layout(self) -> WorkbookLayout:
        return self.located.layout

    @property
    def graph(self) -> RuleGraph:
        return graph_of(self.layout)

    def rule_of_check(self, check: str) -> Rule:
        """The profile's rule for a check the validator always runs (the model guarantees one)."""
        return next(r for r in self.profile.rules if r.check == check)

    def rules_of_check(self, check: str) -> list[Rule]:
        return [r for r in self.profile.rules if r.check == check]

    def located_table(self, tid: str) -> bool:
        return self.profile.table(tid).id in self.located.readable
