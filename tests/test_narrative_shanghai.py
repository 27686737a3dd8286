"""情况说明 in the 上海 profile: `narrate` on a workbook read with the 上海 profile writes the official
template's structure (七 三公, 八 政府性基金, 九 国有资本经营, 十 预算绩效, 十一 其他重要事项), and a
narrative of our own in the 上海 style (tests/data/narrative/shanghai-department.txt, typed by hand from
the figures of tests/data/layouts/shanghai-department.yaml and wrapped at 32 characters as a PDF text
layer gives it, numbers broken over lines) checks clean against the 上海-layout workbook of the same
figures; each error planted in it is found exactly once. Also: declared sums of listed parts, and the
reference disclosure's 绩效 counts (7 + 4 projects of 12)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from juesuan.api import narrative_items
from juesuan.narrative.check import check_narrative
from juesuan.narrative.compose import narrate_file
from juesuan.narrative.inputs import add_input_sheet
from juesuan.narrative.spec import load_spec
from juesuan.narrative.write import write_narrative
from juesuan.util.atomic import save_workbook
from juesuan.validate.engine import load

from .conftest import run_cli
from .shanghai import write_shanghai
from .test_narrative import REFERENCE

DATA = Path(__file__).parent / "data"
SOURCE = DATA / "layouts" / "shanghai-department.yaml"
OWN = DATA / "narrative" / "shanghai-department.txt"

# What the department's 情况说明数据 holds (the tables cannot give it): 上年数, 年初预算, counts, texts.
INPUTS = {
    "上年收支总计": 652.40, "收支总计原因": "新增征地和拆迁补偿项目",
    "上年财政拨款收支总计": 677.00, "财政拨款收支总计原因": "无",
    "上年一般公共预算支出": 630.25, "一般公共预算支出原因": "人员调整，基本工资减少",
    "一般公共预算年初预算": 600.00, "一般公共预算差异原因": "年中追加一般行政管理事务经费",
    "三公差异原因": "厉行节约，压减公务用车运行和公务接待支出",
    "上年三公决算": 5.30, "上年因公出国": 0, "上年公务用车": 4.30, "公务用车原因": "车辆维修减少",
    "上年公务接待": 1.00, "公务接待原因": "接待批次减少",
    "出国团组": 0, "出国人次": 0, "出国开支内容": "无", "公务用车购置用途": "本年未购置公务用车", "公务用车购置数": 0,
    "公务用车运行用途": "公务用车燃料、维修和保险", "公务用车保有量": 2, "外宾接待": 0,
    "公务接待用途": "上级部门工作检查调研", "接待批次": 8, "接待人次": 40, "外宾批次": 0, "外宾人次": 0,
    "绩效制度": "《预算绩效管理办法》、《项目支出绩效自评工作规程》", "绩效机制": "“目标—监控—评价—应用”全过程",
    "绩效目标项目数": 3, "绩效目标金额": 146.50, "跟踪项目数": 3, "跟踪金额": 146.50, "自评项目数": 3,
    "自评金额": 146.50, "平均得分": "92.30", "评级优": 2, "评级良": 1, "评级合格": 0, "评级不合格": 0,
    "问题数": 2, "已整改": 1, "整改中": 1, "上年机关运行经费": 48.00, "机关运行经费原因": "压减办公和会议支出",
    "政府采购货物": 12.60, "政府采购工程": 0, "政府采购服务": 30.40, "中小企业预留": 20.00, "小微企业预留": 10.00,
    "中小企业中标": 20.00, "小微企业中标": 10.00, "其他中小企业中标": 5.50,
    "车辆总数": 2, "部级领导干部用车": 0, "主要领导干部用车": 0, "机要通信用车": 1, "应急保障用车": 0,
    "执法执勤用车": 1, "特种专业技术用车": 0, "离退休干部用车": 0, "其他用车": 0, "大型设备": 0,
}
# per 项 (05 and 07): 年初预算, 主要用途, 差异原因 (none where 决算 = 年初预算)
ITEMS = {"2010301": (420.00, "保障机关正常运转", None),
         "2010302": (80.00, "专项督查、宣传和信息化运维", "年中追加专项工作经费"),
         "2080505": (36.20, "在职人员基本养老保险缴费", None),
         "2080506": (15.00, "在职人员职业年金缴费", "人员退休，缴费基数减少"),
         "2101101": (22.40, "公务员医疗保险缴费", None), "2210201": (28.10, "按规定为职工缴存住房公积金", None),
         "2120801": (60.00, "旧区改造地块的征地和拆迁补偿", "部分补偿款结转下年支付")}

HEADINGS = ["一、收入支出决算总体情况说明", "二、收入决算情况说明", "三、支出决算情况说明",
            "四、财政拨款收入支出决算总体情况说明", "五、一般公共预算财政拨款支出决算情况说明",
            "（一）一般公共预算财政拨款支出决算总体情况", "（二）一般公共预算财政拨款支出决算结构情况",
            "（三）一般公共预算财政拨款支出决算具体情况", "六、一般公共预算财政拨款基本支出决算情况说明",
            "七、财政拨款“三公”经费支出决算情况说明", "（一）“三公”经费财政拨款支出决算总体情况说明。",
            "（二）“三公”经费财政拨款支出决算具体情况说明。", "八、政府性基金预算财政拨款收入支出决算情况说明",
            "九、国有资本经营预算财政拨款收入支出决算情况说明", "十、预算绩效管理情况", "十一、其他重要事项的情况说明",
            "（一）机关运行经费支出情况", "（二）政府采购支出情况", "（三）国有资产占有使用情况说明"]


def _serious(findings):
    return sorted((f.rule, f.section) for f in findings if f.severity in ("error", "warning"))


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    """The 上海-layout workbook of our department, bare and with its 情况说明数据 sheet."""
    folder = tmp_path_factory.mktemp("sh-narr")
    bare = write_shanghai(SOURCE, folder / "上海示例.xlsx")
    ctx = load(bare)
    spec = load_spec(ctx.profile.id)
    values = {k: Decimal(str(v)) if isinstance(v, (int, float)) else v for k, v in INPUTS.items()}
    for code, (budget, use, why) in ITEMS.items():
        values[f"年初预算@{code}"], values[f"主要用途@{code}"] = Decimal(str(budget)), use
        if why:
            values[f"差异原因@{code}"] = why
    wb = openpyxl.load_workbook(bare)
    add_input_sheet(wb, spec, narrative_items(ctx.layout, spec), values)
    return {"bare": bare, "filled": save_workbook(wb, folder / "上海示例-含情况说明数据.xlsx")}


def test_the_workbook_reads_with_the_shanghai_profile_and_its_template(books):
    assert load(books["bare"]).profile.id == "shanghai-2024"
    spec = load_spec("shanghai-2024")
    assert spec.figures["收支总计"] == load_spec("national-2024").figures["收支总计"]  # extends: inherited
    assert spec.lists["econ"]["公用经费"] == ["302", "310"]


def test_narrate_writes_the_shanghai_structure(books, tmp_path):
    narr = narrate_file(books["filled"])
    assert narr.title == "第三部分 上海市普陀区示例管理局2024年度部门决算情况说明"
    assert [h for p in narr.parts for h in p.headings] == HEADINGS
    assert narr.missing == [] and "【待填" not in narr.text()
    text = narr.text()
    # 不涉及的不列: only the non-zero sources and uses
    assert "本年收入合计670.00万元，其中：财政拨款收入667.00万元，占99.55%；其他收入3.00万元，占0.45%。" in text
    assert "事业收入" not in text.split("三、")[0]
    # the 上海 sentence patterns: year named, 主要原因：, 大于/小于 from the sign, 持平
    assert "与2023年度相比，收入支出总计增加27.60万元，增长4.23%。主要原因：新增征地和拆迁补偿项目。" in text
    assert "年初预算为80.00万元，支出决算为86.50万元。决算数大于预算数的主要原因：年中追加专项工作经费。" in text
    assert "年初预算为420.00万元，支出决算为420.00万元。决算数与预算数持平。" in text
    assert "因公出国（境）费决算为0.00万元，未安排预算；" in text  # no rate over a zero budget
    assert "比2023年度减少0.50万元，下降9.43%，其中：因公出国（境）费支出决算与2023年度持平；" in text
    # 八 explains the 政府性基金 项 of 07, 九 gives the statement for an empty 08
    assert "1、城乡社区支出（类）国有土地使用权出让收入安排的支出（款）征地和拆迁补偿支出（项）。" in text
    assert "上海市普陀区示例管理局2024年度无国有资本经营预算财政拨款收入和支出。" in text
    # 六: the non-zero 款 of the two-block 06 (公用经费 = 302 + 310)
    public = re.search(r"公用经费45\.00万元，主要包括：(.*?)。", text).group(1).split("、")
    assert public[-1] == "办公设备购置" and "差旅费" in public and "印刷费" not in public
    out = write_narrative(narr, tmp_path / "情况说明.docx")
    assert _serious(check_narrative(books["filled"], out)) == []


def test_placeholders_without_the_input_sheet(books):
    narr = narrate_file(books["bare"])
    assert "上年度收入支出总计" in narr.missing and "主要用途：2120801 征地和拆迁补偿支出" in narr.missing
    assert "【待填：上年度收入支出总计】" in narr.text()


@pytest.mark.parametrize("which", ["filled", "bare"])
def test_our_own_shanghai_narrative_checks_clean(books, which):
    findings = check_narrative(books[which], OWN)
    assert [(f.rule, f.section, f.number, f.message) for f in findings] == []


# Planted errors: (old, new, rule, section). Each is found once, at its section, nothing else.
PLANTED = [
    ("增加 27.60", "减少 27.60", "N1", "一"),                          # a direction word (与2023年度相比)
    ("为 43.00 万元", "为 34.00 万元", "N11", "十一（二）"),             # 采购总额 ≠ 货物 + 服务
    ("“良”的项目 1 个", "“良”的项目 2 个", "N13", "十"),                 # 2 + 2 + 0 + 0 ≠ 3 projects
    ("机要通信用车 1 辆", "机要通信用车 2 辆", "N12", "十一（三）"),       # 2 + 1 ≠ 2 vehicles
    ("占 83.33%", "占 83.83%", "N9b", "七（二）"),  # 4.00 / 4.80 = 83.33% (83.14%–83.52% rounding allows)
    ("、差旅费", "", "N6", "六"),                                       # a non-zero 款 dropped
    ("年初未安排预算", "完成预算的 0.00%", "N9a", "七（一）"),             # a rate over a zero budget
    (" 0.30 万元，下降 6.98%", " 0.40 万元，下降 6.98%", "N9a", "七（一）"),  # 4.00 − 4.30 = −0.30
]


@pytest.mark.parametrize("old,new,rule,section", PLANTED)
def test_each_planted_error_found_once(books, tmp_path, old, new, rule, section):
    text = OWN.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    bad = tmp_path / "情况说明.txt"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    assert _serious(check_narrative(books["filled"], bad)) == [(rule, section)]


def test_a_change_that_does_not_add_up_is_found_without_last_years_figures(books, tmp_path):
    """Without 上年数 the 0.40 can only be checked against the text itself: the 三公 change “减少 0.50
    万元，其中 … 减少 0.40 … 减少 0.20” does not add up, and 下降 6.98% does not follow from 减少 0.40
    (the prior year it implies, 4.40, gives 9.09%). Which of the figures is wrong the text cannot say:
    both are reported, each at its own number."""
    bad = tmp_path / "情况说明.txt"
    bad.write_text(OWN.read_text(encoding="utf-8").replace(" 0.30 万元，", " 0.40 万元，"), encoding="utf-8")
    found = [f for f in check_narrative(books["bare"], bad) if f.severity in ("error", "warning")]
    assert sorted((f.rule, f.section, f.number) for f in found) == [("N9a", "七（一）", "0.50万元"),
                                                                   ("N9a", "七（一）", "6.98%")]
    total = next(f for f in found if f.number == "0.50万元")
    assert "0.40万元 + 0.20万元" in total.message and total.expected == Decimal("-0.60")


def test_reference_performance_counts_do_not_add_up(sample_xlsx):
    """The reference's 十三: 实际自评 12 个 … 7 个优 + 1 个良 + 4 个中 (= 12), but 7 个项目完成所有绩效
    指标 + 4 个项目存在偏差 = 11: one N13 finding; the grades are not questioned."""
    text = REFERENCE.read_text(encoding="utf-8")
    assert "7 个项目完成所有绩效指标，4 个项目目标完成存在偏差" in text and "实际自评 12 个" in text
    found = [f for f in check_narrative(sample_xlsx("published"), REFERENCE)
             if f.rule == "N13" and f.severity != "info"]
    assert [(f.severity, f.number) for f in found] == [("warning", "7个 + 4个")]
    assert "共 11 个" in found[0].message and "12个" in found[0].message


def test_cli_narrate_and_check_on_the_shanghai_workbook(books, tmp_path):
    out = tmp_path / "情况说明.md"
    r = run_cli("narrate", str(books["filled"]), "-o", str(out))
    assert r.returncode == 0, r.stderr
    body = out.read_text(encoding="utf-8")
    assert body.index("## 七、财政拨款“三公”经费") < body.index("## 八、政府性基金") < body.index("## 十、预算绩效")
    r = run_cli("check", str(books["filled"]), "--narrative", str(OWN), "--format", "json")
    report = json.loads(r.stdout)
    assert report["profile"]["id"] == "shanghai-2024"
    assert report["narrative"]["counts"] == {"error": 0, "warning": 0, "info": 0}
