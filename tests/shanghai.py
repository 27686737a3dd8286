"""A workbook in the 上海 layout (2024/2025 普陀-style disclosure, GONGKAI §2, §2.10–2.11), written from a
figures source — a juesuan data file of inputs (``tests/data/layouts/shanghai-department.yaml``) — without
juesuan's builder: every total is computed here, every label and header is GONGKAI's, so the file is as
foreign to juesuan as a department's own.

The layout: no 表号, no 栏次, no 行次; the 上海 order and titles (三公 7th, 政府性基金 8th, 国有资本经营
收入支出 9th); 01/04 with the 24-class list and 行28 “使用非财政拨款结余”; 02/03/05 with 类 | 款 | 项 code
columns and 合计 as the last row; 06 “基本支出决算表” in two blocks (301, 303 with 30311 | 302, 310); 07/08
with six columns and the 合计 row merged into the header; 09 预算 | 决算 per item.

``errors`` (see :data:`KNOWN_ERRORS`) overrides displayed cells after the totals are computed — the same
overrides ``national_errors`` applies to juesuan's own workbook of the same figures.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import yaml

from .layouts import Book, Col, Sheet, Table, write

D0 = Decimal(0)

CLASSES = [("201", "一般公共服务支出"), ("202", "外交支出"), ("203", "国防支出"), ("204", "公共安全支出"),
           ("205", "教育支出"), ("206", "科学技术支出"), ("207", "文化旅游体育与传媒支出"), ("208", "社会保障和就业支出"),
           ("210", "卫生健康支出"), ("211", "节能环保支出"), ("212", "城乡社区支出"), ("213", "农林水支出"),
           ("214", "交通运输支出"), ("215", "资源勘探工业信息等支出"), ("216", "商业服务业等支出"), ("217", "金融支出"),
           ("219", "援助其他地区支出"), ("220", "自然资源海洋气象等支出"), ("221", "住房保障支出"),
           ("222", "粮油物资储备支出"), ("223", "国有资本经营预算支出"), ("224", "灾害防治及应急管理支出"),
           ("229", "其他支出"), ("234", "抗疫特别国债安排的支出")]  # 24 classes: no 231/232 ([T-SH])
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五", "十六",
            "十七", "十八", "十九", "二十", "二十一", "二十二", "二十三", "二十四"]

STAFF = [("301", "工资福利支出"), ("30101", "基本工资"), ("30102", "津贴补贴"), ("30103", "奖金"), ("30106", "伙食补助费"),
         ("30107", "绩效工资"), ("30108", "机关事业单位基本养老保险缴费"), ("30109", "职业年金缴费"),
         ("30110", "职工基本医疗保险缴费"), ("30111", "公务员医疗补助缴费"), ("30112", "其他社会保障缴费"),
         ("30113", "住房公积金"), ("30114", "医疗费"), ("30199", "其他工资福利支出"), ("303", "对个人和家庭的补助"),
         ("30301", "离休费"), ("30302", "退休费"), ("30303", "退职（役）费"), ("30304", "抚恤金"), ("30305", "生活补助"),
         ("30306", "救济费"), ("30307", "医疗费补助"), ("30308", "助学金"), ("30309", "奖励金"),
         ("30310", "个人农业生产补贴"), ("30311", "代缴社会保险费"), ("30399", "其他对个人和家庭的补助")]
PUBLIC = [("302", "商品和服务支出"), ("30201", "办公费"), ("30202", "印刷费"), ("30203", "咨询费"), ("30204", "手续费"),
          ("30205", "水费"), ("30206", "电费"), ("30207", "邮电费"), ("30208", "取暖费"), ("30209", "物业管理费"),
          ("30211", "差旅费"), ("30212", "因公出国（境）费用"), ("30213", "维修（护）费"), ("30214", "租赁费"),
          ("30215", "会议费"), ("30216", "培训费"), ("30217", "公务接待费"), ("30218", "专用材料费"), ("30224", "被装购置费"),
          ("30225", "专用燃料费"), ("30226", "劳务费"), ("30227", "委托业务费"), ("30228", "工会经费"), ("30229", "福利费"),
          ("30231", "公务用车运行维护费"), ("30239", "其他交通费用"), ("30240", "税金及附加费用"),
          ("30299", "其他商品和服务支出"), ("310", "资本性支出"), ("31001", "房屋建筑物购建"), ("31002", "办公设备购置"),
          ("31003", "专用设备购置"), ("31007", "信息网络及软件购置更新"), ("31013", "公务用车购置"),
          ("31019", "其他交通工具购置"), ("31021", "文物和陈列品购置"), ("31022", "无形资产购置"), ("31099", "其他资本性支出")]

# Known errors, each a displayed cell typed wrong after the totals were computed:
# (national table, row: code or 行次/栏次, column: 栏次, value)
KNOWN_ERRORS = [("05", "2010302", 3, Decimal("86.05")),   # 项目支出 typed 86.05 for 86.50: R05-1, R05-2
                ("03", "2210201", 2, Decimal("28.00")),   # 基本支出 28.00 for 28.10: R03-1, R03-2
                ("06", "30201", 1, Decimal("21.00")),     # 办公费 21.00 for 12.00: R06-1
                ("09", "12", 12, Decimal("0.90"))]        # 公务接待费 决算 0.90 for 0.80: R09-2


def _d(v) -> Decimal:
    return D0 if v is None else Decimal(str(v))


def _num(d: Decimal):
    return float(d.quantize(Decimal("0.01")))


class Figures:
    """The data file's inputs and every total derived from them (in Decimal)."""

    def __init__(self, path: Path):
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        self.department, self.year = raw["部门"], int(raw["年度"])
        self.names = {str(k): v for k, v in raw.get("科目名称", {}).items()}
        self.t01 = {int(k): _d(v) for k, v in raw["公开01表"].items()}
        self.code = {}
        for n, width in (("02", 7), ("03", 6), ("05", 3), ("07", 6), ("08", 3)):
            rows = (raw.get(f"公开{n}表") or {}).get("科目") or []
            self.code[n] = self._hierarchy(n, rows, width)
        t04 = raw["公开04表"]
        self.t04_open = {k: _d(t04[k]) for k in (29, 30, 31)}
        self.t04_close = [_d(v) for v in t04[60][1:]]
        self.t06 = {str(k): _d(v) for k, v in raw["公开06表"].items()}
        self.t09 = {int(k): _d(v) for k, v in raw["公开09表"].items()}
        self._totals()

    def _hierarchy(self, number, rows, width):
        """code → [amount per 栏 1..width], 类 and 款 summed from the 项, 栏1 as the table defines it."""
        leaves = {}
        for row in rows:
            code = str(row[0])
            vals = [_d(v) for v in row[2:2 + width]]
            if number in ("02", "03"):
                vals[0] = sum(vals[1:], D0)
            elif number in ("05", "08"):
                vals[0] = vals[1] + vals[2]
            elif number == "07":
                vals[2] = vals[3] + vals[4]
            leaves[code] = vals
        out = {}
        for code, vals in leaves.items():
            for key in (code[:3], code[:5], code):
                acc = out.setdefault(key, [D0] * width)
                out[key] = [a + v for a, v in zip(acc, vals)] if key != code else vals
        return dict(sorted(out.items()))

    def total(self, number):
        return [sum((v[i] for c, v in self.code[number].items() if len(c) == 3), D0)
                for i in range(len(next(iter(self.code[number].values()), [D0] * 7)))] \
            if self.code[number] else None

    def _totals(self):
        t = self.t01
        t[27] = sum((t[i] for i in range(1, 9)), D0)
        t[30] = t[27] + t[28] + t[29]
        spent = {c: v[0] for c, v in self.code["03"].items() if len(c) == 3}
        self.t01_expense = {c: spent.get(c, D0) for c, _ in CLASSES}
        t[57] = sum(self.t01_expense.values(), D0)
        t[60] = t[57] + t[58] + t[59]
        self.t04_income = {1: t[1], 2: t[2], 3: t[3]}
        self.t04_income[27] = t[1] + t[2] + t[3]
        self.t04_income[28] = sum(self.t04_open.values(), D0)
        self.t04_income[32] = self.t04_income[27] + self.t04_income[28]
        funds = [{c: v[0] for c, v in self.code[n].items() if len(c) == 3} for n in ("05", "07", "08")]
        funds[1] = {c: v[2] for c, v in self.code["07"].items() if len(c) == 3}
        self.t04_expense = {c: [f.get(c, D0) for f in funds] for c, _ in CLASSES}
        self.t04_spent = [sum((v[i] for v in self.t04_expense.values()), D0) for i in range(3)]
        s = self.t06
        s["301"] = sum((v for c, v in s.items() if c.startswith("301") and len(c) == 5), D0)
        s["303"] = sum((v for c, v in s.items() if c.startswith("303") and len(c) == 5), D0)
        s["302"] = sum((v for c, v in s.items() if c.startswith("302") and len(c) == 5), D0)
        s["310"] = sum((v for c, v in s.items() if c.startswith("310") and len(c) == 5), D0)
        self.staff, self.public = s["301"] + s["303"], s["302"] + s["310"]
        n = self.t09
        n[3], n[9] = n[4] + n[5], n[10] + n[11]
        n[1], n[7] = n[2] + n[3] + n[6], n[8] + n[9] + n[12]


