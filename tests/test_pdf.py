"""A published PDF disclosure (issue 9): juesuan's own workbooks printed to PDF by LibreOffice are checked
with the same table findings as the workbooks, ``extract`` gives back every figure, tables printed without
rules and tables running over several pages are read, the PDF's own 情况说明 is checked like the .docx, and
scans, encrypted and non-决算 PDFs are refused (exit 2, Chinese, no traceback).

Every PDF of the module comes from ONE LibreOffice run (plus one for the encrypted copy)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from openpyxl.styles import Border

from juesuan.api import fill_workbook
from juesuan.demo import sample_path
from juesuan.narrative.check import check_narrative
from juesuan.narrative.compose import Narrative, Part, narrate_file
from juesuan.narrative.write import write_narrative
from juesuan.recalc import soffice
from juesuan.util.atomic import save_workbook
from juesuan.util.names import TOOL_SHEETS
from juesuan.validate.engine import check, load

from .conftest import FUND, run_cli
from .shanghai import KNOWN_ERRORS, write_shanghai

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ROOT / "tests" / "data" / "layouts" / "shanghai-department.yaml"
ENCRYPT = ('pdf:calc_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
           '"DocumentOpenPassword":{"type":"string","value":"secret"}}')


def to_pdf(sources: list[Path], out: Path, filt: str = "pdf") -> list[Path]:
    """Print ``sources`` to PDF in one headless LibreOffice run (a throw-away profile)."""
    with tempfile.TemporaryDirectory(prefix="juesuan-pdf-") as profile:
        subprocess.run([soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--nologo",
                        "--norestore", "--convert-to", filt, "--outdir", str(out), *map(str, sources)],
                       check=True, capture_output=True, timeout=600, env=dict(os.environ, HOME=profile))
    return [out / f"{s.stem}.pdf" for s in sources]


def published_copy(src: Path, out: Path, borders: bool = True, fit: bool = False) -> Path:
    """The workbook as a department publishes it: the nine tables (juesuan's own sheets are not printed);
    without ``borders``, not a single rule; with ``fit``, each table one page wide, columns as wide as
    their text (what a department does before printing a workbook that has no print setup)."""
    wb = openpyxl.load_workbook(src)
    for name in [n for n in wb.sheetnames if n in TOOL_SHEETS]:
        del wb[name]
    if fit:
        for ws in wb.worksheets:
            _fit(ws)
    if not borders:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    cell.border = Border()
    wb.save(out)
    return out


def _fit(ws) -> None:
    from openpyxl.utils import get_column_letter

    merged = {c for r in ws.merged_cells.ranges for row in ws.iter_rows(min_row=r.min_row, max_row=r.max_row,
              min_col=r.min_col, max_col=r.max_col) for c in row}
    for col in ws.iter_cols():
        texts = [str(c.value) for c in col if c.value is not None and c not in merged]
        if texts:
            ws.column_dimensions[get_column_letter(col[0].column)].width = min(60, max(12, 2.6 * max(map(len, texts))))
    from openpyxl.styles import Side

    thin = Side(style="thin")
    rows = list(ws.iter_rows())
    start = next((i for i, row in enumerate(rows) if any(str(c.value or "").startswith(("项目", "科目", "类"))
                                                         for c in row)), len(rows))
    for row in rows[start:]:
        if any(c.value is not None for c in row):  # the table ruled, as published PDFs are
            for c in row:
                c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.page_setup.orientation = "landscape"


def _filled(data: Path, out: Path) -> Path:
    _, wb = fill_workbook(data)
    return save_workbook(wb, out)


def _long_department(folder: Path) -> Path:
    """A department with 110 项 codes: its 02 and 03 tables run over four pages each."""
    rows = [r["code"] for r in csv.DictReader((ROOT / "src/juesuan/catalog/functional.csv").open(encoding="utf-8"))
            if len(r["code"]) == 7][:110]
    data = {"部门": "某某市长表测试局", "年度": 2024,
            "公开02表": {"科目": [[int(c), None, None, round(1 + i * 0.37, 2), 0, 0, 0, 0, 0] for i, c in enumerate(rows)]},
            "公开03表": {"科目": [[int(c), None, None, round(1 + i * 0.37, 2), 0, 0, 0, 0] for i, c in enumerate(rows)]}}
    src = folder / "long.yaml"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return _filled(src, folder / "long-raw.xlsx")


def _narrative_docx(xlsx: Path, folder: Path) -> Path:
    """The careful sample's generated 情况说明, with one percentage changed (one finding)."""
    md = write_narrative(narrate_file(xlsx), folder / "情况说明.md")
    text = md.read_text(encoding="utf-8")
    assert "占42.47%" in text
    text = text.replace("占42.47%", "占42.48%")
    parts = [Part("", [], [line.lstrip("# ") for line in text.split("\n\n") if line.strip()])]
    return write_narrative(Narrative("", parts), folder / "careful-narrative.docx")


def _join_pdfs(parts: list[Path], out: Path) -> Path:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    for p in parts:
        doc.import_pages(pdfium.PdfDocument(str(p)))
    doc.save(str(out))
    return out


@pytest.fixture(scope="module")
def pdfs(libreoffice, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf-in")
    from .test_narrative import INPUTS

    data = yaml.safe_load(sample_path("careful").read_text(encoding="utf-8"))
    data["情况说明数据"] = INPUTS  # a narrative with every figure written (no 【待填】)
    careful = folder / "careful.yaml"
    careful.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    xlsx = {"careful": _filled(careful, folder / "careful-raw.xlsx"),
            "published": _filled(sample_path("published"), folder / "published-raw.xlsx"),
            "fund": _filled(FUND, folder / "fund-raw.xlsx"),
            "long": _long_department(folder)}
    sh = write_shanghai(SHANGHAI, folder / "shanghai.xlsx")
    sh_errors = write_shanghai(SHANGHAI, folder / "shanghai-errors.xlsx", KNOWN_ERRORS)
    books = {name: published_copy(p, folder / f"{name}.xlsx") for name, p in xlsx.items()}
    books["shanghai"] = published_copy(sh, folder / "shanghai-fit.xlsx", fit=True)
    books["shanghai-errors"] = published_copy(sh_errors, folder / "shanghai-errors-fit.xlsx", fit=True)
    books["unruled"] = published_copy(xlsx["careful"], folder / "unruled.xlsx", borders=False)
    books["long-unruled"] = published_copy(xlsx["long"], folder / "long-unruled.xlsx", borders=False)
    from .books import constants_copy
    from .golden import _special

    shifted = _special("shift03", constants_copy(xlsx["careful"], folder / "careful-values.xlsx"), folder / "shifted.xlsx")
    books["shifted"] = published_copy(shifted, folder / "shifted-print.xlsx")
    notice = folder / "notice.txt"
    notice.write_text("关于召开年度工作会议的通知\n\n各科室：定于下周一上午九时召开会议，请准时参加。\n", encoding="utf-8")
    docx = _narrative_docx(xlsx["careful"], folder)
    names = list(books) + ["notice", "narrative"]
    out = tmp_path_factory.mktemp("pdf-out")
    printed = dict(zip(names, to_pdf(list(books.values()) + [notice, docx], out)))
    printed["encrypted"] = to_pdf([books["fund"]], tmp_path_factory.mktemp("pdf-enc"), ENCRYPT)[0]
    printed["with-narrative"] = _join_pdfs([printed["careful"], printed["narrative"]], out / "careful-full.pdf")
    from PIL import Image

    scan = out / "scan.pdf"
    Image.new("RGB", (1240, 1754), "white").save(scan)  # an image-only page: what a scanner gives
    printed["scan"] = scan
    return printed | {f"{k}.xlsx": v for k, v in books.items()} | {"docx": docx}


def _table_findings(report) -> list[tuple]:
    return sorted((f.rule, f.severity, f.table, f.code) for f in report.findings)


@pytest.mark.parametrize("name", ["shanghai", "shanghai-errors"])
def test_shanghai_pdf_is_read_with_the_shanghai_profile(pdfs, name):
    """The 上海 department (a foreign layout: 类|款|项 columns, no 表号/栏次/行次) printed to PDF, without and
    with its known errors: the 上海 profile is chosen, all nine tables are read, and the findings are the
    workbook's. Two things of this print the reader must get right: the header “对附属单位补助支出” is
    wider than its column and is printed across the table's outer rule (its last character lies outside
    the table); and the 三公 table is printed without rules (the fit copy rules a table from its 项目/科目/类
    header row, which 三公 has not) — one line of amounts under headers printed at the left of their merged
    cells (合计 over 预算数 | 决算数)."""
    from_xlsx, from_pdf = check(pdfs[f"{name}.xlsx"]), check(pdfs[name])
    assert from_pdf.profile == from_xlsx.profile and from_pdf.profile["id"] == "shanghai-2024"
    assert _table_findings(from_pdf) == _table_findings(from_xlsx)
    assert len(from_pdf.reading) == 9 and all(r["readable"] for r in from_pdf.reading)
    if name == "shanghai-errors":
        assert {f.rule for f in from_pdf.findings} == {"R03-1", "R05-1", "R06-1", "R09-2"}
        assert all(f.page >= 1 for f in from_pdf.findings)
    three = next(r for r in from_pdf.reading if "三公" in r["table"])
    assert len(three["columns"]) == 12 and not three["ignored"], three


@pytest.mark.parametrize("name", ["careful", "published", "fund"])
def test_pdf_gives_the_same_table_findings_as_the_workbook(pdfs, name):
    from_xlsx = check(pdfs[f"{name}.xlsx"])
    from_pdf = check(pdfs[name])
    assert from_pdf.profile == from_xlsx.profile
    assert _table_findings(from_pdf) == _table_findings(from_xlsx)
    assert from_pdf.findings, "the samples have findings: the comparison must compare something"
    assert all(f.page >= 1 for f in from_pdf.findings if f.table)
    assert all(r.get("pages") for r in from_pdf.to_dict()["reading"])
    assert from_pdf.department == from_xlsx.department


def _figures(path: Path) -> dict:
    ctx = load(path)
    out = {}
    for key, cell in ctx.cells.items():
        code, name = ctx.layout.table(key.table).describe(key)
        if cell.value is not None:
            out[(key.table, str(code), str(name) if not code else "", key.col)] = cell.value
    return out


@pytest.mark.parametrize("name", ["careful", "fund"])
def test_extract_gives_back_every_figure(pdfs, name, tmp_path):
    out = tmp_path / "决算公开.xlsx"
    res = run_cli("extract", pdfs[name], "-o", out)
    assert res.returncode == 0, res.stderr
    printed, extracted = _figures(pdfs[name]), _figures(out)
    assert len(printed) > 100
    unplaced = [line for line in res.stdout.splitlines() if line.startswith("  ")]
    missing = {k: v for k, v in printed.items() if extracted.get(k) != v}
    # every figure comes back exactly, or is listed as not placed (06's 人员/公用经费合计 lines have no cell)
    assert len(missing) == len(unplaced) <= 2, (missing, unplaced)
    wb = openpyxl.load_workbook(out)
    ws = wb[wb.sheetnames[1]]
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row), \
        "printed figures are constants"


def test_extract_lists_figures_it_cannot_place(pdfs, tmp_path):
    # the published sample has truncated 6-digit codes in 02: their figures are listed, not dropped
    res = run_cli("extract", pdfs["published"], "-o", tmp_path / "x.xlsx")
    assert res.returncode == 0, res.stderr
    assert "没有放进工作簿" in res.stdout and "206039" in res.stdout


def test_unruled_pdf_reads_like_the_ruled_one(pdfs):
    """Not a rule on any page: the columns come from the text alone — 01/04's two label columns side by
    side (an amount printed against the next label: ``853.47一、一般公共服务支出``), 06's three blocks (an
    amount against the next code: ``282.49302``), the empty 07/08 (columns from the 栏次 numbers and the
    header), 09's header cells wrapped over two lines."""
    import pdfplumber

    with pdfplumber.open(str(pdfs["unruled"])) as pdf:
        assert not any(p.find_tables() for p in pdf.pages[:3]), "the unruled PDF must have no ruled table"
    assert _table_findings(check(pdfs["unruled"])) == _table_findings(check(pdfs["careful.xlsx"]))
    assert _figures(pdfs["unruled"]) == _figures(pdfs["careful"])


def test_unruled_tables_over_several_pages_read_like_the_ruled_ones(pdfs):
    """The 110-code department printed without rules: 02/03 continued over pages (their repeated header
    under no title: the pages join), 09 with blank cells printed as nothing (its empty columns come from
    the 栏次 numbers), and the header word 附属单位上缴收入 is no 单位 line."""
    report = check(pdfs["long-unruled"])
    reading = {r["table"]: r for r in report.to_dict()["reading"]}
    assert len(reading["公开02表"]["pages"]) >= 3 and len(reading["公开03表"]["pages"]) >= 3
    assert _table_findings(report) == _table_findings(check(pdfs["long"]))
    assert _figures(pdfs["long-unruled"]) == _figures(pdfs["long"])


def test_tables_over_several_pages_with_repeated_headers(pdfs):
    report = check(pdfs["long"])
    reading = {r["table"]: r for r in report.to_dict()["reading"]}
    for number in ("公开02表", "公开03表"):
        assert len(reading[number]["pages"]) >= 3, reading[number]
        assert reading[number]["rows"] >= 110
        pages = reading[number]["pages"]
        assert reading[number]["cells"] == f"第{pages[0]}–{pages[-1]}页"
        assert reading[number]["row_span"] == "从「合计」到「2012604 档案馆」"  # the 110th 项 code, on the last page
    # a PDF has no formulas: its findings are those of the workbook with its formulas pasted as values
    # (one cause is traced to the typed cell through the workbook's formulas only where it has them) —
    # this error-heavy department (250 X-10a) leaves most inputs of 01/04/06/09 blank beside totals of 0:
    # in a table without formulas those totals are no "0 filled in" (V-04), in the PDF as in the workbook
    from .books import constants_copy

    values = constants_copy(pdfs["long.xlsx"], pdfs["long.xlsx"].with_name("long-values.xlsx"))
    assert _table_findings(report) == _table_findings(check(values))
    figures, printed = _figures(pdfs["long"]), _figures(pdfs["long.xlsx"])
    assert {k: figures.get(k) for k in printed} == printed  # every figure of the workbook, read from the PDF
    # a finding on a continued page names that page
    pages = {f.page for f in report.findings if f.table in ("公开02表", "公开03表")}
    assert pages and all(p >= 2 for p in pages)


_A1 = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,3}[1-9]\d*(?!\d)")  # a cell address (F3, AA12)


