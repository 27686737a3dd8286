"""情况说明: the reference disclosure's narrative checked against its published tables (each real error
found once, nothing correct called an error), narrate on the careful sample passing its own check,
one-figure mutations found exactly once, .docx → LibreOffice PDF → text layer giving the same findings."""

from __future__ import annotations

import json
from decimal import Decimal
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from juesuan.api import fill_workbook
from juesuan.demo import sample_path
from juesuan.narrative.check import check_narrative
from juesuan.narrative.compose import narrate_file
from juesuan.narrative.write import write_narrative
from juesuan.util.atomic import save_workbook

from .conftest import run_cli

REFERENCE = Path("/work/shared/reference/000_d003e566bc0c9bb6.txt")
if not REFERENCE.is_file():
    REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "000_d003e566bc0c9bb6.txt"

# The reference 情况说明's errors, read from the text one by one (rule, section, paragraph, number).
REFERENCE_ERRORS = [
    ("N5b", "五（二）", 1, "42.48%"),     # 362.50 / 853.47 = 42.47%: plugged so the shares add to 100
    ("N5b", "五（二）", 1, "5249.23万元"),  # 05/04: 249.23
    ("N5d", "五（三）", 2, "0.00%"),      # 其他应用研究支出: 年初预算 0, 完成年初预算的 0.00%
    ("N5d", "五（三）", 3, "0.00%"),      # 共性技术研究与开发 (sentence broken over two paragraphs)
    ("N5d", "五（三）", 4, "0.00%"),      # 其他科学技术支出
    ("N5d", "五（三）", 7, "0.0%"),       # 死亡抚恤
    ("N6", "六", 2, ""),                  # 人员经费 lists 其他工资福利支出 though 30199 = 0
    ("N6", "六", 3, ""),                  # 公用经费 list misses 印刷费 and 差旅费
    ("N9b", "九（二）", 1, "0.00%"),      # 因公出国: 完成全年预算的 0.00% over a zero budget
    ("N9b", "九（二）", 1, "0.00%"),      # 公务接待费: the same
    ("N9b", "九（二）", 2, "0.00%"),      # 1. 因公出国（境）费 … 完成全年预算的 0.00%
    ("N9b", "九（二）", 6, "0.00%"),      # 3. 公务接待费 … 完成全年预算的 0.00%
    ("N11", "十一", 1, "0.00%"),          # 占政府采购支出总额的 0.00% of a zero total
    ("N11", "十一", 1, "0.00%"),          # 小微企业: the same
    ("N12", "十二", 1, "0辆"),            # 共有车辆 0 辆, but 九 says 公务用车保有量 1 辆
    ("N13", "十三", 7, "7个 + 4个"),      # 实际自评 12 个, but 7 个完成所有绩效指标 + 4 个存在偏差 = 11
]

# What the careful department's 情况说明数据 would hold (the reference text's own 上年数 and 年初预算).
INPUTS = {
    "上年收支总计": 975.32, "收支总计原因": "财政资金紧张，部分项目资金未拨付",
    "上年财政拨款收支总计": 975.32, "财政拨款收支总计原因": "财政资金紧张，部分项目资金未拨付",
    "上年一般公共预算支出": 975.32, "一般公共预算支出原因": "财政资金紧张，部分项目资金未拨付",
    "一般公共预算年初预算": 522.23, "一般公共预算差异原因": "本年度追加项目经费",
    "上年一般公共预算基本支出": 341.57, "基本支出原因": "上年度社保等未及时缴纳，本年度追加",
    "上年人员经费": 317.00, "人员经费原因": "上年度社保等未及时缴纳，本年度追加",
    "上年公用经费": 24.56, "公用经费原因": "人员变动，经费增加",
    "三公差异原因": "厉行节约", "出国团组": 0, "出国人次": 0, "公务用车购置数": 0, "公务用车保有量": 1,
    "外宾接待": 0, "外宾团组": 0, "外宾人次": 0, "国内接待": 0, "国内团组": 0, "国内人次": 0,
    "机关运行经费年初预算": 27.96, "机关运行经费差异原因": "厉行节约", "上年机关运行经费": 24.56,
    "政府采购货物": 0, "政府采购工程": 0, "政府采购服务": 0, "中小企业合同": 0, "小微企业合同": 0,
    "车辆总数": 1, "大型设备": 0, "绩效项目数": 12, "绩效情况": "本部门整体绩效自评得分 91.55 分。",
    "年初预算": {2060399: 0, 2060405: 0, 2069999: 0, 2080501: 149.69, 2080505: 28.04, 2080801: 0,
                 2101101: 24.78, 2150501: 267.01, 2150502: 26.44, 2210201: 23.47},
    "差异原因": {c: "预算执行中调整" for c in (2060399, 2060405, 2069999, 2080501, 2080505, 2080801, 2101101,
                                          2150501, 2150502, 2210201)},
}


