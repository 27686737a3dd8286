"""Write marks into the user's own package: the annotated copy is the original plus marks.

:class:`PackageSurface` implements the write-back :class:`~juesuan.writeback.marks.Surface` directly on
the workbook's zip package. Every member of the original is copied unchanged except the parts the
marks must change:

- the marked sheets' XML: only the ``s`` (style) attribute of a marked cell changes (its ``<f>``
  formula and ``<v>`` cached value stay byte for byte); a status line replaces one empty cell;
- ``xl/styles.xml``: fills, fonts and cell formats are appended (cloned from the cell's own format,
  deduplicated), never renumbered;
- notes: the sheet's comments part and VML drawing (created, or merged with the user's own notes),
  the sheet's relationships and its ``<legacyDrawing>``;
- the 校验结果 and state sheets (written here, every string an inline string: never a formula),
  ``xl/workbook.xml``, its relationships and ``[Content_Types].xml``.

So images, charts, cached formula results, document properties, macros and everything else the
package holds are kept. Whatever this writer cannot handle safely (a strict-OOXML file, an odd
package, threaded comments on a sheet that gets notes, …) raises :class:`Unsupported`, and the
caller falls back to the openpyxl copy, which says what it cannot keep. The package written is
checked before it is handed out: every changed XML part parses, every relationship target exists.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as DET

from juesuan.errors import InputError
from juesuan.read.xlsx import TEXT_RE, open_checked, read_part
from juesuan.render.cells import clean_text
from juesuan.util.names import STATE_SHEET

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFREL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKGREL = "http://schemas.openxmlformats.org/package/2006/relationships"
T_SHEET, T_COMMENTS, T_VML = OFFREL + "/worksheet", OFFREL + "/comments", OFFREL + "/vmlDrawing"
T_CALC = OFFREL + "/calcChain"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
NOTE_AUTHOR = "juesuan"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class Unsupported(Exception):
    """This package cannot be annotated in place safely: use the openpyxl copy instead."""


# --------------------------------------------------------------------------------------------------
# Small byte-level helpers


def esc(text: str, attr: bool = False) -> bytes:
    text = _XML_BAD.sub("", clean_text(str(text)))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return text.encode("utf-8")


_XML_BAD = re.compile("[\ud800-\udfff\ufffe\uffff]")
_ENT = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unesc(raw: bytes) -> str:
    def one(m):
        name = m.group(1)
        if name.startswith("#"):
            try:
                return chr(int(name[2:], 16) if name[:2] == "#x" else int(name[1:]))
            except (ValueError, OverflowError):
                return ""
        return _NAMED[name]

    return _ENT.sub(one, raw.decode("utf-8", "replace"))


def get_attr(tag: bytes, name: bytes) -> str | None:
    m = re.search(rb'(?:^|\s)' + re.escape(name) + rb'\s*=\s*"([^"]*)"', tag) \
        or re.search(rb"(?:^|\s)" + re.escape(name) + rb"\s*=\s*'([^']*)'", tag)
    return unesc(m.group(1)) if m else None


def set_attr(tag: bytes, name: bytes, value: str | None) -> bytes:
    """The start tag ``tag`` (``<x a="1">`` or ``<x/>``) with attribute ``name`` set (None: removed)."""
    rx = re.compile(rb'\s' + re.escape(name) + rb'\s*=\s*(?:"[^"]*"|\'[^\']*\')')
    if rx.search(tag):
        new = b"" if value is None else b" " + name + b'="' + esc(value, True) + b'"'
        return rx.sub(lambda m: new, tag, count=1)
    if value is None:
        return tag
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end].rstrip() + b" " + name + b'="' + esc(value, True) + b'"' + tag[end:]


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_A1 = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def parse_a1(cell: str) -> tuple[int, int]:
    m = _A1.fullmatch(cell)
    if not m:
        raise Unsupported(f"cell {cell!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _parse(data: bytes, what: str):
    try:
        return DET.fromstring(data)
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        raise Unsupported(f"{what}: {exc}") from None


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source))


def _elements(inner: bytes, tag: bytes) -> list[bytes]:
    """The ``<tag>`` elements of ``inner`` (no nesting of ``tag``); Unsupported when anything else is there."""
    rx = re.compile(rb"<" + tag + rb"\b[^>]*?(?:/>|>.*?</" + tag + rb">)", re.S)
    items = [m.group(0) for m in rx.finditer(inner)]
    if rx.sub(b"", inner).strip():
        raise Unsupported(f"unexpected content beside <{tag.decode()}>")
    return items


def _section(data: bytes, tag: bytes) -> tuple[int, int, int, int] | None:
    """(start, inner start, inner end, end) of the first ``<tag …>…</tag>``; None when absent."""
    m = re.search(rb"<" + tag + rb"\b[^>]*?(/?)>", data)
    if not m:
        return None
    if m.group(1):
        return m.start(), m.end(), m.end(), m.end()
    close = data.find(b"</" + tag + b">", m.end())
    if close < 0:
        raise Unsupported(f"<{tag.decode()}> not closed")
    return m.start(), m.end(), close, close + len(tag) + 3


def _canon(item: bytes):
    try:
        el = DET.fromstring(b'<r xmlns="' + MAIN.encode() + b'">' + item + b"</r>")[0]
    except Exception:
        return item

    def key(e):
        return (e.tag, tuple(sorted(e.attrib.items())), (e.text or "").strip(), tuple(key(c) for c in e))

    return key(el)


# --------------------------------------------------------------------------------------------------
# Relationships and content types


class Rels:
    """One ``.rels`` part: read, with relationships added and removed by splicing."""

    def __init__(self, path: str, data: bytes | None):
        self.path, self.data = path, data
        self.items: dict[str, tuple[str, str, str | None]] = {}  # Id → (type, target, mode)
        if data is not None:
            root = _parse(data, path)
            if root.tag != f"{{{PKGREL}}}Relationships":
                raise Unsupported(path)
            for rel in root:
                self.items[rel.get("Id", "")] = (rel.get("Type", ""), rel.get("Target", ""), rel.get("TargetMode"))
        self.added: list[tuple[str, str, str]] = []
        self.removed: set[str] = set()

    def source(self) -> str:
        folder = posixpath.dirname(posixpath.dirname(self.path))
        return posixpath.join(folder, posixpath.basename(self.path)[: -len(".rels")])

    def target(self, rid: str) -> str | None:
        item = self.items.get(rid) or next(((t, g, None) for i, t, g in self.added if i == rid), None)
        if item is None or item[2] == "External":
            return None
        return _resolve(self.source(), item[1])

    def of_type(self, rtype: str) -> list[str]:
        return [i for i, (t, _, _) in self.items.items() if t == rtype and i not in self.removed]

    def add(self, rtype: str, part: str) -> str:
        used = set(self.items) | {i for i, _, _ in self.added}
        n = 1
        while f"rId{n}" in used:
            n += 1
        self.added.append((f"rId{n}", rtype, _relative(self.source(), part)))
        return f"rId{n}"

    def remove(self, rid: str) -> None:
        if rid in self.items:
            self.removed.add(rid)
        self.added = [a for a in self.added if a[0] != rid]

    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def serialize(self) -> bytes | None:
        """The new part, or None when it would hold no relationship."""
        if len(self.items) - len(self.removed) + len(self.added) == 0:
            return None
        data = self.data or b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="' \
            + PKGREL.encode() + b'"></Relationships>'
        data = re.sub(rb"<Relationships\b([^>]*?)/>", rb"<Relationships\1></Relationships>", data, count=1)
        rx = re.compile(rb"<Relationship\b[^>]*?(?:/>|>\s*</Relationship>)", re.S)
        data = rx.sub(lambda m: b"" if get_attr(m.group(0), b"Id") in self.removed else m.group(0), data)
        new = b"".join(b'<Relationship Id="' + esc(i, True) + b'" Type="' + esc(t, True) + b'" Target="'
                       + esc(g, True) + b'"/>' for i, t, g in self.added)
        end = data.rfind(b"</Relationships>")
        if end < 0:
            raise Unsupported(self.path)
        return data[:end] + new + data[end:]


class ContentTypes:
    def __init__(self, data: bytes):
        self.data = data
        root = _parse(data, "[Content_Types].xml")
        ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
        if root.tag != ns + "Types":
            raise Unsupported("[Content_Types].xml")
        self.defaults = {e.get("Extension", "").lower() for e in root if e.tag == ns + "Default"}
        self.overrides = {e.get("PartName", "") for e in root if e.tag == ns + "Override"}
        self.add: list[bytes] = []
        self.drop: set[str] = set()

    def declared(self, part: str) -> bool:
        if "/" + part in self.drop:
            return False
        return ("/" + part) in self.overrides or part.rpartition("/")[2].rpartition(".")[2].lower() in self.defaults \
            or any(b'"/' + part.encode() + b'"' in a for a in self.add)

    def override(self, part: str, ctype: str) -> None:
        self.drop.discard("/" + part)
        if ("/" + part) not in self.overrides:
            self.add.append(b'<Override PartName="/' + esc(part, True) + b'" ContentType="' + ctype.encode() + b'"/>')

    def default(self, ext: str, ctype: str) -> None:
        if ext not in self.defaults:
            self.defaults.add(ext)
            self.add.append(b'<Default Extension="' + ext.encode() + b'" ContentType="' + ctype.encode() + b'"/>')

    def remove(self, part: str) -> None:
        self.drop.add("/" + part)
        self.add = [a for a in self.add if b'"/' + part.encode() + b'"' not in a]

    def serialize(self) -> bytes:
        rx = re.compile(rb"<Override\b[^>]*?(?:/>|>\s*</Override>)", re.S)
        data = rx.sub(lambda m: b"" if get_attr(m.group(0), b"PartName") in self.drop else m.group(0), self.data)
        end = data.rfind(b"</Types>")
        if end < 0:
            raise Unsupported("[Content_Types].xml")
        # Defaults first: the schema wants them before the Overrides only by convention, both are accepted
        return data[:end] + b"".join(self.add) + data[end:]


# --------------------------------------------------------------------------------------------------
# Styles: fills, fonts and cell formats appended, never renumbered


class Styles:
    SECTIONS = ((b"fonts", b"font"), (b"fills", b"fill"), (b"cellXfs", b"xf"))

    def __init__(self, data: bytes):
        self.data = data
        root = _parse(data, "styles.xml")
        if root.tag != f"{{{MAIN}}}styleSheet":
            raise Unsupported("styles.xml")
        self.items: dict[bytes, list[bytes]] = {}
        self.spans: dict[bytes, tuple[int, int, int, int]] = {}
        self.keys: dict[bytes, dict] = {}
        self.count0: dict[bytes, int] = {}
        for section, tag in self.SECTIONS:
            span = _section(data, section)
            if span is None or span[1] == span[2]:
                raise Unsupported(f"styles.xml has no {section.decode()}")
            self.spans[section] = span
            self.items[section] = _elements(data[span[1]:span[2]], tag)
            self.count0[section] = len(self.items[section])
            self.keys[section] = {}
            for i, item in enumerate(self.items[section]):
                self.keys[section].setdefault(_canon(item), i)

    def get(self, section: bytes, index: int) -> bytes:
        items = self.items[section]
        if not 0 <= index < len(items):
            raise Unsupported(f"style index {index} out of range")
        return items[index]

    def add(self, section: bytes, item: bytes) -> int:
        key = _canon(item)
        if key in self.keys[section]:
            return self.keys[section][key]
        self.items[section].append(item)
        self.keys[section][key] = len(self.items[section]) - 1
        return len(self.items[section]) - 1

    def xf_attr(self, xf: int, name: bytes) -> int:
        value = get_attr(_start_tag(self.get(b"cellXfs", xf)), name)
        return int(value) if value and value.isdigit() else 0

    def derive(self, xf: int, **attrs: str | None) -> int:
        """A cell format like ``xf`` with some attributes changed (``fillId="3"``, ``applyFill=None`` …)."""
        item = self.get(b"cellXfs", xf)
        head = _start_tag(item)
        new = head
        for name, value in attrs.items():
            new = set_attr(new, name.encode(), value)
        return self.add(b"cellXfs", new + item[len(head):])

    def changed(self) -> bool:
        return any(len(self.items[s]) != self.count0[s] for s, _ in self.SECTIONS)

    def serialize(self) -> bytes:
        out, pos = [], 0
        for section, _ in sorted(self.SECTIONS, key=lambda s: self.spans[s[0]][0]):
            start, inner, end_inner, end = self.spans[section]
            head = set_attr(self.data[start:inner], b"count", str(len(self.items[section])))
            added = b"".join(self.items[section][self.count0[section]:])
            out += [self.data[pos:start], head, self.data[inner:end_inner], added, self.data[end_inner:end]]
            pos = end
        out.append(self.data[pos:])
        return b"".join(out)


def _start_tag(item: bytes) -> bytes:
    end = item.find(b">")
    return item[:end + 1]


def solid_fill(rgb: str) -> bytes:
    rgb = esc(rgb, True)
    return (b'<fill><patternFill patternType="solid"><fgColor rgb="' + rgb + b'"/><bgColor rgb="' + rgb
            + b'"/></patternFill></fill>')


def _color_xml(tag: bytes, color) -> bytes:
    if not isinstance(color, dict):
        return b""
    if "rgb" in color and isinstance(color["rgb"], str):
        return b"<" + tag + b' rgb="' + esc(color["rgb"], True) + b'"/>'
    if isinstance(color.get("theme"), int):
        tint = color.get("tint") or 0
        extra = b' tint="' + repr(float(tint)).encode() + b'"' if isinstance(tint, (int, float)) and tint else b""
        return b"<" + tag + b' theme="' + str(color["theme"]).encode() + b'"' + extra + b"/>"
    if isinstance(color.get("indexed"), int):
        return b"<" + tag + b' indexed="' + str(color["indexed"]).encode() + b'"/>'
    return b""


def fill_xml(fill: dict) -> bytes:
    """A ``<fill>`` from the JSON description :meth:`PackageSurface.get_fill` gives (or openpyxl's)."""
    kind = fill.get("type")
    if not kind:
        return b'<fill><patternFill patternType="none"/></fill>'
    if not re.fullmatch(r"[A-Za-z0-9]{1,20}", str(kind)):
        raise Unsupported("fill type")
    return (b'<fill><patternFill patternType="' + str(kind).encode() + b'">' + _color_xml(b"fgColor", fill.get("fg"))
            + _color_xml(b"bgColor", fill.get("bg")) + b"</patternFill></fill>")


def _safe_fill(text) -> bytes | None:
    """A ``<fill>`` recorded in the state sheet, when it is one (else None: the description is used)."""
    if not isinstance(text, str) or len(text) > 4000:
        return None
    raw = text.encode("utf-8")
    try:
        el = DET.fromstring(b'<r xmlns="' + MAIN.encode() + b'">' + raw + b"</r>")
    except Exception:
        return None
    allowed = {f"{{{MAIN}}}{t}" for t in ("fill", "patternFill", "gradientFill", "fgColor", "bgColor", "stop",
                                          "color")}
    if len(el) != 1 or el[0].tag != f"{{{MAIN}}}fill" or any(e.tag not in allowed for e in el.iter() if e is not el):
        return None
    if not re.fullmatch(rb"<fill\b.*</fill>|<fill\b[^>]*/>", raw, re.S) or b"<!" in raw or b"<?" in raw:
        return None
    return raw


def _color_of(el) -> dict | None:
    if el is None:
        return None
    if el.get("rgb") is not None:
        return {"rgb": el.get("rgb")}
    if el.get("theme") is not None:
        try:
            return {"theme": int(el.get("theme")), "tint": float(el.get("tint") or 0.0)}
        except ValueError:
            return None
    if el.get("indexed") is not None and el.get("indexed").isdigit():
        return {"indexed": int(el.get("indexed"))}
    return None


def describe_fill(item: bytes) -> dict:
    try:
        el = DET.fromstring(b'<r xmlns="' + MAIN.encode() + b'">' + item + b"</r>")[0]
    except Exception:
        raise Unsupported("fill does not parse") from None
    pattern = el.find(f"{{{MAIN}}}patternFill")
    if pattern is None:
        return {"type": "gradient" if el.find(f"{{{MAIN}}}gradientFill") is not None else None, "fg": None, "bg": None}
    kind = pattern.get("patternType")
    return {"type": None if kind in (None, "none") else kind, "fg": _color_of(pattern.find(f"{{{MAIN}}}fgColor")),
            "bg": _color_of(pattern.find(f"{{{MAIN}}}bgColor"))}


def bold_font(item: bytes, rgb: str) -> bytes:
    """The font ``item`` made bold in colour ``rgb`` (its name, size, family, charset and scheme kept)."""
    def child(tag: bytes) -> bytes:
        m = re.search(rb"<" + tag + rb"\b[^>]*?(?:/>|>.*?</" + tag + rb">)", item, re.S)
        return m.group(0) if m else b""

    sz = child(b"sz") or b'<sz val="10"/>'
    name = child(b"name") or b'<name val="\xe5\xae\x8b\xe4\xbd\x93"/>'
    return (b"<font><b/>" + sz + b'<color rgb="' + esc(rgb, True) + b'"/>' + name + child(b"family")
            + child(b"charset") + child(b"scheme") + b"</font>")


# --------------------------------------------------------------------------------------------------
# One worksheet's XML: cells read and replaced by splicing, everything else byte for byte


_ROW_RE = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_REF = re.compile(rb'(?:^|\s)r="([A-Z]{1,3})([0-9]{1,7})"')
_ROWNUM = re.compile(rb'(?:^|\s)r="([0-9]{1,7})"')
_RPH = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+):([A-Z]{1,3}[0-9]+)"')
_WS_ROOT = re.compile(rb"<(?:worksheet|chartsheet|dialogsheet)\b[^>]*?\sxmlns=\"" + re.escape(MAIN.encode()) + rb'"')
# the elements that follow <legacyDrawing> in a worksheet (CT_Worksheet's sequence)
_AFTER_LEGACY = (b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                 b"tableParts", b"extLst")


