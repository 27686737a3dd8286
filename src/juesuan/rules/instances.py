"""Relations instantiated on a layout.

A relation such as ``T04[59,c] = T04[33..58,c] for c in 2..5`` is parsed once, when the model is
loaded (:mod:`juesuan.model.expr`), and instantiated on a concrete workbook layout
(:func:`instantiate`), giving :class:`Instance` objects whose terms are cells (:class:`CellKey`) or
code look-ups (:class:`Lookup`). The template renders a defining instance as a formula
(:mod:`juesuan.render.formulas`); the validator evaluates every instance on values; the live 校验
sheet and 舍位平衡 use the same instances, so a rule is written once.

Bindings of a row: ``*`` every row of the first coded table that uses it, ``类`` every class of the
profile, ``#`` every well-formed code of the coded tables that use it (code by code). A relation may
hold only when some cells are zero (``when_zero``): its instances carry that condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

from juesuan.errors import ModelError
from juesuan.layout.keys import CellKey, Lookup, Term
from juesuan.model.expr import Expr, Ref, parse_expr

if TYPE_CHECKING:  # pragma: no cover
    from juesuan.layout.workbook import WorkbookLayout
    from juesuan.model.profile import RelationSpec, Rule


# --------------------------------------------------------------------------------------------------
# Public API: keys and instances


@dataclass
class Instance:
    """One concrete relation: ``Σ lhs op Σ rhs`` with op ``=`` or ``<=``."""

    rule: "Rule"
    rel_no: int
    op: str
    lhs: list[Term]
    rhs: list[Term]
    defines: bool = False
    where: str = ""  # e.g. "栏 3" or "类 206、科目 20805", for messages
    when_zero: tuple[CellKey, ...] = ()  # judged only while all these cells are 0
    code: str | None = None  # the code a code-by-code (``#``) instance compares

    @property
    def target(self) -> CellKey | None:
        """The cell a defining instance defines (its single positive left-hand cell)."""
        if len(self.lhs) == 1 and self.lhs[0][0] == 1 and isinstance(self.lhs[0][1], CellKey):
            return self.lhs[0][1]
        return None


# --------------------------------------------------------------------------------------------------
# Instantiation


def instantiate(rule: "Rule", layout: "WorkbookLayout") -> list[Instance]:
    """All instances of a rule's relations on ``layout``."""
    out: list[Instance] = []
    for no, rel in enumerate(rule.relations):
        if rel.hierarchy:
            out.extend(_hierarchy(rule, no, rel, layout))
        else:
            out.extend(_expr_instances(rule, no, rel, _parsed(rule, rel, layout.profile), layout))
    return out


def _parsed(rule: "Rule", rel: "RelationSpec", profile) -> Expr:
    """A relation's expression parsed once per profile (the model's text, the same for every workbook)."""
    memo = profile.__dict__.setdefault("_parsed_exprs", {})
    key = (rule.id, rel.expr)
    if key not in memo:
        memo[key] = parse_expr(rel.expr, profile, rule.id)
    return memo[key]


def all_instances(layout: "WorkbookLayout") -> list[Instance]:
    """Every relation instance of every rule of the layout's profile, in model order."""
    out = []
    for rule in layout.profile.rules:
        out.extend(instantiate(rule, layout))
    return out


def _hierarchy(rule, no, rel: "RelationSpec", layout) -> Iterator[Instance]:
    tl = layout.table(rel.hierarchy)
    builder = _HIERARCHIES.get(tl.kind)
    if builder is None:
        raise ModelError(f"规则 {rule.id}：{tl.spec.number} 不是科目表，不能用 hierarchy")
    yield from builder(rule, no, rel, tl)


def _economic_hierarchy(rule, no, rel, tl) -> Iterator[Instance]:
    tid = tl.spec.id
    present = list(tl.econ_codes)
    for level in rel.levels:
        if level != "类":
            raise ModelError(f"规则 {rule.id}：06表只有「类」层级")
        for parent in (c for c in present if len(c) == 3):
            kids = [c for c in present if len(c) == 5 and c[:3] == parent]
            if kids:
                yield Instance(rule, no, "=", [(1, CellKey(tid, parent, None))],
                               [(1, CellKey(tid, k, None)) for k in kids], rel.defines, f"类 {parent}")


def _coded_hierarchy(rule, no, rel, tl) -> Iterator[Instance]:
    spec, rows = tl.spec, tl.rows
    for level in rel.levels:
        if level == "合计":
            if tl.is_empty:
                continue
            pairs = [(0, [i for i, r in enumerate(rows) if i and r.level == "类"])]
        else:
            plen, clen = (3, 5) if level == "类" else (5, 7)
            children: dict[str, list[int]] = {}  # parent code → its rows, in row order (one pass)
            for j, k in enumerate(rows):
                if j and len(k.code) == clen and k.code.isdigit():
                    children.setdefault(k.code[:plen], []).append(j)
            pairs = [(i, children.get(r.code, [])) for i, r in enumerate(rows)
                     if i and len(r.code) == plen and r.code.isdigit()]
        for parent, kids in pairs:
            if not kids:
                continue
            where = "合计" if parent == 0 else f"科目 {rows[parent].code}"
            for col in spec.columns:
                yield Instance(rule, no, "=", [(1, CellKey(spec.id, parent, col))],
                               [(1, CellKey(spec.id, k, col)) for k in kids], rel.defines, f"{where}、栏 {col}")


_HIERARCHIES = {"economic": _economic_hierarchy, "coded": _coded_hierarchy}


