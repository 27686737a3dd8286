"""The annotated copy is the original plus marks: images, charts, cached formula results, document
properties, the user's notes and sheets all survive — the package writer changes only what it must."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from juesuan.util.names import RESULTS_SHEET, STATE_SHEET
from juesuan.validate.engine import check
from juesuan.writeback.marks import COLORS, STATUS_PREFIX, annotate_file

from .conftest import libreoffice_input, readme_example, sample_copy

OWN_RESULTS = f"{RESULTS_SHEET}（juesuan）"
_BUILT: dict[str, Path] = {}


def _png(path: Path) -> Path:
    from PIL import Image as PILImage

    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(path)
    return path


def _enrich(wb, folder: Path) -> None:
    """An image, a chart, notes of the user's own, a sheet called 校验结果, custom properties."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.packaging.custom import StringProperty

    wb["公开01表"].add_image(Image(str(_png(folder / "logo.png"))), "H3")
    chart = BarChart()
    chart.add_data(Reference(wb["公开02表"], min_col=4, min_row=8, max_row=12))
    wb["公开02表"].add_chart(chart, "N5")
    wb["公开02表"]["A10"].comment = Comment("会计：待核实", "张三")  # A10 gets a mark (R02-4)
    wb["公开01表"]["A1"].comment = Comment("封面说明", "李四")  # never marked
    own = wb.create_sheet(RESULTS_SHEET)
    own["A1"], own["B2"] = "我自己的说明", 42
    wb.custom_doc_props.append(StringProperty(name="填报人", value="张三"))


def _rich(folder: Path) -> Path:
    src = sample_copy("published", folder / "src")
    wb = openpyxl.load_workbook(src)
    _enrich(wb, folder)
    path = folder / "rich.xlsx"
    wb.save(path)
    return path


@libreoffice_input("rich")
def _rich_input(folder: Path) -> Path:
    """The rich workbook as an office suite saves it: every formula with its cached result."""
    return _rich(folder)


@libreoffice_input("rich-annotated")
def _rich_annotated_input(folder: Path) -> Path:
    """An annotated copy, for LibreOffice to open."""
    src = _rich(folder / "work")
    out = folder / "rich-annotated.xlsx"
    _BUILT["counts"] = annotate_file(src, out, check(src))
    _BUILT["annotated"] = out
    return out


# --- reading a package ---------------------------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _sheet_parts(members: dict[str, bytes]) -> dict[str, str]:
    rels = dict(re.findall(rb'Id="([^"]+)"[^>]*?Target="([^"]+)"', members["xl/_rels/workbook.xml.rels"]))
    rels |= {i: t for t, i in re.findall(rb'Target="([^"]+)"[^>]*?Id="([^"]+)"', members["xl/_rels/workbook.xml.rels"])}
    out = {}
    for name, rid in re.findall(rb'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', members["xl/workbook.xml"]):
        target = rels[rid].decode()
        out[name.decode()] = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
    return out


def _cells(xml: bytes) -> dict[str, bytes]:
    """ref → the cell's XML without its style attribute."""
    out = {}
    for m in re.finditer(rb"<c\b[^>]*?(?:/>|>.*?</c>)", xml, re.S):
        ref = re.search(rb'\sr="([A-Z]+[0-9]+)"', m.group(0)).group(1).decode()
        out[ref] = re.sub(rb'\ss="[0-9]+"', b"", m.group(0))
    return out


def _rels_resolve(members: dict[str, bytes]) -> list[str]:
    """Every internal relationship target that is not in the package (Excel's first validity check)."""
    missing = []
    for name, data in members.items():
        if not name.endswith(".rels"):
            continue
        source = posixpath.join(posixpath.dirname(posixpath.dirname(name)), posixpath.basename(name)[:-5])
        for tag in re.findall(rb"<Relationship\b[^>]*>", data):
            if b'TargetMode="External"' in tag:
                continue
            target = re.search(rb'Target="([^"]+)"', tag).group(1).decode()
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(source), target))
            if part not in members:
                missing.append(f"{name}: {target}")
    return missing


def _undeclared(members: dict[str, bytes]) -> list[str]:
    types = members["[Content_Types].xml"]
    defaults = {e.decode().lower() for e in re.findall(rb'<Default\b[^>]*?Extension="([^"]+)"', types)}
    overrides = {p.decode() for p in re.findall(rb'<Override\b[^>]*?PartName="([^"]+)"', types)}
    return [n for n in members if not n.endswith("/") and n != "[Content_Types].xml"
            and "/" + n not in overrides and n.rpartition("/")[2].rpartition(".")[2].lower() not in defaults]


