"""Findings and reports: the validator's results, as data.

A :class:`Finding` has a stable rule id (``R05-1``, ``X-06``), a severity (error 错误 / warning 警告 /
info 提示), the sheet and A1 cell (``公开05表!C12``), the row's code and name, expected, actual,
difference, tolerance, and the template of its message with the parameters (``template``,
``params``); the Chinese text (``message``) is rendered from them when it is shown
(:func:`juesuan.model.checks.render`). A :class:`Report` is what ``check()`` returns; the CLI
renders it as text or JSON and turns it into an exit code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from juesuan.model.checks import note, render
from juesuan.util import a1

SEVERITY_OF = {"E": "error", "W": "warning", "I": "info"}
SEVERITY_WORD = {"error": "错误", "warning": "警告", "info": "提示"}  # the one vocabulary of severity
SEVERITY_CN = SEVERITY_WORD  # `severity_cn` in JSON: the same words (notes.severities explains 强制/提示)
ORDER = {"error": 0, "warning": 1, "info": 2}
LEVELS = tuple(ORDER)  # error, warning, info: most severe first


def severity_note() -> str:
    """The one sentence that explains the levels and the official 强制/提示 terms (notes.severities)."""
    return note("severities")


def counts_text(counts: dict[str, int], skip_zero: bool = False) -> str:
    """``3 个错误，1 个警告，12 个提示`` (with ``skip_zero``, only the severities that occur)."""
    return "，".join(f"{counts.get(s, 0)} 个{SEVERITY_WORD[s]}" for s in LEVELS if counts.get(s) or not skip_zero)


@dataclass
class Finding:
    rule: str
    severity: str  # error / warning / info
    template: str  # a message template id of the check catalogue
    params: dict = field(default_factory=dict)
    sheet: str = ""
    cell: str = ""  # A1 without the sheet, e.g. "E12"
    table: str = ""  # 公开03表
    code: str = ""
    name: str = ""
    expected: Decimal | None = None
    actual: Decimal | None = None
    difference: Decimal | None = None
    tolerance: Decimal | None = None
    relations: list[str] = field(default_factory=list)  # other rules the same cell breaks
    kind: str = ""  # mismatch / tail / shift / format / structure / missing / narrative
    section: str = ""  # a 情况说明 finding: the section (五（二）), paragraph, quoted sentence, number questioned
    paragraph: int = 0
    sentence: str = ""
    number: str = ""
    also: list[str] = field(default_factory=list)  # other cells of a relation between tables that could be the cause
    page: int = 0  # a table read from a PDF: the page the row is printed on (``cell`` is then only its place
    # in the grid read, never shown: the JSON gives it blank)

    @property
    def location(self) -> str:
        """``公开03表!E12`` (or the sheet alone, or the table 表号; ``情况说明 五（二） 第1段``; from a PDF
        ``公开03表 第4页``: the row's code and name say where on the page)."""
        if self.page:
            return f"{self.table or self.sheet} 第{self.page}页"
        if self.section:
            return f"{self.table} {self.section} 第{self.paragraph}段" if self.paragraph else f"{self.table} {self.section}"
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.table

    @property
    def severity_cn(self) -> str:
        return SEVERITY_CN[self.severity]

    @property
    def message(self) -> str:
        """The Chinese text of the finding, rendered from its template and parameters."""
        return render(self.template, self.params)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _FINDING_FIELDS}  # as dataclasses.asdict, without its deep copy
        d["relations"], d["also"] = list(self.relations), list(self.also)
        for k in ("expected", "actual", "difference", "tolerance"):
            d[k] = None if d[k] is None else float(d[k])
        d["params"] = _plain(self.params)
        d["message"] = self.message
        d["location"] = self.location
        d["severity_cn"] = self.severity_cn
        if self.page:  # a PDF has no cell addresses: the page, the code and the name say where
            d["cell"] = ""
        return d


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


@dataclass
class Report:
    file: str
    findings: list[Finding]
    department: str = ""
    year: int = 0
    tables: dict[str, str] = field(default_factory=dict)  # 表号 → sheet name
    catalog: str = ""
    notes: list[str] = field(default_factory=list)
    rule_status: dict[str, str] = field(default_factory=dict)  # relation rule → 通过 / 尾差 / 不符 / 未检查
    profile: dict = field(default_factory=dict)  # {id, name} of the profile the workbook was read with
    reading: list = field(default_factory=list)  # per table: where and how it was read (Reading.as_dict)
    not_evaluated: dict = field(default_factory=dict)  # rule id → 表号 of the tables it needed but lacked
    narrative: list[Finding] | None = None  # the 情况说明's findings, when one was checked
    narrative_file: str = ""
    source_sheets: list[str] | None = None  # every sheet of the file (not in the JSON): is there a 情况说明 sheet?

    def sort(self) -> "Report":
        self.findings.sort(key=lambda f: (f.table, ORDER[f.severity], _cell_order(f.cell), f.rule))
        return self

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings + (self.narrative or []) if f.severity == severity)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in LEVELS}

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def valid(self) -> bool:
        return self.errors == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "department": self.department,
            "year": self.year,
            "valid": self.valid,
            "counts": self.counts,
            "tables": self.tables,
            "catalog": self.catalog,
            "notes": self.notes,
            "rule_status": self.rule_status,
            "profile": self.profile,
            "reading": self.reading,
            "not_evaluated": self.not_evaluated,
            "findings": [f.to_dict() for f in self.findings],
        } | ({} if self.narrative is None else {"narrative": {
            "file": self.narrative_file,
            "counts": {s: sum(1 for f in self.narrative if f.severity == s) for s in LEVELS},
            "findings": [f.to_dict() for f in self.narrative]}})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def flat(self) -> list[list[str]]:
        """``[[location, rule, severity], …]``: what tests assert on."""
        return [[f.location, f.rule, f.severity] for f in self.findings]


def _cell_order(cell: str) -> tuple[int, str]:
    letters, row = a1.split(cell)
    return row, letters


def _plain(value):
    """Parameters as JSON has them: Decimals as numbers."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


