"""Render a :class:`~juesuan.layout.WorkbookLayout` as an openpyxl workbook.

Every derived cell is a formula from the relation that defines it; input cells are unlocked, tinted
and validated; everything else is locked; sheets are protected without a password and print on A4,
one page wide, with the header rows repeated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Union

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange

from juesuan.render import styles
from juesuan.render.deferred import BuiltWorkbook, DeferredSheet
from juesuan.render.formulas import compress, defining_formula
from juesuan.layout.tables import TableLayout
from juesuan.layout.workbook import WorkbookLayout
from juesuan.rules.graph import graph_of
from juesuan.util.a1 import col_index  # letters looked up in a table: no conversion per cell
from juesuan.layout.keys import CellKey
from juesuan.render.cells import put

Value = Union[Decimal, str, None]


# --------------------------------------------------------------------------------------------------
# Public API


def build_workbook(layout: WorkbookLayout, values: dict[CellKey, Value] | None = None,
                   live_checks: bool = True) -> Workbook:
    """The workbook of ``layout``; ``values`` are typed-in amounts (a given derived cell becomes a
    constant instead of its formula). ``live_checks`` adds the 校验 sheet (:mod:`juesuan.livecheck`)."""
    values = values or {}
    wb = BuiltWorkbook()
    wb.remove(wb.active)
    styles.add_table_styles(wb)
    kinds = styles.table_kinds(wb)
    for spec in layout.profile.tables:
        _render_table(wb.create_deferred_sheet(spec.number), layout, layout.tables[spec.id], values, kinds)
    if live_checks:
        from juesuan.render.livecheck import add_check_sheet

        add_check_sheet(wb, layout)
    wb.calculation.fullCalcOnLoad = True
    wb.properties.creator = "juesuan"
    wb.properties.title = f"{layout.department} {layout.year} 年度部门决算公开"
    wb.properties.keywords = f"juesuan; profile={layout.profile.id}"
    return wb


# --------------------------------------------------------------------------------------------------
# Private helpers


def _render_table(ws: DeferredSheet, layout: WorkbookLayout, tl: TableLayout, values, kinds) -> None:
    """The table on ``ws``: first what openpyxl cells hold (titles, header, merged labels, notes), then
    the body's codes, names and amounts and the grid as loose cells (``put_cell``): a merge or a read
    after them would make them openpyxl cells."""
    spec = tl.spec
    for col, width in spec.widths.items():
        ws.column_dimensions[col].width = width
    last = spec.last_col
    ncols = column_index_from_string(last)
    _furniture(ws, layout, tl, ncols)
    _header(ws, tl, kinds)
    note_end = _notes(ws, tl, ncols)
    body = _BODIES.get(tl.kind)
    if body is not None:
        body(ws, tl, kinds)
    _amounts(ws, layout, tl, values, kinds)
    ws.style_blanks(range(min(spec.header_rows), tl.last_row + 1), range(1, ncols + 1), kinds.style(styles.GRID))
    _sheet_setup(ws, tl, ncols, note_end)


def _furniture(ws, layout, tl, ncols):
    spec = tl.spec
    last = get_column_letter(ncols)
    ws["A1"] = spec.title
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font, ws["A1"].alignment = styles.TITLE_FONT, styles.CENTER
    ws.row_dimensions[1].height = 30
    ws[f"{last}2"] = spec.number
    ws[f"{last}2"].font, ws[f"{last}2"].alignment = styles.BODY_FONT, styles.RIGHT
    mid = (ncols + 1) // 2
    put(ws["A3"], f"部门名称：{layout.department}")
    if mid > 2:
        ws.merge_cells(f"A3:{get_column_letter(mid - 1)}3")
    ws["A3"].font, ws["A3"].alignment = styles.BODY_FONT, styles.LEFT
    year = ws.cell(row=3, column=mid, value=f"{layout.year} 年度")
    year.font, year.alignment = styles.BODY_FONT, styles.CENTER_NOWRAP
    if ncols - 1 > mid:  # a narrow middle column clipped it (“?024 年度”): the year spans to the unit
        ws.merge_cells(f"{get_column_letter(mid)}3:{get_column_letter(ncols - 1)}3")
    unit = ws[f"{last}3"]
    unit.value = f"单位：{layout.profile.unit}"
    unit.font, unit.alignment = styles.BODY_FONT, styles.RIGHT


def _header(ws, tl, kinds):
    spec = tl.spec
    for row, cells in spec.header_rows.items():
        for i, text in enumerate(cells):
            if text == "" or text is None:
                continue
            c = ws.cell(row=row, column=i + 1, value=text)
        ws.row_dimensions[row].height = 24
    for rng in spec.header_merges:
        ws.merge_cells(rng)
    rows = list(spec.header_rows)
    for row in range(min(rows), max(rows) + 1):
        for col in range(1, column_index_from_string(spec.last_col) + 1):
            kinds.apply(ws.cell(row=row, column=col), styles.HEADER)


def _text(ws, ref, value, style=styles.TEXT):
    """An openpyxl cell (one a merge starts from)."""
    c = ws[ref]
    put(c, value)
    c.style = style
    return c


def _loose_text(ws, row: int, col: str, value, kinds, kind=styles.TEXT) -> None:
    ws.put_cell(row, col_index(col), value, kinds.style(kind), text=True)


def _paired_body(ws, tl, kinds):
    spec = tl.spec
    for side in spec.sides:
        for line in range(side.first_line, side.last_line + 1):
            row = spec.first_row + line - side.first_line
            label = tl.line_label(line)
            if label:
                _loose_text(ws, row, side.label_col, label, kinds)
            _loose_text(ws, row, side.line_col, line, kinds, styles.TEXT_CENTER)


def _coded_body(ws, tl, kinds):
    spec = tl.spec
    first = spec.first_row
    _text(ws, f"{spec.code_col}{first}", "合计", styles.TEXT_CENTER)
    ws.merge_cells(f"{spec.code_col}{first}:{spec.name_col}{first}")
    for i, row in enumerate(tl.rows[1:], start=1):
        _loose_text(ws, first + i, spec.code_col, row.code, kinds, styles.CODE)
        _loose_text(ws, first + i, spec.name_col, row.name, kinds)


def _economic_body(ws, tl, kinds):
    spec = tl.spec
    trow = tl.totals_row
    for total in spec.totals:  # merged: before the loose cells
        a, b = total.label_merge.split(":")
        _text(ws, f"{a}{trow}", total.key, styles.TEXT_CENTER)
        ws.merge_cells(f"{a}{trow}:{b}{trow}")
    for code in tl.econ_codes:
        row, ccol, ncol, _ = tl.econ_pos[code]
        _loose_text(ws, row, ccol, code, kinds, styles.CODE)
        _loose_text(ws, row, ncol, tl.econ_names[code], kinds)


_BODIES = {"paired": _paired_body, "coded": _coded_body, "economic": _economic_body}


def _amounts(ws, layout, tl, values, kinds):
    inputs_by_col: list[tuple[str, int, str]] = []
    blanks = layout.blanks
    definitions = graph_of(layout).definitions
    refs: dict = {}  # the table's references, made once for all its formulas
    given, locked, entered = (kinds.style(k) for k in (styles.AMOUNT_GIVEN, styles.AMOUNT_LOCKED, styles.AMOUNT_INPUT))
    for key in tl.value_keys():
        row, col = tl.address(key)
        c = col_index(col)
        if key in blanks:
            if key in values and values[key] is not None:
                ws.put_cell(row, c, _cell_value(values[key]), given, text=True)  # a value where the layout has a blank: kept as given
            else:
                ws.put_cell(row, c, None, locked)
            continue
        if key in values:
            ws.put_cell(row, c, _cell_value(values[key]), entered, text=True)
            inputs_by_col.append(("", row, col))
        elif key in definitions:
            ws.put_cell(row, c, defining_formula(layout, definitions[key], refs), locked)
        else:
            ws.put_cell(row, c, None, entered)
            inputs_by_col.append(("", row, col))
    if inputs_by_col:
        inputs_by_col.sort(key=lambda t: (col_index(t[2]), t[1]))
        dv = styles.amount_validation()
        dv.sqref = MultiCellRange(" ".join(compress(inputs_by_col)))  # one parse, not one merge per range
        ws.add_data_validation(dv)


def _cell_value(value: Value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    return value


def _notes(ws, tl, ncols):
    spec = tl.spec
    last = get_column_letter(ncols)
    row = tl.last_row + 1
    texts = [spec.note + tl.profile.tail_note]
    if tl.is_empty and spec.empty_note:
        texts.append(spec.empty_note)
    for text in texts:
        c = ws.cell(row=row, column=1, value=text)
        c.font, c.alignment = styles.NOTE_FONT, styles.NOTE_ALIGN
        ws.merge_cells(f"A{row}:{last}{row}")
        ws.row_dimensions[row].height = 30 if len(text) < 90 else 45
        row += 1
    return row - 1


def _sheet_setup(ws, tl, ncols, note_end):
    spec = tl.spec
    header_top, header_bottom = min(spec.header_rows), max(spec.header_rows)
    grows = tl.kind == "coded"  # code tables grow downwards page by page; fixed-row tables fit on one
    freeze_col = "C" if grows else "A"
    ws.freeze_panes = f"{freeze_col}{header_bottom + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # let users widen columns
    ws.protection.formatRows = False
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = spec.orientation
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0 if grows else 1
    ws.page_setup.blackAndWhite = True
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_title_rows = f"{header_top}:{header_bottom}"
    ws.print_area = f"A1:{get_column_letter(ncols)}{note_end}"
