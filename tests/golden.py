"""Golden outputs: the reports and generated workbooks that a change of structure must leave unchanged.

The corpus is built in Python only (no LibreOffice): the two samples, the fund department, the
README example, a 元 fill with 舍位平衡, and mutated copies of the careful sample and the fund
department — one per relation rule, plus text, decimals, negative, blank-line, shift, missing-table and
empty-table cases. ``python -m tests.golden --update`` rewrites ``tests/data/golden/``; the test
``tests/test_golden.py`` compares every report field by field and every workbook cell by cell.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"


def _samples():
    from juesuan.demo import sample_path

    return {"published": sample_path("published"), "careful": sample_path("careful"),
            "fund": ROOT / "tests" / "data" / "fund-department.yaml"}


def _edit(src: Path, out: Path, changes) -> Path:
    """The cells typed in (the checker never reads sheet protection: the copy keeps it)."""
    from .books import edit_cells

    return edit_cells(src, out, changes)


# (name, base, [(sheet, cell, value)]): typed-in values a careful accountant would not type
MUTATIONS = [
    ("r01-income-line", "careful", [("公开01表", "C7", 900.00)]),
    ("r01-blank-line", "careful", [("公开01表", "C16", 5.00)]),
    ("r01-balance-use", "careful", [("公开01表", "C34", 3.00)]),
    ("r02-code-cut", "careful", [("公开02表", "A10", "206039")]),
    ("r02-amount", "careful", [("公开02表", "D10", 181.00)]),
    ("r02-text", "careful", [("公开02表", "D10", "180元")]),
    ("r02-numeric-text", "careful", [("公开02表", "D10", "１８０．００")]),
    ("r02-decimals", "careful", [("公开02表", "D10", 180.001)]),
    ("r02-negative", "careful", [("公开02表", "D10", -180.00)]),
    ("r02-error-value", "careful", [("公开02表", "D10", "#REF!")]),
    ("r03-basic", "careful", [("公开03表", "D10", 1.00)]),
    ("r03-shift", "constants", "shift03"),
    ("constants-x10a", "constants", [("公开05表", "D10", 1.00)]),
    ("r04-expense", "careful", [("公开04表", "G14", 1.00)]),
    ("r04-balance", "careful", [("公开04表", "C35", 7.00)]),
    ("r05-project", "careful", [("公开05表", "E10", 4.00)]),
    ("r06-salary", "careful", [("公开06表", "C7", 99.00)]),
    ("r06-name", "careful", [("公开06表", "B7", "基本工资（改）")]),
    ("r09-total-typed", "careful", [("公开09表", "A8", 5.00)]),
    ("r09-actual-over-budget", "careful", [("公开09表", "L8", 9.00)]),
    ("x-07-empty-note", "careful", "no-07-note"),
    ("fund-07", "fund", [("公开07表", "G9", 44.00)]),
    ("fund-08", "fund", [("公开08表", "D9", 1.00)]),
    ("fund-04", "fund", [("公开04表", "H14", 3.00)]),
    ("missing-09", "careful", "drop-09"),
    ("renamed-sheets", "careful", "rename"),
]


def _sheet_values(src: Path, sheet: str) -> dict[str, object]:
    """A1 → value of every non-empty cell of ``sheet`` (read with python-calamine: no openpyxl load)."""
    from openpyxl.utils import get_column_letter
    from python_calamine import CalamineWorkbook

    cs = CalamineWorkbook.from_path(str(src)).get_sheet_by_name(sheet)
    r0, c0 = cs.start if cs.height else (0, 0)
    return {f"{get_column_letter(c0 + j + 1)}{r0 + i + 1}": v
            for i, row in enumerate(cs.to_python()) for j, v in enumerate(row) if v != ""}


def _special(kind: str, src: Path, out: Path) -> Path:
    if kind == "shift03":  # D17:D23 pasted one row down, D17 left empty
        values = _sheet_values(src, "公开03表")
        return _edit(src, out, [("公开03表", f"D{r + 1}", values.get(f"D{r}")) for r in range(23, 16, -1)]
                     + [("公开03表", "D17", None)])
    if kind == "no-07-note":  # the 说明 line under an empty 07 deleted
        values = _sheet_values(src, "公开07表")
        return _edit(src, out, [("公开07表", a1, None) for a1, v in values.items()
                                if isinstance(v, str) and v.startswith("说明")])
    wb = openpyxl.load_workbook(src)
    if kind == "drop-09":
        del wb["公开09表"]
    elif kind == "rename":
        for i, ws in enumerate(wb.worksheets):
            ws.title = f"Sheet{i + 1}"
        wb.move_sheet("Sheet5", offset=-3)
    wb.save(out)
    return out


def build_corpus(folder: Path) -> dict[str, Path]:
    """Every workbook of the corpus, written into ``folder``: name → path."""
    from juesuan.api import build_template, fill_workbook
    from juesuan.util.atomic import save_workbook

    from .conftest import readme_example

    out: dict[str, Path] = {}
    for name, path in _samples().items():
        _, wb = fill_workbook(path)
        out[name] = save_workbook(wb, folder / f"{name}.xlsx")
    readme = folder / "readme.yaml"
    readme.write_text(readme_example(), encoding="utf-8")
    _, wb = fill_workbook(readme)
    out["readme"] = save_workbook(wb, folder / "readme.xlsx")
    yuan = folder / "yuan.yaml"
    yuan.write_text(_yuan_data(), encoding="utf-8")
    _, wb = fill_workbook(yuan, unit="元")
    out["yuan-balanced"] = save_workbook(wb, folder / "yuan-balanced.xlsx")
    _, wb = fill_workbook(yuan, unit="元", balance=False)
    out["yuan-plain"] = save_workbook(wb, folder / "yuan-plain.xlsx")
    _, wb = build_template("某某局", 2024, codes=["2010101", "2010102", "2080505", "2210201"],
                           fund_codes=["2120801"], soe_codes=["2230105"], other_codes=["2130101"],
                           names={"22301": "解决历史遗留问题及改革成本支出", "2230105": "国有企业退休人员社会化管理补助支出"},
                           econ_extra={"30311"})
    out["template"] = save_workbook(wb, folder / "template.xlsx")
    out["constants"] = _constants(out["careful"], folder / "constants.xlsx")
    for name, base, changes in MUTATIONS:
        dst = folder / f"m-{name}.xlsx"
        if isinstance(changes, str):
            out[f"m-{name}"] = _special(changes, out[base], dst)
        else:
            out[f"m-{name}"] = _edit(out[base], dst, changes)
    return out


def _constants(src: Path, out: Path) -> Path:
    """``src`` with every formula of the nine tables replaced by the value juesuan computes for it."""
    from .books import constants_copy

    return constants_copy(src, out)


def _yuan_data() -> str:
    return """部门: 某某局
