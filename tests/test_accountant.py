"""What an accountant sees (issue 11): the truth at the right cell, in one vocabulary, on paper too.

Each test plays one step of an accountant's afternoon the way they would do it — type a figure into the
workbook, recalculate in a spreadsheet (LibreOffice here), run `juesuan` as a process — and asserts what
they would see: the CLI's words, the saved workbook's cells and styles, the recalculated values.
"""

from __future__ import annotations

import json

import openpyxl
import pytest

from .books import edit_cells
from .conftest import libreoffice_input, run_cli, sample_copy


def _json(path):
    res = run_cli("check", path, "--format", "json")
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout)


def _at(report, location):
    return [f for f in report["findings"] if f["location"] == location]


# --- 1. a figure pasted as text is named at its cell -------------------------------------------------

TEXT_118 = [("公开02表", "D17", "118.97")]
libreoffice_input("text-118")(lambda folder: edit_cells(sample_copy("careful", folder / "src"),
                                                        folder / "text-118.xlsx", TEXT_118))


def _text_at_d17(report):
    found = _at(report, "公开02表!D17")
    assert [(f["rule"], f["severity"]) for f in found] == [("V-01", "error")], report["findings"]
    assert "是文本，不是数字" in found[0]["message"] and "118.97" in found[0]["message"]
    # nothing else is blamed for it: not the formula cells above it, not the other tables
    assert [f["location"] for f in report["findings"] if f["severity"] == "error"] == ["公开02表!D17"]


def test_text_number_is_named_at_its_cell(tmp_path):
    path = edit_cells(sample_copy("careful", tmp_path / "src"), tmp_path / "text.xlsx", TEXT_118)
    _text_at_d17(_json(path))
    res = run_cli("check", path)
    assert res.returncode == 1 and "公开02表!D17" in res.stdout and "是文本" in res.stdout


@pytest.mark.libreoffice("text-118")
def test_text_number_after_recalculation_is_still_named_at_its_cell(lo):
    path = lo("text-118")
    ws = openpyxl.load_workbook(path, data_only=True)["公开02表"]
    assert ws["D16"].value == pytest.approx(26.51)  # the spreadsheet leaves the text out of its SUM
    report = _json(path)
    _text_at_d17(report)
    assert not [f for f in report["findings"] if f["rule"] == "V-03"]  # the formulas are not blamed


# --- 2. text does not spread through formulas ----------------------------------------------------------

TEXT_WAN = [("公开02表", "D30", "21.79万")]
libreoffice_input("text-wan")(lambda folder: edit_cells(sample_copy("careful", folder / "src"),
                                                        folder / "text-wan.xlsx", TEXT_WAN))


@pytest.mark.libreoffice("text-wan")
def test_text_in_an_input_stays_at_the_input(lo):
    path = lo("text-wan")
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["公开02表"]
    assert ws["D29"].value == 0 and ws["D28"].value == 0  # 款 and 类 are numbers, not the text
    report = _json(path)
    v01 = [f["location"] for f in report["findings"] if f["rule"] == "V-01"]
    assert v01 == ["公开02表!D30"], report["findings"]


# --- 6. one vocabulary for severity ------------------------------------------------------------------

WORDS = {"error": "错误", "warning": "警告", "info": "提示"}


def test_one_vocabulary_for_severity(tmp_path):
    path = sample_copy("published", tmp_path / "in")
    text = run_cli("check", path).stdout
    tags = {t for t in __import__("re").findall(r"\[([^\]]+)\] [RXVS]", text)}
    assert tags == {"错误", "警告", "提示"}, tags  # no 强制/提示·参考 mixed in
    assert text.count("级别：") == 1 and "“强制”" in text  # the official terms, explained once
    report = _json(path)
    assert {(f["severity"], f["severity_cn"]) for f in report["findings"]} == set(WORDS.items())
    out = tmp_path / "标注.xlsx"
    assert run_cli("check", path, "--annotate", out).returncode == 1
    ws = openpyxl.load_workbook(out)["校验结果"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "级别")
    assert {r[0] for r in rows[head + 1:]} == set(WORDS.values())
    assert "“强制”" in next(r[1] for r in rows if r[0] == "级别说明")
    res = run_cli("check", tmp_path / "in", "-o", tmp_path / "out")
    ws2 = openpyxl.load_workbook(tmp_path / "out" / "juesuan-检查结果.xlsx")["全部问题"]
    col = [c.value for c in ws2[1]].index("级别")
    assert {r[col] for r in ws2.iter_rows(min_row=2, values_only=True)} == set(WORDS.values())
    assert "个提示" in res.stdout


