"""The table model: the nine 公开 tables and their rules, loaded from ``schemas/<profile>.yaml``.

The model is data. This module only reads it into typed objects and checks that it is consistent;
what a layout or a relation *means* lives in :mod:`juesuan.layout` and :mod:`juesuan.relations`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from juesuan.errors import ModelError
from juesuan.model.expr import parse_expr, parse_int_set, parse_ref
from juesuan.model.yamlload import line_of, load_yaml, strip_lines

DEFAULT_PROFILE = "national-2024"
SEVERITIES = {"E": "错误", "W": "警告", "I": "提示"}  # one vocabulary; the official 强制/提示 are explained in notes.severities
SEVERITY_ORDER = {"E": 0, "W": 1, "I": 2}  # most severe first
TABLE_KINDS = ("paired", "coded", "economic", "single")

_CN_DIGITS = "零一二三四五六七八九"
_TABLE_REF = re.compile(r"\b(T\d{2})\[")  # a table in the relation notation (GONGKAI §3): T05[…]


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
    grand_totals: list[int] = field(default_factory=list)  # single: 栏次 of its grand totals
    # economic
    body_rows: int = 0
    blocks: list[Block] = field(default_factory=list)
    optional_codes: list[str] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)
    # reading workbooks made by others
    titles: list[str] = field(default_factory=list)  # the title and its accepted variants
    column_words: dict[int, list[str]] = field(default_factory=dict)  # 栏次 → other header words for it

    @property
    def short(self) -> str:
        """``T01`` for 公开01表: the prefix used in relation expressions."""
        return "T" + self.id[2:]

    @property
    def last_col(self) -> str:
        return max(self.widths, key=lambda c: (len(c), c))

    def header_path(self, letter: str) -> list[str]:
        """The header words above a column of the model's layout, top to bottom (merged cells count for
        every column they span; 栏次 numbers and the word 栏次 left out)."""
        cache = self.__dict__.setdefault("_header_paths", {})
        if letter not in cache:
            cache[letter] = self._header_path(letter)
        return list(cache[letter])

    def _header_path(self, letter: str) -> list[str]:
        from juesuan.util import a1

        idx = a1.col_index(letter)
        words: list[str] = []
        for r in sorted(self.header_rows):
            row = self.header_rows[r]
            text = row[idx - 1] if idx - 1 < len(row) else ""
            if text in ("", None):
                for rng in self.header_merges:
                    c1, r1, c2, r2 = a1.range_bounds(rng)
                    if r1 <= r <= r2 and c1 <= idx <= c2:
                        top = self.header_rows.get(r1, [])
                        text = top[c1 - 1] if c1 - 1 < len(top) else ""
                        break
            word = "".join(str(text).split()) if text not in ("", None) else ""
            if word and not word.isdigit() and word != "栏次" and word not in words:
                words.append(word)
        return words

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
    when_zero: tuple = ()  # Refs: the relation holds only while these cells are all 0


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
    line: int | None = field(default=None, hash=False, compare=False)  # where the rule stands in its YAML

    @property
    def severity_cn(self) -> str:
        return SEVERITIES[self.severity]

    def param(self, name: str):
        """A parameter of the rule's check: ``tables``, ``cells`` or one of its own keys."""
        if name in ("tables", "cells"):
            return getattr(self, name)
        return self.params.get(name)


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
    reading: "ReadingWords" = None  # type: ignore[assignment]
    extends: str | None = None

    def table(self, key: str) -> TableSpec:
        """Look a table up by id (gk03), short name (T03), 表号 (公开03表) or number (03)."""
        index = self.__dict__.get("_table_index")
        if index is None:
            index = self.__dict__["_table_index"] = {k: t for t in self.tables
                                                     for k in (t.id, t.short, t.number, t.id[2:])}
        return index[key]

    def class_name(self, code: str) -> str:
        return dict(self.classes)[code]

    def relation_tables(self, rel: "RelationSpec") -> tuple[str, ...]:
        """The ids of the tables a relation names (``T05[…]`` in its expression, a hierarchy's table)."""
        cache = self.__dict__.setdefault("_relation_tables", {})
        hit = cache.get(id(rel))  # the profile keeps its relations: their ids are stable
        if hit is None:
            shorts = _TABLE_REF.findall(rel.expr or "") + ([rel.hierarchy] if rel.hierarchy else [])
            hit = cache[id(rel)] = tuple(sorted({self.table(t).id for t in shorts}))
        return hit

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


@dataclass(frozen=True)
class ReadingWords:
    """The words by which tables, columns, rows and units are recognised in workbooks made by others
    (the profile's ``reading`` section)."""

    code_headers: tuple[str, ...] = ()
    name_headers: tuple[str, ...] = ()
    split_parts: tuple[str, ...] = ("类", "款", "项")
    line_headers: tuple[str, ...] = ("行次",)
    number_headers: tuple[str, ...] = ("栏次",)
    ignored_headers: tuple[str, ...] = ()
    totals: tuple[str, ...] = ("合计",)
    notes: tuple[str, ...] = ("注", "说明")
    department: tuple[str, ...] = ("部门名称",)
    units: dict = field(default_factory=lambda: {"万元": 1}, hash=False)
    non_tables: tuple[str, ...] = ()
    synonyms: dict = field(default_factory=dict, hash=False)

    def words_for(self, word: str) -> tuple[str, ...]:
        """A header word and the words accepted in its place."""
        return (word, *self.synonyms.get(word, ()))


