"""Thousands of uniform rows, cells and conditional formats without one openpyxl object each.

openpyxl builds a ``Cell`` per value (type checks, style arrays) and a ``Rule`` with its own
``DifferentialStyle`` per conditional format, and serialises each through lxml, hashing every dxf again
at save. For the 校验 sheet of a large template (10,000 rows), the tables' bodies (30,000 cells) and the
conditional formats that point at the 校验 sheet from the tables (13,000 rules) that was most of the
build. A :class:`DeferredSheet` keeps them as plain values — rows styled like the real row above them,
each with an optional internal link; *loose cells* as (value, shared style array, text or not); rules
as (range, formula, fill) — and when the workbook is saved they are written straight into the sheet's
XML. The rest of every sheet (real cells, merges, views, protection, filter, validations, print setup)
is still written by openpyxl, each sheet's XML made in memory; the deferred rules' colours are
registered as the workbook's differential styles before it writes.

What is deferred stays an ordinary part of the worksheet for code that looks at it in memory: the first
read of the sheet's cells (``ws["C46"]``, ``ws.iter_rows()``, ``ws.max_row`` …) or of its
``conditional_formatting`` makes them real openpyxl objects, and from then on openpyxl saves them.
"""

from __future__ import annotations

import datetime
import io
import re
from copy import copy
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from juesuan.render.cells import clean_text
from juesuan.util.a1 import col_letter  # a table of letters: no conversion per cell

_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')
# elements a worksheet's XML has after its conditional formats / hyperlinks (CT_Worksheet order)
_AFTER_FORMATS = (b"<conditionalFormatting", b"<dataValidations", b"<hyperlinks", b"<printOptions",
                  b"<pageMargins", b"<pageSetup", b"<headerFooter", b"</worksheet>")
_AFTER_HYPERLINKS = _AFTER_FORMATS[3:]
_ROWS_PER_CHUNK = 2000
_ROW = re.compile(rb'<row r="(\d+)"')