def _valid(members: dict[str, bytes]) -> None:
    assert _rels_resolve(members) == []
    assert _undeclared(members) == []
    stale = [p for p in re.findall(rb'PartName="/([^"]+)"', members["[Content_Types].xml"]) if p.decode() not in members]
    assert stale == []


# --- the tests -----------------------------------------------------------------------------------------


@pytest.mark.libreoffice("rich")
def test_annotated_copy_keeps_images_charts_cached_values_properties_and_notes(lo, tmp_path):
    src = lo("rich")  # saved by LibreOffice: cached results, its own drawing and comment parts
    report = check(src)
    out = tmp_path / "annotated.xlsx"
    counts = annotate_file(src, out, report)
    assert counts["writer"] == "package" and counts["not_kept"] == [], counts.get("fallback")
    before, after = _members(src), _members(out)
    assert set(before) <= set(after)
    changeable = re.compile(r"xl/worksheets/(_rels/)?sheet\d+\.xml(\.rels)?|xl/styles\.xml|xl/comments\d*\.xml|"
                            r"xl/drawings/vmlDrawing\d+\.vml|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels|"
                            r"\[Content_Types\]\.xml")
    changed = sorted(n for n in before if before[n] != after[n])
    assert all(changeable.fullmatch(n) for n in changed), changed
    kept = [n for n in before if n.startswith(("xl/media/", "xl/charts/", "xl/drawings/drawing", "docProps/"))]
    assert any(n.startswith("xl/media/") for n in kept) and any(n.startswith("xl/charts/") for n in kept)
    assert any(n == "docProps/custom.xml" for n in kept)
    assert all(before[n] == after[n] for n in kept)  # image, chart, drawing, document properties: untouched
    # every cell keeps its formula and cached value byte for byte (only the style index of a marked
    # cell changes), but the status lines juesuan writes into an empty cell of row 2
    src_parts, out_parts = _sheet_parts(before), _sheet_parts(after)
    cached = 0
    for name, part in src_parts.items():
        a, b = _cells(before[part]), _cells(after[out_parts[name]])
        status = {ref for ref, x in b.items() if STATUS_PREFIX.encode() in x}
        assert {r: x for r, x in a.items() if r not in status} == {r: x for r, x in b.items() if r not in status}
        cached += sum(1 for x in a.values() if re.search(rb"<f\b.*<v>[^<]+</v>", x, re.S))
    assert cached > 100  # the file really had cached results to keep
    assert before[src_parts[RESULTS_SHEET]] == after[out_parts[RESULTS_SHEET]]  # the user's own sheet
    _valid(after)

    wb, orig = openpyxl.load_workbook(out), openpyxl.load_workbook(src)
    assert len(wb["公开01表"]._images) == 1 and len(wb["公开02表"]._charts) == 1
    assert {p.name: p.value for p in wb.custom_doc_props.props}.get("填报人") == "张三"
    assert wb["公开01表"]["A1"].comment.text == orig["公开01表"]["A1"].comment.text  # the user's note, not marked
    a10 = wb["公开02表"]["A10"]
    assert a10.fill.fgColor.rgb == "FF" + COLORS["error"]
    assert a10.comment.text.startswith("R02-4［") and a10.comment.text.endswith(
        "——原批注——\n" + orig["公开02表"]["A10"].comment.text)
    assert wb["公开02表"]["A2"].value.startswith(STATUS_PREFIX)
    assert wb[RESULTS_SHEET]["A1"].value == "我自己的说明" and wb[RESULTS_SHEET]["B2"].value == 42
    rows = list(wb[OWN_RESULTS].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "级别")
    assert len(rows) - header - 1 == len(report.findings)
    assert {r[1] for r in rows[header + 1:]} == {f.rule for f in report.findings}
    link = wb[OWN_RESULTS].cell(row=header + 2, column=3)
    assert link.hyperlink is not None and link.hyperlink.location.endswith(link.value.split("!")[1])
    assert wb[STATE_SHEET].sheet_state == "veryHidden"
    assert wb.sheetnames[wb.index(wb.active)] == OWN_RESULTS
    assert sum(1 for ws in wb.worksheets if ws.sheet_view.tabSelected) == 1


@pytest.mark.libreoffice("rich-annotated")
def test_libreoffice_opens_the_annotated_copy(lo):
    counts = _BUILT["counts"]
    assert counts["writer"] == "package", counts.get("fallback")
    _valid(_members(_BUILT["annotated"]))
    opened = lo("rich-annotated")  # LibreOffice loaded it and saved it again
    wb = openpyxl.load_workbook(opened)
    assert OWN_RESULTS in wb.sheetnames and wb[RESULTS_SHEET]["A1"].value == "我自己的说明"
    assert wb["公开02表"]["A10"].fill.fgColor.rgb == "FF" + COLORS["error"]
    assert wb["公开02表"]["A10"].comment is not None and "R02-4" in wb["公开02表"]["A10"].comment.text
    assert wb["公开01表"]["A1"].comment.text.strip().endswith("封面说明")
    assert any(n.startswith("xl/media/") for n in _members(opened))