# --- 10. folder mode tells 甲局/决算公开.xlsx from 乙局/决算公开.xlsx ------------------------------------


def test_folder_mode_shows_paths_below_the_folder(tmp_path):
    folder = tmp_path / "各部门"
    sample_copy("careful", folder / "甲局").rename(folder / "甲局" / "决算公开.xlsx")
    sample_copy("published", folder / "乙局").rename(folder / "乙局" / "决算公开.xlsx")
    res = run_cli("check", folder, "-o", tmp_path / "out")
    assert res.returncode == 1
    sep = __import__("os").sep
    assert f"甲局{sep}决算公开.xlsx" in res.stdout and f"乙局{sep}决算公开.xlsx" in res.stdout, res.stdout
    wb = openpyxl.load_workbook(tmp_path / "out" / "juesuan-检查结果.xlsx")
    assert {r[0] for r in wb["按文件汇总"].iter_rows(min_row=2, values_only=True)} == \
        {f"甲局{sep}决算公开.xlsx", f"乙局{sep}决算公开.xlsx"}
    assert {r[0] for r in wb["全部问题"].iter_rows(min_row=2, values_only=True) if r[5] == "错误"} == \
        {f"乙局{sep}决算公开.xlsx"}
    data = json.loads((tmp_path / "out" / "juesuan-检查结果.json").read_text(encoding="utf-8"))
    assert {f["path"] for f in data["files"]} == {f"甲局{sep}决算公开.xlsx", f"乙局{sep}决算公开.xlsx"}


# --- 12. the CLI's rough edges ---------------------------------------------------------------------------


def test_cli_speaks_chinese_and_suggests_a_command():
    res = run_cli("check", "-h")
    assert res.returncode == 0
    for english in ("usage:", "positional arguments", "options:", "show this help message"):
        assert english not in res.stdout, english
    assert "用法：" in res.stdout and "显示本帮助并退出" in res.stdout
    res = run_cli("chek", "x.xlsx")
    assert res.returncode == 2 and "没有命令 'chek'" in res.stderr and "是不是要输入 check？" in res.stderr
    res = run_cli("template", "-o", "x.xlsx", "--dept", "某局", "--year", "20")
    assert res.returncode == 2 and "argument" not in res.stderr and "参数 --year：年度应是四位数字" in res.stderr
    res = run_cli()
    assert res.returncode == 2 and "用法：" in res.stderr and "template" in res.stderr


def test_the_same_force_rule_everywhere(tmp_path):
    demo = tmp_path / "demo"
    assert run_cli("demo", "-o", demo).returncode == 0
    before = (demo / "示例-规范填报.xlsx").read_bytes()
    res = run_cli("demo", "-o", demo)
    assert res.returncode == 2 and "--force" in res.stderr and not list(demo.glob("*.bak"))
    assert run_cli("demo", "-o", demo, "--force").returncode == 0
    assert (demo / "示例-规范填报.xlsx.bak").read_bytes() == before
    # the folder report
    folder, out = tmp_path / "各部门", tmp_path / "汇总"
    sample_copy("careful", folder)
    assert run_cli("check", folder, "-o", out).returncode == 0
    res = run_cli("check", folder, "-o", out)
    assert res.returncode == 2 and "已存在" in res.stderr and "通过" not in res.stdout
    assert run_cli("check", folder, "-o", out, "--force").returncode == 0
    assert (out / "juesuan-检查结果.xlsx.bak").exists()
    # the Excel add-in's module
    assert run_cli("excel-addin", "-o", tmp_path).returncode == 0
    res = run_cli("excel-addin", "-o", tmp_path)
    assert res.returncode == 2 and "--force" in res.stderr
    # --annotate refuses an existing target before checking: no report printed
    target = tmp_path / "标注.xlsx"
    target.write_bytes(b"mine")
    res = run_cli("check", demo / "示例-按公开原样.xlsx", "--annotate", target)
    assert res.returncode == 2 and "已存在" in res.stderr and res.stdout == ""
    assert target.read_bytes() == b"mine"


