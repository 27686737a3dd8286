"""The table model: the nine 公开 tables and their rules, loaded from ``schemas/<profile>.yaml``.

The model is data. This module only reads it into typed objects and checks that it is consistent;
what a layout or a relation *means* lives in :mod:`juesuan.layout` and :mod:`juesuan.relations`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from juesuan.errors import ModelError
from juesuan.model.expr import parse_expr, parse_int_set

DEFAULT_PROFILE = "national-2024"
SEVERITIES = {"E": "强制", "W": "提示", "I": "参考"}
TABLE_KINDS = ("paired", "coded", "economic", "single")

_CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 26 → 二十六 (1 ≤ n ≤ 99)."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Side:
    """One side of a paired table (01/04): a range of 行次 and its value columns by 栏次."""

    first_line: int
    last_line: int
    label_col: str
    line_col: str
    values: dict[int, str]  # 栏次 → column letter

    def has(self, line: int) -> bool:
        return self.first_line <= line <= self.last_line

    @property
    def default_col(self) -> int:
        return min(self.values)


@dataclass(frozen=True)
class Block:
    """One block of the 06 table: code, name and value columns and its code list."""

    code_col: str
    name_col: str
    value_col: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Total:
    """A named total row of the 06 table (人员经费合计 / 公用经费合计)."""

    key: str
    label_col: str
    label_merge: str
    value_col: str


@dataclass
class TableSpec:
    id: str
    number: str  # 公开01表
    title: str
    kind: str
    orientation: str
    widths: dict[str, float]
    header_rows: dict[int, list[Any]]
    header_merges: list[str]
    first_row: int
    note: str
    empty_note: str | None = None
    # paired
    sides: list[Side] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)
    class_lines: int | None = None
    blank_lines: list[int] = field(default_factory=list)
    label_variants: dict[int, list[str]] = field(default_factory=dict)
    # coded / single
    code_col: str | None = None
    name_col: str | None = None
    columns: dict[int, str] = field(default_factory=dict)
    codes_from: list[str] = field(default_factory=list)
    # economic
    body_rows: int = 0
    blocks: list[Block] = field(default_factory=list)
    optional_codes: list[str] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)

    @property
    def short(self) -> str:
        """``T01`` for 公开01表: the prefix used in relation expressions."""
        return "T" + self.id[2:]

    @property
    def last_col(self) -> str:
        return max(self.widths, key=lambda c: (len(c), c))

    def side_of(self, line: int) -> Side:
        for side in self.sides:
            if side.has(line):
                return side
        raise KeyError(line)


@dataclass(frozen=True)
class RelationSpec:
    """One relation of a rule: an expression, or a hierarchy (parent = Σ children) of a table."""

    expr: str | None = None
    hierarchy: str | None = None  # table short name, e.g. T02
    levels: tuple[str, ...] = ()
    defines: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # E / W / I
    text: str
    relations: tuple[RelationSpec, ...] = ()
    check: str | None = None
    tables: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    params: dict = field(default_factory=dict, hash=False, compare=False)  # a built-in check's parameters

    @property
    def severity_cn(self) -> str:
        return SEVERITIES[self.severity]


@dataclass
class Profile:
    id: str
    name: str
    unit: str
    tail_note: str
    classes: list[tuple[str, str]]
    tables: list[TableSpec]
    rules: list[Rule]
    frames: dict = field(default_factory=dict)

    def table(self, key: str) -> TableSpec:
        """Look a table up by id (gk03), short name (T03), 表号 (公开03表) or number (03)."""
        index = self.__dict__.get("_table_index")
        if index is None:
            index = self.__dict__["_table_index"] = {k: t for t in self.tables
                                                     for k in (t.id, t.short, t.number, t.id[2:])}
        return index[key]

    def class_name(self, code: str) -> str:
        return dict(self.classes)[code]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def _table(raw: dict) -> TableSpec:
    try:
        kind = raw["kind"]
        if kind not in TABLE_KINDS:
            raise ModelError(f"表 {raw.get('id')} 的 kind 无效：{kind}")
        header = raw.get("header", {})
        spec = TableSpec(
            id=raw["id"], number=raw["number"], title=raw["title"], kind=kind,
            orientation=raw.get("orientation", "portrait"),
            widths={k: float(v) for k, v in raw["widths"].items()},
            header_rows={int(k): list(v) for k, v in header.get("rows", {}).items()},
            header_merges=list(header.get("merges", [])),
            first_row=int(raw["first_row"]), note=raw["note"], empty_note=raw.get("empty_note"),
        )
        if kind == "paired":
            spec.sides = [Side(s["lines"][0], s["lines"][1], s["label"], s["line"],
                               {int(k): v for k, v in s["values"].items()}) for s in raw["sides"]]
            spec.lines = {int(k): v for k, v in raw.get("lines", {}).items()}
            spec.class_lines = raw.get("class_lines")
            spec.blank_lines = parse_int_set(raw.get("blank_lines", []))
            spec.label_variants = {int(k): list(v) for k, v in raw.get("label_variants", {}).items()}
        if kind in ("coded", "single"):
            spec.columns = {int(k): v for k, v in raw["columns"].items()}
        if kind == "coded":
            spec.code_col, spec.name_col = raw["code"], raw["name"]
            spec.codes_from = list(raw["codes_from"])
        if kind == "economic":
            spec.body_rows = int(raw["body_rows"])
            spec.blocks = [Block(b["code"], b["name"], b["value"], tuple(str(c) for c in b["codes"]))
                           for b in raw["blocks"]]
            spec.optional_codes = [str(c) for c in raw.get("optional_codes", [])]
            spec.totals = [Total(t["key"], t["label"], t["label_merge"], t["value"]) for t in raw["totals"]]
        return spec
    except KeyError as exc:
        raise ModelError(f"表 {raw.get('id', '?')} 缺少字段 {exc}") from None


def _rule(raw: dict) -> Rule:
    if raw.get("severity") not in SEVERITIES:
        raise ModelError(f"规则 {raw.get('id')} 的 severity 无效：{raw.get('severity')}")
    rels = []
    for r in raw.get("relations", []):
        if ("expr" in r) == ("hierarchy" in r):
            raise ModelError(f"规则 {raw['id']} 的关系须有 expr 或 hierarchy 之一")
        rels.append(RelationSpec(expr=r.get("expr"), hierarchy=r.get("hierarchy"),
                                 levels=tuple(r.get("levels", ())), defines=bool(r.get("defines", False))))
    if not rels and not raw.get("check"):
        raise ModelError(f"规则 {raw['id']} 既无 relations 也无 check")
    known = {"id", "severity", "text", "relations", "check", "tables", "cells"}
    return Rule(id=raw["id"], severity=raw["severity"], text=raw["text"], relations=tuple(rels),
                check=raw.get("check"), tables=tuple(raw.get("tables", ())), cells=tuple(raw.get("cells", ())),
                params={k: v for k, v in raw.items() if k not in known})


def profile_from_dict(raw: dict) -> Profile:
    """Build a :class:`Profile` from the parsed YAML of a schema file."""
    profile = Profile(
        id=raw["profile"], name=raw["name"], unit=raw["unit"], tail_note=raw["tail_note"],
        classes=[(str(c), n) for c, n in raw["classes"]],
        tables=[_table(t) for t in raw["tables"]],
        rules=[_rule(r) for r in raw["rules"]],
        frames=raw.get("frames") or {},
    )
    ids = [r.id for r in profile.rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ModelError(f"规则编号重复：{sorted(dupes)}")
    # Parse every relation and check reference now, so a typo in the model fails on load, not on use.
    from juesuan.validate.frames import check_refs

    check_refs(profile)

    for rule in profile.rules:
        for rel in rule.relations:
            if rel.expr:
                parse_expr(rel.expr, profile, rule.id)
            elif rel.hierarchy:
                profile.table(rel.hierarchy)
    return profile


@lru_cache(maxsize=8)
def load_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """Load a profile from the packaged ``schemas/<name>.yaml``."""
    path = resources.files("juesuan.schemas").joinpath(f"{name}.yaml")
    if not path.is_file():
        available = sorted(p.name[:-5] for p in resources.files("juesuan.schemas").iterdir()
                           if p.name.endswith(".yaml"))
        raise ModelError(f"没有名为 {name} 的表样（可用：{', '.join(available)}）")
    return profile_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")))
