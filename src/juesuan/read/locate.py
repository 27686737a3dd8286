"""Find the 公开 tables in a user's workbook and where each of their cells is.

Tables are found by 表号 (``公开03表``, also ``公开 03 表``) or title, not by sheet position or
name; rows by 行次, code or label; columns by 栏次 or header. So a workbook whose sheets were
renamed or reordered, with rows inserted or deleted, is still read correctly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple


from juesuan.catalog import Catalog
from juesuan.util.a1 import col_letter
from juesuan.util.text import code_text, norm
from juesuan.layout.tables import TOTAL_ROW, CodedTable, CodeRow, EconomicTable, PairedTable, SingleTable, TableLayout, new_table
from juesuan.layout.workbook import WorkbookLayout
from juesuan.model.profile import Profile, TableSpec
from juesuan.util.names import TOOL_SHEETS
from juesuan.read.xlsx import Sheet, Workbook
from juesuan.layout.keys import CellKey

_NUMBER_RE = re.compile(r"公开(\d{1,2})表")


@dataclass
class Located:
    """The layout read from a workbook, and what could not be placed."""

    layout: WorkbookLayout
    sheets: dict[str, Sheet]  # table id → sheet
    missing: list[TableSpec] = field(default_factory=list)
    problems: list["Problem"] = field(default_factory=list)
    department: str = ""


class Problem(NamedTuple):
    """Something the locator could not read in a found table: a message of the check ``table_structure``
    (``schemas/checks.yaml``) with its parameters, at a cell (A1) or the whole table ("")."""

    table: str
    cell: str
    message: str
    params: dict


def _find_tables(wb: Workbook, profile: Profile) -> dict[str, Sheet]:
    found: dict[str, Sheet] = {}
    titles = {norm(t.title): t.id for t in profile.tables}
    for sheet in wb.sheets:
        if sheet.name in TOOL_SHEETS:
            continue  # the tool's own result sheets mention 表号 too
        tid = None
        head = sheet.head_index(15)
        for text, places in sorted(head.items(), key=lambda kv: min(kv[1])):
            m = _NUMBER_RE.fullmatch(text)
            if m and min(places)[0] <= 8:
                try:
                    tid = profile.table(f"{int(m.group(1)):02d}").id
                except KeyError:
                    tid = None
                break
        if tid is None:
            for text, places in sorted(head.items(), key=lambda kv: min(kv[1])):
                if text in titles and min(places)[0] <= 4:
                    tid = titles[text]
                    break
        if tid is None:
            m = _NUMBER_RE.search(norm(sheet.name))
            if m:
                try:
                    tid = profile.table(f"{int(m.group(1)):02d}").id
                except KeyError:
                    pass
        if tid and tid not in found:
            found[tid] = sheet
    return found


def _find_row(sheet: Sheet, label: str, max_row: int = 15) -> tuple[int, int] | None:
    places = [p for p in sheet.head_index(15).get(label, ()) if p[0] <= max_row]
    return min(places) if places else None


def _int_cell(sheet: Sheet, r: int, c: int) -> int | None:
    v = sheet.value(r, c)
    if isinstance(v, (int, float)) and float(v).is_integer():
        return int(v)
    t = norm(v)
    return int(t) if t.isdigit() else None


def _is_note(sheet: Sheet, r: int) -> bool:
    first = next((norm(sheet.value(r, c)) for c in range(1, min(sheet.max_col, 3) + 1) if sheet.value(r, c) is not None), "")
    return first.startswith(("注", "说明"))


def _department(sheet: Sheet) -> str:
    for r in range(1, min(sheet.max_row, 5) + 1):
        for c in range(1, sheet.max_col + 1):
            t = norm(sheet.value(r, c))
            if t.startswith("部门名称:"):
                return t.split(":", 1)[1]
    return ""


def _year(sheet: Sheet) -> int:
    for r in range(1, min(sheet.max_row, 5) + 1):
        for c in range(1, sheet.max_col + 1):
            m = re.fullmatch(r"(\d{4})年度?", norm(sheet.value(r, c)))
            if m:
                return int(m.group(1))
    return 0


# --------------------------------------------------------------------------------------------------


def _coded(tl: CodedTable, sheet: Sheet, catalog: Catalog, problems) -> None:
    spec = tl.spec
    hit = _find_row(sheet, "栏次")
    if hit is None:
        problems.append(Problem(spec.id, "", "no_line_row", {}))
        tl.rows, tl.positions = [TOTAL_ROW], {}
        return
    lr, lc = hit
    cols = {}
    for c in range(1, sheet.max_col + 1):
        k = _int_cell(sheet, lr, c)
        if k in spec.columns and k not in cols:
            cols[k] = c
    missing = [k for k in spec.columns if k not in cols]
    if missing:
        problems.append(Problem(spec.id, f"{col_letter(lc)}{lr}", "missing_columns", {"columns": missing}))
    code_hit = _find_row(sheet, "科目代码", lr)
    name_hit = _find_row(sheet, "科目名称", lr)
    code_col = code_hit[1] if code_hit else lc
    name_col = name_hit[1] if name_hit else code_col + 1
    rows: list[CodeRow] = []
    positions: dict[CellKey, tuple[int, str]] = {}
    total_at = None
    body: list[tuple[int, CodeRow]] = []
    for r in range(lr + 1, sheet.max_row + 1):
        if _is_note(sheet, r):
            break
        code = code_text(sheet.value(r, code_col))
        name = norm(sheet.value(r, name_col)) if sheet.value(r, name_col) is not None else ""
        if total_at is None and (code == "合计" or (not code and name == "合计")):
            total_at = r
            continue
        values = [sheet.value(r, c) for c in cols.values()]
        if not code and not name and all(v is None for v in values):
            continue
        raw_name = sheet.value(r, name_col)
        body.append((r, CodeRow(code, "" if raw_name is None else str(raw_name).strip())))
    rows = [TOTAL_ROW] + [row for _, row in body]
    tl.rows = rows
    if total_at is None and body:
        problems.append(Problem(spec.id, "", "no_total_row", {}))
    if total_at is not None:
        tl.row_of[0] = total_at
        for k, c in cols.items():
            positions[CellKey(spec.id, 0, k)] = (total_at, col_letter(c))
    for i, (r, _) in enumerate(body, start=1):
        tl.row_of[i] = r
        for k, c in cols.items():
            positions[CellKey(spec.id, i, k)] = (r, col_letter(c))
    tl.positions = positions
    tl.code_col, tl.name_col = col_letter(code_col), col_letter(name_col)


def _paired(tl: PairedTable, sheet: Sheet, catalog: Catalog, problems) -> None:
    spec = tl.spec
    hit = _find_row(sheet, "栏次")
    tl.positions = {}
    if hit is None:
        problems.append(Problem(spec.id, "", "no_line_row", {}))
        return
    lr = hit[0]
    col_of = {}
    for c in range(1, sheet.max_col + 1):
        k = _int_cell(sheet, lr, c)
        if k is not None and k not in col_of:
            col_of[k] = c
    line_cols = [c for c in range(1, sheet.max_col + 1)
                 if any(norm(sheet.value(r, c)) == "行次" for r in range(max(1, lr - 3), lr + 1))]
    for side in spec.sides:
        vcols = {k: col_of.get(k) for k in side.values}
        if any(v is None for v in vcols.values()):
            problems.append(Problem(spec.id, "", "missing_columns", {"columns": [k for k, v in vcols.items() if v is None]}))
            continue
        first_vcol = min(vcols.values())
        lcol = max((c for c in line_cols if c < first_vcol), default=None)
        rows_of: dict[int, int] = {}
        if lcol is not None:
            for r in range(lr + 1, sheet.max_row + 1):
                if _is_note(sheet, r):
                    break
                n = _int_cell(sheet, r, lcol)
                if n is not None and side.has(n) and n not in rows_of:
                    rows_of[n] = r
        if not rows_of:  # no 行次 column: fixed order
            rows_of = {n: lr + 1 + n - side.first_line for n in range(side.first_line, side.last_line + 1)}
        lost = [n for n in range(side.first_line, side.last_line + 1) if n not in rows_of]
        if lost:
            problems.append(Problem(spec.id, "", "missing_lines", {"lines": _ranges(lost)}))
        for n, r in rows_of.items():
            for k, c in vcols.items():
                tl.positions[CellKey(spec.id, n, k)] = (r, col_letter(c))


def _ranges(nums: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(nums):
        if start is None:
            start = n
        if i + 1 == len(nums) or nums[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}–{n}")
            start = None
    return "、".join(out)


def _economic(tl: EconomicTable, sheet: Sheet, catalog: Catalog, problems) -> None:
    spec = tl.spec
    tl.positions = {}
    hit = _find_row(sheet, "科目代码")
    if hit is None:
        problems.append(Problem(spec.id, "", "no_code_header", {}))
        return
    hr = hit[0]
    code_cols = [c for c in range(1, sheet.max_col + 1) if norm(sheet.value(hr, c)) == "科目代码"]
    value_cols = [c for c in range(1, sheet.max_col + 1) if norm(sheet.value(hr, c)) in ("决算数", "金额")]
    name_cols = [c for c in range(1, sheet.max_col + 1) if norm(sheet.value(hr, c)) == "科目名称"]
    if len(value_cols) < len(code_cols):
        problems.append(Problem(spec.id, "", "few_value_columns", {}))
        return
    total_row = None
    for r in range(hr + 1, sheet.max_row + 1):
        texts = [norm(sheet.value(r, c)) for c in range(1, sheet.max_col + 1)]
        if "人员经费合计" in texts or "公用经费合计" in texts:
            total_row = r
            break
        if _is_note(sheet, r):
            break
        for i, cc in enumerate(code_cols):
            code = code_text(sheet.value(r, cc))
            if not code:
                continue
            vc = value_cols[i]
            nc = name_cols[i] if i < len(name_cols) else cc + 1
            if code in tl.econ_pos:
                problems.append(Problem(spec.id, f"{col_letter(cc)}{r}", "duplicate_code", {"code": code}))
                continue
            raw_name = sheet.value(r, nc)
            tl.econ_codes.append(code)
            tl.econ_names[code] = "" if raw_name is None else str(raw_name).strip()
            tl.econ_pos[code] = (r, col_letter(cc), col_letter(nc), col_letter(vc))
            tl.positions[CellKey(spec.id, code, None)] = (r, col_letter(vc))
    if total_row is None:
        problems.append(Problem(spec.id, "", "no_totals_row", {}))
        return
    for total in spec.totals:
        label_col = next((c for c in range(1, sheet.max_col + 1) if norm(sheet.value(total_row, c)) == total.key), None)
        if label_col is None:
            problems.append(Problem(spec.id, f"A{total_row}", "no_named_total", {"total": total.key}))
            continue
        # The value is in the first 决算数 column to the right of the label (and of its merged range).
        end = label_col
        for (r0, c0), (r1, c1) in sheet.merged:
            if r0 + 1 <= total_row <= r1 + 1 and c0 + 1 <= label_col <= c1 + 1:
                end = c1 + 1
        vc = next((c for c in value_cols if c > end), None)
        if vc is not None:
            tl.positions[CellKey(spec.id, total.key, None)] = (total_row, col_letter(vc))


def _single(tl: SingleTable, sheet: Sheet, catalog: Catalog, problems) -> None:
    spec = tl.spec
    tl.positions = {}
    want = sorted(spec.columns)
    for r in range(1, min(sheet.max_row, 15) + 1):
        nums = {}
        for c in range(1, sheet.max_col + 1):
            k = _int_cell(sheet, r, c)
            if k in spec.columns and k not in nums:
                nums[k] = c
        if sorted(nums) == want:
            for k, c in nums.items():
                tl.positions[CellKey(spec.id, 0, k)] = (r + 1, col_letter(c))
            return
    problems.append(Problem(spec.id, "", "no_single_line_row", {"last": want[-1]}))


_LOCATORS = {"coded": _coded, "paired": _paired, "economic": _economic, "single": _single}


def locate(wb: Workbook, profile: Profile, catalog: Catalog) -> Located:
    """Find every table of ``profile`` in ``wb``; tables not found are listed in ``missing``."""
    found = _find_tables(wb, profile)
    tables: dict[str, TableLayout] = {}
    problems: list[Problem] = []
    missing = []
    dept, year = "", 0
    for spec in profile.tables:
        tl = new_table(spec, profile, positions={})
        sheet = found.get(spec.id)
        if sheet is None:
            missing.append(spec)
        else:
            dept = dept or _department(sheet)
            year = year or _year(sheet)
            _LOCATORS[tl.kind](tl, sheet, catalog, problems)
        tables[spec.id] = tl
    sheet_names = {tid: s.name for tid, s in found.items()}
    layout = WorkbookLayout(profile, dept, year, tables, catalog, sheet_names)
    return Located(layout, found, missing, problems, dept)
