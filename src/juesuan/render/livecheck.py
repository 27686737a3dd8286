"""The live 校验 sheet: every relation instance of the model as plain formulas, so the workbook checks
itself while the user types, in Excel, WPS or LibreOffice, with no add-in.

Each instance becomes one row: left value, right value, difference, tolerance and status
(通过 / 尾差 / 不符); each rule one summary row. Left and right sides are rendered by the same
:func:`juesuan.formulas.sum_expression` that writes the template's defining formulas, and the
tolerance is the validator's envelope — (n + 1) × 0.005 with n the number of non-zero input cells a
side sums, at least one a term — counted live with COUNTIF. Conditional formatting colours the table
cell of a failing instance. Functions used: SUM, SUMIF, COUNTIF, IF, ABS, ROUND, MAX, OR.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill

from juesuan.render import styles
from juesuan.render.formulas import compress, sheet_prefix, sum_expression
from juesuan.layout.workbook import WorkbookLayout
from juesuan.layout.keys import CellKey, Lookup
from juesuan.rules.graph import graph_of
from juesuan.rules.instances import Instance

from juesuan.util.names import CHECK_SHEET as SHEET
FAIL_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
TAIL_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
DETAIL_HEADER = ["规则", "级别", "位置", "关系", "左边", "右边", "差额", "容差", "状态", "不符", "尾差"]


def anchor(inst: Instance, layout: WorkbookLayout) -> CellKey | None:
    """The table cell an instance is shown at: the cell it defines, else its first left-hand cell
    (for a code-by-code comparison, the first row its look-ups find)."""
    if inst.target is not None:
        return inst.target
    terms = list(inst.lhs) + list(inst.rhs)
    direct = next((t for _, t in terms if isinstance(t, CellKey)), None)
    if direct is not None:
        return direct
    return next((k for _, t in terms for k in layout.keys_of(t)), None)


def count_expression(layout: WorkbookLayout, terms, home: str) -> str:
    """``MAX(1,COUNTIF(r,">0")+COUNTIF(r,"<0")+…)+…`` summed over terms: the live n of one side."""
    parts = []
    for _, term in terms:
        keys = layout.lookup_keys(term) if isinstance(term, Lookup) else [term]
        leaves = sorted({k for key in keys for k in graph_of(layout).leaves(key)},
                        key=lambda k: _order(layout, k))
        cells = []
        for k in leaves:
            row, col = layout.table(k.table).address(k)
            cells.append((sheet_prefix(layout.sheet(k)), row, col))
        ranges = compress(sorted(cells, key=lambda c: (c[0], c[2], c[1])))
        counts = "+".join(f'COUNTIF({r},">0")+COUNTIF({r},"<0")' for r in ranges)
        parts.append(f"MAX(1,{counts})" if counts else "1")
    return "+".join(parts) if parts else "1"


def _order(layout, k):
    row, col = layout.table(k.table).address(k)
    return (k.table, col, row)


def status_formula(op: str, diff_ref: str, tol_ref: str, when_zero: str = "") -> str:
    """通过 / 尾差 / 不符 from the difference and the tolerance; 不适用 while ``when_zero`` (an OR of
    the condition's cells being non-zero) holds."""
    if op == "<=":
        verdict = f'IF({diff_ref}<=0,"通过",IF({diff_ref}<{tol_ref},"尾差","不符"))'
    else:
        verdict = f'IF(ABS({diff_ref})=0,"通过",IF(ABS({diff_ref})<{tol_ref},"尾差","不符"))'
    return f'=IF({when_zero},"不适用",{verdict})' if when_zero else "=" + verdict


def condition_expression(layout: WorkbookLayout, inst: Instance) -> str:
    """``OR('公开01表'!C8<>0,…)``: the cells of an instance's ``when_zero`` condition are not all 0."""
    if not inst.when_zero:
        return ""
    refs = [sheet_prefix(layout.sheet(k)) + "{1}{0}".format(*layout.table(k.table).address(k))
            for k in inst.when_zero]
    return "OR(" + ",".join(f"{r}<>0" for r in refs) + ")"


def add_check_sheet(wb, layout: WorkbookLayout) -> None:
    """Add the 校验 sheet and the conditional formatting that points at it."""
    ws = wb.create_sheet(SHEET)
    rules = [r for r in layout.profile.rules if r.relations]
    instances = [i for i in graph_of(layout).instances if anchor(i, layout) is not None and (i.lhs or i.rhs)]
    by_rule = {r.id: [i for i in instances if i.rule.id == r.id] for r in rules}
    rules = [r for r in rules if by_rule[r.id]]
    ws["A1"] = "校验（实时）：按表样中的审核关系自动计算，随填写更新。状态：通过 / 尾差（四舍五入容差之内）/ 不符。"
    ws["A1"].font = Font(name=styles.FONT_NAME, size=12, bold=True)
    ws.append([])
    ws.append(["规则", "级别", "内容", "检查项", "不符", "尾差", "状态"])
    summary_first = 4
    detail_first = summary_first + len(rules) + 1  # header row of the details, after one blank row
    first_detail_row = detail_first + 1
    last_detail_row = first_detail_row + len(instances) - 1
    rng = lambda col: f"${col}${first_detail_row}:${col}${last_detail_row}"
    row = summary_first - 1
    for r in rules:
        row += 1
        conditions = {condition_expression(layout, i) for i in by_rule[r.id]}
        ok = f'IF({conditions.pop()},"不适用","通过")' if len(conditions) == 1 and "" not in conditions else '"通过"'
        ws.append([r.id, r.severity_cn, r.text, len(by_rule[r.id]),
                   f'=SUMIF({rng("A")},"{r.id}",{rng("J")})', f'=SUMIF({rng("A")},"{r.id}",{rng("K")})',
                   f'=IF(E{row}>0,"不符",IF(F{row}>0,"尾差",{ok}))'])
    ws.append([])
    ws.append(DETAIL_HEADER)
    assert ws.max_row == detail_first, (ws.max_row, detail_first)  # the SUMIF ranges above count on it
    anchors: dict[CellKey, list[int]] = {}
    row = detail_first
    for inst in instances:
        row += 1
        key = anchor(inst, layout)
        left = sum_expression(layout, [(s, t) for s, t in inst.lhs], SHEET)
        right = sum_expression(layout, [(s, t) for s, t in inst.rhs], SHEET)
        n = f"MAX({count_expression(layout, inst.lhs, SHEET)},{count_expression(layout, inst.rhs, SHEET)})"
        where = layout.a1(key)
        ws.append([inst.rule.id, inst.rule.severity_cn, where, (inst.where or ""),
                   f"={left}", f"={right}", f"=ROUND(E{row}-F{row},2)", f"=(MAX(1,{n})+1)*0.005",
                   status_formula(inst.op, f"G{row}", f"H{row}", condition_expression(layout, inst)),
                   f'=IF(I{row}="不符",1,0)', f'=IF(I{row}="尾差",1,0)'])
        anchors.setdefault(key, []).append(row)
    _style(ws, summary_first, len(rules), detail_first, len(instances))
    _conditional_formats(wb, layout, anchors)


def _style(ws, summary_first, n_rules, detail_first, n_details):
    bold = Font(name=styles.FONT_NAME, size=10, bold=True)
    for row in (summary_first - 1, detail_first):
        for c in ws[row]:
            c.font = bold
    for col, width in zip("ABCDEFGHIJK", (8, 6, 60, 8, 12, 12, 10, 9, 8, 6, 6)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=summary_first, max_row=summary_first + n_rules - 1, min_col=3, max_col=3):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=detail_first + 1, max_row=detail_first + n_details, min_col=5, max_col=8):
        for c in row:
            c.number_format = styles.AMOUNT_FORMAT if c.column < 8 else "0.000"
    red = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
    blue = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
    last = detail_first + n_details
    for area in (f"G{summary_first}:G{summary_first + n_rules - 1}", f"I{detail_first + 1}:I{last}"):
        col = area[0]
        top = area.split(":")[0][1:]
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'${col}{top}="不符"'], fill=red))
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'${col}{top}="尾差"'], fill=blue))
    ws.freeze_panes = f"A{summary_first}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.autoFilter = False
    ws.auto_filter.ref = f"A{detail_first}:K{last}"


def _conditional_formats(wb, layout: WorkbookLayout, anchors: dict[CellKey, list[int]]) -> None:
    """Colour a table cell red while one of its relations is 不符, light blue while only 尾差."""
    for key, rows in anchors.items():
        row, col = layout.table(key.table).address(key)
        ws = wb[layout.sheet(key)]
        refs = [f"{sheet_prefix(SHEET)}$I${r}" for r in rows]
        fail = refs[0] + '="不符"' if len(refs) == 1 else "OR(" + ",".join(f'{x}="不符"' for x in refs) + ")"
        tail = refs[0] + '="尾差"' if len(refs) == 1 else "OR(" + ",".join(f'{x}="尾差"' for x in refs) + ")"
        ws.conditional_formatting.add(f"{col}{row}", FormulaRule(formula=[fail], fill=FAIL_FILL, stopIfTrue=True))
        ws.conditional_formatting.add(f"{col}{row}", FormulaRule(formula=[tail], fill=TAIL_FILL))
