"""Validate a filled workbook against every rule of the table model.

``check(path)`` reads the workbook (:mod:`juesuan.read.xlsx`), finds its tables
(:mod:`juesuan.read.locate`), takes each cell's value — computing in Python the formulas that have
no cached result (:mod:`.values`) — and then runs the pandera schemas (:mod:`.frames`), every
relation instance of every rule (:mod:`.relations`, judged by :mod:`juesuan.util.rounding`), the
built-in checks (:mod:`.builtin`) and the shift search (:mod:`.shift`), and groups what broke into one
finding per root cause (:mod:`.grouping`). It returns a :class:`~juesuan.validate.report.Report`; it
never raises for a bad workbook except when the file cannot be used at all
(:class:`~juesuan.errors.InputError`).
"""

from __future__ import annotations

from pathlib import Path

from juesuan.catalog import Catalog, active_catalog
from juesuan.errors import InputError, JuesuanError
from juesuan.model.checks import note, render, template_id
from juesuan.model.profile import DEFAULT_PROFILE, Profile, load_profile, profile_names
from juesuan.read.locate import locate
from juesuan.read.xlsx import read_workbook
from juesuan.util import a1
from juesuan.util.rounding import MISMATCH
from juesuan.validate import frames
from juesuan.validate.builtin import run_builtins
from juesuan.validate.context import Context
from juesuan.validate.grouping import group, merge_same_cell
from juesuan.validate.relations import evaluate, relation_difference, relation_envelope
from juesuan.validate.report import Report
from juesuan.validate.shift import find_shifts
from juesuan.validate.values import computed_values, read_cells

__all__ = ["check", "check_many", "load", "relation_difference", "relation_envelope"]


def load(path: str | Path, profile: Profile | None = None, catalog: Catalog | None = None) -> Context:
    """Read a workbook, find its tables and take every cell's value (computing formulas that have
    no cached result). The first half of :func:`check`; useful on its own to inspect a workbook.

    Without ``profile``, every shipped profile is tried and the one that reads the most tables wins
    (ties: the national one)."""
    path = Path(path)
    wb = read_source(path)
    probe = _best_reading(wb, [profile] if profile else _profiles(), catalog)
    profile = probe.layout.profile
    if not probe.sheets:
        raise InputError(_not_found_message(path, wb, profile))
    if not probe.readable:
        raise InputError(_unreadable_message(path, probe))
    catalog = catalog or active_catalog(probe.layout.year or 2024)
    located = probe if probe.layout.catalog is catalog else locate(wb, profile, catalog)
    ctx = Context(path, profile, catalog, located, read_notes=list(wb.notes), sheet_names=wb.sheet_names)
    read_cells(ctx)
    computed_values(ctx)
    return ctx


def read_source(path: Path):
    """The cell grids of a workbook, or of a PDF disclosure's tables (:mod:`juesuan.read.pdf`)."""
    if path.suffix.lower() == ".pdf":
        from juesuan.read.pdf import read_pdf

        return read_pdf(path)
    return read_workbook(path)


def _profiles():
    """The shipped profiles, the national one first, each loaded only when it is tried."""
    yield load_profile(DEFAULT_PROFILE)
    for name in profile_names():
        if name != DEFAULT_PROFILE:
            yield load_profile(name)


def _best_reading(wb, profiles, catalog: Catalog | None):
    best = None
    for p in profiles:
        located = locate(wb, p, catalog or active_catalog(2024))
        if best is None or located.score() > best.score():
            best = located
        if len(located.readable) == len(p.tables) and not located.problems:
            break  # every table read cleanly: no other profile can do better
    return best


def _not_found_message(path: Path, wb, profile: Profile) -> str:
    if path.suffix.lower() == ".pdf":
        found = f"其中的 {len(wb.sheets)} 个表格" if wb.sheets else "文字"
        return (f"「{path}」中找不到任何公开表：在{found}中按表号（公开01表…）和表名（{profile.tables[0].title}…）查找，"
                "都没有找到。请确认这是部门决算公开的 PDF（扫描件须先做文字识别：juesuan 不做 OCR）。")
    sheets = "、".join(f"「{s.name}」" for s in wb.sheets[:12]) + ("等" if len(wb.sheets) > 12 else "")
    titles = "、".join(t.title for t in profile.tables[:3])
    return (f"「{path}」中找不到任何公开表：在工作表 {sheets or '（无）'} 中按表号（公开01表…）、表名（{titles}…）"
            f"和工作表名查找，都没有找到。请确认这是部门决算公开工作簿；若表名与通用格式不同，可用 --profile 指定表样。")


