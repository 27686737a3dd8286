"""Validate a filled workbook against every rule of the table model.

``check(path)`` reads the workbook (:mod:`juesuan.reader`), finds its tables (:mod:`juesuan.locate`),
takes each cell's value — computing in Python the formulas that have no cached result — and then
runs the pandera schemas (:mod:`juesuan.pschemas`), every relation instance of every rule
(:mod:`juesuan.relations`, judged by :mod:`juesuan.rounding`) and the built-in checks. It returns a
:class:`~juesuan.findings.Report`; it never raises for a bad workbook except when the file cannot be
used at all (:class:`~juesuan.errors.InputError`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string

from juesuan.catalog import Catalog
from juesuan.validate.report import SEVERITY_OF, Finding, Report
from juesuan.util.money import money
from juesuan.layout.workbook import WorkbookLayout
from juesuan.read.locate import Located, locate
from juesuan.model.profile import Profile, load_profile
from juesuan.util.money import parse_amount
from juesuan.read.xlsx import read_workbook
from juesuan.layout.keys import CellKey, Lookup
from juesuan.rules.instances import Instance
from juesuan.util.rounding import MISMATCH, OK, TAIL, classify, envelope

CENT = Decimal("0.01")


@dataclass
class Cell:
    key: CellKey
    sheet: str
    a1: str
    raw: Any
    formula: str | None = None
    cached: bool = False
    value: Decimal | None = None
    parsed: bool = True
    computed: bool = False  # value computed in Python (formula without a cached result)
    unknown: bool = False  # unreadable, or computed from an unreadable cell: relations through it are not judged


@dataclass
class Violation:
    rule: Any
    inst: Instance | None
    terms: list[tuple[int, CellKey]]
    lhs: Decimal
    rhs: Decimal
    diff: Decimal
    tol: Decimal
    n: int
    verdict: str
    message: str = ""

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

    @property
    def layout(self) -> WorkbookLayout:
        return self.located.layout


# --------------------------------------------------------------------------------------------------
# Public API


def load(path: str | Path, profile: Profile | None = None, catalog: Catalog | None = None) -> Context:
    """Read a workbook, find its tables and take every cell's value (computing formulas that have
    no cached result). The first half of :func:`check`; useful on its own to inspect a workbook."""
    from juesuan.catalog import active_catalog
    from juesuan.errors import InputError

    path = Path(path)
    profile = profile or load_profile()
    wb = read_workbook(path)
    probe = locate(wb, profile, catalog or active_catalog(2024))
    if len(probe.missing) == len(profile.tables):
        raise InputError(f"「{path}」中找不到任何公开表（公开01表–公开09表）：请确认这是部门决算公开工作簿。")
    catalog = catalog or active_catalog(probe.layout.year or 2024)
    located = probe if probe.layout.catalog is catalog else locate(wb, profile, catalog)
    ctx = Context(path, profile, catalog, located)
    _read_cells(ctx, wb)
    _computed_values(ctx)
    return ctx


def check(path: str | Path, profile: Profile | None = None, catalog: Catalog | None = None) -> Report:
    """Check one workbook; returns a :class:`Report`. Raises InputError only for an unusable file."""
    ctx = load(path, profile, catalog)
    _schema_checks([ctx])
    return _finish(ctx)


def check_many(paths, profile: Profile | None = None) -> list:
    """Check several workbooks, the pandera schemas running once over all of them.

    Returns, per path, a :class:`Report` or the :class:`~juesuan.errors.JuesuanError` that made the
    file unusable.
    """
    from juesuan.errors import JuesuanError

    loaded: list = []
    for p in paths:
        try:
            loaded.append(load(p, profile))
        except JuesuanError as exc:
            loaded.append(exc)
    ctxs = [c for c in loaded if isinstance(c, Context)]
    groups: dict = {}
    for c in ctxs:  # one schema run per (profile, catalog)
        groups.setdefault((id(c.profile), id(c.catalog)), []).append(c)
    for group in groups.values():
        _schema_checks(group)
    return [_finish(c) if isinstance(c, Context) else c for c in loaded]


def _finish(ctx: Context) -> Report:
    relation_violations = _relations(ctx)
    rule_status = {r.id: "通过" for r in ctx.profile.rules if r.relations}
    for v in relation_violations:
        word = "不符" if v.verdict == MISMATCH else "尾差"
        if rule_status.get(v.rule.id) != "不符":
            rule_status[v.rule.id] = word
    violations = relation_violations + _only_general_funds(ctx)
    _builtin_checks(ctx)
    violations = _shifts(ctx, violations)
    _group(ctx, violations)
    located, profile = ctx.located, ctx.profile
    report = Report(str(ctx.path), _merge_same_cell(ctx.findings), located.department, located.layout.year,
                    {profile.table(tid).number: s.name for tid, s in located.sheets.items()},
                    ctx.catalog.source)
    report.rule_status = rule_status
    if any(c.computed for c in ctx.cells.values()):
        report.notes.append("工作簿中的公式没有保存计算结果（例如由程序生成），已按表样公式在程序中计算。")
    return report.sort()


def relation_envelope(ctx: Context, inst: Instance) -> Decimal | None:
    """The rounding envelope the validator applies to ``inst`` on this workbook (None if not judged)."""
    lhs, rhs = _expand(ctx, inst.lhs), _expand(ctx, inst.rhs)
    if lhs is None or rhs is None:
        return None
    return envelope(max(_leafcount(ctx, lhs), _leafcount(ctx, rhs)))


def relation_difference(ctx: Context, inst: Instance) -> Decimal | None:
    lhs, rhs = _expand(ctx, inst.lhs), _expand(ctx, inst.rhs)
    if lhs is None or rhs is None:
        return None
    return sum((s * _value(ctx, k) for s, k in lhs), Decimal(0)) - sum((s * _value(ctx, k) for s, k in rhs), Decimal(0))


# --------------------------------------------------------------------------------------------------
# Values


def _read_cells(ctx: Context, wb) -> None:
    layout = ctx.layout
    for tid, tl in layout.tables.items():
        sheet = ctx.located.sheets.get(tid)
        if sheet is None:
            continue
        for key in tl.value_keys():
            row, col = tl.address(key)
            c = column_index_from_string(col)
            raw = sheet.value(row, c)
            f = sheet.formulas.get((row, c))
            cell = Cell(key, sheet.name, f"{col}{row}", raw)
            if f is not None:
                cell.formula, cell.cached = f
            if f is not None and not cell.cached:
                cell.value = None
            else:
                cell.value, cell.parsed = parse_amount(raw)
                if isinstance(raw, str) and raw.startswith("#"):
                    cell.parsed = False
                cell.unknown = not cell.parsed
            ctx.cells[key] = cell


def _term_keys(ctx: Context, term) -> list[CellKey]:
    if isinstance(term, CellKey):
        return [term] if term in ctx.cells else []
    return [k for k in ctx.layout.lookup_keys(term) if k in ctx.cells]


def _value(ctx: Context, key: CellKey, stack=()) -> Decimal:
    cell = ctx.cells.get(key)
    if cell is None:
        return Decimal(0)
    if cell.formula is not None and not cell.cached and not cell.computed:
        _compute(ctx, cell, stack)
    return cell.value if (cell.value is not None and cell.parsed) else Decimal(0)


def _compute(ctx: Context, cell: Cell, stack) -> None:
    inst = ctx.layout.definitions.get(cell.key)
    cell.computed = True
    if inst is None or cell.key in stack:
        simple = _simple_formula(cell.formula)
        cell.value = simple
        if simple is None:
            _add(ctx, "V-05", cell.key, f"公式“={cell.formula}”没有保存计算结果，也不是表样中的公式，无法取值。"
                                        "请在 Excel/WPS 中打开、重新计算并保存后再检查。")
        return
    total = Decimal(0)
    for sign, term in inst.rhs:
        for k in _term_keys(ctx, term):
            total += sign * _value(ctx, k, stack + (cell.key,))
            if ctx.cells[k].unknown:
                cell.unknown = True
    cell.value = total


def _simple_formula(text: str | None) -> Decimal | None:
    """The value of a formula made of numbers and + − only (``=12.5+3``), else None."""
    import re

    if not text or not re.fullmatch(r"[\d.+\-\s]+", text):
        return None
    try:
        total, sign, num = Decimal(0), 1, ""
        for ch in text.replace(" ", "") + "+":
            if ch in "+-":
                if num:
                    total += sign * Decimal(num)
                    num = ""
                sign = 1 if ch == "+" else -1
            else:
                num += ch
        return total
    except Exception:
        return None


def _computed_values(ctx: Context) -> None:
    """Compute formulas without a cached result; compare cached results with the model (V-03)."""
    for cell in list(ctx.cells.values()):
        if cell.formula is not None and not cell.cached and not cell.computed:
            _compute(ctx, cell, ())
    ctx.unknown = {k for k, c in ctx.cells.items() if c.unknown}
    for cell in ctx.cells.values():
        if cell.formula is None or not cell.cached or not cell.parsed or cell.value is None:
            continue
        inst = ctx.layout.definitions.get(cell.key)
        if inst is None:
            continue
        model = sum((sign * _value(ctx, k) for sign, t in inst.rhs for k in _term_keys(ctx, t)), Decimal(0))
        shown = cell.value
        if model.quantize(CENT) != shown.quantize(CENT):
            _add(ctx, "V-03", cell.key,
                 f"单元格显示 {money(shown)}，但按表样公式计算应为 {money(model)}。公式可能被改动或删除了引用，"
                 f"或工作簿未重新计算。",
                 expected=model, actual=shown, difference=shown - model, kind="mismatch")


# --------------------------------------------------------------------------------------------------
# Findings helpers


def _describe(ctx: Context, key: CellKey) -> tuple[str, str]:
    """(code, name) of the row of a cell, for findings."""
    tl = ctx.layout.table(key.table)
    spec = tl.spec
    if spec.kind == "coded":
        row = tl.rows[key.row]
        return (row.code, row.name) if key.row else ("", "合计")
    if spec.kind == "paired":
        return f"行次{key.row}", tl.line_label(key.row)
    if spec.kind == "economic":
        return (key.row, tl.econ_names.get(key.row, "")) if key.row in tl.econ_pos else ("", key.row)
    return f"栏次{key.col}", _single_label(spec, key.col)


def _single_label(spec, col: int) -> str:
    letters = spec.columns[col]
    idx = column_index_from_string(letters) - 1
    parts = []
    for r in sorted(spec.header_rows)[:-1]:
        row = spec.header_rows[r]
        # the nearest non-empty header text at or left of this column within its merge
        text = row[idx] if idx < len(row) else ""
        if not text:
            for j in range(idx, -1, -1):
                if j < len(row) and row[j]:
                    merged = any(_in_merge(m, r, idx, j) for m in spec.header_merges)
                    text = row[j] if merged else ""
                    break
        if text:
            parts.append(str(text))
    return "·".join(parts)


def _in_merge(rng: str, row: int, col_idx: int, start_idx: int) -> bool:
    from openpyxl.utils import range_boundaries

    c1, r1, c2, r2 = range_boundaries(rng)
    return r1 <= row <= r2 and c1 - 1 == start_idx and c1 - 1 <= col_idx <= c2 - 1


def _add(ctx: Context, rule_id: str, key: CellKey | None, message: str, severity: str | None = None,
         sheet: str = "", cell: str = "", table: str = "", **extra) -> Finding:
    rule = ctx.profile.rule(rule_id)
    sev = severity or SEVERITY_OF[rule.severity]
    if key is not None:
        c = ctx.cells.get(key)
        spec = ctx.profile.table(key.table)
        table = spec.number
        if c is not None:
            sheet, cell = c.sheet, c.a1
        else:
            sheet = ctx.layout.sheet(key)
            try:
                cell = ctx.layout.a1(key, with_sheet=False)
            except KeyError:
                cell = ""
        code, name = _describe(ctx, key)
        extra.setdefault("code", code)
        extra.setdefault("name", name)
    f = Finding(rule=rule_id, severity=sev, message=message, sheet=sheet, cell=cell, table=table, **extra)
    ctx.findings.append(f)
    return f


# --------------------------------------------------------------------------------------------------
# pandera schemas


def _frames(ctx: Context, doc: int) -> dict[str, tuple[list[tuple], list]]:
    """The rows of each pandera frame for one workbook, and what each row stands for."""
    layout = ctx.layout
    code_rows, code_where = [], []
    for tid, tl in layout.tables.items():
        if tl.spec.kind != "coded" or tid not in ctx.located.sheets:
            continue
        for i, row in enumerate(tl.rows):
            if i:
                code_rows.append((f"{doc}:{tid}", row.code, row.name))
                code_where.append((tid, i))
    econ_rows, econ_where = [], []
    tl6 = next((t for t in layout.tables.values() if t.spec.kind == "economic"), None)
    if tl6 is not None and tl6.spec.id in ctx.located.sheets:
        for code in tl6.econ_codes:
            econ_rows.append((f"{doc}:{tl6.spec.id}", code, tl6.econ_names[code]))
            econ_where.append(code)
    amounts, amount_where = [], []
    for k, c in ctx.cells.items():
        if c.formula is not None and not c.cached:
            continue  # computed here from the model: nothing typed to check
        amounts.append((f"{doc}:{k.table}", c.value if c.parsed else None, c.parsed))
        amount_where.append(k)
    return {"code_rows": (code_rows, code_where), "econ_rows": (econ_rows, econ_where),
            "amounts": (amounts, amount_where)}


FRAME_COLUMNS = {"code_rows": ["table", "code", "name"], "econ_rows": ["table", "code", "name"],
                 "amounts": ["table", "value", "parsed"]}


def _schema_checks(ctxs: list[Context]) -> None:
    """Run the pandera schemas once over the rows of all ``ctxs`` (one workbook or a batch)."""
    import pandas as pd

    from juesuan.validate import frames as pschemas

    if not ctxs:
        return
    schemas = _schemas(ctxs[0])
    refs = {r.check: r for r in pschemas.check_refs(ctxs[0].profile)}
    per_doc = [_frames(ctx, i) for i, ctx in enumerate(ctxs)]
    for frame, columns in FRAME_COLUMNS.items():
        rows, where = [], []
        for i, frames in enumerate(per_doc):
            r, w = frames[frame]
            rows.extend(r)
            where.extend((i, x) for x in w)
        df = pd.DataFrame.from_records(rows, columns=columns).astype(object)
        for check, idx in pschemas.failures(schemas[frame], df):
            doc, payload = where[idx]
            _schema_finding(ctxs[doc], frame, check, payload, refs)


def _schema_finding(ctx: Context, frame: str, check: str, payload, refs) -> None:
    layout = ctx.layout
    if frame == "code_rows":
        tid, i = payload
        tl = layout.table(tid)
        row = tl.rows[i]
        msg_sev = _code_message(ctx, check, tl, row, getattr(ctx.catalog, "official", False))
        if msg_sev is None:
            return
        msg, sev = msg_sev
        _add(ctx, refs[check].rule_for(tid), None, msg, severity=sev, sheet=ctx.located.sheets[tid].name,
             cell=f"{tl.code_col}{tl.row_of[i]}", table=tl.spec.number, code=row.code, name=row.name, kind="format")
    elif frame == "econ_rows":
        code = payload
        tl6 = next(t for t in layout.tables.values() if t.spec.kind == "economic")
        row, ccol, ncol, _ = tl6.econ_pos[code]
        if check == "econ_known":
            msg, cell = f"经济分类科目 {code} 不在本表的固定科目中。", f"{ccol}{row}"
        else:
            official_name = ctx.catalog.economic_name(code)
            msg, cell = f"科目名称“{tl6.econ_names[code]}”与分类科目“{official_name}”不一致。", f"{ncol}{row}"
        _add(ctx, refs[check].rule_for(tl6.spec.id), None, msg, sheet=ctx.located.sheets[tl6.spec.id].name, cell=cell,
             table=tl6.spec.number, code=code, name=tl6.econ_names[code], kind="format")
    else:
        key = payload
        cell = ctx.cells[key]
        rule = refs[check].rule_for(key.table)
        if check == "amount_parsed":
            shown = str(cell.raw)
            msg = (f"公式出错（{shown}）。" if shown.startswith("#") else
                   f"“{shown}”不是金额：请填写数字（单位：万元），不要写文字、单位或符号。")
            _add(ctx, rule, key, msg, kind="format")
        elif check == "two_decimals":
            _add(ctx, rule, key, f"金额 {cell.value} 超过两位小数（单位万元，应保留两位小数）。", actual=cell.value,
                 kind="format")
        else:
            _add(ctx, rule, key, f"金额为负数（{money(cell.value)}）。", actual=cell.value, kind="format")


_SCHEMA_CACHE: dict = {}


def _schemas(ctx: Context):
    from juesuan.validate import frames as pschemas

    key = (id(ctx.profile), id(ctx.catalog))
    if key not in _SCHEMA_CACHE:
        _SCHEMA_CACHE.clear()
        _SCHEMA_CACHE[key] = pschemas.build_schemas(ctx.profile, pschemas.Context(ctx.catalog, ctx.profile))
    return _SCHEMA_CACHE[key]


def _code_message(ctx, check, tl, row, official) -> tuple[str, str] | None:
    code, name = row.code, row.name
    if check == "code_format":
        if not code:
            return "科目代码为空。", "error"
        return (f"科目代码“{code}”不是 3/5/7 位数字（类 3 位、款 5 位、项 7 位）"
                + ("，可能被截短了" if code.isdigit() and len(code) in (4, 6) else "") + "。", "error")
    if check == "known_code":
        if official:
            return f"科目代码 {code} 不在导入的官方分类科目（{ctx.catalog.source}）中。", "error"
        return f"科目代码 {code} 不在内置分类科目中（内置分类科目不全，请核对；导入官方分类科目后此项为错误）。", "warning"
    if check == "catalog_name":
        entry = ctx.catalog.functional.get(code)
        sev = "warning" if official or entry.confidence == "corroborated" else "info"
        return f"科目名称“{name}”与分类科目中的“{entry.name}”不一致。", sev
    if check == "unique_code":
        return f"科目代码 {code} 在本表中重复出现。", "error"
    if check == "has_parent":
        level = "款" if len(code) == 7 else "类"
        return f"{code} 缺少所属的{level}行 {code[:len(code) - 2]}。", "error"
    if check == "code_order":
        return f"科目代码 {code} 未按代码升序排列。", "error"
    return None


# --------------------------------------------------------------------------------------------------
# Relations


def _leafcount(ctx: Context, terms) -> int:
    """Σ over terms of the number of non-zero input cells each one sums (at least 1 a term)."""
    total = 0
    memo = ctx.leaves_memo
    for _, key in terms:
        nz = memo.get(key)
        if nz is None:
            nz = memo[key] = sum(1 for k in ctx.layout.leaves(key) if k in ctx.cells and _value(ctx, k) != 0)
        total += max(1, nz)
    return total


def _judge(ctx: Context, rule, inst, lhs_terms, rhs_terms, op="=") -> Violation | None:
    if ctx.unknown and any(k in ctx.unknown for _, k in list(lhs_terms) + list(rhs_terms)):
        return None  # an unreadable cell is reported once, as V-01; what depends on it cannot be judged
    lhs = sum((s * _value(ctx, k) for s, k in lhs_terms), Decimal(0))
    rhs = sum((s * _value(ctx, k) for s, k in rhs_terms), Decimal(0))
    diff = lhs - rhs
    if op == "<=" and diff <= 0:
        return None
    if op == "=" and diff == 0:
        return None
    n = max(_leafcount(ctx, lhs_terms), _leafcount(ctx, rhs_terms))
    tol = envelope(n)
    verdict = classify(diff, n)
    if verdict == OK:
        return None
    terms = list(lhs_terms) + [(-s, k) for s, k in rhs_terms]
    return Violation(rule, inst, terms, lhs, rhs, diff, tol, n, verdict)


def _expand(ctx: Context, side) -> list[tuple[int, CellKey]] | None:
    out = []
    for sign, term in side:
        if isinstance(term, CellKey):
            if term not in ctx.cells:
                return None  # a cell the workbook lacks: the relation cannot be judged
            out.append((sign, term))
        else:
            if term.table not in ctx.located.sheets:
                return None
            out.extend((sign, k) for k in _term_keys(ctx, term))
    return out


def _relations(ctx: Context) -> list[Violation]:
    out = []
    for inst in ctx.layout.instances:
        lhs, rhs = _expand(ctx, inst.lhs), _expand(ctx, inst.rhs)
        if lhs is None or rhs is None or (not lhs and not rhs):
            continue
        ctx.expanded.append((inst, lhs, rhs))
        v = _judge(ctx, inst.rule, inst, lhs, rhs, inst.op)
        if v:
            out.append(v)
    return out


def x10a_pairs(profile: Profile) -> list[tuple[str, str, tuple[int, ...]]]:
    """The tables X-10a compares code by code, with their 栏次 (from the model)."""
    return [(a, b, tuple(cols)) for a, b, cols in profile.rule("X-10a").params.get("pairs", [])]


def x10a_cells(layout: WorkbookLayout, a: str, b: str, col: int) -> list[tuple[str, list[CellKey], list[CellKey]]]:
    """(code, cells of ``a``, cells of ``b``) for every well-formed code of either table."""
    ta, tb = layout.table(a), layout.table(b)
    codes = []
    for r in ta.rows[1:] + tb.rows[1:]:
        if r.code.isdigit() and len(r.code) in (3, 5, 7) and r.code not in codes:
            codes.append(r.code)
    return [(code, layout.lookup_keys(Lookup(a, code, col)), layout.lookup_keys(Lookup(b, code, col)))
            for code in codes]


def _only_general_funds(ctx: Context) -> list[Violation]:
    """X-10a: with only 一般公共预算 money and no balances, 05 ≡ 03 and 02 栏1 ≡ 03 栏1, code by code."""
    layout = ctx.layout
    rule = ctx.profile.rule("X-10a")
    t01 = layout.table("gk01")
    if "gk01" not in ctx.located.sheets:
        return []
    others = [CellKey("gk01", n, t01.spec.side_of(n).default_col) for n in rule.params.get("when_zero", [])]
    if any(_value(ctx, k) != 0 for k in others if k in ctx.cells):
        return []
    out = []
    for a, b, cols in x10a_pairs(ctx.profile):
        if a not in ctx.located.sheets or b not in ctx.located.sheets:
            continue
        bad = {t: [r.code for r in layout.table(t).rows[1:] if not (r.code.isdigit() and len(r.code) in (3, 5, 7))]
               for t in (a, b)}
        for col in cols:
            for code, left, right in x10a_cells(layout, a, b, col):
                # A code missing on one side where that side has a cut or malformed code covering it is
                # already reported there (R02-4): one root cause, one report.
                if any(not keys and any(code.startswith(x) for x in bad[t] if x) for t, keys in ((a, left), (b, right))):
                    continue
                la = [k for k in left if k in ctx.cells]
                lb = [k for k in right if k in ctx.cells]
                v = _judge(ctx, rule, None, [(1, k) for k in la], [(1, k) for k in lb])
                if v:
                    if not la or not lb:
                        v.message = f"科目 {code} 只出现在{ctx.profile.table(b if not la else a).number}中。"
                    out.append(v)
    return out


# --------------------------------------------------------------------------------------------------
# Built-in checks


def _builtin_checks(ctx: Context) -> None:
    layout = ctx.layout
    for spec in ctx.located.missing:
        _add(ctx, "S-01", None, f"工作簿中找不到{spec.number}（{spec.title}）。九张表都须公开，没有数据的表也要保留表样并加说明。",
             table=spec.number, kind="missing")
    for tid, a1, msg in ctx.located.problems:
        spec = ctx.profile.table(tid)
        _add(ctx, "S-02", None, msg, sheet=ctx.located.sheets[tid].name, cell=a1, table=spec.number, kind="structure")
    for tid, tl in layout.tables.items():
        if tid not in ctx.located.sheets:
            continue
        spec = tl.spec
        if spec.kind == "paired":
            for line in spec.blank_lines:
                for col in spec.side_of(line).values:
                    c = ctx.cells.get(CellKey(tid, line, col))
                    if c is not None and c.raw is not None:
                        rule = "R01-6" if tid == "gk01" else "R04-9"
                        _add(ctx, rule, c.key, f"行次 {line} 是空行，不应填写金额（现为“{c.raw}”）。", actual=c.value,
                             kind="structure")
        if spec.kind == "coded" and tid in ("gk02", "gk03", "gk05"):
            zero = [i for i in range(1, len(tl.rows))
                    if all(_value(ctx, k) == 0 for k in (CellKey(tid, i, c) for c in spec.columns) if k in ctx.cells)]
            if zero and len(zero) == len(tl.rows) - 1:
                _add(ctx, "R02-5", None, f"{spec.number}的科目行全部为 0 或空白：尚未填写，或不涉及的科目不应列出。",
                     sheet=ctx.located.sheets[tid].name, table=spec.number, kind="structure")
            else:
                codes = {tl.rows[i].code for i in zero}
                for i in zero:
                    row = tl.rows[i]
                    # a 类/款 row is zero because its children are: report the children only
                    if any(c != row.code and c.startswith(row.code) for c in codes):
                        continue
                    _add(ctx, "R02-5", CellKey(tid, i, min(spec.columns)),
                         f"科目 {row.code} {row.name} 各栏均为 0 或空白：不涉及的科目不列。", kind="structure")
        _blank_zero_mix(ctx, tl)
    for line in (28, 58):
        k = CellKey("gk01", line, 1 if line == 28 else 2)
        if k in ctx.cells and _value(ctx, k) != 0:
            _add(ctx, "R01-7", k, f"{layout.table('gk01').line_label(line)}为 {money(_value(ctx, k))}：行政单位通常为 0，"
                                  "非零须有事业单位收支背景并说明。", actual=_value(ctx, k))
    _empty_fund_tables(ctx)


def _blank_zero_mix(ctx: Context, tl) -> None:
    tid = tl.spec.id
    blanks, zeros = [], 0
    structural = ctx.layout.blanks
    for key in tl.value_keys():
        c = ctx.cells.get(key)
        if c is None or key in structural or c.formula is not None:
            continue
        if c.value is None and c.parsed:  # empty, or a dash
            blanks.append(key)
        elif c.value == 0 and c.parsed:
            zeros += 1
    if blanks and zeros and not tl.is_empty:
        first = blanks[0]
        _add(ctx, "V-04", first, f"本表有 {len(blanks)} 个金额单元格空白，另有 {zeros} 个填 0：建议统一填 0（空白按 0 计算）。",
             kind="format")


def _empty_fund_tables(ctx: Context) -> None:
    layout = ctx.layout
    if "gk04" not in ctx.located.sheets:
        return
    for tid, income, balance, col in (("gk07", 2, 30, 4), ("gk08", 3, 31, 5)):
        if tid not in ctx.located.sheets:
            continue
        tl = layout.table(tid)
        spec = tl.spec
        fund = [CellKey("gk04", income, 1), CellKey("gk04", balance, 1)] + \
               [CellKey("gk04", line, col) for line in range(33, 61)]
        has_money = any(_value(ctx, k) != 0 for k in fund if k in ctx.cells)
        sheet = ctx.located.sheets[tid]
        note = any(str(sheet.value(r, c) or "").strip().startswith("说明")
                   for r in range(1, sheet.max_row + 1) for c in range(1, 3))
        if tl.is_empty and has_money:
            _add(ctx, "X-09", None, f"公开04表有{'政府性基金' if tid == 'gk07' else '国有资本经营'}预算财政拨款，但{spec.number}没有数据。",
                 sheet=sheet.name, table=spec.number, kind="structure")
        elif tl.is_empty and not note:
            _add(ctx, "X-09", None, f"{spec.number}没有数据，须在表下加“说明：……故本表无数据。”",
                 sheet=sheet.name, table=spec.number, kind="structure")


# --------------------------------------------------------------------------------------------------
# Shifts: a block of values pasted one row off


def _shifts(ctx: Context, violations: list[Violation]) -> list[Violation]:
    from juesuan.validate.shift import find_shifts

    return find_shifts(ctx, violations)


# --------------------------------------------------------------------------------------------------
# Grouping: one finding per root cause


def _cell_rank(ctx: Context, key: CellKey) -> tuple:
    order = [t.id for t in ctx.profile.tables]
    cell = ctx.cells.get(key)
    a1 = cell.a1 if cell else ""
    letters = a1.rstrip("0123456789")
    return order.index(key.table), int(a1[len(letters):] or 0), len(letters), letters


def _group(ctx: Context, violations: list[Violation]) -> None:
    # A tail is a hint about one relation: shown at the relation's total (its left-hand cell).
    for v in violations:
        if v.verdict == TAIL:
            key = (v.inst.target if v.inst is not None and v.inst.target is not None
                   else min(v.keys, key=lambda k: _cell_rank(ctx, k)))
            _finding_for(ctx, key, [v], TAIL)
    # Mismatches: the cell that breaks the most relations is reported once, listing them all.
    remaining = [v for v in violations if v.verdict == MISMATCH]
    while remaining:
        counts = Counter(k for v in remaining for k in v.keys)
        best = max(counts.values())
        targets = {v.inst.target for v in remaining if v.inst is not None and v.inst.target is not None}
        cands = [k for k, n in counts.items() if n == best]
        key = min(cands, key=lambda k: (k not in targets, _cell_rank(ctx, k)))
        group = [v for v in remaining if key in v.keys]
        remaining = [v for v in remaining if key not in v.keys]
        _finding_for(ctx, key, group, MISMATCH)


def _finding_for(ctx: Context, key: CellKey, group: list[Violation], verdict: str) -> None:
    sev_rank = {"E": 0, "W": 1, "I": 2}
    group.sort(key=lambda v: (sev_rank[v.rule.severity], v.inst is None or v.inst.target != key, v.rule.id))
    main = group[0]
    coef = sum(s for s, k in main.terms if k == key) or 1
    actual = _value(ctx, key)
    expected = actual - main.diff / coef
    what = main.message or main.rule.text
    where = f"（{main.inst.where}）" if main.inst is not None and main.inst.where else ""
    if verdict == TAIL:
        severity = "info"
        msg = (f"{what}{where}：左边 {money(main.lhs)}，右边 {money(main.rhs)}，差 {money(main.diff)}，"
               f"在四舍五入容差 {money(main.tol)} 之内（{main.n} 个数各有 ±0.005 的舍入），属尾差。")
    else:
        severity = SEVERITY_OF[main.rule.severity]
        if main.inst is not None and main.inst.op == "<=":
            msg = f"{what}{where}：{money(main.lhs)} 大于 {money(main.rhs)}，超出 {money(main.diff)}（容差 {money(main.tol)}）。"
        else:
            msg = (f"{what}{where}：左边 {money(main.lhs)}，右边 {money(main.rhs)}，差 {money(main.diff)}，"
                   f"超出四舍五入容差 {money(main.tol)}（{main.n} 个数各有 ±0.005 的舍入）。")
    others = []
    for v in group[1:]:
        tag = v.rule.id + (f"（{v.inst.where}）" if v.inst is not None and v.inst.where else "")
        if tag not in others and tag != main.rule.id + where:
            others.append(tag)
    _add(ctx, main.rule.id, key, msg, severity=severity, expected=expected, actual=actual,
         difference=actual - expected, tolerance=main.tol, relations=others, kind=verdict)


def _merge_same_cell(findings: list[Finding]) -> list[Finding]:
    """One cell, one finding per severity: later findings at the same cell join the first's relations."""
    out: list[Finding] = []
    seen: dict[tuple, Finding] = {}
    for f in findings:
        k = (f.sheet, f.cell, f.severity) if f.cell else None
        if k and k in seen:
            first = seen[k]
            tag = f.rule
            if tag != first.rule and tag not in first.relations:
                first.relations.append(tag)
            first.relations.extend(r for r in f.relations if r not in first.relations and r != first.rule)
            continue
        if k:
            seen[k] = f
        out.append(f)
    return out