def rich_text(body: bytes) -> str:
    """The plain text of a string item / inline string / comment body (phonetic runs left out)."""
    return "".join(unesc(t or b"") for t in TEXT_RE.findall(_RPH.sub(b"", body)))


class SheetXml:
    """A worksheet part. Rows are indexed on first use; edited rows are rebuilt, others copied."""

    def __init__(self, part: str, data: bytes):
        self.part, self.data = part, data
        if not _WS_ROOT.search(data[:4096]):
            raise Unsupported(f"{part}: not a transitional SpreadsheetML sheet")
        self.span = _section(data, b"sheetData")
        self._rows: dict[int, tuple[int, int, bytes, bytes | None]] | None = None
        self._cells: dict[int, dict[int, bytes]] = {}
        self.edits: dict[tuple[int, int], bytes] = {}
        self.tab_selected: bool | None = None  # set: the first sheetView's tabSelected
        self.legacy: str | None | bool = False  # False: unchanged; None: removed; str: the r:id
        self._merged = None

    def region(self) -> bytes:
        if self.span is None:
            return b""
        return self.data[self.span[1]:self.span[2]]

    def rows(self) -> dict[int, tuple[int, int, bytes, bytes | None]]:
        if self._rows is None:
            region = self.region()
            if b"<!--" in region or b"<![CDATA[" in region or b"<?" in region:
                raise Unsupported(f"{self.part}: comments or CDATA in sheetData")
            rows, last, gaps = {}, 0, []
            for m in _ROW_RE.finditer(region):
                gaps.append(region[last:m.start()])
                last = m.end()
                num = _ROWNUM.search(m.group(1))
                if not num or int(num.group(1)) in rows or (rows and int(num.group(1)) < max(rows)):
                    raise Unsupported(f"{self.part}: rows without numbers or out of order")
                rows[int(num.group(1))] = (m.start(), m.end(), m.group(1), m.group(2))
            gaps.append(region[last:])
            if any(g.strip() for g in gaps):
                raise Unsupported(f"{self.part}: unexpected content in sheetData")
            self._rows = rows
        return self._rows

    def cells(self, row: int) -> dict[int, bytes]:
        if row not in self._cells:
            entry = self.rows().get(row)
            cells: dict[int, bytes] = {}
            if entry is not None and entry[3]:
                for raw in _elements(entry[3], b"c"):
                    ref = _REF.search(_start_tag(raw))
                    if not ref or int(ref.group(2)) != row:
                        raise Unsupported(f"{self.part}: a cell without its reference")
                    cells[parse_a1(ref.group(1).decode() + "1")[1]] = raw
            self._cells[row] = cells
        return self._cells[row]

    def cell(self, row: int, col: int) -> bytes | None:
        if (row, col) in self.edits:
            return self.edits[(row, col)]
        return self.cells(row).get(col)

    def merged_origin(self, row: int, col: int) -> tuple[int, int]:
        """The top-left cell of the merged range holding (row, col); the cell itself when none does."""
        if self._merged is None:
            self._merged = [(parse_a1(a.decode()), parse_a1(b.decode())) for a, b in _MERGE.findall(self.data)]
        for (r0, c0), (r1, c1) in self._merged:
            if r0 <= row <= r1 and c0 <= col <= c1:
                return r0, c0
        return row, col

    def style(self, row: int, col: int) -> int:
        raw = self.cell(row, col)
        if raw is not None:
            s = get_attr(_start_tag(raw), b"s")
            return int(s) if s and s.isdigit() else 0
        entry = self.rows().get(row)
        if entry is not None and get_attr(entry[2], b"customFormat") in ("1", "true"):
            s = get_attr(entry[2], b"s")
            return int(s) if s and s.isdigit() else 0
        for m in re.finditer(rb"<col\b[^>]*>", self.data[: self.span[0] if self.span else len(self.data)]):
            lo, hi, s = get_attr(m.group(0), b"min"), get_attr(m.group(0), b"max"), get_attr(m.group(0), b"style")
            if lo and hi and s and lo.isdigit() and hi.isdigit() and s.isdigit() and int(lo) <= col <= int(hi):
                return int(s)
        return 0

    def set_style(self, row: int, col: int, xf: int) -> None:
        raw = self.cell(row, col)
        ref = f"{col_letters(col)}{row}".encode()
        if raw is None:
            raw = b'<c r="' + ref + b'"/>'
        head = _start_tag(raw)
        self.edits[(row, col)] = set_attr(head, b"s", None if xf == 0 else str(xf)) + raw[len(head):]

    def put(self, row: int, col: int, value: Any, xf: int) -> None:
        """Replace the cell by ``value`` (a string is an inline string: never a formula)."""
        self.edits[(row, col)] = cell_xml(row, col, value, xf)

    def value(self, row: int, col: int, shared) -> Any:
        """The cell's value as openpyxl gives it (a formula as ``=…``)."""
        raw = self.cell(row, col)
        if raw is None or raw.endswith(b"/>") and raw.count(b"<") == 1:
            return None
        head, body = _start_tag(raw), raw[len(_start_tag(raw)):]
        f = re.search(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", body, re.S)
        if f and f.group(1):
            return "=" + unesc(f.group(1))
        kind = get_attr(head, b"t") or "n"
        if kind == "inlineStr":
            return rich_text(body)
        v = re.search(rb"<v\b[^>]*?(?:/>|>(.*?)</v>)", body, re.S)
        text = unesc(v.group(1) or b"") if v else None
        if text is None:
            return None
        if kind == "s":
            strings = shared()
            return strings[int(text)] if text.isdigit() and int(text) < len(strings) else None
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind in ("str", "e"):
            return text
        try:
            return int(text) if re.fullmatch(r"-?[0-9]{1,15}", text.strip()) else float(text)
        except ValueError:
            return text

    def changed(self) -> bool:
        return bool(self.edits) or self.tab_selected is not None or self.legacy is not False

    def serialize(self) -> bytes:
        data = self._with_cells() if self.edits else self.data
        if self.tab_selected is not None:
            m = re.search(rb"<sheetView\b[^>]*>", data)
            if m:
                tag = set_attr(m.group(0), b"tabSelected", "1" if self.tab_selected else None)
                data = data[:m.start()] + tag + data[m.end():]
        if self.legacy is not False:
            data = re.sub(rb"<legacyDrawing\b[^>]*?(?:/>|>\s*</legacyDrawing>)", b"", data, count=1)
            if self.legacy:
                data = _insert_legacy(data, self.legacy)
        return data

    def _with_cells(self) -> bytes:
        rows = self.rows()
        touched = sorted({r for r, _ in self.edits})
        new_rows = [r for r in touched if r not in rows]
        region, out, pos = self.region(), [], 0
        for r, (start, end, attrs, body) in rows.items():
            while new_rows and new_rows[0] < r:
                out.append(self._row_xml(new_rows.pop(0), None))
            out.append(region[pos:start])
            out.append(self._row_xml(r, attrs) if r in touched else region[start:end])
            pos = end
        out.append(region[pos:])
        out += [self._row_xml(r, None) for r in new_rows]
        start, inner, end_inner, end = self.span
        if inner == end_inner and end == inner:  # <sheetData/>
            return self.data[:start] + b"<sheetData>" + b"".join(out) + b"</sheetData>" + self.data[end:]
        return self.data[:inner] + b"".join(out) + self.data[end_inner:]

    def _row_xml(self, row: int, attrs: bytes | None) -> bytes:
        cells = dict(self.cells(row))
        cells.update({c: raw for (r, c), raw in self.edits.items() if r == row})
        head = b"<row" + (attrs if attrs is not None else b' r="%d"' % row) + b">"
        head = set_attr(head, b"spans", None)
        return head + b"".join(cells[c] for c in sorted(cells)) + b"</row>"


def cell_xml(row: int, col: int, value: Any, xf: int) -> bytes:
    ref = b'<c r="' + f"{col_letters(col)}{row}".encode() + b'"' + (b' s="%d"' % xf if xf else b"")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        value = str(value)
    if value is None:
        return ref + b"/>"
    if isinstance(value, bool):
        return ref + b' t="b"><v>' + (b"1" if value else b"0") + b"</v></c>"
    if isinstance(value, (int, float)):
        return ref + b"><v>" + repr(value).encode() + b"</v></c>"
    return ref + b' t="inlineStr"><is><t xml:space="preserve">' + esc(str(value)) + b"</t></is></c>"


def _insert_legacy(data: bytes, rid: str) -> bytes:
    root = re.search(rb"<worksheet\b[^>]*>", data)
    declared = root and re.search(rb'\sxmlns:r="' + re.escape(OFFREL.encode()) + rb'"', root.group(0))
    element = (b'<legacyDrawing r:id="' + esc(rid, True) + b'"/>' if declared else
               b'<legacyDrawing xmlns:r="' + OFFREL.encode() + b'" r:id="' + esc(rid, True) + b'"/>')
    sd = _section(data, b"sheetData")
    end = data.rfind(b"</worksheet>")
    if sd is None or end < 0:
        raise Unsupported("worksheet without sheetData")
    at = end
    for start, name in _top_children(data, sd[3], end):
        if name.rpartition(b":")[2] in _AFTER_LEGACY or name == b"mc:AlternateContent":
            at = start
            break
    return data[:at] + element + data[at:]


_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)\b[^>]*?(/?)>", re.S)