def test_fill_reports_every_problem_in_one_run(tmp_path):
    data = tmp_path / "数据.yaml"
    data.write_text("部门: 某局\n年度: 2024\n公开01表:\n  1: 10\n  99: 5\n  9: 3\n公开09表:\n  13: 1\n", encoding="utf-8")
    res = run_cli("fill", data, "-o", tmp_path / "x.xlsx")
    assert res.returncode == 2 and "3 个金额" in res.stderr
    assert all(w in res.stderr for w in ("行次「99」", "行次 9 是空行", "栏次「13」"))
    data.write_text("部门: 某局\n年度: 2024\n公开02表:\n  科目:\n    - [2169801, null, null, 1, 0, 0, 0, 0, 0]\n"
                    "    - [2169701, null, null, 1, 0, 0, 0, 0, 0]\n", encoding="utf-8")
    res = run_cli("fill", data, "-o", tmp_path / "x.xlsx")
    assert res.returncode == 2
    assert all(c in res.stderr for c in ("21698（款级）", "2169801（项级）", "21697（款级）", "2169701（项级）"))
    assert "科目名称:" in res.stderr and "--codes" not in res.stderr  # fill's own way of giving a name
    assert not (tmp_path / "x.xlsx").exists()


# --- the live 校验 sheet: text flagged, colours by severity, Chinese, a verdict, links ------------------

import re as _re  # noqa: E402

_CF_REF = _re.compile(r"'?校验'?!\$I\$(\d+)=\"(不符|尾差)\"")  # LibreOffice drops the quotes


def _seen_fill(wb_formulas, wb_values, sheet, cell):
    """The fill the conditional formatting shows at ``sheet!cell`` once recalculated (None: none)."""
    status = wb_values["校验"]
    for cf in wb_formulas[sheet].conditional_formatting:
        if cell not in str(cf.sqref).split():
            continue
        for rule in sorted(cf.rules, key=lambda r: r.priority):
            f = rule.formula[0]
            refs = _CF_REF.findall(f)
            if not refs:
                continue
            if any(status[f"I{r}"].value == word for r, word in refs):
                return _dxf_color(rule.dxf.fill)
    return None


def _dxf_color(fill) -> str:
    """The colour a conditional format's solid fill shows (a dxf keeps it in bgColor; LibreOffice only there)."""
    for c in (fill.bgColor, fill.fgColor):
        if isinstance(c.rgb, str) and c.rgb[-6:] != "000000":
            return c.rgb[-6:]
    return ""


def _live(path):
    return openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


@pytest.mark.libreoffice("text-118")
def test_live_sheet_flags_text_and_gives_one_verdict(lo):
    path = lo("text-118")
    _, values = _live(path)
    ws = values["校验"]
    assert ws["A2"].value == "结论" and ws["C2"].value.startswith("未通过")
    text_row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[2] and "以文本形式" in r[2])
    assert (text_row[1], text_row[4], text_row[6]) == ("错误", 1, "不符")
    formulas = openpyxl.load_workbook(path)["公开02表"]
    from openpyxl.worksheet.cell_range import MultiCellRange

    rules = [r for cf in formulas.conditional_formatting if "D17" in MultiCellRange(str(cf.sqref)) for r in cf.rules]
    assert any(r.formula[0].startswith("ISTEXT(") and r.dxf.fill.bgColor.rgb.endswith("FFC7CE") for r in rules), \
        [(r.formula, r.dxf.fill) for r in rules]


libreoffice_input("warn-09")(lambda folder: edit_cells(sample_copy("careful", folder / "src"), folder / "warn-09.xlsx",
                                                       [("公开09表", "K8", 2.00)]))


@pytest.mark.libreoffice("warn-09", "careful")
def test_colours_mean_one_thing(lo, tmp_path):
    path = lo("warn-09")
    report = _json(path)
    warned = [f for f in report["findings"] if f["rule"] == "R09-3"]
    assert warned and warned[0]["severity"] == "warning"
    sheet, cell = warned[0]["sheet"], warned[0]["cell"]
    formulas, values = _live(path)
    assert _seen_fill(formulas, values, sheet, cell) == "FFEB9C"  # amber in the workbook itself …
    out = tmp_path / "标注.xlsx"
    run_cli("check", path, "--annotate", out)
    assert openpyxl.load_workbook(out)[sheet][cell].fill.fgColor.rgb.endswith("FFEB9C")  # … and in the copy
    assert values["校验"]["C2"].value.startswith("通过，但有 1 条警告级规则不符")
    # and on a workbook that passes, no cell of any table is coloured by the live sheet
    formulas, values = _live(lo("careful"))
    for name in formulas.sheetnames[:9]:
        for cf in formulas[name].conditional_formatting:
            for ref in str(cf.sqref).split():
                if ":" not in ref:
                    assert _seen_fill(formulas, values, name, ref) in (None, "DDEBF7"), (name, ref)


