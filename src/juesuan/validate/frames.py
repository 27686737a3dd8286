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
from juesuan.util.codes import LEVELS, parent
from juesuan.util.money import out_of_range
from juesuan.util.text import nfkc
from juesuan.validate.context import Context as CheckContext
from juesuan.validate.emit import add

# name → (level, factory(ctx) → check function). level: "series" (a column → one bool per row),
# "frame" (the DataFrame → one bool per row). Every function is vectorised: it works on whole columns.
CHECKS: dict[str, tuple[str, Callable]] = {}
# name → finding(ctx, payload) → (message, params, severity or None, column of the row: "code"/"name"/None)
FINDINGS: dict[str, Callable] = {}


def register(name: str, level: str):
    """Register a custom check under ``name`` for the model's ``frames`` section."""
    if level not in ("series", "frame"):
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
# Registered checks (vectorised: each takes a column or the frame, returns one bool per row)
#
# Each takes its column (or the frame) once and judges all its values in one pass: the catalog and
# the table's own codes as hashed sets, Python's own str methods, Decimal arithmetic. The columns hold
# Python objects (codes, names, Decimals), on which numpy's and pandas' element-wise operations call
# Python per element anyway; on a table's few hundred rows, every step wrapped as a new array or
# Series cost more than the judging (measured: the eleven checks went from 1.6 ms to 0.6 ms).


def _array(column):
    return column.to_numpy(dtype=object)


def _passed(like, values):
    """One bool per row of ``like`` (a column or a frame), as pandera takes a check's output."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.asarray(values, dtype=bool), index=like.index, copy=False)


def _well_formed(code: str) -> bool:
    """A well-formed functional code, as :func:`juesuan.util.codes.is_code` (the column holds text)."""
    return len(code) in LEVELS and code.isdigit()


@register("code_format", "series")
def _code_format(ctx):
    return lambda codes: _passed(codes, [_well_formed(c) for c in _array(codes)])


@register("known_code", "series")
def _known_code(ctx):
    known = frozenset(ctx.catalog.functional)  # hashed once, when the schema is built
    # a malformed code: code_format says it
    return lambda codes: _passed(codes, [c in known or not _well_formed(c) for c in _array(codes)])


def _same_name(official: dict[str, str]):
    """The name typed is the catalog's (NFKC, as :func:`juesuan.util.text.nfkc`), or there is none to compare."""
    def check(df):
        expected = map(official.get, _array(df["code"]))  # None: not in the catalog
        return _passed(df, [e is None or not name or e == key
                            for e, name, key in zip(expected, _array(df["name"]), _array(df["name_key"]))])
    return check


@register("catalog_name", "frame")
def _catalog_name(ctx):
    return _same_name({code: nfkc(e.name) for code, e in ctx.catalog.functional.items()})


@register("unique_code", "frame")
def _unique_code(ctx):
    def check(df):
        seen: set = set()
        first = []  # a code not seen before in its table (a blank code is never a duplicate)
        for key in zip(_array(df["table"]), _array(df["code"])):
            first.append(not key[1] or key not in seen)
            seen.add(key)
        return _passed(df, first)
    return check


@register("has_parent", "frame")
def _has_parent(ctx):
    def check(df):
        tables, codes = _array(df["table"]), _array(df["code"])
        present = set(zip(tables, codes))
        # a 款 or 项 (a well-formed code longer than a 类) needs its 类 or 款 in the same table
        return _passed(df, [len(c) <= 3 or not _well_formed(c) or (t, c[:-2]) in present
                            for t, c in zip(tables, codes)])
    return check


@register("code_order", "frame")
def _code_order(ctx):
    def check(df):
        return _passed(df, _not_below_previous(_array(df["code"]), _array(df["table"])))
    return check


def _not_below_previous(codes, tables) -> list[bool]:
    """Whether each code of digits is not below the last code of digits above it in its table (other
    rows, and a table's first code of digits, pass). Tables need not be contiguous."""
    last: dict = {}
    out = []
    for t, c in zip(tables, codes):
        if c.isdigit():
            prev = last.get(t)
            out.append(prev is None or c >= prev)
            last[t] = c
        else:
            out.append(True)
    return out


@register("econ_known", "series")
def _econ_known(ctx):
    known = frozenset(c for t in ctx.profile.tables for b in t.blocks for c in b.codes)
    return lambda codes: _passed(codes, [c in known for c in _array(codes)])


@register("econ_name", "frame")
def _econ_name(ctx):
    allowed = {c for t in ctx.profile.tables for b in t.blocks for c in b.codes}
    official = {c: ctx.catalog.economic_name(c) for c in allowed}
    return _same_name({c: nfkc(n) for c, n in official.items() if n is not None})