def _errors(findings):
    return sorted((f.rule, f.section, f.paragraph, f.number) for f in findings if f.severity in ("error", "warning"))


@pytest.fixture(scope="module")
def careful_filled(tmp_path_factory) -> Path:
    """The careful sample with its 情况说明数据 filled (through the data file's section)."""
    folder = tmp_path_factory.mktemp("narr")
    data = yaml.safe_load(sample_path("careful").read_text(encoding="utf-8"))
    data["情况说明数据"] = INPUTS
    src = folder / "careful.yaml"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _, wb = fill_workbook(src)
    return save_workbook(wb, folder / "careful.xlsx")


@pytest.fixture(scope="module")
def careful_text(careful_filled, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("narr-text") / "情况说明.md"
    write_narrative(narrate_file(careful_filled), out)
    return out


def test_reference_narrative_errors_found_once_each(sample_xlsx):
    findings = check_narrative(sample_xlsx("published"), REFERENCE)
    assert _errors(findings) == sorted(REFERENCE_ERRORS)
    by = {(f.rule, f.section, f.number): f for f in findings}
    share = by[("N5b", "五（二）", "42.48%")]
    assert share.expected == Decimal("42.47") and "362.50" in share.message
    assert by[("N5b", "五（二）", "5249.23万元")].expected == Decimal("249.23")
    lists = [f.message for f in findings if f.rule == "N6"]
    assert any("多列：其他工资福利支出" in m for m in lists) and any("缺少：印刷费、差旅费" in m for m in lists)
    # the 04 value 198.53 of 社会保障和就业支出 against 05's 198.52: a tail, a hint only
    tail = [f for f in findings if f.number == "198.53万元"]
    assert [f.severity for f in tail] == ["info"]
    # correct figures are not questioned: 10.99 (printed "1 0.99"), 92.84% ("9 2.84"), 163.43%, 70.83%
    assert not [f for f in findings if f.number in ("10.99万元", "92.84%", "163.43%", "70.83%", "56.24%")]


def test_narrate_careful_passes_its_own_check(careful_filled, careful_text):
    text = careful_text.read_text(encoding="utf-8")
    assert "科学技术支出（类）362.50万元，占42.47%" in text
    assert "【待填" not in text
    assert "其他应用研究支出（项）。年初预算数为0.00万元，决算数180.00万元，年初未安排预算" in text
    assert not re.search(r"全年预算为0\.00万元，支出决算为0\.00万元，完成", text)
    personnel = re.search(r"人员经费.*?主要包括：(.*?)。", text).group(1).split("、")
    public = re.search(r"公用经费.*?主要包括：(.*?)。", text).group(1).split("、")
    assert "其他工资福利支出" not in personnel and len(personnel) == 13
    assert public == ["办公费", "印刷费", "差旅费", "工会经费", "福利费", "公务用车运行维护费", "其他交通费用",
                      "其他商品和服务支出"]
    findings = check_narrative(careful_filled, careful_text)
    assert _errors(findings) == []


def test_placeholders_where_input_is_missing(sample_xlsx, tmp_path):
    narr = narrate_file(sample_xlsx("careful"))
    assert "上年度收、支总计" in narr.missing and "年初预算：2060399 其他应用研究支出" in narr.missing
    assert "【待填：上年度收、支总计】" in narr.text()


MUTATIONS = [
    ("科学技术支出（类）362.50万元", "科学技术支出（类）326.50万元", "N5b", "五（二）"),  # an amount
    ("占42.47%", "占42.48%", "N5b", "五（二）"),  # a percentage
    ("相比，收、支总计减少121.85万元", "相比，收、支总计增加121.85万元", "N1", "一"),  # a direction word
    ("、印刷费", "", "N6", "六"),  # a list item dropped
    ("完成年初预算的79.48%", "完成年初预算的79.84%", "N5d", "五（三）"),  # an item's completion rate
]


@pytest.mark.parametrize("old,new,rule,section", MUTATIONS)
def test_one_mutation_one_finding(careful_filled, careful_text, tmp_path, old, new, rule, section):
    text = careful_text.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    bad = tmp_path / "mutated.md"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    found = [(f.rule, f.section) for f in check_narrative(careful_filled, bad)
             if f.severity in ("error", "warning")]
    assert found == [(rule, section)]


def test_docx_uses_chinese_fonts_and_pdf_text_layer_gives_same_findings(careful_filled, careful_text, tmp_path,
                                                                       libreoffice):
    import zipfile

    text = careful_text.read_text(encoding="utf-8").replace("占42.47%", "占42.48%")
    bad = tmp_path / "mutated.md"
    bad.write_text(text, encoding="utf-8")
    from juesuan.narrative.spec import load_spec
    from juesuan.narrative.text import read_narrative  # noqa: F401  (the .md is read as the .docx)
    from juesuan.narrative.compose import Narrative, Part

    parts = [Part("", [], [line.lstrip("# ") for line in text.split("\n\n") if line.strip()])]
    docx_path = write_narrative(Narrative("", parts), tmp_path / "情况说明.docx")
    xml = zipfile.ZipFile(docx_path).read("word/document.xml").decode("utf-8")
    assert 'w:eastAsia="宋体"' in xml
    out = tmp_path / "pdf"
    subprocess.run([libreoffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(docx_path)],
                   check=True, capture_output=True, timeout=240)
    pdf = out / "情况说明.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 1000
    from_docx = _errors(check_narrative(careful_filled, docx_path))
    from_pdf = _errors(check_narrative(careful_filled, pdf))
    assert from_docx == [("N5b", "五（二）", 1, "42.48%")]
    assert from_pdf == from_docx
    assert load_spec().profile == "national-2024"


def test_cli_narrate_and_check_narrative(careful_filled, tmp_path):
    wb = Path(shutil.copy(careful_filled, tmp_path / "决算.xlsx"))
    r = run_cli("narrate", str(wb), "-o", str(tmp_path / "情况说明.docx"))
    assert r.returncode == 0 and "已写出情况说明" in r.stdout
    r = run_cli("check", str(wb), "--narrative", str(tmp_path / "情况说明.docx"), "--format", "json")
    part = json.loads(r.stdout)["narrative"]
    assert part["counts"]["error"] == 0 and part["counts"]["warning"] == 0
    r = run_cli("check", str(wb), "--narrative", str(REFERENCE), "--annotate", str(tmp_path / "标注.xlsx"))
    assert "【情况说明】" in r.stdout and "5249.23" in r.stdout
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "标注.xlsx")["校验结果"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert any("情况说明 五（二） 第1段" == t for t in texts)


def test_narrate_with_procurement_passes_its_own_check(tmp_path):
    """With 政府采购 filled, the sentence 授予中小企业合同金额 115.00 万元，占政府采购支出总额的 33.92% is
    not taken for a share of the total in itself (it was: “339.00 / 339.00 = 100.00%”)."""
    data = yaml.safe_load(sample_path("careful").read_text(encoding="utf-8"))
    data["情况说明数据"] = dict(INPUTS, 政府采购货物=200, 政府采购工程=39, 政府采购服务=100, 中小企业合同=115,
                            小微企业合同=60)
    src = tmp_path / "careful.yaml"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _, wb = fill_workbook(src)
    book = save_workbook(wb, tmp_path / "careful.xlsx")
    out = tmp_path / "情况说明.md"
    write_narrative(narrate_file(book), out)
    assert "33.92%" in out.read_text(encoding="utf-8")
    assert _errors(check_narrative(book, out)) == []
