"""An xlsx written as its rows arrive, without openpyxl's cell objects: the folder report's writer.

Each sheet has a header row (bold, filled), set column widths, the panes frozen below the header and an
auto filter over every row. Rows are turned into sheet XML at once and kept in a temporary file per sheet
(memory stays flat however many rows come); :meth:`StreamBook.save` writes the package. Cells are as
openpyxl's write-only workbook writes them, so a reader sees the same values and types: text as inline
strings (cleaned as :func:`~juesuan.render.cells.clean_text` cleans it — a text beginning with ``=`` is
text, never a formula), numbers as ``%.16g``, booleans, and empty cells for None and "".
"""

from __future__ import annotations

import tempfile
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from math import isinf, isnan
from pathlib import Path

from juesuan.render.cells import clean_text
from juesuan.util import a1

_TEXTS_MAX, _TEXT_MEMO_LEN = 8192, 80  # short texts repeat (table, rule, severity, department …)
_FLUSH = 1 << 16  # characters of rows kept before they go to the temporary file
_ZIP64 = (1 << 31) - (1 << 20)  # a part this large needs the zip64 extension
_HEAD_STYLE = 1  # the cellXfs index of the header style in _STYLES

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class StreamSheet:
    """One sheet of a :class:`StreamBook`: :meth:`append` one row at a time."""

    def __init__(self, title: str, head: list[str], widths, folder):
        self.title, self.widths = title, tuple(widths)
        self.columns = max(len(head), len(self.widths))
        self.letters = [a1.col_letter(i) for i in range(1, max(self.columns, 1) + 1)]
        self._opening = ['<c r="' + letter for letter in self.letters]
        self.rows = 0
        self._file = tempfile.TemporaryFile(dir=folder)
        self._buffer: list[str] = []
        self._size = 0
        self._texts: dict[str, str] = {}
        self._row(head, f' s="{_HEAD_STYLE}"')

    def append(self, values) -> None:
        """The next row: str, int, float, Decimal, bool or None per cell (anything else as its text)."""
        if len(values) > len(self.letters):
            self.letters += [a1.col_letter(i) for i in range(len(self.letters) + 1, len(values) + 1)]
            self._opening = ['<c r="' + letter for letter in self.letters]
        self.columns = max(self.columns, len(values))
        self._row(values, "")

    def _row(self, values, style: str) -> None:
        self.rows += 1
        r = str(self.rows)
        at, texts = r + '"' + style, self._texts  # <c r="A + 12" s="1"
        cells = ['<row r="' + r + '">']
        for letter, v in zip(self._opening, values):
            if type(v) is str:
                xml = texts.get(v)
                cells.append(letter + at + (xml if xml is not None else self._text(v)))
            else:
                cells.append(letter + at + _other(v, self))
        cells.append("</row>")
        row = "".join(cells)
        self._buffer.append(row)
        self._size += len(row)
        if self._size > _FLUSH:
            self._flush()

    def _text(self, v: str) -> str:
        """The rest of a text cell's XML after ``<c r="…"`` (remembered when it is short)."""
        text = clean_text(v)
        if not text:
            xml = ' t="inlineStr"/>'
        else:
            space = ' xml:space="preserve"' if text != text.strip() else ""
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if "\r" in text:  # a bare CR would read back as a line feed
                text = text.replace("\r", "&#13;")
            xml = ' t="inlineStr"><is><t' + space + ">" + text + "</t></is></c>"
        if len(v) <= _TEXT_MEMO_LEN:
            if len(self._texts) >= _TEXTS_MAX:
                self._texts.clear()
            self._texts[v] = xml
        return xml

    def _flush(self) -> None:
        self._file.write("".join(self._buffer).encode("utf-8"))
        self._buffer.clear()
        self._size = 0

    def _head(self) -> str:
        last = self.letters[self.columns - 1] if self.columns else "A"
        cols = "".join(f'<col min="{i}" max="{i}" width="{w:.16g}" customWidth="1"/>'
                       for i, w in enumerate(self.widths, start=1))
        return (_DECL + f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
                f'<pageSetUpPr/></sheetPr><dimension ref="A1:{last}{self.rows}"/><sheetViews>'
                '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView>'
                '</sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
                + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")

    def filter_ref(self) -> str:
        """``A1:M102``: the header and every row."""
        return f"A1:{self.letters[self.columns - 1] if self.columns else 'A'}{self.rows}"

    def write_part(self, zf: zipfile.ZipFile, name: str) -> None:
        """This sheet's XML as the part ``name`` of ``zf``, its rows copied from the temporary file."""
        self._flush()
        head = self._head().encode("utf-8")
        tail = (f'</sheetData><autoFilter ref="{self.filter_ref()}"/><pageMargins left="0.75" right="0.75" '
                'top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>').encode("utf-8")
        size = len(head) + self._file.tell() + len(tail)
        self._file.seek(0)
        with zf.open(name, "w", force_zip64=size > _ZIP64) as out:
            out.write(head)
            while chunk := self._file.read(1 << 20):
                out.write(chunk)
            out.write(tail)
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()


def _other(v, sheet: StreamSheet) -> str:
    """The rest of a cell's XML after ``<c r="…"`` for a value that is not a str."""
    if v is None:
        return ' t="n"/>'
    if type(v) is bool:
        return ' t="b"><v>' + ("1" if v else "0") + "</v></c>"
    if isinstance(v, (int, float, Decimal)):
        if isnan(v) or isinf(v):
            return ' t="n"><v></v></c>'  # as openpyxl: Excel has no NaN nor infinity
        return ' t="n"><v>' + ("%.16g" % v) + "</v></c>"
    return sheet._text(str(v))


class StreamBook:
    """A workbook of :class:`StreamSheet` s, its rows kept in temporary files in ``folder``."""

    def __init__(self, folder: Path | None = None):
        self.folder, self.sheets = folder, []

    def sheet(self, title: str, head: list[str], widths) -> StreamSheet:
        """A new sheet with ``head`` as its (styled) first row and ``widths`` as its column widths."""
        ws = StreamSheet(title, head, widths, self.folder)
        self.sheets.append(ws)
        return ws

    def save(self, fh) -> None:
        """Write the package to the binary file ``fh`` (the sheets can still be written to after)."""
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, xml in self._parts():
                zf.writestr(name, xml)
            for i, ws in enumerate(self.sheets, start=1):
                ws.write_part(zf, f"xl/worksheets/sheet{i}.xml")

    def close(self) -> None:
        """Drop the temporary files."""
        for ws in self.sheets:
            ws.close()

    def _parts(self):
        from openpyxl.writer.theme import theme_xml

        n = len(self.sheets)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield "[Content_Types].xml", _content_types(n)
        yield "_rels/.rels", _ROOT_RELS
        yield "docProps/app.xml", _DECL + ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
                                           '2006/extended-properties"><Application>juesuan</Application></Properties>')
        yield "docProps/core.xml", _core(now)
        yield "xl/workbook.xml", _workbook(self.sheets)
        yield "xl/_rels/workbook.xml.rels", _workbook_rels(n)
        yield "xl/styles.xml", _STYLES
        yield "xl/theme/theme1.xml", theme_xml


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _content_types(n: int) -> str:
    ct = "application/vnd.openxmlformats-officedocument."
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                     f'ContentType="{ct}spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
    return (_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{ct}theme+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{ct}extended-properties+xml"/>{sheets}</Types>')


_ROOT_RELS = (_DECL + f'<Relationships xmlns="{_PKG}">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
              f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
              "</Relationships>")


def _core(now: str) -> str:
    return (_DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>juesuan</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')


def _workbook(sheets: list[StreamSheet]) -> str:
    names = "".join(f'<sheet name="{_attr(ws.title)}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, ws in enumerate(sheets, start=1))
    filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                      f"{_attr(_quoted(ws.title))}!{_absolute(ws.filter_ref())}</definedName>"
                      for i, ws in enumerate(sheets))
    return (_DECL + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/><bookViews>'
            '<workbookView activeTab="0"/></bookViews>'
            f"<sheets>{names}</sheets>" + (f"<definedNames>{filters}</definedNames>" if filters else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """``A1:M102`` → ``$A$1:$M$102``."""
    return ":".join("$" + letters + "$" + str(row) for letters, row in map(a1.split, ref.split(":")))


def _workbook_rels(n: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, n + 1))
    return (_DECL + f'<Relationships xmlns="{_PKG}">{sheets}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/theme" Target="theme/theme1.xml"/></Relationships>')


# openpyxl's default font and fills, and the header style: bold, filled FFDDEBF7 (cellXfs 1)
_STYLES = (_DECL + f'<styleSheet xmlns="{_MAIN}"><fonts count="2"><font><name val="Calibri"/><family val="2"/>'
           '<color theme="1"/><sz val="11"/><scheme val="minor"/></font><font><b val="1"/></font></fonts>'
           '<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
           '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor rgb="FFDDEBF7"/></patternFill>'
           '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
           "</styleSheet>")
