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
from openpyxl.worksheet.worksheet import Worksheet

from juesuan.render import styles
from juesuan.render.deferred import BuiltWorkbook
from juesuan.render.formulas import compress, defining_formula
from juesuan.layout.tables import TableLayout
from juesuan.layout.workbook import WorkbookLayout
from juesuan.rules.graph import graph_of
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
    for spec in layout.profile.tables:
        _render_table(wb.create_deferred_sheet(spec.number), layout, layout.tables[spec.id], values)
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


def _render_table(ws: Worksheet, layout: WorkbookLayout, tl: TableLayout, values) -> None:
    spec = tl.spec
    for col, width in spec.widths.items():
        ws.column_dimensions[col].width = width
    last = spec.last_col
    ncols = column_index_from_string(last)
    _furniture(ws, layout, tl, ncols)
    _header(ws, tl)
    body = _BODIES.get(tl.kind)
    if body is not None:
        body(ws, tl)
    _amounts(ws, layout, tl, values)
    _borders(ws, tl, ncols)
    note_end = _notes(ws, tl, ncols)
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


def _header(ws, tl):
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
            ws.cell(row=row, column=col).style = styles.HEADER


def _text(ws, ref, value, style=styles.TEXT):
    c = ws[ref]
    put(c, value)
    c.style = style
    return c


def _paired_body(ws, tl):
    spec = tl.spec
    for side in spec.sides:
        for line in range(side.first_line, side.last_line + 1):
            row = spec.first_row + line - side.first_line
            label = tl.line_label(line)
            if label:
                _text(ws, f"{side.label_col}{row}", label)
            _text(ws, f"{side.line_col}{row}", line, styles.TEXT_CENTER)


def _coded_body(ws, tl):
    spec = tl.spec
    first = spec.first_row
    _text(ws, f"{spec.code_col}{first}", "合计", styles.TEXT_CENTER)
    ws.merge_cells(f"{spec.code_col}{first}:{spec.name_col}{first}")
    for i, row in enumerate(tl.rows[1:], start=1):
        _text(ws, f"{spec.code_col}{first + i}", row.code, styles.CODE)
        _text(ws, f"{spec.name_col}{first + i}", row.name)


def _economic_body(ws, tl):
    spec = tl.spec
    for code in tl.econ_codes:
        row, ccol, ncol, _ = tl.econ_pos[code]
        _text(ws, f"{ccol}{row}", code, styles.CODE)
        _text(ws, f"{ncol}{row}", tl.econ_names[code])
    trow = tl.totals_row
    for total in spec.totals:
        a, b = total.label_merge.split(":")
        _text(ws, f"{a}{trow}", total.key, styles.TEXT_CENTER)
        ws.merge_cells(f"{a}{trow}:{b}{trow}")


_BODIES = {"paired": _paired_body, "coded": _coded_body, "economic": _economic_body}


def _amounts(ws, layout, tl, values):
    inputs_by_col: list[tuple[str, int, str]] = []
    blanks = layout.blanks
    definitions = graph_of(layout).definitions
    refs: dict = {}  # the table's references, made once for all its formulas
    col_index: dict[str, int] = {}
    for key in tl.value_keys():
        row, col = tl.address(key)
        c = ws.cell(row, col_index.get(col) or col_index.setdefault(col, column_index_from_string(col)))
        if key in blanks:
            if key in values and values[key] is not None:
                put(c, _cell_value(values[key]))  # a value where the layout has a blank: kept as given
                c.style = styles.AMOUNT_GIVEN
            else:
                c.style = styles.AMOUNT_LOCKED
            continue
        if key in values:
            put(c, _cell_value(values[key]))
            c.style = styles.AMOUNT_INPUT
            inputs_by_col.append(("", row, col))
        elif key in definitions:
            c.value = defining_formula(layout, definitions[key], refs)
            c.style = styles.AMOUNT_LOCKED
        else:
            c.style = styles.AMOUNT_INPUT
            inputs_by_col.append(("", row, col))
    if inputs_by_col:
        inputs_by_col.sort(key=lambda t: (column_index_from_string(t[2]), t[1]))
        dv = styles.amount_validation()
        dv.sqref = MultiCellRange(" ".join(compress(inputs_by_col)))  # one parse, not one merge per range
        ws.add_data_validation(dv)


def _cell_value(value: Value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    return value


def _borders(ws, tl, ncols):
    """Every cell of the table has its grid: the styled ones by their named style, the others here."""
    top = min(tl.spec.header_rows)
    for row in ws.iter_rows(min_row=top, max_row=tl.last_row, min_col=1, max_col=ncols):
        for c in row:
            if not c.has_style:
                c.style = styles.GRID


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