@register("amount_parsed", "frame")
def _amount_parsed(ctx):
    return lambda df: _passed(df, _array(df["parsed"]).astype(bool))


_ZERO, _CENT = Decimal(0), Decimal("0.01")
_TINY = Decimal("1e-9")  # a binary float's noise, not a third decimal


def _cents(v) -> bool:
    """A blank, or an amount of whole cents (a hair under or over the next cent counts too)."""
    if v is None:
        return True
    below = abs(v % _CENT)  # the part below a cent, exact (Decimal)
    return below < _TINY or _CENT - below < _TINY


@register("two_decimals", "series")
def _two_decimals(ctx):
    return lambda values: _passed(values, [_cents(v) for v in _array(values)])


@register("non_negative", "series")
def _non_negative(ctx):
    # a blank is neither negative nor of three decimals
    return lambda values: _passed(values, [v is None or v >= _ZERO for v in _array(values)])


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


# name_key: the name as it is compared with the catalog's (NFKC: full-width and half-width alike)
FRAME_COLUMNS = {"code_rows": ["table", "code", "name", "name_key"], "econ_rows": ["table", "code", "name", "name_key"],
                 "amounts": ["table", "value", "parsed"]}


def _text(value) -> str:
    return "" if value is None else str(value)


def frames_of(ctx: CheckContext, doc: int) -> dict[str, tuple[list[tuple], list]]:
    """The rows of each pandera frame for one workbook, and what each row stands for."""
    code_rows, code_where = [], []
    for tl in ctx.layout.tables_of("coded"):
        if tl.spec.id not in ctx.located.readable:
            continue
        table = f"{doc}:{tl.spec.id}"
        for i, row in enumerate(tl.rows):
            if i:
                code, name = _text(row.code), _text(row.name)
                code_rows.append((table, code, name, nfkc(name)))
                code_where.append((tl.spec.id, i))
    econ_rows, econ_where = [], []
    for tl6 in ctx.layout.tables_of("economic"):
        if tl6.spec.id in ctx.located.readable:
            for code in tl6.econ_codes:
                name = _text(tl6.econ_names[code])
                econ_rows.append((f"{doc}:{tl6.spec.id}", _text(code), name, nfkc(name)))
                econ_where.append(code)
    amounts, amount_where = [], []
    tables: dict[str, str] = {}
    for k, c in ctx.cells.items():
        if (c.formula is not None and not c.cached) or c.absent:
            continue  # computed here from the model, or not in the file: nothing typed to check
        table = tables.get(k.table) or tables.setdefault(k.table, f"{doc}:{k.table}")
        amounts.append((table, c.shown if c.parsed else None, c.parsed))
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
        df = pd.DataFrame(rows, columns=columns, dtype=object)  # object columns: the checks take their arrays as they are
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
    """frame name → pandera DataFrameSchema. Each check's name is the registered name; a column's
    checks get the column, the frame's checks the whole frame, and all of them are vectorised."""
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
            chk = pa.Check(factory(ctx), name=ref.check, ignore_na=False)
            if ref.column is not None and level == "series":
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
    """(check name, row index) for every failure of ``df`` against ``schema``.

    Each of the schema's checks is run by pandera's check backend (``Check.__call__`` gives a
    ``CheckResult`` whose ``check_output`` has one bool per row), column checks on their column, frame
    checks on the frame. Not ``schema.validate(lazy=True)``: on a failing frame that builds, per failing
    check, an error report (failure-case frames, messages) of about a millisecond that juesuan does not
    use — each failing row becomes a finding of its own."""
    if df.empty:
        return []
    missing = [c for c in schema.columns if c not in df.columns]
    if missing:
        raise ModelError(f"表格检查 {schema.name}：数据缺少列 {'、'.join(missing)}")
    import numpy as np

    out = []
    runs = [(chk, None) for chk in schema.checks]  # frame checks first, then the columns' (pandera's order)
    runs += [(chk, col) for col, column in schema.columns.items() for chk in column.checks]
    columns = {col: df[col] for _, col in runs if col is not None}
    labels = df.index.to_numpy()
    for chk, col in runs:
        result = chk(columns[col] if col is not None else df)
        passed = result.check_output
        if getattr(passed, "shape", None) != (len(df),):
            raise ModelError(f"表格检查「{chk.name}」没有逐行给出结果")
        out.extend((str(chk.name), int(i)) for i in labels[np.flatnonzero(~passed.to_numpy(dtype=bool))])
    return out
