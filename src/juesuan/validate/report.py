"""Findings and reports: the validator's results, as data.

A :class:`Finding` has a stable rule id (``R05-1``, ``X-06``), a severity (error 强制 / warning 提示 /
info 参考), the sheet and A1 cell (``公开05表!C12``), the row's code and name, expected, actual,
difference, tolerance and a Chinese message. A :class:`Report` is what ``check()`` returns; the CLI
renders it as text or JSON and turns it into an exit code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

SEVERITY_OF = {"E": "error", "W": "warning", "I": "info"}
SEVERITY_CN = {"error": "强制", "warning": "提示", "info": "参考"}
SEVERITY_WORD = {"error": "错误", "warning": "警告", "info": "提示"}
ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Finding:
    rule: str
    severity: str  # error / warning / info
    message: str
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
    kind: str = ""  # mismatch / tail / shift / format / structure / missing

    @property
    def location(self) -> str:
        """``公开03表!E12`` (or the sheet alone, or the table 表号)."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.table

    @property
    def severity_cn(self) -> str:
        return SEVERITY_CN[self.severity]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("expected", "actual", "difference", "tolerance"):
            d[k] = None if d[k] is None else float(d[k])
        d["location"] = self.location
        d["severity_cn"] = self.severity_cn
        return d


@dataclass
class Report:
    file: str
    findings: list[Finding]
    department: str = ""
    year: int = 0
    tables: dict[str, str] = field(default_factory=dict)  # 表号 → sheet name
    catalog: str = ""
    notes: list[str] = field(default_factory=list)
    rule_status: dict[str, str] = field(default_factory=dict)  # relation rule → 通过 / 尾差 / 不符

    def sort(self) -> "Report":
        self.findings.sort(key=lambda f: (f.table, ORDER[f.severity], _cell_order(f.cell), f.rule))
        return self

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

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
            "counts": {s: self.count(s) for s in ("error", "warning", "info")},
            "tables": self.tables,
            "catalog": self.catalog,
            "notes": self.notes,
            "rule_status": self.rule_status,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def flat(self) -> list[list[str]]:
        """``[[location, rule, severity], …]``: what tests assert on."""
        return [[f.location, f.rule, f.severity] for f in self.findings]


def _cell_order(cell: str) -> tuple[int, str]:
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters):]
    return (int(digits) if digits else 0, letters)