def _unreadable_message(path: Path, located) -> str:
    parts = []
    for tid, reading in located.readings.items():
        probs = [render(template_id("table_structure", p.message), dict(p.params, table=reading.table))
                 for p in located.problems if p.table == tid]
        where = f"PDF {reading.sheet}" if path.suffix.lower() == ".pdf" else f"工作表「{reading.sheet}」"
        parts.append(f"{reading.table}（{where}，{reading.found_by}）：{'；'.join(probs) or '读不出'}")
    return (f"「{path}」中找到了表，但一张也读不出，无法检查：" + "；".join(parts)
            + "。请检查表头（科目代码、科目名称、各栏名称或栏次）是否完整。")


def check(path: str | Path, profile: Profile | None = None, catalog: Catalog | None = None) -> Report:
    """Check one workbook; returns a :class:`Report`. Raises InputError only for an unusable file."""
    ctx = load(path, profile, catalog)
    frames.schema_checks([ctx])
    return _finish(ctx)


def check_many(paths, profile: Profile | None = None) -> list:
    """Check several workbooks, the pandera schemas running once over all of them.

    Returns, per path, a :class:`Report` or the :class:`~juesuan.errors.JuesuanError` that made the
    file unusable.
    """
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
    for members in groups.values():
        frames.schema_checks(members)
    return [_finish(c) if isinstance(c, Context) else c for c in loaded]


def _rule_status(ctx: Context, violations) -> dict[str, str]:
    """Each relation rule → 通过 / 尾差 / 不符 (不适用 when its condition did not hold)."""
    status = {r.id: ("不适用" if r.id in ctx.skipped and r.id not in ctx.judged else "通过")
              for r in ctx.profile.rules if r.relations}
    for v in list(violations) + ctx.explained:
        word = "不符" if v.verdict == MISMATCH else "尾差"
        if status.get(v.rule.id) != "不符":
            status[v.rule.id] = word
    return status


def _finish(ctx: Context) -> Report:
    violations = evaluate(ctx)
    rule_status = _rule_status(ctx, violations)
    run_builtins(ctx)
    violations = find_shifts(ctx, violations)
    group(ctx, violations)
    located, profile = ctx.located, ctx.profile
    report = Report(str(ctx.path), merge_same_cell(ctx.findings), located.department, located.layout.year,
                    {profile.table(tid).number: s.name for tid, s in located.sheets.items()},
                    ctx.catalog.source)
    report.profile = {"id": profile.id, "name": profile.name}
    report.source_sheets = ctx.sheet_names
    report.reading = [located.readings[t.id].as_dict() for t in profile.tables if t.id in located.readings]
    _pages(ctx, report)
    report.not_evaluated = _not_evaluated(ctx)
    for rid in report.not_evaluated:
        rule_status[rid] = "未检查"
    report.rule_status = rule_status
    report.notes.extend(ctx.read_notes)
    report.notes.extend(_reading_notes(ctx, report))
    if any(c.computed for c in ctx.cells.values()):
        report.notes.append(note("computed"))
    return report.sort()


def _pages(ctx: Context, report: Report) -> None:
    """A PDF's tables: each finding gets the page its row is printed on, each reading its pages."""
    sheets = {s.name: s for s in ctx.located.sheets.values() if s.pages}
    if not sheets:
        return
    for f in report.findings:
        sheet = sheets.get(f.sheet)
        if sheet is None:
            continue
        row = a1.split(f.cell)[1] if f.cell else 0
        f.page = sheet.pages[row - 1] if 0 < row <= len(sheet.pages) else sheet.pages[0]
    for r in report.reading:
        sheet = sheets.get(r["sheet"])
        if sheet is not None:
            r["pages"] = sorted(set(sheet.pages))


def _not_evaluated(ctx: Context) -> dict[str, list[str]]:
    """Rule id → the 表号 of the tables it needs that are missing or could not be read."""
    lost = {spec.id for spec in ctx.located.missing} | ctx.located.unreadable
    out = {rid: set(tids) for rid, tids in ctx.not_evaluated.items()}
    for rule in ctx.profile.rules:
        need = ({ctx.profile.table(t).id for t in rule.tables} | {t for rel in rule.relations for t in ctx.profile.relation_tables(rel)}) & lost
        if need:
            out.setdefault(rule.id, set()).update(need)
    return {rid: [ctx.profile.table(t).number for t in sorted(tids)] for rid, tids in sorted(out.items())}


def _reading_notes(ctx: Context, report: Report) -> list[str]:
    notes = []
    if ctx.profile.id != DEFAULT_PROFILE:
        notes.append(note("profile", profile_name=ctx.profile.name, profile_id=ctx.profile.id))
    by_unit: dict[str, list[str]] = {}
    for reading in ctx.located.readings.values():
        if reading.unit and reading.unit != ctx.profile.unit and not reading.fatal:
            by_unit.setdefault(reading.unit, []).append(reading.table)
    for unit, tables in by_unit.items():
        notes.append(note("converted", tables="、".join(tables), unit=unit))
    if report.not_evaluated:
        notes.append(note("not_evaluated", rules="、".join(f"{r}（{'、'.join(t)}）"
                                                          for r, t in report.not_evaluated.items())))
    return notes