class DeferredSheet(Worksheet):
    """A worksheet that can hold rows and conditional formats not yet made into openpyxl objects."""

    _deferred: list | None = None  # [first row, rows, link column, links]
    _formats: list | None = None  # [(range, [(formula, fill, stop)])], priorities 1… in this order
    _loose: dict | None = None  # row → {column: (value, style array, text)}: cells put with put_cell
    _writing = False

    # openpyxl keeps a worksheet's cells in ``_cells`` and reads them only through it, so this is where
    # deferred rows and loose cells become cells (except while the workbook writes the sheet's real rows).
    @property
    def _cells(self):
        if not self._writing:
            if self._deferred:
                self._materialize_rows()
            if self._loose:
                self._materialize_cells()
        return self._store

    @_cells.setter
    def _cells(self, value):
        self._store = value

    @property
    def conditional_formatting(self) -> ConditionalFormattingList:
        if self._formats and not self._writing:
            self._materialize_formats()
        return self._cf

    @conditional_formatting.setter
    def conditional_formatting(self, value):
        self._cf = value

    @property
    def deferred(self) -> bool:
        return bool(self._deferred or self._formats or self._loose)

    def put_cell(self, row: int, col: int, value, style, text: bool = False) -> None:
        """Set the cell at (``row``, ``col``) to ``value`` with ``style`` (a style array, shared by the
        cells of a kind: see :class:`juesuan.render.styles.CellKinds`), kept as these three until the
        cell is read or saved. A string is a formula when it begins with ``=``, unless ``text`` (then it
        is text, cleaned as :func:`juesuan.render.cells.put` cleans it)."""
        if text and isinstance(value, str):
            value = clean_text(value)
        real = self._store.get((row, col))
        if real is None and self._deferred:  # deferred rows stay last: they become cells first
            real = self.cell(row, col)
        if real is not None:  # an openpyxl cell there already: it takes the value and the style
            real.value = value
            if text and isinstance(value, str):
                real.data_type = "s"
            real._style = copy(style)
            return
        loose = self._loose
        if loose is None:
            loose = self._loose = {}
        cells = loose.get(row)
        if cells is None:
            cells = loose[row] = {}
        cells[col] = (value, style, text)
        if row > self._current_row:
            self._current_row = row

    def style_blanks(self, rows: range, cols: range, style) -> None:
        """Every cell of the area (``rows`` × ``cols``) without a style takes ``style`` (a loose cell
        where there is none), as a loop over ``iter_rows`` would do, without making the loose cells
        openpyxl cells."""
        store, loose = self._store, self._loose or {}
        for r in rows:
            cells = loose.get(r, ())
            for c in cols:
                if c in cells:
                    continue
                real = store.get((r, c))
                if real is None:
                    self.put_cell(r, c, None, style)
                elif not real.has_style:
                    real._style = copy(style)

    def merge_cells(self, range_string=None, start_row=None, start_column=None, end_row=None, end_column=None):
        """As openpyxl merges (the same cells, borders and protection), each style resolved once."""
        if range_string is None:
            range_string = CellRange(min_col=start_column, min_row=start_row, max_col=end_column,
                                     max_row=end_row).coord
        mcr = _MergedRange(self, range_string)
        self.merged_cells.add(mcr)
        self._clean_merge_range(mcr)

    def calculate_dimension(self) -> str:
        if not (self._writing and self._loose):
            return super().calculate_dimension()
        rows = {r for r, _ in self._store} | self._loose.keys()
        cols = {c for _, c in self._store} | {c for cells in self._loose.values() for c in cells}
        return f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"

    def defer_rows(self, rows: list[list], link_col: int | None = None, links: list | None = None) -> None:
        """Append ``rows`` (plain values; a string starting with ``=`` is a formula, as in ``append``)
        below the last row, each cell styled like the cell above it. ``links[i]`` is (location,
        display) of an internal link in column ``link_col`` of row i, or None."""
        if self._deferred:
            self._materialize_rows()
        first = self.max_row + 1
        if first < 2:
            raise ValueError("deferred rows take their style from a real row above them")
        self._deferred = [first, rows, link_col, links or [None] * len(rows)]

    def defer_formats(self, formats: list[tuple[str, list[tuple[str, object, bool]]]]) -> None:
        """Add conditional formats — (range, [(formula, PatternFill, stopIfTrue)]) — with the priorities
        ``conditional_formatting.add`` would give them now, in this order."""
        cf = self._cf
        numbered = []
        for sqref, rules in formats:
            ranked = []
            for formula, fill, stop in rules:
                cf.max_priority += 1
                ranked.append((cf.max_priority, formula, fill, stop))
            numbered.append((sqref, ranked))
        self._formats = (self._formats or []) + numbered

    def _materialize_rows(self) -> None:
        first, rows, link_col, links = self._deferred
        self._deferred = None
        width = max(map(len, rows), default=0)
        above = [self._store.get((first - 1, c)) for c in range(1, width + 1)]
        for i, values in enumerate(rows):
            r = first + i
            for c, v in enumerate(values, start=1):
                if v is None:
                    continue
                cell = self._store[(r, c)] = Cell(self, row=r, column=c, value=v)
                proto = above[c - 1]
                if proto is not None and proto.has_style:
                    cell._style = copy(proto._style)  # as openpyxl's own sheet copier does
            if links[i] is not None and link_col:
                cell = self._store[(r, link_col)]
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=links[i][0], display=links[i][1])
        self._current_row = max(self._current_row, first + len(rows) - 1)

    def _materialize_cells(self, rows=None) -> None:
        """Loose cells (of ``rows``, else all) made openpyxl cells."""
        loose = self._loose
        for r in list(loose) if rows is None else rows:
            for c, (v, style, text) in loose.pop(r).items():
                cell = self._store[(r, c)] = Cell(self, row=r, column=c, value=v)
                if text and isinstance(v, str):
                    cell.data_type = "s"
                cell._style = copy(style)
        if not loose:
            self._loose = None

    def _materialize_formats(self) -> None:
        formats, self._formats = self._formats, None
        real = self._cf
        self._cf = ConditionalFormattingList()
        ranked = [(p, sqref, formula, fill, stop) for sqref, rules in formats for p, formula, fill, stop in rules]
        ranked += [(rule.priority, str(cf.sqref), rule, None, None) for cf in real for rule in cf.rules]
        for p, sqref, formula, fill, stop in sorted(ranked, key=lambda t: t[0]):
            rule = formula if fill is None else FormulaRule(formula=[formula], fill=fill, stopIfTrue=stop or None)
            rule.priority = p
            self._cf.add(sqref, rule)
        self._cf.max_priority = real.max_priority

    # ----------------------------------------------------------------------------------------------
    # Writing what is deferred into the sheet's XML

    def prepare_write(self) -> None:
        """Before openpyxl writes the sheet: loose cells in a row that has openpyxl cells (or a row
        height …) become openpyxl cells, so that each row is written whole by one side; the style of
        each kind of loose cell is registered in the workbook."""
        if not self._loose:
            return
        real_rows = {r for r, _ in self._store} | set(self.row_dimensions)
        self._materialize_cells([r for r in self._loose if r in real_rows])
        if not self._loose:
            return
        ids: dict[int, str] = {}
        for cells in self._loose.values():
            for _, style, _ in cells.values():
                if id(style) not in ids:
                    ids[id(style)] = f' s="{self.parent._cell_styles.add(style)}"' if any(style) else ""
        self._style_attrs = ids

    def xml_chunks(self, xml: bytes, dxf_ids: dict[int, int]):
        """The sheet's XML as openpyxl wrote it (real objects only) with the deferred ones put in, in
        pieces (the rows a few thousand at a time), so that the whole text is never held at once."""
        if not self._deferred and not self._loose:
            yield self._put_formats(xml, dxf_ids)
            return
        xml = xml.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
        start, end = xml.index(b"<sheetData>") + len(b"<sheetData>"), xml.rindex(b"</sheetData>")
        head, tail = xml[:start], xml[end:]
        hyper: list[str] = []
        if self._deferred:
            first, rows = self._deferred[0], self._deferred[1]
            width = max(map(len, rows), default=0)
            yield _DIMENSION.sub(lambda m: _dimension(m, first + len(rows) - 1, width), head, count=1)
            yield xml[start:end]
            for i in range(0, len(rows), _ROWS_PER_CHUNK):
                yield self._rows_xml(i, width, hyper)
        else:
            yield head
            yield from self._merged_rows(xml[start:end])
        if hyper:
            links = "".join(hyper).encode("utf-8")
            close = tail.find(b"</hyperlinks>")
            if close >= 0:
                tail = tail[:close] + links + tail[close:]
            else:
                at = _first_of(tail, _AFTER_HYPERLINKS)
                tail = tail[:at] + b"<hyperlinks>" + links + b"</hyperlinks>" + tail[at:]
        yield self._put_formats(tail, dxf_ids)

    def _merged_rows(self, real: bytes):
        """openpyxl's rows (``real``, the content of ``<sheetData>``) and the loose rows, in row order."""
        starts = [m.start() for m in _ROW.finditer(real)] + [len(real)]
        pieces = [(int(_ROW.match(real, a).group(1)), a, b) for a, b in zip(starts, starts[1:])]
        loose = sorted(self._loose)
        out: list[bytes] = []
        i = 0
        for r in loose:
            while i < len(pieces) and pieces[i][0] < r:
                out.append(real[pieces[i][1]:pieces[i][2]])
                i += 1
            out.append(self._loose_row(r))
            if len(out) >= _ROWS_PER_CHUNK:
                yield b"".join(out)
                out = []
        out += [real[a:b] for _, a, b in pieces[i:]]
        yield b"".join(out)

    def _loose_row(self, r: int) -> bytes:
        cells = self._loose[r]
        ids = self._style_attrs
        parts = [_cell_xml(f'<c r="{col_letter(c)}{r}"', ids[id(style)], v, text)
                 for c, (v, style, text) in sorted(cells.items())]
        return f'<row r="{r}">{"".join(parts)}</row>'.encode("utf-8")

    def _put_formats(self, xml: bytes, dxf_ids: dict[int, int]) -> bytes:
        if not self._formats:
            return xml
        at = _first_of(xml, _AFTER_FORMATS)
        return xml[:at] + _formats_xml(self._formats, dxf_ids) + xml[at:]

    def _rows_xml(self, start: int, width: int, hyper: list[str]) -> bytes:
        """The row elements of deferred rows ``start`` … (one chunk); their links go to ``hyper``."""
        first, rows, link_col, links = self._deferred
        styles = []
        for c in range(1, width + 1):
            proto = self._store.get((first - 1, c))
            styles.append(f' s="{proto.style_id}"' if proto is not None and proto.has_style else "")
        letters = [get_column_letter(c) for c in range(1, width + 1)]
        heads = [(f'<c r="{letters[c]}', styles[c]) for c in range(width)]
        out = []
        for i in range(start, min(start + _ROWS_PER_CHUNK, len(rows))):
            r = first + i
            out.append(f'<row r="{r}">{_row_cells(heads, str(r), rows[i])}</row>')
            if links[i] is not None and link_col:
                location, display = links[i]
                hyper.append(f'<hyperlink ref="{letters[link_col - 1]}{r}" location="{_attr(location)}" '
                             f'display="{_attr(display)}"/>')
        return "".join(out).encode("utf-8")