def _furniture(fig: Figures, title: str, cols: list, notes: list, **kw) -> Table:
    return Table("", title, None, f"编制单位：{fig.department}", f"{fig.year}年度", "单位：万元", cols, notes,
                 has_lanci=False, **kw)


def _table01(fig: Figures) -> Table:
    t = fig.t01
    income = [("一、一般公共预算财政拨款收入", 1), ("二、政府性基金预算财政拨款收入", 2), ("三、国有资本经营预算财政拨款收入", 3),
              ("四、上级补助收入", 4), ("五、事业收入", 5), ("六、经营收入", 6), ("七、附属单位上缴收入", 7), ("八、其他收入", 8)]
    rows = [(label, _num(t[i])) for label, i in income] + [(None, None)] * (len(CLASSES) - len(income))
    rows += [("本年收入合计", _num(t[27])), ("使用非财政拨款结余", _num(t[28])), ("年初结转和结余", _num(t[29])),
             ("总计", _num(t[30]))]
    expense = [(f"{NUMERALS[k]}、{name}", _num(fig.t01_expense[c])) for k, (c, name) in enumerate(CLASSES)]
    expense += [("本年支出合计", _num(t[57])), ("结余分配", _num(t[58])), ("年末结转和结余", _num(t[59])),
                ("总计", _num(t[60]))]
    cols = [Col("label:0", "label", ["收入", "项目"], None, [r[0] for r in rows]),
            Col("amount:0", "amount", ["收入", "金额"], None, [r[1] for r in rows]),
            Col("label:1", "label", ["支出", "项目"], None, [r[0] for r in expense]),
            Col("amount:1", "amount", ["支出", "金额"], None, [r[1] for r in expense])]
    return _furniture(fig, "收入支出决算总表", cols, ["注：本表反映部门本年度的总收支和年末结转结余情况。"])