def _bad_with_extras(folder: Path) -> Path:
    """A clean workbook with one wrong amount (公开02表 D10), an image and a note of the user's."""
    from juesuan.api import fill_workbook

    data = folder / "clean.yaml"
    data.write_text(readme_example(), encoding="utf-8")
    _, wb = fill_workbook(data)
    wb["公开02表"]["D10"].value = 999
    _enrich(wb, folder)
    path = folder / "bad.xlsx"
    wb.save(path)
    return path


def _set_value(path: Path, out: Path, sheet: str, ref: str, value: str) -> Path:
    """``path`` with one cell's value replaced in its XML (every other byte kept)."""
    members = _members(path)
    part = _sheet_parts(members)[sheet]
    xml, n = re.subn(rb'(<c r="' + ref.encode() + rb'"[^>]*>)<v>[^<]*</v>', rb"\g<1><v>" + value.encode() + rb"</v>",
                     members[part])
    assert n == 1
    members[part] = xml
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out


def test_reannotating_replaces_the_marks_and_a_fixed_cell_gets_its_style_back(tmp_path):
    bad = _bad_with_extras(tmp_path)
    report = check(bad)
    marked = {(f.sheet, f.cell) for f in report.findings if f.cell}
    assert ("公开02表", "A10") not in marked and marked
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    assert annotate_file(bad, first, report)["writer"] == "package"
    counts = annotate_file(first, second, check(first))
    assert counts["writer"] == "package" and counts["ignored"] == 0
    a, b = openpyxl.load_workbook(first), openpyxl.load_workbook(second)
    for sheet, cell in marked:
        assert b[sheet][cell].fill.fgColor.rgb == a[sheet][cell].fill.fgColor.rgb
        assert b[sheet][cell].comment.text == a[sheet][cell].comment.text  # not stacked
    assert b.sheetnames == a.sheetnames and b.sheetnames.count(OWN_RESULTS) == 1
    assert _members(first)["xl/styles.xml"] == _members(second)["xl/styles.xml"]  # formats reused, not piled up

    fixed = _set_value(second, tmp_path / "fixed.xlsx", "公开02表", "D10", "300")
    assert check(fixed).findings == []
    clean = tmp_path / "clean.xlsx"
    assert annotate_file(fixed, clean, check(fixed))["writer"] == "package"
    before, after = _members(bad), _members(clean)
    _valid(after)
    wb = openpyxl.load_workbook(clean)
    assert OWN_RESULTS not in wb.sheetnames and STATE_SHEET not in wb.sheetnames
    assert wb[RESULTS_SHEET]["A1"].value == "我自己的说明"
    src_parts, out_parts = _sheet_parts(before), _sheet_parts(after)
    assert set(src_parts) == set(out_parts)
    for name in src_parts:  # every cell as it was, style index included (status lines too); but D10 (fixed)
        old, new = before[src_parts[name]], after[out_parts[name]]
        styled = dict(re.findall(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)/?>', old))
        for ref, attrs in re.findall(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)/?>', new):
            if (name, ref) == ("公开02表", b"D10"):
                continue
            assert re.findall(rb'\ss="\d+"', attrs) == re.findall(rb'\ss="\d+"', styled.get(ref, b"")), (name, ref)
    for sheet, cell in marked:
        assert wb[sheet][cell].comment is None
    assert wb["公开02表"]["A10"].comment.text == "会计：待核实"  # the user's own notes stay
    assert wb["公开01表"]["A1"].comment.text == "封面说明"
    assert len(wb["公开01表"]._images) == 1 and len(wb["公开02表"]._charts) == 1
    assert not any(isinstance(ws["A2"].value, str) and ws["A2"].value.startswith(STATUS_PREFIX) for ws in wb)


def test_a_package_the_writer_cannot_change_falls_back_and_says_what_is_lost(tmp_path):
    bad = _bad_with_extras(tmp_path)
    members = _members(bad)
    part = _sheet_parts(members)["公开02表"]
    members[part] = members[part].replace(b"<sheetData>", b"<sheetData><!-- odd -->", 1)
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(odd, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    report = check(odd)
    counts = annotate_file(odd, tmp_path / "out.xlsx", report)
    assert counts["writer"] == "openpyxl" and "图片和形状" in counts["not_kept"] and "图表" in counts["not_kept"]
    f = next(f for f in report.findings if f.cell and f.severity == "error")
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")[f.sheet][f.cell].fill.fgColor.rgb == "FF" + COLORS["error"]