def test_pdf_reports_name_pages_and_rows_never_cells(pdfs):
    """A PDF has no cell addresses: every finding names its page and its row (code or 行次, and label),
    the reading summary (text and JSON) the pages, the first and last row read, and the columns by
    their place in the printed table."""
    res = run_cli("check", pdfs["shanghai-errors"], "--explain")
    assert res.returncode == 1, res.stderr
    findings = [line for line in res.stdout.splitlines() if line.startswith("  [")]
    assert len(findings) == 4, res.stdout
    assert all(re.search(r"表 第\d+页（\S+ \S+）：", line) for line in findings), findings
    summary = res.stdout[res.stdout.index("读取情况"):]
    assert not _A1.search(summary) and " 列「" not in summary, summary
    assert "收入决算表 ← PDF 第2页" in summary and "从「201 一般公共服务支出」到「合计」" in summary
    data = json.loads(run_cli("check", pdfs["shanghai-errors"], "--format", "json").stdout)
    for r in data["reading"]:
        assert re.fullmatch(r"第\d+(–\d+)?页", r["cells"]) and r["pages"], r
        assert r["unit_from"] in (f"第{p}页" for p in r["pages"]), r
        assert all(re.search(r"第\d+列", v) for v in r["columns"].values()), r  # 06: 代码 第1列、名称 第2列…
    assert not any(_A1.search(json.dumps(r["columns"], ensure_ascii=False)) for r in data["reading"])
    assert data["findings"] and all(f["cell"] == "" and f["page"] for f in data["findings"]), data["findings"]


