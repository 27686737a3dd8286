"""A canonical text dump of a generated workbook, for 'the same outputs' before and after a change of
how workbooks are built (tests/test_build_output.py).

What a user can see or what a formula computes is dumped; how the file stores it is not: no bytes, no
style or dxf ids, no priorities as numbers (only the order of a range's conditional formats), no order
of XML elements. One line per fact, sorted within its sheet, so a diff of two dumps reads as a list of
changes. ``python -m tests.bookdump --update`` rewrites the committed dumps after a deliberate change.
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden-books"

TEMPLATE_ARGS = dict(codes=["2010101", "2010102", "2080505", "2210201"], fund_codes=["2120801"],
                     soe_codes=["2230105"], other_codes=["2130101"],
                     names={"22301": "解决历史遗留问题及改革成本支出", "2230105": "国有企业退休人员社会化管理补助支出"},
                     econ_extra={"30311"})


def _color(c) -> str:
    if c is None:
        return "-"
    if c.type == "rgb":
        return str(c.rgb)
    return f"{c.type}:{getattr(c, c.type)}:{c.tint}"


def _font(f) -> str:
    return f"{f.name}|{f.sz}|b={f.b}|i={f.i}|u={f.u}|{_color(f.color)}"


def _fill(f) -> str:
    if f is None or getattr(f, "fill_type", None) is None:
        return "-"
    return f"{f.fill_type}|{_color(f.fgColor)}|{_color(f.bgColor)}"


def _border(b) -> str:
    return "|".join(f"{s.style}:{_color(s.color)}" if s is not None and s.style else "-"
                    for s in (b.left, b.right, b.top, b.bottom))


def _align(a) -> str:
    return f"{a.horizontal}|{a.vertical}|wrap={a.wrap_text}|indent={a.indent}"


def _cell_lines(ws) -> list[str]:
    out = []
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            link = c.hyperlink
            link_text = f" link={link.location}|{link.target}|{link.display}" if link is not None else ""
            out.append(f"cell {c.coordinate} {c.data_type} {c.value!r} fmt={c.number_format} "
                       f"font={_font(c.font)} fill={_fill(c.fill)} border={_border(c.border)} "
                       f"align={_align(c.alignment)} locked={c.protection.locked} hidden={c.protection.hidden}"
                       f"{link_text}")
    return out


def _dxf(dxf) -> str:
    if dxf is None:
        return "-"
    font = _font(dxf.font) if dxf.font is not None else "-"
    return f"fill={_fill(dxf.fill)} font={font}"


def _conditional_lines(ws) -> list[str]:
    out = []
    for cf in ws.conditional_formatting:
        rules = sorted(cf.rules, key=lambda r: r.priority)
        desc = " ; ".join(f"{r.type}|{r.formula}|stop={r.stopIfTrue}|{_dxf(r.dxf)}" for r in rules)
        out.append(f"cf {' '.join(sorted(str(cf.sqref).split()))} :: {desc}")
    return out


def _validation_lines(ws) -> list[str]:
    out = []
    for dv in ws.data_validations.dataValidation:
        fields = ("type", "operator", "formula1", "formula2", "allow_blank", "showErrorMessage",
                  "showInputMessage", "errorStyle", "errorTitle", "error", "promptTitle", "prompt")
        out.append(f"dv {' '.join(sorted(str(dv.sqref).split()))} :: "
                   + " | ".join(f"{f}={getattr(dv, f)!r}" for f in fields))
    return out


def _sheet_lines(ws) -> list[str]:
    p, s, m, o = ws.protection, ws.page_setup, ws.page_margins, ws.print_options
    prot = ("sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows", "insertColumns",
            "insertRows", "insertHyperlinks", "deleteColumns", "deleteRows", "selectLockedCells",
            "selectUnlockedCells", "sort", "autoFilter", "pivotTables", "password")
    lines = [
        "protection " + " ".join(f"{k}={getattr(p, k)}" for k in prot),
        f"state {ws.sheet_state}",
        f"freeze {ws.freeze_panes}",
        f"autofilter {ws.auto_filter.ref}",
        f"print titles={ws.print_title_rows}|{ws.print_title_cols} area={ws.print_area}",
        f"page {s.orientation}|{s.paperSize}|fitW={s.fitToWidth}|fitH={s.fitToHeight}|bw={s.blackAndWhite}"
        f"|fitToPage={ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None}",
        f"margins {m.left}|{m.right}|{m.top}|{m.bottom}",
        f"print-options grid={o.gridLines}|hcenter={o.horizontalCentered}|vcenter={o.verticalCentered}",
    ]
    lines += [f"width {k} {v.width}" for k, v in ws.column_dimensions.items() if v.width]
    lines += [f"height {k} {v.height}" for k, v in ws.row_dimensions.items() if v.height]
    lines += [f"merge {r}" for r in ws.merged_cells.ranges]
    return lines + _validation_lines(ws) + _conditional_lines(ws) + _cell_lines(ws)


def dump(path: Path) -> list[str]:
    """The canonical lines of the workbook at ``path``."""
    wb = openpyxl.load_workbook(path)
    out = [f"sheets {wb.sheetnames}",
           f"props {wb.properties.creator}|{wb.properties.title}|{wb.properties.keywords}",
           f"calc fullCalcOnLoad={wb.calculation.fullCalcOnLoad}"]
    out += sorted(f"name {n}={d.attr_text}" for n, d in wb.defined_names.items())
    for ws in wb.worksheets:
        out += [f"[{ws.title}] {line}" for line in sorted(_sheet_lines(ws))]
    return out


def build(folder: Path) -> dict[str, Path]:
    """The workbooks compared: the careful sample filled, and a small template with every kind of table."""
    from juesuan.api import build_template, fill_workbook
    from juesuan.demo import sample_path

    _, wb = fill_workbook(sample_path("careful"))
    wb.save(folder / "careful.xlsx")
    _, wb = build_template("某某局", 2024, **TEMPLATE_ARGS)
    wb.save(folder / "template.xlsx")
    return {"careful": folder / "careful.xlsx", "template": folder / "template.xlsx"}


def read(name: str) -> list[str]:
    with gzip.open(GOLDEN / f"{name}.txt.gz", "rt", encoding="utf-8") as fh:
        return fh.read().split("\n")


def _write(name: str, lines: list[str]) -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(GOLDEN / f"{name}.txt.gz", "wb", mtime=0) as fh:
        fh.write("\n".join(lines).encode("utf-8"))


if __name__ == "__main__":
    if "--update" not in sys.argv:
        print("usage: python -m tests.bookdump --update   (rewrites tests/data/golden-books/)")
        raise SystemExit(2)
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in build(Path(tmp)).items():
            lines = dump(path)
            _write(name, lines)
            print(f"{name}: {len(lines)} lines")