年度: 2024
公开01表: {1: 1234567.89, 29: 10000.40, 59: 20000.61}
公开02表:
  科目:
    - [2010101, null, null, 1000000.45, 0, 0, 0, 0, 0]
    - [2010102, null, null, 234567.44, 0, 0, 0, 0, 0]
公开03表:
  科目:
    - [2010101, null, null, 600000.15, 400000.30, 0, 0, 0]
    - [2010102, null, null, 200000.05, 24567.24, 0, 0, 0]
公开04表: {1: 1234567.89, 29: 10000.40, 60: [null, 20000.61, 0, 0]}
公开05表:
  科目:
    - [2010101, null, null, 600000.15, 400000.30]
    - [2010102, null, null, 200000.05, 24567.24]
公开06表: {30101: 500000.11, 30102: 100000.05, 30201: 200000.04}
公开09表: [null, 12345.67, null, 0, 0, 0, null, 10000.01, null, 0, 0, 0]
"""


# --------------------------------------------------------------------------------------------------
# What is compared


def report_dict(path: Path) -> dict:
    from juesuan.validate.engine import check

    d = check(path).to_dict()
    d["file"] = Path(d["file"]).name
    return d


def _color(c):
    if c is None:
        return None
    return c.rgb if c.type == "rgb" else f"{c.type}:{getattr(c, c.type)}"


def workbook_dump(path: Path) -> dict:
    """Every sheet's cells (value, format, fill, font, protection, alignment), merges, validations,
    conditional formats and print settings: what 'cell by cell equal' means."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "props": [wb.properties.title, wb.properties.keywords]}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells[c.coordinate] = [
                    c.value if not isinstance(c.value, (Decimal,)) else str(c.value),
                    c.number_format, c.fill.fill_type, _color(c.fill.fgColor), c.font.name, c.font.b, c.font.sz,
                    c.protection.locked, c.alignment.horizontal, c.alignment.wrap_text,
                    c.border.left.style if c.border else None,
                ]
        setup = ws.page_setup
        out[ws.title] = {
            "cells": cells,
            "merges": sorted(str(m) for m in ws.merged_cells.ranges),
            "validations": sorted([dv.type, dv.formula1, dv.formula2, str(dv.sqref)] for dv in ws.data_validations.dataValidation),
            "conditional": sorted([str(rng.sqref), [r.formula for r in rules]] for rng, rules in
                                  ((cf, cf.rules) for cf in ws.conditional_formatting)),
            "widths": {k: v.width for k, v in ws.column_dimensions.items() if v.width},
            "print": [setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight, setup.blackAndWhite,
                      str(ws.print_title_rows), str(ws.print_area), ws.freeze_panes, ws.protection.sheet,
                      ws.sheet_state],
        }
    return json.loads(json.dumps(out, default=str))


WORKBOOKS = ["published", "careful", "fund", "readme", "yuan-balanced", "yuan-plain", "template"]


def compute(folder: Path) -> tuple[dict, dict]:
    corpus = build_corpus(folder)
    reports = {name: report_dict(path) for name, path in corpus.items() if name != "template"}
    books = {name: workbook_dump(corpus[name]) for name in WORKBOOKS}
    return reports, books


def _write(name: str, data) -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with gzip.open(GOLDEN / f"{name}.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)


def read(name: str):
    with gzip.open(GOLDEN / f"{name}.json.gz", "rt", encoding="utf-8") as fh:
        return json.load(fh)


if __name__ == "__main__":
    if "--update" not in sys.argv:
        print("usage: python -m tests.golden --update   (rewrites tests/data/golden/)")
        raise SystemExit(2)
    with tempfile.TemporaryDirectory() as tmp:
        reports, books = compute(Path(tmp))
    _write("reports", reports)
    _write("workbooks", books)
    print(f"{len(reports)} reports, {len(books)} workbooks written to {GOLDEN}")
