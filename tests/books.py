"""Workbook helpers for the tests: copies with cells changed, and copies whose formulas are constants.

Loading and saving a filled workbook with openpyxl takes about half a second; most tests change one or
two cells of it, hundreds of times in a run. ``edit_cells`` writes the same copy by replacing the changed
cells' XML in the zip: each new cell is exactly the XML openpyxl writes for that value (the type is
inferred by openpyxl's own ``Cell``; ``tests/test_books.py`` compares the two writers byte for byte).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.compat.strings import safe_string

_SHEET_RE = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL_RE = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|'
                     r'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_PROBE_SHEET = openpyxl.Workbook().active


def _unescape_attr(text: str) -> str:
    return text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the zip (``xl/worksheets/sheet3.xml``)."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in _REL_RE.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        targets[rid] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return {_unescape_attr(name): targets[rid] for name, rid in _SHEET_RE.findall(book)}


def cell_xml(a1: str, value, style: str | None = None) -> bytes:
    """The ``<c>`` element openpyxl (with xml.etree, as installed here) writes for ``value`` at ``a1``."""
    probe = Cell(_PROBE_SHEET, value=value)  # openpyxl's own type inference and string check
    kind, value = probe.data_type, probe._value
    if kind not in ("n", "s", "f", "e", "b"):
        raise ValueError(f"edit_cells does not write {type(value).__name__} values")
    attrs = {"r": a1}
    if style is not None:
        attrs["s"] = style
    if kind == "s":
        attrs["t"] = "inlineStr"
    elif kind != "f":
        attrs["t"] = kind
    el = Element("c", attrs)
    if value is None or value == "":
        return _as_openpyxl(tostring(el, encoding="unicode"))
    if kind == "f":
        SubElement(el, "f").text = value[1:]
        value = None
    if kind == "s":
        text = SubElement(SubElement(el, "is"), "t")
        text.text = value
        from openpyxl.xml import LXML  # openpyxl's two writers decide xml:space differently

        if (LXML or text.text.strip()) and text.text != text.text.strip():
            text.set(f"{{{_XML_NS}}}space", "preserve")
    else:
        v = SubElement(el, "v")
        if value is not None:
            v.text = safe_string(value)
    return _as_openpyxl(tostring(el, encoding="unicode"))


def _as_openpyxl(xml: str) -> bytes:
    """openpyxl's bytes for an element: with lxml installed (python-docx brings it) openpyxl writes
    empty elements open-and-closed and non-ASCII text as character references."""
    from openpyxl.xml import LXML

    if not LXML:
        return xml.encode("utf-8")
    xml = re.sub(r"<(\w+)([^<>]*?) />", r"<\1\2></\1>", xml)
    return xml.replace("\r", "&#13;").encode("ascii", "xmlcharrefreplace")


def _cell_re(a1: str) -> re.Pattern:
    return re.compile(rb'<c r="' + a1.encode() + rb'"(?=[\s>/])([^>]*?)(?:/>|>.*?</c>)', re.S)


def edit_cells(src: Path, out: Path, changes) -> Path:
    """``src`` copied to ``out`` with each ``(sheet, a1, value)`` of ``changes`` set, as openpyxl would.

    Falls back to openpyxl for a cell that the file does not have at all (one with neither value nor style).
    """
    src, out = Path(src), Path(out)
    by_sheet: dict[str, list[tuple[str, object]]] = {}
    for sheet, a1, value in changes:
        by_sheet.setdefault(sheet, []).append((a1, value))
    with zipfile.ZipFile(src) as zf:
        parts = _sheet_parts(zf)
        new = {}
        for sheet, cells in by_sheet.items():
            part = parts[sheet]
            xml = new.get(part, zf.read(part))
            for a1, value in cells:
                m = _cell_re(a1).search(xml)
                if m is None:
                    return _edit_with_openpyxl(src, out, changes)
                style = re.search(rb'\bs="(\d+)"', m.group(1))
                xml = xml[:m.start()] + cell_xml(a1, value, style and style.group(1).decode()) + xml[m.end():]
            new[part] = xml
        tmp = out.with_name(out.name + ".part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in zf.infolist():
                dst.writestr(item, new.get(item.filename) or zf.read(item.filename))
    tmp.replace(out)
    return out


def _edit_with_openpyxl(src: Path, out: Path, changes) -> Path:
    wb = openpyxl.load_workbook(src)
    for sheet, a1, value in changes:
        wb[sheet][a1].value = value
    wb.save(out)
    return out


def constants_copy(src: Path, out: Path) -> Path:
    """``src`` with every formula of the nine tables replaced by the value juesuan computes for it: the
    workbook an accountant gets by pasting values over the formulas (or a 'values only' export)."""
    from juesuan.check import load

    ctx = load(src)
    wb = openpyxl.load_workbook(src)
    for cell in ctx.cells.values():
        if cell.formula is not None and cell.value is not None:
            wb[cell.sheet][cell.a1].value = float(cell.value)
    wb.save(out)
    return out


def cached_copy(src: Path, out: Path, stale=None) -> Path:
    """``src`` (written by openpyxl: formulas without results) with every formula of the nine tables given
    the result juesuan computes for it, as Excel saves a workbook; ``stale`` maps (sheet, a1) to a cached
    value to write instead."""
    from juesuan.check import load

    ctx = load(src)
    stale = dict(stale or {})
    cached: dict[str, dict[str, str]] = {}
    for cell in ctx.cells.values():
        if cell.formula is not None and cell.value is not None:
            value = stale.pop((cell.sheet, cell.a1), cell.value)
            cached.setdefault(cell.sheet, {})[cell.a1] = safe_string(float(value))
    assert not stale, f"not formula cells: {sorted(stale)}"
    with zipfile.ZipFile(src) as zf:
        parts = _sheet_parts(zf)
        new = {}
        for sheet, cells in cached.items():
            xml = zf.read(parts[sheet])
            for a1, text in cells.items():
                m = _cell_re(a1).search(xml)
                element = m.group(0)
                empty = b"<v />" if b"<v />" in element else b"<v></v>"  # openpyxl without / with lxml
                assert empty in element, element
                xml = xml[:m.start()] + element.replace(empty, b"<v>" + text.encode() + b"</v>") + xml[m.end():]
            new[parts[sheet]] = xml
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in zf.infolist():
                dst.writestr(item, new.get(item.filename) or zf.read(item.filename))
    return Path(out)


def copy_to(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, folder / Path(src).name))