def _table04(fig: Figures) -> Table:
    inc = fig.t04_income
    rows = [("一、一般公共预算财政拨款", inc[1]), ("二、政府性基金预算财政拨款", inc[2]), ("三、国有资本经营预算财政拨款", inc[3])]
    rows += [(None, None)] * (len(CLASSES) - 3)
    rows += [("本年收入合计", inc[27]), ("年初财政拨款结转和结余", inc[28]),
             ("一般公共预算财政拨款", fig.t04_open[29]), ("政府性基金预算财政拨款", fig.t04_open[30]),
             ("国有资本经营预算财政拨款", fig.t04_open[31]), ("总计", inc[32])]
    close = fig.t04_close
    exp = [(f"{NUMERALS[k]}、{name}", fig.t04_expense[c]) for k, (c, name) in enumerate(CLASSES)]
    exp += [("本年支出合计", fig.t04_spent), ("年末财政拨款结转和结余", close), (None, None), (None, None), (None, None),
            ("总计", [a + b for a, b in zip(fig.t04_spent, close)])]
    cols = [Col("label:0", "label", ["收入", "项目"], None, [r[0] for r in rows]),
            Col("amount:0", "amount", ["收入", "金额"], None, [None if r[1] is None else _num(r[1]) for r in rows]),
            Col("label:1", "label", ["支出", "项目"], None, [r[0] for r in exp])]
    heads = ["合计", "一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款"]
    for k, head in enumerate(heads):
        cells = [None if v is None else _num(sum(v, D0) if k == 0 else v[k - 1]) for _, v in exp]
        cols.append(Col(f"amount:{k + 1}", "amount", ["支出", head], None, cells))
    return _furniture(fig, "财政拨款收入支出决算总表", cols,
                      ["注：本表反映部门本年度一般公共预算财政拨款、政府性基金预算财政拨款和国有资本经营预算财政拨款的总收支和年末结转结余情况。"])


