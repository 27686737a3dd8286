"""The pandera row checks: schemas built from the model's ``frames`` section, and their findings.

Three frames are checked (one row per code row of the coded tables, per 06 code, per amount cell).
The model names each pandera check and the rule its failures report; each check is registered here
with its predicate (:func:`register`) and with the finding a failing row gives (:func:`finding`), whose
messages are declared in ``schemas/checks.yaml``. A registered check without a finding, or a failure
of a check that has none, is a :class:`~juesuan.errors.ModelError`: no failure is ever dropped.

pandera (and pandas) are imported only when schemas are built: they cost over a second to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from juesuan.errors import ModelError
from juesuan.model.checks import template_id
from juesuan.model.profile import FrameRef, frame_refs
from juesuan.util.codes import LEVELS, is_code, parent
from juesuan.util.money import out_of_range
from juesuan.util.text import nfkc
from juesuan.validate.context import Context as CheckContext
from juesuan.validate.emit import add

# name → (level, factory(ctx) → predicate). level: "element" (one value), "frame" (DataFrame → bool Series)
CHECKS: dict[str, tuple[str, Callable]] = {}
# name → finding(ctx, payload) → (message, params, severity or None, column of the row: "code"/"name"/None)
FINDINGS: dict[str, Callable] = {}


def register(name: str, level: str):
    """Register a custom check under ``name`` for the model's ``frames`` section."""
    if level not in ("element", "frame"):
        raise ValueError(level)

    def deco(factory):
        CHECKS[name] = (level, factory)
        return factory

    return deco


def finding(name: str):
    """Register what a failing row of check ``name`` reports."""
    def deco(fn):
        FINDINGS[name] = fn
        return fn
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
    return is_code


@register("known_code", "element")
def _known_code(ctx):
    def ok(code):
        if not is_code(code):
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
            if not (is_code(code) and len(code) > 3):
                return True
            return (table, parent(code)) in present
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
# What a failing row reports


@finding("code_format")
def _code_format_finding(ctx, row):
    if not row.code:
        return "empty", {}, "error", "code"
    cut = row.code.isdigit() and len(row.code) in (4, 6)
    return ("cut" if cut else "malformed"), {"code": row.code}, "error", "code"


@finding("known_code")
def _known_code_finding(ctx, row):
    if getattr(ctx.catalog, "official", False):
        return "not_official", {"code": row.code, "source": ctx.catalog.source}, "error", "code"
    return "not_bundled", {"code": row.code}, "warning", "code"


@finding("catalog_name")
def _catalog_name_finding(ctx, row):
    entry = ctx.catalog.functional.get(row.code)
    sev = "warning" if getattr(ctx.catalog, "official", False) or entry.confidence == "corroborated" else "info"
    return "differs", {"name": row.name, "official": entry.name}, sev, "code"


@finding("unique_code")
def _unique_code_finding(ctx, row):
    return "duplicate", {"code": row.code}, "error", "code"


@finding("has_parent")
def _has_parent_finding(ctx, row):
    code = row.code
    return "orphan", {"code": code, "level": LEVELS[len(code) - 2], "parent": parent(code)}, "error", "code"


@finding("code_order")
def _code_order_finding(ctx, row):
    return "unordered", {"code": row.code}, "error", "code"


@finding("econ_known")
def _econ_known_finding(ctx, code):
    return "unknown", {"code": code}, None, "code"


@finding("econ_name")
def _econ_name_finding(ctx, code):
    tl6 = ctx.layout.tables_of("economic")[0]
    return "differs", {"name": tl6.econ_names[code], "official": ctx.catalog.economic_name(code)}, None, "name"


@finding("amount_parsed")
def _amount_parsed_finding(ctx, key):
    raw = ctx.cells[key].raw
    shown = str(raw)
    if len(shown) > 60:
        shown = shown[:60] + "…"
    message = ("text_number" if ctx.cells[key].text_number else "error_value" if shown.startswith("#")
               else "out_of_range" if out_of_range(raw) else "not_amount")
    return message, {"shown": shown}, None, None


@finding("two_decimals")
def _two_decimals_finding(ctx, key):
    return "decimals", {"value": ctx.cells[key].value}, None, None


@finding("non_negative")
def _non_negative_finding(ctx, key):
    return "negative", {"value": ctx.cells[key].value}, None, None


# --------------------------------------------------------------------------------------------------
# Frames of one workbook, and the findings of their failures


FRAME_COLUMNS = {"code_rows": ["table", "code", "name"], "econ_rows": ["table", "code", "name"],
                 "amounts": ["table", "value", "parsed"]}