def test_check_sheet_speaks_chinese_links_and_prints():
    from juesuan.api import build_template

    _, wb = build_template("测试局", 2024, codes=["2080501", "2080505", "2010101"])
    ws = wb["校验"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "规则" and r[3] == "关系")
    where = [r[3] for r in rows[head + 1:] if r[3]]
    assert not [w for w in where if "=" in w], [w for w in where if "=" in w][:3]  # no r=33, c=2
    assert "行次 33" in where or any("行次" in w for w in where)
    assert any(_re.fullmatch(r"科目 20805、栏 \d", w) for w in where)
    assert {r[1] for r in rows[head + 1:]} == {"错误", "警告", "提示"} & {r[1] for r in rows[head + 1:]}
    link = ws.cell(head + 2, 3)
    assert link.hyperlink is not None and link.hyperlink.location == "'{}'!{}".format(*link.value.split("!"))
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == f"${head + 1}:${head + 1}"


# --- 3. a finding between two tables marks both ----------------------------------------------------------


def _annotated(tmp_path, changes):
    path = edit_cells(sample_copy("careful", tmp_path / "src"), tmp_path / "typo.xlsx", changes)
    out = tmp_path / "标注.xlsx"
    res = run_cli("check", path, "--annotate", out)
    assert res.returncode == 1, res.stderr
    return _json(path), openpyxl.load_workbook(out), res.stdout


def _status(wb, sheet):
    return next(c.value for c in wb[sheet][2] if isinstance(c.value, str) and c.value.startswith("本表校验"))


