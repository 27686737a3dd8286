"""Making a finding: the rule, the template of its message and the parameters, at a cell or a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from juesuan.layout.keys import CellKey
from juesuan.model.checks import template_id
from juesuan.model.profile import Rule
from juesuan.validate.report import SEVERITY_OF, Finding

if TYPE_CHECKING:  # pragma: no cover
    from juesuan.validate.context import Context


def add(ctx: "Context", rule: Rule, key: CellKey | None, template: str, params: dict | None = None,
        severity: str | None = None, sheet: str = "", cell: str = "", table: str = "", **extra) -> Finding:
    """Record a finding of ``rule``. ``template`` is a message of the rule's check (``"nonzero"``) or a
    full template id (``"frame_checks.code_format.cut"``, ``"relation.mismatch"``); a message the check
    catalogue does not declare is a ModelError. At a cell (``key``) the finding gets its sheet, A1
    address, table and the row's code and name."""
    if "." not in template:
        template = template_id(rule.check, template)
    sev = severity or SEVERITY_OF[rule.severity]
    if key is not None:
        c = ctx.cells.get(key)
        table = ctx.profile.table(key.table).number
        if c is not None:
            sheet, cell = c.sheet, c.a1
        else:
            sheet = ctx.layout.sheet(key)
            try:
                cell = ctx.layout.a1(key, with_sheet=False)
            except KeyError:
                cell = ""
        code, name = ctx.layout.table(key.table).describe(key)
        extra.setdefault("code", code)
        extra.setdefault("name", name)
    f = Finding(rule=rule.id, severity=sev, template=template, params=dict(params or {}), sheet=sheet, cell=cell,
                table=table, **extra)
    ctx.findings.append(f)
    return f