def _reading(raw: dict | None) -> ReadingWords:
    raw = raw or {}
    tup = {k: tuple(str(x) for x in raw[k]) for k in ("code_headers", "name_headers", "split_parts", "line_headers",
                                                       "number_headers", "ignored_headers", "totals", "notes",
                                                       "department", "non_tables") if k in raw}
    units = {str(k): int(v) for k, v in (raw.get("units") or {"万元": 1}).items()}
    synonyms = {str(k): tuple(str(x) for x in v) for k, v in (raw.get("synonyms") or {}).items()}
    return ReadingWords(**tup, units=units, synonyms=synonyms)


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
            titles=[raw["title"], *[str(t) for t in raw.get("title_variants", [])]],
            column_words={int(k): [str(w) for w in v] for k, v in (raw.get("column_words") or {}).items()},
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
            spec.grand_totals = [int(c) for c in raw.get("grand_totals", [])]
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


def _rule(raw: dict, line: int | None = None) -> Rule:
    if raw.get("severity") not in SEVERITIES:
        raise ModelError(f"规则 {raw.get('id')} 的 severity 无效：{raw.get('severity')}")
    rels = []
    for r in raw.get("relations", []):
        if ("expr" in r) == ("hierarchy" in r):
            raise ModelError(f"规则 {raw['id']} 的关系须有 expr 或 hierarchy 之一")
        rels.append(RelationSpec(expr=r.get("expr"), hierarchy=r.get("hierarchy"),
                                 levels=tuple(r.get("levels", ())), defines=bool(r.get("defines", False)),
                                 when_zero=tuple(parse_ref(t, None, raw["id"]) for t in r.get("when_zero", ()))))
    if not rels and not raw.get("check"):
        raise ModelError(f"规则 {raw['id']} 既无 relations 也无 check")
    known = {"id", "severity", "text", "relations", "check", "tables", "cells"}
    return Rule(id=raw["id"], severity=raw["severity"], text=raw["text"], relations=tuple(rels),
                check=raw.get("check"), tables=tuple(raw.get("tables", ())), cells=tuple(raw.get("cells", ())),
                params={k: v for k, v in raw.items() if k not in known}, line=line)