def test_a_05_typo_is_at_05s_input_and_marks_03(tmp_path):
    report, wb, text = _annotated(tmp_path, [("公开05表", "D17", 118.79)])  # 03 has 118.97
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors[0]["location"] == "公开05表!D17", [f["location"] for f in errors]
    assert len([f for f in errors if f["rule"] == "X-10a"]) <= 1  # one root cause, one finding
    x10 = next(f for f in errors if f["location"] == "公开05表!D17")
    assert "公开03表!D17" in x10["also"] or any(f["location"] == "公开05表!D17" for f in errors)
    assert wb["公开05表"]["D17"].fill.fgColor.rgb.endswith("FFC7CE")
    assert wb["公开03表"]["D17"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "未通过" not in _status(wb, "公开05表") and "通过（" not in _status(wb, "公开05表")
    assert "个错误" in _status(wb, "公开05表") and "个错误" in _status(wb, "公开03表")


def test_a_06_typo_marks_06_and_06_does_not_pass(tmp_path):
    report, wb, _ = _annotated(tmp_path, [("公开06表", "C7", 90.80)])  # 30101
    x06 = next(f for f in report["findings"] if f["rule"] == "X-06")
    assert x06["also"] and all(a.startswith("公开06表!") for a in x06["also"])
    assert "05表" in x06["message"] and "06表" in x06["message"] and "左边" not in x06["message"]
    assert "个错误" in _status(wb, "公开06表")
    marked = [a.split("!")[1] for a in x06["also"]]
    assert all(wb["公开06表"][c].fill.fgColor.rgb.endswith("FFC7CE") for c in marked)


def test_a_02_typo_is_marked_at_the_input_not_the_formulas(tmp_path):
    report, wb, _ = _annotated(tmp_path, [("公开02表", "D17", 118.79)])
    errors = [f["location"] for f in report["findings"] if f["severity"] == "error"]
    assert errors == ["公开02表!D17"], errors
    assert wb["公开02表"]["D17"].fill.fgColor.rgb.endswith("FFC7CE")
    assert not wb["公开02表"]["C17"].fill.fgColor.rgb.endswith("FFC7CE")  # the formula of 栏1 is not blamed


# --- 9. catalog import: validated, editions apart, show and remove ------------------------------------


def test_catalog_import_refuses_a_disclosure_and_keeps_editions_apart(tmp_path, monkeypatch):
    from .test_check_cli import official_catalog_xlsx

    monkeypatch.setenv("JUESUAN_DATA_DIR", str(tmp_path / "data"))
    careful = sample_copy("careful", tmp_path / "in")  # a 公开 workbook: 科目编码 and 科目名称 columns, 23 codes
    res = run_cli("catalog", "import", careful, "--edition", "2025")
    assert res.returncode == 2 and "不是《政府收支分类科目》" in res.stderr
    assert not (tmp_path / "data" / "catalog").exists() or not list((tmp_path / "data" / "catalog").iterdir())
    official = official_catalog_xlsx(tmp_path / "科目.xlsx", 2025, drop={"2080505"})
    res = run_cli("catalog", "import", official)  # no year in the name: asked for, not guessed
    assert res.returncode == 2 and "--edition" in res.stderr
    assert run_cli("catalog", "import", official, "--edition", "2025").returncode == 0
    report = _json(careful)  # a 2024 workbook: the 2025 import does not apply
    assert "内置" in report["catalog"] and report["valid"] is True
    shown = run_cli("catalog", "show").stdout
    assert "2025 年度：已导入的官方分类科目 2025 版" in shown and "其他年度" in shown
    res = run_cli("catalog", "remove")
    assert res.returncode == 0 and "已删除导入的 2025 版" in res.stdout
    assert "2025 年度" not in run_cli("catalog", "show").stdout
    assert run_cli("catalog", "remove", "--edition", "2025").returncode == 2


# --- 7. printing ------------------------------------------------------------------------------------------


def _pdf_pages_and_fills(path):
    import zlib

    data = path.read_bytes()
    pages = len(_re.findall(rb"/Type\s*/Page[^s]", data))
    fills = set()
    for m in _re.finditer(rb"stream\r?\n(.*?)endstream", data, _re.S):
        try:
            fills |= set(_re.findall(rb"([\d.]+ [\d.]+ [\d.]+) rg", zlib.decompress(m.group(1))))
        except zlib.error:
            continue
    return pages, fills


def test_pdf_prints_the_nine_tables_white(tmp_path, libreoffice):
    path = sample_copy("careful", tmp_path / "in")
    marked = tmp_path / "标注.xlsx"
    run_cli("check", sample_copy("published", tmp_path / "pub"), "--annotate", marked)
    for src in (path, marked):  # a workbook with its 校验 sheet; an annotated copy with 校验结果 and red marks
        out = tmp_path / (src.stem + ".pdf")
        res = run_cli("pdf", src, "-o", out)
        assert res.returncode == 0, res.stderr
        assert "9 张表" in res.stdout and "校验" not in res.stdout.split("：", 1)[1]
        pages, fills = _pdf_pages_and_fills(out)
        assert pages == 9, pages  # one page a table: no 校验 pages, no 校验结果 pages
        assert fills <= {b"0 0 0", b"1 1 1"}, fills  # no yellow input tint, no red mark on paper
    assert run_cli("pdf", path, "-o", tmp_path / "careful.pdf").returncode == 2  # the same --force rule


def test_recalc_keeps_black_and_white_printing(tmp_path, libreoffice):
    path = sample_copy("careful", tmp_path / "in")
    assert run_cli("recalc", path, "-o", tmp_path / "out").returncode == 0
    wb = openpyxl.load_workbook(tmp_path / "out" / "careful.xlsx")
    assert all(wb[f"公开0{i}表"].page_setup.blackAndWhite for i in range(1, 10))


def test_printed_headers_are_not_clipped_or_orphaned(tmp_path):
    import math

    from openpyxl.utils import get_column_letter

    from juesuan.model.profile import load_profile

    wb = openpyxl.load_workbook(sample_copy("careful", tmp_path))
    ws4 = wb["公开04表"]
    year = next(m for m in ws4.merged_cells.ranges if m.min_row == 3 and "年度" in str(ws4.cell(3, m.min_col).value))
    width = sum(ws4.column_dimensions[get_column_letter(c)].width for c in range(year.min_col, year.max_col + 1))
    assert width >= 12  # “2024 年度” fits: no “?024 年度”
    for spec in load_profile().tables:  # no header wraps leaving one character on a line (…财政拨|款)
        ws = wb[spec.number]
        merged = {(m.min_row, m.min_col): m.max_col for m in ws.merged_cells.ranges}
        for row in spec.header_rows:
            for c in ws[row]:
                if isinstance(c.value, str) and len(c.value) > 3:
                    last = merged.get((c.row, c.column), c.column)
                    w = sum(ws.column_dimensions[get_column_letter(i)].width for i in range(c.column, last + 1))
                    for per_char in (1.45, 1.5, 1.55):  # a bold 10-pt CJK character, in column-width units
                        cpl = max(1, math.floor((w - 0.7) / per_char))
                        assert not (len(c.value) > cpl and len(c.value) % cpl == 1), (spec.number, c.coordinate, c.value)


def test_results_sheet_prints_landscape_one_page_wide(tmp_path):
    out = tmp_path / "标注.xlsx"
    run_cli("check", sample_copy("published", tmp_path / "in"), "--annotate", out)
    ws = openpyxl.load_workbook(out)["校验结果"]
    assert (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == ("landscape", 1, 0)
    head = next(r for r in range(1, 40) if ws.cell(r, 1).value == "级别")
    assert ws.print_title_rows == f"${head}:${head}" and ws.cell(head + 1, 11).alignment.wrap_text
