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
from juesuan.model.checks import note
from juesuan.model.profile import Profile, load_profile
from juesuan.read.locate import locate
from juesuan.read.xlsx import read_workbook
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
    no cached result). The first half of :func:`check`; useful on its own to inspect a workbook."""
    path = Path(path)
    profile = profile or load_profile()
    wb = read_workbook(path)
    probe = locate(wb, profile, catalog or active_catalog(2024))
    if len(probe.missing) == len(profile.tables):
        raise InputError(f"「{path}」中找不到任何公开表（公开01表–公开09表）：请确认这是部门决算公开工作簿。")
    catalog = catalog or active_catalog(probe.layout.year or 2024)
    located = probe if probe.layout.catalog is catalog else locate(wb, profile, catalog)
    ctx = Context(path, profile, catalog, located, read_notes=list(wb.notes))
    read_cells(ctx)
    computed_values(ctx)
    return ctx


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
    report.rule_status = rule_status
    report.notes.extend(ctx.read_notes)
    if any(c.computed for c in ctx.cells.values()):
        report.notes.append(note("computed"))
    return report.sort()