def _split(code: str):
    return [code[:3], code[3:5] or None, code[5:7] or None]


def _code_table(fig: Figures, number: str, title: str, heads: list, notes: list, header_total=False) -> Table:
    rows = fig.code[number]
    total = fig.total(number)
    body = [(_split(c), fig.names[c], vals) for c, vals in rows.items()]
    width = len(heads)
    if header_total:  # the 合计 row right under (merged into) the header
        body = [([None, None, None], "合计", total)] + body
    else:  # 合计 as the last row
        body = body + [(["合计", None, None], None, total)]
    cols = [Col(f"code:{lv}", "code", ["项目", "科目代码", lv], None, [b[0][k] for b in body])
            for k, lv in enumerate(("类", "款", "项"))]
    cols.append(Col("name", "name", ["项目", "科目名称"], None, [b[1] for b in body]))
    for k, head in enumerate(heads):
        cols.append(Col(f"amount:{k}", "amount", head, None,
                        [None if b[2] is None else _num(b[2][k]) for b in body]))
    table = _furniture(fig, title, cols, notes, header_total=header_total)
    if not header_total:
        table.merges = [(len(body) - 1, "code:类", "name")]
    assert width == len(heads)
    return table


def _table06(fig: Figures) -> Table:
    s = fig.t06
    n = max(len(STAFF), len(PUBLIC))
    cols = []
    for b, (block, side, total, value) in enumerate(((STAFF, "人员经费", "人员经费合计", fig.staff),
                                                     (PUBLIC, "公用经费", "公用经费合计", fig.public))):
        pad = [None] * (n - len(block))
        cols += [Col(f"code:{b}", "code", [side, "科目代码"], None, [c for c, _ in block] + pad + [total]),
                 Col(f"name:{b}", "name", [side, "科目名称"], None, [nm for _, nm in block] + pad + [None]),
                 Col(f"amount:{b}", "amount", [side, "决算数"], None,
                     [_num(s.get(c, D0)) for c, _ in block] + pad + [_num(value)])]
    table = _furniture(fig, "一般公共预算财政拨款基本支出决算表", cols,
                       ["注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。"])
    table.merges = [(n, "code:0", "name:0"), (n, "code:1", "name:1")]
    return table


def _table09(fig: Figures) -> Table:
    n = fig.t09
    items = [(["合计"], 1), (["因公出国（境）费"], 2), (["公务用车购置及运行维护费", "小计"], 3),
             (["公务用车购置及运行维护费", "公务用车购置费"], 4), (["公务用车购置及运行维护费", "公务用车运行维护费"], 5),
             (["公务接待费"], 6)]
    cols = []
    for path, k in items:
        for which, col in (("预算数", k), ("决算数", k + 6)):
            cols.append(Col(f"amount:{col}", "amount", ["财政拨款“三公”经费"] + path + [which], None, [_num(n[col])]))
    return _furniture(fig, "财政拨款“三公”经费支出决算表", cols,
                      ["注：本表反映部门本年度“三公”经费支出预决算情况。"])


FUND_HEADS = [["年初结转和结余"], ["本年收入"], ["本年支出", "小计"], ["本年支出", "基本支出"], ["本年支出", "项目支出"],
              ["年末结转和结余"]]