def profile_from_dict(raw: dict, lines: dict[str, int] | None = None) -> Profile:
    """Build a :class:`Profile` from the parsed YAML of a schema file, and check all of it.

    ``lines`` maps rule ids to their line in the file, for messages. Every relation is parsed, every
    check a rule names is looked up in the check catalogue (``schemas/checks.yaml``) with its
    parameters, every pandera check of ``frames`` is declared, and every check the validator always
    runs has a rule: a typo in the model fails on load, naming the rule, not in the middle of a check.
    """
    lines = lines or {}
    profile = Profile(
        id=raw["profile"], name=raw["name"], unit=raw["unit"], tail_note=raw["tail_note"],
        classes=[(str(c), n) for c, n in raw["classes"]],
        tables=[_table(t) for t in raw["tables"]],
        rules=[_rule(r, lines.get(r.get("id"))) for r in raw["rules"]],
        frames=raw.get("frames") or {},
        reading=_reading(raw.get("reading")), extends=raw.get("extends"),
    )
    ids = [r.id for r in profile.rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ModelError(f"规则编号重复：{sorted(dupes)}")
    _check_relations(profile)
    _check_checks(profile)
    frame_refs(profile)
    return profile


def _check_relations(profile: Profile) -> None:
    for rule in profile.rules:
        for rel in rule.relations:
            if rel.expr:
                parse_expr(rel.expr, profile, rule.id)
            elif rel.hierarchy:
                profile.table(rel.hierarchy)
            for ref in rel.when_zero:
                try:
                    profile.table(ref.table)
                except KeyError:
                    raise ModelError(f"规则 {rule.id} 引用了不存在的表 {ref.table}") from None


def _check_checks(profile: Profile) -> None:
    from juesuan.model.checks import required_checks, validate_rule

    for rule in profile.rules:
        if rule.check:
            validate_rule(rule, profile, rule.line)
    used = {r.check for r in profile.rules}
    for name in required_checks():
        if name not in used:
            raise ModelError(f"表样模型 {profile.id} 缺少使用检查「{name}」的规则：校验总要运行这项检查，须有规则编号和级别。")


@dataclass(frozen=True)
class FrameRef:
    """One pandera check named in the model's ``frames`` section, and the rule its failures report."""

    frame: str
    column: str | None
    check: str
    rule: Any  # a rule id, or {table id: rule id, default: rule id}

    def rule_for(self, table: str) -> str:
        if isinstance(self.rule, dict):
            return self.rule.get(table, self.rule.get("default"))
        return self.rule


def frame_refs(profile: Profile) -> list[FrameRef]:
    """Every check of the model's ``frames`` section, validated against the check catalogue: the check
    is declared, its rule exists and names the family (``check:``) the pandera check belongs to."""
    from juesuan.model.checks import catalogue

    cat = catalogue()
    refs = []
    rules = {r.id: r for r in profile.rules}
    for frame, spec in (profile.frames or {}).items():
        items = [(col, c) for col, checks in (spec.get("columns") or {}).items() for c in checks]
        items += [(None, c) for c in spec.get("frame") or []]
        for col, c in items:
            name = c.get("check")
            if name not in cat.frame_checks:
                raise ModelError(f"表样模型 frames.{frame} 引用了未声明的检查「{name}」"
                                 f"（已声明：{', '.join(sorted(cat.frame_checks))}）")
            rule_ids = c["rule"].values() if isinstance(c.get("rule"), dict) else [c.get("rule")]
            for rid in rule_ids:
                rule = rules.get(rid)
                if rule is None:
                    raise ModelError(f"表样模型 frames.{frame} 的检查「{name}」引用了不存在的规则 {rid}")
                family = cat.checks.get(rule.check)
                if family is None or name not in family.frames:
                    raise ModelError(f"规则 {rid} 的检查「{rule.check}」不包括 frames.{frame} 中的「{name}」")
            refs.append(FrameRef(frame, col, name, c["rule"]))
    return refs


def _schema_text(name: str) -> str:
    path = resources.files("juesuan.schemas").joinpath(f"{name}.yaml")
    if not path.is_file() or name == "checks":
        raise ModelError(f"没有名为 {name} 的表样（可用：{', '.join(profile_names())}）")
    return path.read_text(encoding="utf-8")


def profile_names() -> list[str]:
    """The profiles juesuan ships (``schemas/*.yaml`` that describe a layout)."""
    return sorted(p.name[:-5] for p in resources.files("juesuan.schemas").iterdir()
                  if p.name.endswith(".yaml") and p.name != "checks.yaml")


@lru_cache(maxsize=8)
def load_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """Load a profile from the packaged ``schemas/<name>.yaml`` (compiled once per content of the
    packaged model files: :mod:`juesuan.util.cache`)."""
    from juesuan.util.cache import cached

    text = _schema_text(name)
    return cached(f"profile-{name}", [name, *_packaged_texts()], lambda: profile_from_text(text))


def _packaged_texts() -> list[str]:
    """Every packaged model file's text: a profile may extend any of them."""
    folder = resources.files("juesuan.schemas")
    return [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".yaml")]


def _by_id(parent: list, child: list, what: str) -> list:
    """Merge the child's entries into the parent's by ``id``: a child entry overrides the parent's keys,
    ``drop: true`` removes the entry, an unknown id is appended."""
    out = [dict(p) for p in parent]
    index = {p.get("id"): i for i, p in enumerate(out)}
    for entry in child:
        i = index.get(entry.get("id"))
        if entry.get("drop"):
            if i is None:
                raise ModelError(f"要去掉的{what} {entry.get('id')} 在上级表样中不存在")
            out[i] = None
        elif i is None:
            out.append(dict(entry))
        else:
            out[i] = {**out[i], **entry}
    return [e for e in out if e is not None]


def _extend(parent: dict, child: dict) -> dict:
    """A profile that ``extends`` another: the parent's model with the child's differences."""
    out = {**parent, **{k: v for k, v in child.items() if k not in ("tables", "rules", "reading", "extends")}}
    out["tables"] = _by_id(parent.get("tables", []), child.get("tables", []), "表")
    order = child.get("table_order")
    if order:
        pos = {t: i for i, t in enumerate(order)}
        out["tables"].sort(key=lambda t: pos.get(t["id"], len(pos)))
    out["rules"] = _by_id(parent.get("rules", []), child.get("rules", []), "规则")
    reading = dict(parent.get("reading") or {})
    for k, v in (child.get("reading") or {}).items():
        reading[k] = {**reading.get(k, {}), **v} if isinstance(v, dict) else v
    out["reading"] = reading
    out["extends"] = child["extends"]
    return out


def _raw_profile(text: str, seen: tuple = ()) -> tuple[dict, dict]:
    raw = load_yaml(text)
    lines = {r.get("id"): line_of(r) for r in raw.get("rules", []) if isinstance(r, dict)}
    raw = strip_lines(raw)
    parent_name = raw.get("extends")
    if parent_name:
        if parent_name in seen:
            raise ModelError(f"表样 extends 形成循环：{' → '.join(seen + (parent_name,))}")
        parent, parent_lines = _raw_profile(_schema_text(parent_name), seen + (parent_name,))
        raw = _extend(parent, raw)
        lines = {**parent_lines, **lines}
    return raw, lines


def profile_from_text(text: str) -> Profile:
    """A profile from the text of a schema file (line numbers kept for messages); a profile that
    ``extends`` another is merged with it first."""
    raw, lines = _raw_profile(text)
    return profile_from_dict(raw, lines)