def test_a_shift_in_a_pdf_is_told_by_page_and_row(pdfs):
    """A block pasted one row off, printed: the S-03 finding says where by page, code and name (a PDF has
    no D18), and it is the one the workbook gives."""
    book = [f for f in check(pdfs["shifted.xlsx"]).findings if f.rule == "S-03"]
    printed = [f for f in check(pdfs["shifted"]).findings if f.rule == "S-03"]
    assert len(book) == len(printed) == 1
    assert book[0].params["repaired"] == printed[0].params["repaired"]
    message = printed[0].message
    assert not _A1.search(message), message
    assert re.search(r"第\d+页「2080505 机关事业单位基本养老保险缴费支出」第2栏 的 118\.97", message), message


def _narr(findings):
    return sorted((f.rule, f.severity, f.section, f.paragraph, f.number) for f in findings
                  if f.severity in ("error", "warning"))


def test_pdf_narrative_findings_equal_the_docx_ones(pdfs):
    from_docx = check_narrative(pdfs["careful.xlsx"], pdfs["docx"])
    from_pdf = check_narrative(pdfs["with-narrative"], pdfs["with-narrative"])
    assert ("N5b", "五（二）", 1, "42.48%") in [(f.rule, f.section, f.paragraph, f.number) for f in from_pdf]
    assert _narr(from_pdf) == _narr(from_docx)