def shanghai_book(fig: Figures) -> Book:
    tables = [
        _table01(fig),
        _code_table(fig, "02", "收入决算表", [["本年收入合计"], ["财政拨款收入"], ["上级补助收入"], ["事业收入"], ["经营收入"],
                                         ["附属单位上缴收入"], ["其他收入"]], ["注：本表反映部门本年度取得的各项收入情况。"]),
        _code_table(fig, "03", "支出决算表", [["本年支出合计"], ["基本支出"], ["项目支出"], ["上缴上级支出"], ["经营支出"],
                                         ["对附属单位补助支出"]], ["注：本表反映部门本年度各项支出情况。"]),
        _table04(fig),
        _code_table(fig, "05", "一般公共预算财政拨款支出决算表", [["本年支出", "合计"], ["本年支出", "基本支出"],
                                                       ["本年支出", "项目支出"]],
                    ["注：本表反映部门本年度一般公共预算财政拨款支出情况。"]),
        _table06(fig),
        _table09(fig),
        _code_table(fig, "07", "政府性基金预算财政拨款收入支出决算表", FUND_HEADS,
                    ["注：本表反映部门本年度政府性基金预算财政拨款收入、支出及结转和结余情况。"], header_total=True),
        _fund_table_08(fig),
    ]
    for k, (t, number) in enumerate(zip(tables, ["01", "02", "03", "04", "05", "06", "09", "07", "08"])):
        t.number = number
    return Book([Sheet(f"表{k + 1}", [t]) for k, t in enumerate(tables)], fig.department, fig.year)


def _fund_table_08(fig: Figures) -> Table:
    """国有资本经营预算财政拨款收入支出决算表, six columns as 07 (the 上海 variant); empty: frame, 说明."""
    if fig.code["08"]:
        raise NotImplementedError("the 上海 department of the corpus has no 国有资本经营 figures")
    cols = [Col(f"code:{lv}", "code", ["项目", "科目代码", lv], None, [None]) for lv in ("类", "款", "项")]
    cols.append(Col("name", "name", ["项目", "科目名称"], None, ["合计"]))
    cols += [Col(f"amount:{k}", "amount", head, None, [None]) for k, head in enumerate(FUND_HEADS)]
    return _furniture(fig, "国有资本经营预算财政拨款收入支出决算表", cols,
                      ["注：本表反映部门本年度国有资本经营预算财政拨款收入、支出及结转和结余情况。",
                       "说明：本部门没有国有资本经营预算财政拨款收入，也没有使用国有资本经营预算财政拨款安排的支出，故本表无数据。"],
                      header_total=True)


# --- the known errors, in both layouts ---------------------------------------------------------------

_SH_COLUMN = {"05": {3: "amount:2"}, "03": {2: "amount:1"}, "06": {}, "09": {12: "amount:12"}}


def _apply_shanghai(book: Book, errors) -> None:
    for number, row, lanci, value in errors:
        table = book.table(number)
        if number == "09":
            table.col(_SH_COLUMN["09"][lanci]).cells[0] = float(value)
        elif number == "06":
            for b in (0, 1):
                codes = table.col(f"code:{b}").cells
                if row in codes:
                    table.col(f"amount:{b}").cells[codes.index(row)] = float(value)
        else:
            parts = _split(row)
            i = next(i for i in range(table.nrows)
                     if [table.col(f"code:{lv}").cells[i] for lv in ("类", "款", "项")] == parts)
            table.col(_SH_COLUMN[number][lanci]).cells[i] = float(value)


def write_shanghai(source: Path, out: Path, errors=()) -> Path:
    book = shanghai_book(Figures(source))
    _apply_shanghai(book, errors)
    return write(book, out)


def national_errors(path: Path, out: Path, errors) -> Path:
    """juesuan's own workbook (constants) with the same displayed cells typed wrong."""
    wb = openpyxl.load_workbook(path)
    for number, row, lanci, value in errors:
        ws = wb[f"公开{number}表"]
        if number == "09":
            ws.cell(8, lanci).value = float(value)
            continue
        hit = None
        for r in ws.iter_rows():
            for c in r:
                if str(c.value) == row and (number != "06" or c.column in (1, 4, 7)):
                    hit = c
        assert hit is not None, (number, row)
        column = hit.column + 2 if number == "06" else 2 + lanci
        ws.cell(hit.row, column).value = float(value)
    wb.save(out)
    return Path(out)