def _expr_instances(rule, no, rel, expr: Expr, layout) -> Iterator[Instance]:
    refs = [r for _, r in expr.lhs + expr.rhs]
    # Implicit bindings: `*` over the rows of the first coded table that uses it; `类` over classes;
    # `#` over the well-formed codes of every table that uses it.
    star_table = next((r.table for r in refs if r.row == "*"), None)
    envs: list[dict] = [{}]
    for var, values in expr.loops:
        envs = [dict(e, **{var: v}) for e in envs for v in values]
    if star_table:
        tl = layout.table(star_table)
        rows = range(0 if not tl.is_empty else 1, len(tl.rows))
        envs = [dict(e, **{"*": i}) for e in envs for i in rows]
    if any(r.row == "类" for r in refs):
        envs = [dict(e, **{"类": code}) for e in envs for code, _ in layout.profile.classes]
    code_tables = list(dict.fromkeys(r.table for r in refs if r.row == "#"))
    if code_tables:
        codes = list(dict.fromkeys(c for t in code_tables for c in layout.table(t).well_formed_codes()))
        envs = [dict(e, **{"#": code}) for e in envs for code in codes]
    condition = tuple(k for ref in rel.when_zero for k in ref_cells(ref, layout))
    for env in envs:
        lhs = [t for s, r in expr.lhs for t in _resolve(s, r, env, star_table, layout)]
        rhs = [t for s, r in expr.rhs for t in _resolve(s, r, env, star_table, layout)]
        if not lhs and not rhs:
            continue
        yield Instance(rule, no, expr.op, lhs, rhs, rel.defines, _where(env, layout, star_table), condition,
                       env.get("#"))


def _where(env: dict, layout, star_table) -> str:
    bits = []
    for k, v in env.items():
        if k == "*":
            row = layout.table(star_table).rows[v]
            bits.append("合计" if v == 0 else f"科目 {row.code}")
        elif k == "类":
            bits.append(f"类 {v}")
        elif k == "#":
            bits.append(f"科目 {v}")
        else:  # a loop of the relation notation: `for c in 2..5` is a column (栏), `for r in …` a line (行次)
            bits.append(f"{_LOOP_WORDS.get(k, k)} {v}")
    return "、".join(bits)


_LOOP_WORDS = {"c": "栏", "r": "行次"}


def _ints(text: str, env: dict) -> list[int]:
    first, last = _range_form(text)
    if last is None:
        return [_int_of(first, env)]
    return list(range(_int_of(first, env), _int_of(last, env) + 1))


def _int_of(form: tuple, env: dict) -> int:
    var, number = form
    if var is None:
        return number
    if var not in env:
        raise ModelError(f"表达式中的变量 {var} 没有循环定义")
    return env[var] + number


@lru_cache(maxsize=4096)
def _range_form(text: str) -> tuple:
    """``a..b`` as the forms of its two ends (the second None for a single number): parsed once."""
    text = text.strip()
    if ".." in text:
        a, b = text.split("..")
        return _int_form(a), _int_form(b)
    return _int_form(text), None


@lru_cache(maxsize=4096)
def _int_form(text: str) -> tuple:
    """A number of the notation (``3``, ``c``, ``c+1``) as (variable or None, number to add)."""
    m = re.fullmatch(r"([a-z])\s*([+-]\s*\d+)?", text.strip())
    if m:
        return m.group(1), int(m.group(2).replace(" ", "")) if m.group(2) else 0
    try:
        return None, int(text)
    except ValueError:
        raise ModelError(f"表达式中的行次或栏次无效：{text.strip()}") from None


def ref_cells(ref: Ref, layout: "WorkbookLayout") -> list[CellKey]:
    """The cells one reference with no binding (``T04[33..60,4]``) stands for on ``layout``."""
    return [k for _, k in _resolve(1, ref, {}, None, layout) if isinstance(k, CellKey)]


def _resolve(sign: int, ref: Ref, env: dict, star_table, layout) -> list[Term]:
    tl = layout.table(ref.table)
    return _RESOLVERS[tl.kind](sign, ref, env, star_table, layout, tl)


def _resolve_paired(sign, ref, env, star_table, layout, tl) -> list[Term]:
    if ref.row == "类":
        line = tl.class_line(env["类"])
        lines = [line] if line is not None else []
    else:
        lines = _ints(ref.row, env)
    out = []
    for line in lines:
        cols = _ints(ref.col, env) if ref.col else [tl.spec.side_of(line).default_col]
        out.extend((sign, CellKey(tl.spec.id, line, c)) for c in cols)
    return out


def _resolve_single(sign, ref, env, star_table, layout, tl) -> list[Term]:
    return [(sign, CellKey(tl.spec.id, 0, c)) for c in _ints(ref.row, env)]


def _resolve_economic(sign, ref, env, star_table, layout, tl) -> list[Term]:
    return [(sign, CellKey(tl.spec.id, ref.row, None))] if tl.has_econ(ref.row) else []


def _resolve_coded(sign, ref, env, star_table, layout, tl) -> list[Term]:
    tid, row = tl.spec.id, ref.row
    cols = _ints(ref.col, env) if ref.col else [min(tl.spec.columns)]
    if row == "合计":
        return [] if tl.is_empty else [(sign, CellKey(tid, 0, c)) for c in cols]
    if row == "*":
        idx = env["*"]
        if ref.table == star_table:
            return [(sign, CellKey(tid, idx, c)) for c in cols]
        if idx == 0:
            return [] if tl.is_empty else [(sign, CellKey(tid, 0, c)) for c in cols]
        return [(sign, Lookup(tid, layout.table(star_table).rows[idx].code, c)) for c in cols]
    code = env[row] if row in ("类", "#") else row
    return [(sign, Lookup(tid, code, c)) for c in cols]


_RESOLVERS = {"paired": _resolve_paired, "single": _resolve_single, "economic": _resolve_economic,
              "coded": _resolve_coded}