def _top_children(data: bytes, start: int, end: int) -> list[tuple[int, bytes]]:
    """(position, tag name) of the worksheet's child elements between ``start`` and ``end``."""
    out, depth = [], 0
    for m in _TAG.finditer(data, start, end):
        if m.group(1):
            depth -= 1
        else:
            if depth == 0:
                out.append((m.start(), m.group(2)))
            if not m.group(3):
                depth += 1
    return out


# --------------------------------------------------------------------------------------------------
# Notes: a sheet's comments part and its VML drawing


_COMMENT = re.compile(rb"<comment\b[^>]*?(?:/>|>.*?</comment>)", re.S)
_SHAPE = re.compile(rb"<v:shape\b[^>]*>.*?</v:shape>", re.S)
_SHAPE_ID = re.compile(rb'<v:shape\b[^>]*?\sid="_x0000_s([0-9]{1,9})"')
_IDMAP = re.compile(rb'<o:idmap\b[^>]*?\sdata="([0-9, ]+)"')
_VML_NS = (b'xmlns:v="urn:schemas-microsoft-com:vml"', b'xmlns:o="urn:schemas-microsoft-com:office:office"',
           b'xmlns:x="urn:schemas-microsoft-com:office:excel"')
_SHAPETYPE = (b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
              b'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _only_notes(vml: bytes) -> bool:
    """Whether a VML drawing (of a prefix spelling this writer does not splice) holds nothing but notes."""
    try:
        root = DET.fromstring(vml)
    except Exception:
        return False
    kinds = [e.get("ObjectType") for e in root.iter() if str(e.tag).endswith("}ClientData")]
    shapes = [e for e in root.iter() if str(e.tag) == "{urn:schemas-microsoft-com:vml}shape"]
    return len(kinds) == len(shapes) and all(k == "Note" for k in kinds)


class Notes:
    """The notes (legacy comments) of one sheet, changed cell by cell and written back by splicing."""

    def __init__(self, pkg: "PackageSurface", sheet: SheetXml, rels: Rels):
        self.pkg, self.sheet, self.rels = pkg, sheet, rels
        self.comments_rid = next(iter(rels.of_type(T_COMMENTS)), None)
        self.part = rels.target(self.comments_rid) if self.comments_rid else None
        self.data = pkg.read(self.part) if self.part else None
        self.items: dict[str, bytes] = {}
        self.authors: list[str] = []
        if self.data is not None:
            root = _parse(self.data, self.part)
            if root.tag != f"{{{MAIN}}}comments":
                raise Unsupported(f"{self.part}: not SpreadsheetML comments")
            span = _section(self.data, b"commentList")
            for raw in _elements(self.data[span[1]:span[2]], b"comment") if span else []:
                self.items[(get_attr(_start_tag(raw), b"ref") or "").upper()] = raw
            self.authors = [rich_text(b"<t>" + a + b"</t>") for a in
                            re.findall(rb"<author>(.*?)</author>", self.data, re.S)]
        m = re.search(rb"<legacyDrawing\b[^>]*?\br:id=\"([^\"]*)\"", sheet.data)
        self.vml_rid = m.group(1).decode() if m else None
        self.vml_part = rels.target(self.vml_rid) if self.vml_rid else None
        self.vml = pkg.read(self.vml_part, xml=False) if self.vml_part else None
        self.regenerate = False
        if self.vml is not None and (b"</xml>" not in self.vml or not all(ns in self.vml for ns in _VML_NS)):
            self.regenerate = _only_notes(self.vml)  # e.g. openpyxl's ns0:/ns1: prefixes
            if not self.regenerate:
                raise Unsupported(f"{self.vml_part}: a VML drawing this writer does not know")
        self.texts: dict[str, str | None] = {}

    def get(self, ref: str) -> str | None:
        if ref in self.texts:
            return self.texts[ref]
        raw = self.items.get(ref)
        if raw is None:
            return None
        m = re.search(rb"<text\b[^>]*>(.*?)</text>", raw, re.S)
        return rich_text(m.group(1)) if m else ""

    def set(self, ref: str, text: str | None) -> None:
        self.texts[ref] = text

    def changed(self) -> bool:
        return bool(self.texts)

    def _comment(self, ref: str, text: str, author: int) -> bytes:
        return (b'<comment ref="' + ref.encode() + b'" authorId="%d"><text><r><rPr><sz val="9"/>' % author
                + b'<rFont val="\xe5\xae\x8b\xe4\xbd\x93"/></rPr><t xml:space="preserve">' + esc(text)
                + b"</t></r></text></comment>")

    def _comments_xml(self) -> bytes | None:
        if not self.remaining():
            return None
        data = self.data or (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="'
                             + MAIN.encode() + b'"><authors></authors><commentList></commentList></comments>')
        data = data.replace(b"<authors/>", b"<authors></authors>").replace(b"<commentList/>",
                                                                          b"<commentList></commentList>")
        authors = self.authors
        if NOTE_AUTHOR not in authors:
            end = data.find(b"</authors>")
            if end < 0:
                raise Unsupported("comments without authors")
            data = data[:end] + b"<author>" + NOTE_AUTHOR.encode() + b"</author>" + data[end:]
            authors = authors + [NOTE_AUTHOR]
        author = authors.index(NOTE_AUTHOR)

        def keep(m):
            ref = (get_attr(_start_tag(m.group(0)), b"ref") or "").upper()
            if ref not in self.texts:
                return m.group(0)
            return b"" if self.texts[ref] is None else self._comment(ref, self.texts[ref], author)

        data = _COMMENT.sub(keep, data)
        new = b"".join(self._comment(ref, t, author) for ref, t in self.texts.items()
                       if t is not None and ref not in self.items)
        end = data.rfind(b"</commentList>")
        return data[:end] + new + data[end:]

    def remaining(self) -> list[str]:
        """The cells that have a note once the changes are made."""
        kept = [ref for ref in self.items if self.texts.get(ref, "") is not None]
        return kept + [ref for ref, t in self.texts.items() if t is not None and ref not in self.items]

    def _shape(self, ref: str, sid: int) -> bytes:
        row, col = parse_a1(ref)
        r, c = row - 1, col - 1
        anchor = f"{c + 1}, 15, {max(r - 1, 0)}, 10, {c + 5}, 15, {max(r - 1, 0) + 9}, 4".encode()
        return (b'<v:shape id="_x0000_s%d" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
                b'margin-top:1.5pt;width:270pt;height:120pt;z-index:%d;visibility:hidden" fillcolor="#ffffe1" '
                b'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
                b'<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left">'
                b'</div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>'
                % (sid, sid % 1024) + anchor + b"</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>%d</x:Row>"
                b"<x:Column>%d</x:Column></x:ClientData></v:shape>" % (r, c))

    def _vml_xml(self) -> bytes | None:
        changed = set(self.texts)
        if self.vml is None or self.regenerate:
            changed = set(self.remaining())
            block = self.pkg.new_vml_block()
            data = (b'<xml ' + b" ".join(_VML_NS) + b'><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="%d"/>'
                    b"</o:shapelayout>" % block + _SHAPETYPE + b"</xml>")
            next_id = block * 1024 + 1
        else:
            data = self.vml

            def drop(m):
                shape = m.group(0)
                if b'ObjectType="Note"' not in shape:
                    return shape
                r = re.search(rb"<x:Row>\s*([0-9]+)\s*</x:Row>", shape)
                c = re.search(rb"<x:Column>\s*([0-9]+)\s*</x:Column>", shape)
                if r and c and f"{col_letters(int(c.group(1)) + 1)}{int(r.group(1)) + 1}" in changed:
                    return b""
                return shape

            data = _SHAPE.sub(drop, data)
            if b'id="_x0000_t202"' not in data:
                at = data.find(b"</o:shapelayout>")
                at = at + len(b"</o:shapelayout>") if at >= 0 else data.find(b">", data.find(b"<xml")) + 1
                data = data[:at] + _SHAPETYPE + data[at:]
            next_id = max([int(x) for x in _SHAPE_ID.findall(data)] + [1024]) + 1
        shapes = []
        for ref in sorted(changed, key=parse_a1):
            if self.texts.get(ref, self.get(ref)) is not None:
                shapes.append(self._shape(ref, next_id))
                next_id += 1
        end = data.rfind(b"</xml>")
        data = data[:end] + b"".join(shapes) + data[end:]
        return data if re.search(rb"<v:shape\b", data) else None

    def commit(self) -> None:
        """Hand the changed parts to the package (comments, VML, relationships, content types)."""
        if not self.texts:
            return
        pkg, comments, vml = self.pkg, self._comments_xml(), self._vml_xml()
        if comments is None:
            if self.part:
                pkg.delete(self.part)
                self.rels.remove(self.comments_rid)
        else:
            if not self.part:
                self.part = pkg.free_name("xl/comments{}.xml")
                self.rels.add(T_COMMENTS, self.part)
            pkg.put(self.part, comments)
            pkg.types.override(self.part, CT_COMMENTS)
        if vml is None:
            if self.vml_part:
                pkg.delete(self.vml_part)
                self.rels.remove(self.vml_rid)
                self.sheet.legacy = None
        else:
            if not self.vml_part:
                self.vml_part = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
                self.vml_rid = self.rels.add(T_VML, self.vml_part)
                self.sheet.legacy = self.vml_rid
            pkg.put(self.vml_part, vml)
            pkg.types.default("vml", CT_VML)


# --------------------------------------------------------------------------------------------------
# The sheets juesuan adds


class NewSheet:
    """A sheet written here from scratch (the 校验结果 and state sheets)."""

    def __init__(self, name: str, hidden: bool):
        self.name, self.hidden = name, hidden
        self.values: dict[tuple[int, int], tuple[Any, int]] = {}
        self.links: dict[tuple[int, int], str] = {}
        self.widths: dict[int, float] = {}
        self.freeze: int | None = None
        self.filter: str | None = None
        self.selected = False
        self.printed = False  # landscape A4, one page wide (the 校验结果 sheet)
        self.title_row: int | None = None  # repeated on every printed page

    def xml(self) -> bytes:
        rows: dict[int, list[tuple[int, bytes]]] = {}
        for (r, c), (value, xf) in self.values.items():
            rows.setdefault(r, []).append((c, cell_xml(r, c, value, xf)))
        data = b"".join(b'<row r="%d">' % r + b"".join(x for _, x in sorted(cells)) + b"</row>"
                        for r, cells in sorted(rows.items()))
        view = b'<sheetView workbookViewId="0"' + (b' tabSelected="1"' if self.selected else b"")
        if self.freeze:
            view += (b'><pane ySplit="%d" topLeftCell="A%d" activePane="bottomLeft" state="frozen"/>'
                     b'<selection pane="bottomLeft" activeCell="A%d" sqref="A%d"/></sheetView>'
                     % (self.freeze, self.freeze + 1, self.freeze + 1, self.freeze + 1))
        else:
            view += b"/>"
        cols = b"".join(b'<col min="%d" max="%d" width="%s" customWidth="1"/>' % (c, c, repr(float(w)).encode())
                        for c, w in sorted(self.widths.items()))
        links = b"".join(b'<hyperlink ref="' + f"{col_letters(c)}{r}".encode() + b'" location="' + esc(t, True)
                         + b'" display="' + esc(str(self.values.get((r, c), ("",))[0] or ""), True) + b'"/>'
                         for (r, c), t in sorted(self.links.items()))
        fit = b'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.printed else b""
        margins = (b'<pageMargins left="0.4" right="0.4" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                   b'<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
                   if self.printed else
                   b'<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
        return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="' + MAIN.encode()
                + b'" xmlns:r="' + OFFREL.encode() + b'">' + fit + b"<sheetViews>" + view + b"</sheetViews>"
                + b'<sheetFormatPr defaultRowHeight="15"/>' + (b"<cols>" + cols + b"</cols>" if cols else b"")
                + b"<sheetData>" + data + b"</sheetData>"
                + (b'<autoFilter ref="' + self.filter.encode() + b'"/>' if self.filter else b"")
                + (b"<hyperlinks>" + links + b"</hyperlinks>" if links else b"")
                + margins + b"</worksheet>")


def _print_titles(data: bytes, titles: list[tuple[int, str, int]]) -> bytes:
    """workbook.xml with a ``_xlnm.Print_Titles`` name (the rows repeated on each printed page) for each
    (sheet position, name, row) of ``titles``; a sheet's earlier print titles are replaced."""
    if not titles:
        return data
    names = b"".join(b'<definedName name="_xlnm.Print_Titles" localSheetId="%d">' % i
                     + esc("'" + name.replace("'", "''") + f"'!${row}:${row}") + b"</definedName>"
                     for i, name, row in titles)
    for i, _, _ in titles:
        data = re.sub(rb'<definedName\b(?=[^>]*name="_xlnm\.Print_Titles")(?=[^>]*localSheetId="%d")[^>]*>.*?</definedName>'
                      % i, b"", data, flags=re.S)
    if re.search(rb"<definedNames\b[^>]*/>", data):
        data = re.sub(rb"<definedNames\b[^>]*/>", b"<definedNames>" + names + b"</definedNames>", data, count=1)
    elif b"<definedNames" in data:
        data = re.sub(rb"(<definedNames\b[^>]*>)", lambda m: m.group(1) + names, data, count=1)
    else:
        after = b"</externalReferences>" if b"</externalReferences>" in data else b"</sheets>"  # schema order
        data = data.replace(after, after + b"<definedNames>" + names + b"</definedNames>", 1)
    return data


# --------------------------------------------------------------------------------------------------
# The surface


class PackageSurface:
    """:class:`~juesuan.writeback.marks.Surface` on a workbook package; :meth:`build` gives the new package.

    Raises :class:`Unsupported` (at once or while marks are applied) for what it cannot write safely."""

    def __init__(self, src, header: list[str] | None = None):
        self.src, self.header = Path(src), header or []
        self.zf = open_checked(self.src)
        try:
            self._open()
        except BaseException:
            self.zf.close()
            raise

    def _open(self) -> None:
        self.infos = self.zf.infolist()
        self.names = [i.filename for i in self.infos]
        if len(set(self.names)) != len(self.names):
            raise Unsupported("duplicate zip members")
        self.parts: dict[str, bytes] = {}  # changed and new parts
        self.deleted: set[str] = set()
        self.types = ContentTypes(self.read("[Content_Types].xml"))
        root = Rels("_rels/.rels", self.read("_rels/.rels"))
        if [root.target(i) for i in root.of_type(OFFREL + "/officeDocument")] != ["xl/workbook.xml"]:
            raise Unsupported("the workbook is not xl/workbook.xml")
        self.wb_xml = self.read("xl/workbook.xml")
        wb = _parse(self.wb_xml, "xl/workbook.xml")
        if wb.tag != f"{{{MAIN}}}workbook":
            raise Unsupported("not a transitional SpreadsheetML workbook (strict OOXML?)")
        self.wb_rels = Rels("xl/_rels/workbook.xml.rels", self.read("xl/_rels/workbook.xml.rels"))
        self.sheets: list[dict] = []
        for el in wb.iterfind(f"{{{MAIN}}}sheets/{{{MAIN}}}sheet"):
            rid = el.get(f"{{{OFFREL}}}id", "")
            kind = self.wb_rels.items.get(rid, ("", "", None))[0]
            self.sheets.append({"name": el.get("name", ""), "rid": rid, "part": self.wb_rels.target(rid),
                                "kind": kind, "state": el.get("state"), "id": el.get("sheetId", "0")})
        styles = [self.wb_rels.target(i) for i in self.wb_rels.of_type(OFFREL + "/styles")]
        if len(styles) != 1 or styles[0] not in self.names:
            raise Unsupported("no styles part")
        self.styles_part = styles[0]
        self.styles = Styles(self.read(self.styles_part))
        self._xml: dict[str, SheetXml] = {}
        self._notes: dict[str, Notes] = {}
        self._rels: dict[str, Rels] = {}
        self._shared: list[str] | None = None
        self.active: str | None = None
        self._blocks: list[int] = []
        self.status_styles: dict[str, str] = {}  # "sheet!cell" → the cell format under a status line
        self._old_styles: dict[str, str] | None = None

    def close(self) -> None:
        self.zf.close()

    # --- parts -------------------------------------------------------------------------------------

    def read(self, part: str | None, xml: bool = True) -> bytes | None:
        if part is None or part in self.deleted:
            return None
        if part in self.parts:
            return self.parts[part]
        if part not in self.names:
            return None
        try:
            return read_part(self.zf, part, self.src) if xml else self.zf.read(part)
        except InputError as exc:
            raise Unsupported(str(exc)) from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
            raise Unsupported(f"{part}: {exc}") from None

    def put(self, part: str, data: bytes) -> None:
        self.deleted.discard(part)
        self.parts[part] = data

    def delete(self, part: str) -> None:
        self.parts.pop(part, None)
        self.deleted.add(part)
        self.types.remove(part)

    def exists(self, part: str) -> bool:
        return part not in self.deleted and (part in self.parts or part in self.names)

    def free_name(self, pattern: str) -> str:
        n = 1
        while self.exists(pattern.format(n)) or pattern.format(n).lower() in {x.lower() for x in self.names}:
            n += 1
        self.parts[pattern.format(n)] = b""  # reserved
        return pattern.format(n)

    def new_vml_block(self) -> int:
        used = list(self._blocks)
        for name in self.names:
            if name.endswith(".vml"):
                data = self.read(name, xml=False) or b""
                used += [int(x) for m in _IDMAP.findall(data) for x in m.replace(b" ", b"").split(b",") if x]
        block = max(used + [0]) + 1
        self._blocks.append(block)
        return block

    def rels_of(self, part: str) -> Rels:
        path = _rels_path(part)
        if path not in self._rels:
            self._rels[path] = Rels(path, self.read(path))
        return self._rels[path]

    def shared(self) -> list[str]:
        if self._shared is None:
            parts = [self.wb_rels.target(i) for i in self.wb_rels.of_type(OFFREL + "/sharedStrings")]
            data = self.read(parts[0]) if parts else None
            self._shared = [rich_text(m) for m in re.findall(rb"<si\b[^>]*>(.*?)</si>|<si\b[^>]*/>", data or b"", re.S)]
        return self._shared

    # --- sheets ------------------------------------------------------------------------------------

    def _entry(self, sheet: str) -> dict:
        entry = next((s for s in self.sheets if s["name"] == sheet and not s.get("removed")), None)
        if entry is None:
            raise Unsupported(f"no sheet {sheet!r}")
        return entry

    def _ws(self, entry: dict) -> SheetXml:
        part = entry["part"]
        if entry["kind"] != T_SHEET or not part or part not in self.names:
            raise Unsupported(f"sheet {entry['name']!r} is not a worksheet this writer can change")
        if part not in self._xml:
            self._xml[part] = SheetXml(part, self.read(part))
        return self._xml[part]

    def _at(self, sheet: str, cell: str) -> tuple[SheetXml, int, int]:
        xml = self._ws(self._entry(sheet))
        row, col = xml.merged_origin(*parse_a1(cell))
        return xml, row, col

    def _notes_of(self, sheet: str) -> tuple[Notes, str]:
        xml, row, col = self._at(sheet, "A1")
        if xml.part not in self._notes:
            rels = self.rels_of(xml.part)
            if any("threadedComment" in t for t, _, _ in rels.items.values()):
                raise Unsupported(f"{xml.part}: threaded comments")
            self._notes[xml.part] = Notes(self, xml, rels)
        return self._notes[xml.part], ""

    def sheet_names(self) -> list[str]:
        return [s["name"] for s in self.sheets if not s.get("removed")]

    def get_value(self, sheet, cell):
        entry = self._entry(sheet)
        if "new" in entry:
            return entry["new"].values.get(parse_a1(cell), (None,))[0]
        if entry["kind"] != T_SHEET:
            return None
        xml, row, col = self._at(sheet, cell)
        return xml.value(row, col, self.shared)

    def set_value(self, sheet, cell, value, bold_color=None):
        entry = self._entry(sheet)
        if "new" in entry:
            entry["new"].values[parse_a1(cell)] = (value, 0)
            return
        xml, row, col = self._at(sheet, cell)
        xf = xml.style(row, col)
        where = f"{sheet}!{col_letters(col)}{row}"
        if not bold_color and where in self.old_styles():  # a status line taken away: its cell's format back
            xf = self.styles.add(b"cellXfs", self.old_styles()[where].encode("utf-8"))
        if bold_color:
            self.status_styles.setdefault(where, self.styles.get(b"cellXfs", xf).decode("utf-8"))
            font = self.styles.get(b"fonts", self.styles.xf_attr(xf, b"fontId"))
            font_id = self.styles.add(b"fonts", bold_font(font, "FF" + bold_color))
            xf = self.styles.derive(xf, fontId=str(font_id), applyFont="1")
        xml.put(row, col, value, xf)

    def old_styles(self) -> dict[str, str]:
        """The formats under the status lines of the last annotation (the state sheet's cell B1, which
        only this writer reads); what does not parse as a plain cell format is ignored."""
        if self._old_styles is None:
            self._old_styles = {}
            entry = next((s for s in self.sheets if s["name"] == STATE_SHEET and "new" not in s
                          and s["kind"] == T_SHEET), None)
            if entry is not None and entry["part"] in self.names:
                try:
                    raw = json.loads(str(self._ws(entry).value(1, 2, self.shared) or "{}"))
                except ValueError:
                    raw = {}
                if isinstance(raw, dict):
                    self._old_styles = {k: v for k, v in raw.items() if isinstance(k, str) and self._plain_xf(v)}
        return self._old_styles

    def _plain_xf(self, text) -> bool:
        if not isinstance(text, str) or len(text) > 2000 or not _PLAIN_XF.fullmatch(text):
            return False
        tag = text.encode()
        limits = {b"fontId": b"fonts", b"fillId": b"fills"}
        return all(int(get_attr(tag, a) or 0) < len(self.styles.items[sec]) for a, sec in limits.items())

    def get_fill(self, sheet, cell):
        xml, row, col = self._at(sheet, cell)
        xf = xml.style(row, col)
        item = self.styles.get(b"fills", self.styles.xf_attr(xf, b"fillId"))
        out = describe_fill(item)
        out["xml"] = item.decode("utf-8", "replace")
        out["apply"] = get_attr(_start_tag(self.styles.get(b"cellXfs", xf)), b"applyFill")
        return out

    def set_fill(self, sheet, cell, fill):
        xml, row, col = self._at(sheet, cell)
        xf, apply = xml.style(row, col), "1"
        if isinstance(fill, str):
            item = solid_fill("FF" + fill)
        elif isinstance(fill, list) and len(fill) == 3:
            item = solid_fill("FF" + "".join(f"{int(x) & 255:02X}" for x in fill))
        elif isinstance(fill, dict) and _safe_fill(fill.get("xml")) is not None:
            item = _safe_fill(fill["xml"])
            apply = fill.get("apply") if fill.get("apply") in ("0", "1", "true", "false") else None
        else:
            item = fill_xml(fill if isinstance(fill, dict) else {})
        fill_id = self.styles.add(b"fills", item)
        xml.set_style(row, col, self.styles.derive(xf, fillId=str(fill_id), applyFill=apply))

    def get_note(self, sheet, cell):
        xml, row, col = self._at(sheet, cell)
        notes, _ = self._notes_of(sheet)
        return notes.get(f"{col_letters(col)}{row}")

    def set_note(self, sheet, cell, text):
        xml, row, col = self._at(sheet, cell)
        notes, _ = self._notes_of(sheet)
        notes.set(f"{col_letters(col)}{row}", None if text is None else clean_text(str(text)))

    def add_sheet(self, name, hidden=False):
        if name in self.sheet_names():
            self.remove_sheet(name)
        self.sheets.append({"name": name, "new": NewSheet(name, hidden), "state": "veryHidden" if hidden else None})

    def remove_sheet(self, name):
        entry = self._entry(name)
        if "new" in entry:
            self.sheets.remove(entry)
        else:
            entry["removed"] = True

    def write_table(self, sheet, rows, links, widths):
        entry = self._entry(sheet)
        if "new" not in entry:
            raise Unsupported("a table into an existing sheet")
        new = entry["new"]
        base = self.styles.get(b"fonts", 0)
        title = self._font_xf(base, b"<b/>", 14)
        bold = self._font_xf(base, b"<b/>", None)
        link = self._font_xf(base, b'<u/>', None, "FF0563C1")
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                new.values[(r, c)] = (value, 0)
        for (r, c), target in links.items():
            new.links[(r, c)] = target
            new.values[(r, c)] = (new.values.get((r, c), (None,))[0], link)
        new.widths = dict(widths)
        if (1, 1) in new.values:
            new.values[(1, 1)] = (new.values[(1, 1)][0], title)
        head = next((i for i, row in enumerate(rows, start=1) if self.header and row[:2] == self.header[:2]), None)
        if head:
            for c in range(1, len(self.header) + 1):
                new.values[(head, c)] = (new.values.get((head, c), (None,))[0], bold)
            new.freeze = head
            new.filter = f"A{head}:{col_letters(len(self.header))}{len(rows)}"
            new.title_row = head
            wrap = self.styles.add(b"cellXfs", b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" '
                                               b'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>')
            for r in range(head + 1, len(rows) + 1):
                for c in (11, 12):  # the message and the other rules: wrapped, as on paper
                    value, xf = new.values.get((r, c), (None, 0))
                    if xf == 0:
                        new.values[(r, c)] = (value, wrap)
        new.printed = True

    def _font_xf(self, base: bytes, extra: bytes, size: int | None, rgb: str | None = None) -> int:
        def child(tag: bytes) -> bytes:
            m = re.search(rb"<" + tag + rb"\b[^>]*?(?:/>|>.*?</" + tag + rb">)", base, re.S)
            return m.group(0) if m else b""

        sz = b'<sz val="%d"/>' % size if size else (child(b"sz") or b'<sz val="11"/>')
        color = b'<color rgb="' + rgb.encode() + b'"/>' if rgb else child(b"color")
        font = b"<font>" + extra + sz + color + child(b"name") + child(b"family") + child(b"charset") \
            + child(b"scheme") + b"</font>"
        font_id = self.styles.add(b"fonts", font)
        return self.styles.add(b"cellXfs", b'<xf numFmtId="0" fontId="%d" fillId="0" borderId="0" xfId="0" '
                                           b'applyFont="1"/>' % font_id)

    def activate(self, sheet):
        self.active = sheet

    # --- the new package ---------------------------------------------------------------------------

    def build(self) -> bytes:
        """The annotated package (checked: every changed part parses, every new relationship resolves)."""
        for notes in self._notes.values():
            notes.commit()
        self._new_sheets()
        self._removed_sheets()
        final = self.sheet_names()
        active = self._active_index(final)
        self._select(final, active)
        self.put("xl/workbook.xml", self._workbook_xml(final, active))
        for part, xml in self._xml.items():
            if xml.changed():
                self.put(part, xml.serialize())
        for path, rels in list(self._rels.items()) + [("xl/_rels/workbook.xml.rels", self.wb_rels)]:
            if rels.changed():
                data = rels.serialize()
                self.put(path, data) if data is not None else self.delete(path)
        if self.styles.changed():
            self.put(self.styles_part, self.styles.serialize())
        self.put("[Content_Types].xml", self.types.serialize())
        data = self._zip()
        self._verify(data)
        return data

    def _new_sheets(self) -> None:
        state = next((s["new"] for s in self.sheets if "new" in s and s["name"] == STATE_SHEET), None)
        if state is not None and self.status_styles:
            state.values[(1, 2)] = (json.dumps(self.status_styles), 0)
        ids = [int(s["id"]) for s in self.sheets if str(s.get("id", "")).isdigit()]
        for entry in self.sheets:
            if "new" not in entry:
                continue
            part = self.free_name("xl/worksheets/sheet{}.xml")
            entry.update(part=part, kind=T_SHEET, rid=self.wb_rels.add(T_SHEET, part), id=str(max(ids + [0]) + 1))
            ids.append(int(entry["id"]))
            entry["new"].selected = entry["name"] == self.active
            self.put(part, entry["new"].xml())
            self.types.override(part, CT_SHEET)

    def _removed_sheets(self) -> None:
        formulas = False
        for entry in self.sheets:
            if not entry.get("removed"):
                continue
            part = entry["part"]
            self.wb_rels.remove(entry["rid"])
            if part:
                formulas = formulas or b"<f" in (self.read(part) or b"")
                self.delete(part)
                if self.exists(_rels_path(part)):
                    self.delete(_rels_path(part))
                self._xml.pop(part, None)
        if formulas:  # the calculation chain may name cells of the removed sheet: Excel rebuilds it
            for rid in self.wb_rels.of_type(T_CALC):
                self.delete(self.wb_rels.target(rid))
                self.wb_rels.remove(rid)

    def _active_index(self, final: list[str]) -> int:
        if self.active in final:
            return final.index(self.active)
        view = re.search(rb"<workbookView\b[^>]*>", self.wb_xml)
        tab = get_attr(view.group(0), b"activeTab") if view else None
        old = self.sheets_before()[int(tab)] if tab and tab.isdigit() and int(tab) < len(self.sheets_before()) else None
        if old is not None and not old.get("removed"):
            return final.index(old["name"])
        visible = [i for i, n in enumerate(final) if self._entry(n).get("state") not in ("hidden", "veryHidden")]
        return visible[0] if visible else 0

    def sheets_before(self) -> list[dict]:
        return [s for s in self.sheets if "new" not in s]

    def _select(self, final: list[str], active: int) -> None:
        """Exactly the active sheet has its tab selected (else Excel groups the selected sheets)."""
        for i, name in enumerate(final):
            entry = self._entry(name)
            if "new" in entry or entry["kind"] != T_SHEET or not entry["part"] or entry["part"] not in self.names:
                continue
            xml = self._xml.get(entry["part"])
            data = xml.data if xml else self.read(entry["part"])
            view = re.search(rb"<sheetView\b[^>]*>", data)
            selected = bool(view) and get_attr(view.group(0), b"tabSelected") in ("1", "true")
            if selected != (i == active) and view:
                self._ws(entry).tab_selected = i == active

    def _workbook_xml(self, final: list[str], active: int) -> bytes:
        data = self.wb_xml
        # the r: prefix may be declared on <workbook> or on each <sheet> (openpyxl with lxml does that)
        m = re.search(rb'\sxmlns:([A-Za-z_][\w.-]*)="' + re.escape(OFFREL.encode()) + b'"', data)
        if not m:
            raise Unsupported("workbook.xml without the relationships namespace")
        prefix = m.group(1)
        local = b" xmlns:" + prefix + b'="' + OFFREL.encode() + b'"'  # declared on each new <sheet> too
        before = self.sheets_before()
        removed = {s["rid"] for s in before if s.get("removed")}
        span = _section(data, b"sheets")
        inner = re.sub(rb"<sheet\b[^>]*?(?:/>|>\s*</sheet>)",
                       lambda x: b"" if get_attr(x.group(0), prefix + b":id") in removed else x.group(0),
                       data[span[1]:span[2]])
        for s in self.sheets:
            if "new" in s:
                inner += (b'<sheet name="' + esc(s["name"], True) + b'" sheetId="' + s["id"].encode() + b'"'
                          + (b' state="veryHidden"' if s["new"].hidden else b"") + local + b" " + prefix + b':id="'
                          + s["rid"].encode() + b'"/>')
        data = data[:span[1]] + inner + data[span[2]:]
        index = {}  # old position → new position
        for i, s in enumerate(before):
            if not s.get("removed"):
                index[i] = len(index)
        data = _renumber_names(data, index)
        data = _print_titles(data, [(final.index(s["name"]), s["name"], s["new"].title_row) for s in self.sheets
                                    if "new" in s and s["new"].title_row and s["name"] in final])
        view = re.search(rb"<workbookView\b[^>]*>", data)
        if view:
            tag = set_attr(view.group(0), b"activeTab", str(active) if active else None)
            first = get_attr(tag, b"firstSheet")
            if first is not None:
                tag = set_attr(tag, b"firstSheet", str(index[int(first)]) if first.isdigit()
                               and index.get(int(first)) else None)
            data = data[:view.start()] + tag + data[view.end():]
        return data


    def _zip(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in self.infos:
                name = info.filename
                if name in self.deleted:
                    continue
                data = self.parts[name] if name in self.parts else self.read(name, xml=False)
                z.writestr(_member(name, info), data)
            for name, data in self.parts.items():
                if name not in self.names and name not in self.deleted:
                    z.writestr(_member(name, None), data)
        return out.getvalue()

    def _verify(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            for name in self.parts:
                if name in self.deleted or name not in names:
                    continue
                if not name.endswith(".vml") or name not in self.names:  # a user's VML need not be XML
                    try:
                        for _ in DET.iterparse(io.BytesIO(z.read(name)), forbid_dtd=True):
                            pass
                    except Exception as exc:
                        raise Unsupported(f"the written {name} does not parse: {exc}") from None
                if not self.types.declared(name) and not name.endswith(".rels"):
                    raise Unsupported(f"no content type for {name}")
                if name.endswith(".rels"):
                    rels = Rels(name, z.read(name))
                    for rid in rels.items:
                        target = rels.target(rid)
                        if target is not None and target not in names and rid in {a for a, _, _ in
                                                                                  self._added(name)}:
                            raise Unsupported(f"{name}: {rid} points to a missing part")

    def _added(self, path: str) -> list:
        rels = self.wb_rels if path == self.wb_rels.path else self._rels.get(path)
        return rels.added if rels else []


_ATTRS = r'(?:\s+[A-Za-z]+="[0-9A-Za-z.\-]*")*\s*'
_PLAIN_XF = re.compile(r"<xf" + _ATTRS + r"(?:/>|>(?:\s*<(?:alignment|protection)" + _ATTRS + r"/>)*\s*</xf>)")


def _member(name: str, info: zipfile.ZipInfo | None) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(name, info.date_time if info else _FIXED_TIME)
    stored = info is not None and info.compress_type == zipfile.ZIP_STORED
    new.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    new.external_attr = info.external_attr if info else 0o600 << 16
    return new


def _renumber_names(data: bytes, index: dict[int, int]) -> bytes:
    """Defined names of removed sheets go; those of the sheets after them follow their sheet."""
    def one(m):
        local = get_attr(_start_tag(m.group(0)), b"localSheetId")
        if local is None or not local.isdigit():
            return m.group(0)
        if int(local) not in index:
            return b""
        head = _start_tag(m.group(0))
        return set_attr(head, b"localSheetId", str(index[int(local)])) + m.group(0)[len(head):]

    data = re.sub(rb"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", one, data, flags=re.S)
    return re.sub(rb"<definedNames>\s*</definedNames>", b"", data)