def test_cli_check_pdf_checks_tables_and_its_own_narrative(pdfs):
    res = run_cli("check", pdfs["with-narrative"], "--format", "json")
    assert res.returncode == 1, res.stderr
    data = json.loads(res.stdout)
    assert data["narrative"]["file"].endswith("careful-full.pdf")
    assert any(f["rule"] == "N5b" for f in data["narrative"]["findings"])
    assert all(f["page"] >= 1 for f in data["findings"])
    text = run_cli("check", pdfs["with-narrative"], "--explain").stdout
    assert "公开02表 ← PDF 第2页" in text and "公开01表 第1页" in text


def test_folder_mode_takes_pdfs(pdfs, tmp_path):
    import shutil

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "公开的").mkdir()  # beside a workbook of the same name a PDF is its 情况说明; here it is a disclosure
    shutil.copy(pdfs["fund"], folder / "公开的" / "fund.pdf")
    shutil.copy(pdfs["fund.xlsx"], folder / "fund.xlsx")
    shutil.copy(pdfs["scan"], folder / "scan.pdf")
    res = run_cli("check", folder, "--format", "json", "--output-dir", tmp_path / "out")
    data = json.loads(res.stdout)
    by = {Path(r["file"]).name: r for r in data["files"]} if isinstance(data, dict) and "files" in data else \
        {Path(r["file"]).name: r for r in data}
    assert by["fund.pdf"]["counts"] == by["fund.xlsx"]["counts"]
    assert by["scan.pdf"]["status"] == "无法读取" and "OCR" in by["scan.pdf"]["error"]


@pytest.mark.parametrize("name,words", [("scan", ["没有文字层", "OCR"]), ("encrypted", ["加密"]),
                                        ("notice", ["找不到任何公开表"]), ("bad", ["不是 PDF"])])
def test_unusable_pdfs_are_refused(pdfs, name, words, tmp_path):
    path = pdfs.get(name)
    if path is None:
        path = tmp_path / "bad.pdf"
        path.write_text("这不是 PDF", encoding="utf-8")
    for args in (("check", path), ("extract", path, "-o", tmp_path / "x.xlsx")):
        res = run_cli(*args)
        assert res.returncode == 2, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
        assert all(w in res.stderr for w in words), res.stderr
    assert not (tmp_path / "x.xlsx").exists()
