"""pandera DataFrameSchemas built from the ``frames`` section of the table model.

The model names each check and the rule it reports; the checks themselves are registered here, in
code (:func:`register`). A model that names a check that is not registered, or a rule that does not
exist, fails loudly when the schemas are built: no check is ever dropped silently.

pandera (and pandas) are imported only when schemas are built: they cost over a second to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from juesuan.util.text import nfkc
from juesuan.errors import ModelError

# name → (level, factory(ctx) → function). level: "element" (one value), "frame" (DataFrame → bool Series)
CHECKS: dict[str, tuple[str, Callable]] = {}


def register(name: str, level: str):
    """Register a custom check under ``name`` for the model's ``frames`` section."""
    if level not in ("element", "frame"):
        raise ValueError(level)

    def deco(factory):
        CHECKS[name] = (level, factory)
        return factory

    return deco


@dataclass
class Context:
    """What checks need besides the data: the catalog (and whether it is the official one)."""

    catalog: Any
    profile: Any


# --------------------------------------------------------------------------------------------------
# Registered checks


@register("code_format", "element")
def _code_format(ctx):
    return lambda code: isinstance(code, str) and code.isdigit() and len(code) in (3, 5, 7)


@register("known_code", "element")
def _known_code(ctx):
    def ok(code):
        if not (isinstance(code, str) and code.isdigit() and len(code) in (3, 5, 7)):
            return True  # code_format reports it
        return code in ctx.catalog.functional
    return ok


def _series(df, values):
    import pandas as pd

    return pd.Series(list(values), index=df.index, dtype=bool)


@register("catalog_name", "frame")
def _catalog_name(ctx):
    def row_ok(code, name):
        entry = ctx.catalog.functional.get(code)
        return entry is None or not name or nfkc(entry.name) == nfkc(name)
    return lambda df: _series(df, (row_ok(c, n) for c, n in zip(df["code"], df["name"])))


@register("unique_code", "frame")
def _unique_code(ctx):
    def check(df):
        seen = df["code"].where(df["code"] != "").notna() & df.duplicated(subset=["table", "code"], keep="first")
        return ~seen
    return check


@register("has_parent", "frame")
def _has_parent(ctx):
    def check(df):
        present = set(zip(df["table"], df["code"]))

        def ok(table, code):
            if not (code.isdigit() and len(code) in (5, 7)):
                return True
            return (table, code[: len(code) - 2]) in present
        return _series(df, (ok(t, c) for t, c in zip(df["table"], df["code"])))
    return check


@register("code_order", "frame")
def _code_order(ctx):
    def check(df):
        out = []
        last: dict[str, str] = {}
        for table, code in zip(df["table"], df["code"]):
            prev = last.get(table)
            good = not (code.isdigit() and prev is not None and code < prev)
            if code.isdigit():
                last[table] = code
            out.append(good)
        return _series(df, out)
    return check


@register("econ_known", "element")
def _econ_known(ctx):
    allowed = {c for t in ctx.profile.tables for b in t.blocks for c in b.codes}
    return lambda code: code in allowed


@register("econ_name", "frame")
def _econ_name(ctx):
    def ok(code, name):
        official = ctx.catalog.economic_name(code)
        return official is None or not name or nfkc(official) == nfkc(name)
    return lambda df: _series(df, (ok(c, n) for c, n in zip(df["code"], df["name"])))


@register("amount_parsed", "frame")
def _amount_parsed(ctx):
    return lambda df: df["parsed"].astype(bool)


@register("two_decimals", "element")
def _two_decimals(ctx):
    def ok(v):
        return v is None or not isinstance(v, Decimal) or v == v.quantize(Decimal("0.01")) \
            or abs(v - v.quantize(Decimal("0.01"))) < Decimal("1e-9")
    return ok


@register("non_negative", "element")
def _non_negative(ctx):
    return lambda v: v is None or not isinstance(v, Decimal) or v >= 0


# --------------------------------------------------------------------------------------------------
# Building and running


@dataclass
class CheckRef:
    frame: str
    column: str | None
    check: str
    rule: Any  # a rule id, or {table id: rule id, default: rule id}

    def rule_for(self, table: str) -> str:
        if isinstance(self.rule, dict):
            return self.rule.get(table, self.rule.get("default"))
        return self.rule


def check_refs(profile) -> list[CheckRef]:
    """Every check the model's ``frames`` section names, validated against the registry."""
    refs = []
    rule_ids = {r.id for r in profile.rules}
    for frame, spec in (profile.frames or {}).items():
        items = [(col, c) for col, checks in (spec.get("columns") or {}).items() for c in checks]
        items += [(None, c) for c in spec.get("frame") or []]
        for col, c in items:
            name = c.get("check")
            if name not in CHECKS:
                raise ModelError(f"表样模型 frames.{frame} 引用了未注册的检查「{name}」（已注册：{', '.join(sorted(CHECKS))}）")
            rules = c["rule"].values() if isinstance(c.get("rule"), dict) else [c.get("rule")]
            for rid in rules:
                if rid not in rule_ids:
                    raise ModelError(f"表样模型 frames.{frame} 的检查「{name}」引用了不存在的规则 {rid}")
            refs.append(CheckRef(frame, col, name, c["rule"]))
    return refs


def build_schemas(profile, ctx: Context) -> dict[str, Any]:
    """frame name → pandera DataFrameSchema. Each check's name is the registered name."""
    import pandera.pandas as pa

    schemas = {}
    refs = check_refs(profile)
    for frame in profile.frames or {}:
        columns: dict[str, list] = {}
        frame_checks = []
        for ref in (r for r in refs if r.frame == frame):
            level, factory = CHECKS[ref.check]
            fn = factory(ctx)
            if level == "element":
                chk = pa.Check(fn, element_wise=True, name=ref.check, ignore_na=False)
            else:
                chk = pa.Check(fn, name=ref.check, ignore_na=False)
            if ref.column is not None and level == "element":
                columns.setdefault(ref.column, []).append(chk)
            else:
                frame_checks.append(chk)
                if ref.column is not None:
                    columns.setdefault(ref.column, [])
        n_checks = sum(len(v) for v in columns.values()) + len(frame_checks)
        if n_checks != sum(1 for r in refs if r.frame == frame):
            raise ModelError(f"表样模型 frames.{frame}：有检查未能放入 pandera 模式")
        schemas[frame] = pa.DataFrameSchema(
            {col: pa.Column(object, checks=chks, nullable=True) for col, chks in columns.items()},
            checks=frame_checks, strict=False, coerce=False, name=frame)
    return schemas


def failures(schema, df) -> list[tuple[str, Any]]:
    """(check name, row index) for every failure of ``df`` against ``schema``."""
    import pandera.errors as pe

    if df.empty:
        return []
    try:
        schema.validate(df, lazy=True)
    except pe.SchemaErrors as err:
        fc = err.failure_cases
        out = []
        for check, index in zip(fc["check"], fc["index"]):
            if index is None or (isinstance(index, float) and index != index):
                continue
            out.append((str(check), int(index)))
        return out
    return []