def _first_of(xml: bytes, tags) -> int:
    return min(i for i in (xml.find(t) for t in tags) if i >= 0)


def _dimension(m, last_row: int, width: int) -> bytes:
    c1, r1 = m.group(1).decode(), int(m.group(2))
    c2 = m.group(3).decode() if m.group(3) else c1
    col = get_column_letter(max(column_index_from_string(c2), width))
    return f'<dimension ref="{c1}{r1}:{col}{last_row}"/>'.encode()


def _text(text: str) -> str:
    """``text`` escaped for an element's content (str.replace: much faster than str.translate)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attr(text: str) -> str:
    text = _text(text)
    return text.replace('"', "&quot;") if '"' in text else text


def _row_cells(heads: list[tuple[str, str]], r: str, values) -> str:
    """The ``<c>`` elements of one row's values, as :func:`_cell_xml` writes them (``heads``: per
    column ``<c r="E`` and its style attribute; ``r``: the row number). Inlined: the 校验 sheet of a
    large template has 100,000 of them."""
    out = []
    for (lead, style), v in zip(heads, values):
        if v is None:
            continue
        if v.__class__ is str and v:
            if v[0] == "=" and len(v) > 1:
                out.append(f'{lead}{r}"{style}><f>{_text(v[1:])}</f><v></v></c>')
            elif v[0].isspace() or v[-1].isspace():
                out.append(f'{lead}{r}"{style} t="inlineStr"><is><t xml:space="preserve">{_text(v)}</t></is></c>')
            else:
                out.append(f'{lead}{r}"{style} t="inlineStr"><is><t>{_text(v)}</t></is></c>')
        else:
            out.append(_cell_xml(f'{lead}{r}"', style, v))
    return "".join(out)


def _cell_xml(head: str, style: str, v, text: bool = False) -> str:
    """One ``<c>`` as openpyxl writes it: a formula (unless ``text``), an inline string, a number or
    nothing (``head`` is ``<c r="C46"``)."""
    if isinstance(v, str):
        if v[:1] == "=" and len(v) > 1 and not text:
            return f"{head}{style}><f>{_text(v[1:])}</f><v></v></c>"
        if not v:
            return f'{head}{style} t="inlineStr"></c>'
        space = ' xml:space="preserve"' if v[0].isspace() or v[-1].isspace() else ""
        return f'{head}{style} t="inlineStr"><is><t{space}>{_text(v)}</t></is></c>'
    if isinstance(v, bool):
        return f'{head}{style} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f'{head}{style} t="n"><v>{safe_string(v)}</v></c>'
    if v is None:
        return f'{head}{style} t="n"></c>'
    raise TypeError(f"deferred rows hold text and numbers only, not {type(v).__name__}")


def _formats_xml(formats, dxf_ids: dict[int, int]) -> bytes:
    out = []
    for sqref, rules in formats:
        parts = []
        for priority, formula, fill, stop in rules:
            stop_attr = ' stopIfTrue="1"' if stop else ""
            dxf = dxf_ids[id(fill)]
            parts.append(f'<cfRule type="expression" priority="{priority}" dxfId="{dxf}"'
                         f'{stop_attr}><formula>{_text(formula)}</formula></cfRule>')
        out.append(f'<conditionalFormatting sqref="{sqref}">{"".join(parts)}</conditionalFormatting>')
    return "".join(out).encode("utf-8")


class _MergedRange(MergedCellRange):
    """openpyxl's merged range, formatted as openpyxl formats it — the edge cells take the top-left
    cell's borders, every cell its protection — each style resolved once per workbook (a style's
    index stands for its value), not hashed again cell by cell."""

    def format(self):
        start, cells = self.start_cell, self.ws._cells
        memo = self.ws.parent.__dict__.setdefault("_merge_styles", {})
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start.border, name)
            if side and side.style is None:
                continue
            start_border = start._style.borderId  # (read each time: the start is an edge cell too)
            for coord in getattr(self, name):
                cell = self._cell(cells, coord)
                key = ("border", cell._style.borderId if cell._style else 0, start_border, name)
                found = memo.get(key)
                if found is None:
                    cell.border += Border(**{name: side})  # as openpyxl does: the first time only
                    found = memo[key] = cell._style.borderId
                elif not cell._style:
                    cell._style = StyleArray()
                cell._style.borderId = found
        if start.protection is None:
            return
        key = ("protection", start._style.protectionId)
        protection = memo.get(key)
        if protection is None:
            protection = memo[key] = self.ws.parent._protections.add(copy(start.protection))
        for coord in self.cells:
            cell = self._cell(cells, coord)
            if not cell._style:
                cell._style = StyleArray()
            cell._style.protectionId = protection

    def _cell(self, cells, coord):
        cell = cells.get(coord)
        if cell is None:
            cell = cells[coord] = MergedCell(self.ws, row=coord[0], column=coord[1])
        return cell


class BuiltWorkbook(Workbook):
    """The generated workbook: an openpyxl workbook that can hold :class:`DeferredSheet` sheets, saved
    in one pass — each sheet's XML made in memory (openpyxl's own writer goes through a temporary file
    per sheet) and the deferred parts put in as it goes into the zip."""

    def create_deferred_sheet(self, title: str) -> DeferredSheet:
        ws = DeferredSheet(parent=self, title=title)
        self._add_sheet(ws)
        return ws

    def save(self, filename) -> None:
        self.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
        pending = [ws for ws in self.worksheets if isinstance(ws, DeferredSheet) and ws.deferred]
        _Writer(self, ZipFile(filename, "w", ZIP_DEFLATED, allowZip64=True), _dxf_ids(self, pending)).save()


def _dxf_ids(wb, sheets) -> dict[int, int]:
    """id(fill) → the index of its differential style, for the deferred formats' fills: registered now,
    in the order they are first used (a real rule with the same colour shares it, as openpyxl shares)."""
    out: dict[int, int] = {}
    for ws in sheets:
        for _, rules in ws._formats or ():
            for _, _, fill, _ in rules:
                if id(fill) not in out:
                    out[id(fill)] = wb._differential_styles.add(DifferentialStyle(fill=fill))
    return out


class _Writer(ExcelWriter):
    """openpyxl's writer, but each worksheet's XML made in memory, and a deferred sheet's completed."""

    def __init__(self, workbook, archive, dxf_ids: dict[int, int]):
        super().__init__(workbook, archive)
        self.dxf_ids = dxf_ids

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        deferred = isinstance(ws, DeferredSheet) and ws.deferred
        if deferred:
            ws.prepare_write()
        writer = WorksheetWriter(ws, io.BytesIO())
        if deferred:
            ws._writing = True  # openpyxl writes the real objects only
        try:
            writer.write()
        finally:
            if deferred:
                ws._writing = False
        ws._rels = writer._rels
        xml = writer.read()
        if deferred:
            with self._archive.open(ws.path[1:], "w", force_zip64=True) as part:
                for chunk in ws.xml_chunks(xml, self.dxf_ids):
                    part.write(chunk)
        else:
            self._archive.writestr(ws.path[1:], xml)
        self.manifest.append(ws)