def frames_of(ctx: CheckContext, doc: int) -> dict[str, tuple[list[tuple], list]]:
    """The rows of each pandera frame for one workbook, and what each row stands for."""
    code_rows, code_where = [], []
    for tl in ctx.layout.tables_of("coded"):
        if tl.spec.id not in ctx.located.readable:
            continue
        for i, row in enumerate(tl.rows):
            if i:
                code_rows.append((f"{doc}:{tl.spec.id}", row.code, row.name))
                code_where.append((tl.spec.id, i))
    econ_rows, econ_where = [], []
    for tl6 in ctx.layout.tables_of("economic"):
        if tl6.spec.id in ctx.located.readable:
            for code in tl6.econ_codes:
                econ_rows.append((f"{doc}:{tl6.spec.id}", code, tl6.econ_names[code]))
                econ_where.append(code)
    amounts, amount_where = [], []
    for k, c in ctx.cells.items():
        if (c.formula is not None and not c.cached) or c.absent:
            continue  # computed here from the model, or not in the file: nothing typed to check
        amounts.append((f"{doc}:{k.table}", c.shown if c.parsed else None, c.parsed))
        amount_where.append(k)
    return {"code_rows": (code_rows, code_where), "econ_rows": (econ_rows, econ_where),
            "amounts": (amounts, amount_where)}


def schema_checks(ctxs: list[CheckContext]) -> None:
    """Run the pandera schemas once over the rows of all ``ctxs`` (one workbook or a batch)."""
    import pandas as pd

    if not ctxs:
        return
    schemas = _schemas(ctxs[0])
    refs = {r.check: r for r in frame_refs(ctxs[0].profile)}
    per_doc = [frames_of(ctx, i) for i, ctx in enumerate(ctxs)]
    for frame, columns in FRAME_COLUMNS.items():
        rows, where = [], []
        for i, frames in enumerate(per_doc):
            r, w = frames[frame]
            rows.extend(r)
            where.extend((i, x) for x in w)
        df = pd.DataFrame.from_records(rows, columns=columns).astype(object)
        for check, idx in failures(schemas[frame], df):
            doc, payload = where[idx]
            _report(ctxs[doc], frame, check, payload, refs[check])


def _report(ctx: CheckContext, frame: str, check: str, payload, ref: FrameRef) -> None:
    report = FINDINGS.get(check)
    if report is None:
        raise ModelError(f"表格检查「{check}」没有登记它的检查结果（juesuan.validate.frames.finding）")
    if frame == "code_rows":
        tid, i = payload
        tl = ctx.layout.table(tid)
        row = tl.rows[i]
        message, params, sev, _ = report(ctx, row)
        add(ctx, ctx.profile.rule(ref.rule_for(tid)), None, template_id(check, message, frame=True), params,
            severity=sev, sheet=ctx.located.sheets[tid].name, cell=f"{tl.code_col}{tl.sheet_row(i)}",
            table=tl.spec.number, code=row.code, name=row.name, kind="format")
    elif frame == "econ_rows":
        code = payload
        tl6 = ctx.layout.tables_of("economic")[0]
        row, ccol, ncol, _ = tl6.econ_pos[code]
        message, params, sev, column = report(ctx, code)
        add(ctx, ctx.profile.rule(ref.rule_for(tl6.spec.id)), None, template_id(check, message, frame=True), params,
            severity=sev, sheet=ctx.located.sheets[tl6.spec.id].name, cell=f"{ccol if column == 'code' else ncol}{row}",
            table=tl6.spec.number, code=code, name=tl6.econ_names[code], kind="format")
    else:
        key = payload
        message, params, sev, _ = report(ctx, key)
        extra = {"actual": ctx.cells[key].value} if check != "amount_parsed" else {}
        add(ctx, ctx.profile.rule(ref.rule_for(key.table)), key, template_id(check, message, frame=True), params,
            severity=sev, kind="format", **extra)


_SCHEMA_CACHE: dict = {}


def preload() -> None:
    """Import pandas and pandera and let pandera register its backends, then take what was imported
    out of the garbage collector's sight (``gc.freeze``): with pandas loaded, every full collection
    would walk its hundreds of thousands of objects, which made a cold check's first rule pass 5×
    slower. Called once by a process about to check files (the CLI, each worker of a folder run)."""
    import gc

    import pandas as pd
    import pandera.pandas as pa

    pa.DataFrameSchema({}).validate(pd.DataFrame())
    gc.freeze()


def _schemas(ctx: CheckContext):
    key = (id(ctx.profile), id(ctx.catalog))
    if key not in _SCHEMA_CACHE:
        _SCHEMA_CACHE.clear()
        _SCHEMA_CACHE[key] = build_schemas(ctx.profile, Context(ctx.catalog, ctx.profile))
    return _SCHEMA_CACHE[key]


# --------------------------------------------------------------------------------------------------
# Building and running


def build_schemas(profile, ctx: Context) -> dict[str, Any]:
    """frame name → pandera DataFrameSchema. Each check's name is the registered name."""
    import pandera.pandas as pa

    schemas = {}
    refs = frame_refs(profile)
    for ref in refs:
        if ref.check not in CHECKS or ref.check not in FINDINGS:
            raise ModelError(f"表样模型 frames.{ref.frame} 的检查「{ref.check}」没有实现（juesuan.validate.frames）")
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
