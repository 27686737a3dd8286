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
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.hyperlink import Hyperlink

from juesuan.render import styles
from juesuan.render.deferred import BuiltWorkbook, DeferredSheet
from juesuan.render.formulas import compress, sheet_prefix, sum_expression
from juesuan.layout.workbook import WorkbookLayout
from juesuan.layout.keys import CellKey, Lookup
from juesuan.rules.graph import graph_of
from juesuan.rules.instances import Instance

from juesuan.util.names import CHECK_SHEET as SHEET
FAIL_FILL = styles.severity_fill("error")
WARN_FILL = styles.severity_fill("warning")
TAIL_FILL = styles.severity_fill("info")
LEVEL_OF = {"E": "error", "W": "warning", "I": "info"}
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


def count_expression(layout: WorkbookLayout, terms, home: str, memo: dict | None = None) -> str:
    """``MAX(1,COUNTIF(r,">0")+COUNTIF(r,"<0")+…)+…`` summed over terms: the live n of one side.

    ``memo`` (term target → its part) lets the instances of one sheet share the parts of common terms."""
    memo = {} if memo is None else memo
    parts = []
    for _, term in terms:
        part = memo.get(term)
        if part is None:
            part = memo[term] = _count_part(layout, term, memo)
        parts.append(part)
    return "+".join(parts) if parts else "1"


def _count_part(layout: WorkbookLayout, term, memo: dict) -> str:
    graph = graph_of(layout)
    if isinstance(term, Lookup):
        keys = layout.lookup_keys(term)
        leaves = graph.leaves(keys[0]) if len(keys) == 1 else frozenset().union(*map(graph.leaves, keys))
    else:
        leaves = graph.leaves(term)
    by_leaves = memo.get(_BY_LEAVES)  # terms that sum the same cells count them alike
    if by_leaves is None:
        by_leaves = memo[_BY_LEAVES] = {}
        memo[_ADDRESSES] = {}
    found = by_leaves.get(leaves)
    if found is not None:
        return found
    addresses = memo[_ADDRESSES]
    cells = []
    for k in leaves:
        cell = addresses.get(k)
        if cell is None:
            row, col = layout.table(k.table).address(k)
            cell = addresses[k] = (sheet_prefix(layout.sheet(k)), col, row)  # sorts by sheet, column, row
        cells.append(cell)
    if len(cells) > 1:
        cells.sort()
    ranges = compress([(prefix, row, col) for prefix, col, row in cells])
    counts = "+".join(f'COUNTIF({r},">0")+COUNTIF({r},"<0")' for r in ranges)
    found = by_leaves[leaves] = f"MAX(1,{counts})" if counts else "1"
    return found


_BY_LEAVES, _ADDRESSES = ("count", "by leaves"), ("count", "addresses")  # memo entries, never a term


def status_formula(op: str, diff_ref: str, tol_ref: str, when_zero: str = "") -> str:
    """通过 / 尾差 / 不符 from the difference and the tolerance; 不适用 while ``when_zero`` (an OR of
    the condition's cells being non-zero) holds."""
    if op == "<=":
        verdict = f'IF({diff_ref}<=0,"通过",IF({diff_ref}<{tol_ref},"尾差","不符"))'
    else:
        verdict = f'IF(ABS({diff_ref})=0,"通过",IF(ABS({diff_ref})<{tol_ref},"尾差","不符"))'
    verdict = f'IF(ISERROR({diff_ref}),"不符",{verdict})'  # an error value (#VALUE!) in a side is a failure
    return f'=IF({when_zero},"不适用",{verdict})' if when_zero else "=" + verdict


def condition_expression(layout: WorkbookLayout, inst: Instance) -> str:
    """``OR('公开01表'!C8<>0,…)``: the cells of an instance's ``when_zero`` condition are not all 0."""
    if not inst.when_zero:
        return ""
    refs = [sheet_prefix(layout.sheet(k)) + "{1}{0}".format(*layout.table(k.table).address(k))
            for k in inst.when_zero]
    return "OR(" + ",".join(f"{r}<>0" for r in refs) + ")"


def text_ranges(layout: WorkbookLayout) -> dict[str, list[str]]:
    """Sheet → the amount columns of its table as ranges (``C7:C36``): where a number typed as text
    is looked for (ISTEXT; a formula's result is a number, a label is not in these columns)."""
    out: dict[str, list[str]] = {}
    for tid, tl in layout.tables.items():
        cols: dict[str, list[int]] = {}
        for key in tl.value_keys():
            row, col = tl.address(key)
            cols.setdefault(col, []).append(row)
        out[layout.profile.table(tid).number] = [f"{c}{min(r)}:{c}{max(r)}" for c, r in sorted(cols.items())]
    return out


def add_check_sheet(wb, layout: WorkbookLayout) -> None:
    """Add the 校验 sheet and the conditional formatting that points at it."""
    ws = wb.create_deferred_sheet(SHEET) if isinstance(wb, BuiltWorkbook) else wb.create_sheet(SHEET)
    rules = [r for r in layout.profile.rules if r.relations]
    instances = [i for i in graph_of(layout).instances if anchor(i, layout) is not None and (i.lhs or i.rhs)]
    by_rule: dict[str, list[Instance]] = {r.id: [] for r in rules}
    for i in instances:
        by_rule[i.rule.id].append(i)
    rules = [r for r in rules if by_rule[r.id]]
    texts = text_ranges(layout)
    summary_first = 4
    n_summary = len(rules) + 1  # the relation rules, then the row of amounts typed as text
    detail_first = summary_first + n_summary + 1  # header row of the details, after one blank row
    ws["A1"] = "校验（实时）：按表样中的审核关系自动计算，随填写更新。状态：通过 / 尾差（四舍五入容差之内）/ 不符。"
    ws["A1"].font = Font(name=styles.FONT_NAME, size=12, bold=True)
    ws.append([])
    ws.append(["规则", "级别", "内容", "检查项", "不符", "尾差", "状态"])
    conditions: dict = {}  # when_zero → its OR(…) (shared by the summary and the detail rows)
    for row in _summary_rows(layout, rules, by_rule, texts, (summary_first, detail_first + 1, len(instances)),
                             conditions):
        ws.append(row)
    ws.append([])
    ws.append(DETAIL_HEADER)
    anchors: dict[CellKey, list[tuple[int, str]]] = {}
    details, links = _detail_rows(layout, instances, detail_first + 1, anchors, conditions)
    if details:
        ws.append(details[0])  # a real row: the rows below take its styles
        _link(ws.cell(detail_first + 1, 3), links[0])
    _verdict(ws, summary_first, n_summary)
    _style(ws, summary_first, n_summary, detail_first, len(instances))
    if isinstance(ws, DeferredSheet):
        ws.defer_rows(details[1:], link_col=3, links=links[1:])
    else:
        for row, link in zip(details[1:], links[1:]):
            ws.append(row)
            _link(ws.cell(ws.max_row, 3), link)
            _style_detail_row(ws, ws.max_row)
    _conditional_formats(wb, layout, anchors)
    _text_formats(wb, texts)


def _summary_rows(layout, rules, by_rule, texts, rows: tuple[int, int, int], conditions: dict):
    """One row per relation rule (its 不符 and 尾差 summed from the details), then the text row.
    ``rows``: the first summary row, the first detail row and the number of details."""
    summary_first, first_detail_row, n_details = rows
    last_detail_row = first_detail_row + n_details - 1
    rng = lambda col: f"${col}${first_detail_row}:${col}${last_detail_row}"
    text_rule = next((r for r in layout.profile.rules if r.check == "amount_parsed"), None)
    row = summary_first - 1
    out = []
    for r in rules:
        row += 1
        found = {_condition(layout, i, conditions) for i in by_rule[r.id]}
        ok = f'IF({found.pop()},"不适用","通过")' if len(found) == 1 and "" not in found else '"通过"'
        out.append([r.id, r.severity_cn, r.text, len(by_rule[r.id]),
                    f'=SUMIF({rng("A")},"{r.id}",{rng("J")})', f'=SUMIF({rng("A")},"{r.id}",{rng("K")})',
                    f'=IF(E{row}>0,"不符",IF(F{row}>0,"尾差",{ok}))'])
    row += 1
    count = "+".join(f"SUMPRODUCT(ISTEXT({sheet_prefix(sh)}{r})*1)" for sh, rs in texts.items() for r in rs) or "0"
    out.append([text_rule.id if text_rule else "", "错误", "以文本形式填写的金额（公式不会把它算进合计；单元格显示为红色）："
                "请删除后重新输入数字", sum(len(rs) for rs in texts.values()), f"={count}", 0,
                f'=IF(E{row}>0,"不符","通过")'])
    return out


def _condition(layout, inst, memo: dict) -> str:
    found = memo.get(inst.when_zero)
    if found is None:
        found = memo[inst.when_zero] = condition_expression(layout, inst)
    return found


def _detail_rows(layout, instances, first_row: int, anchors, conditions: dict) -> tuple[list[list], list]:
    """The rows of the instances from ``first_row`` on, and the link of each row's 位置; ``anchors``
    gathers the table cell → (row, severity) the conditional formats point from."""
    counts: dict = {}
    refs: dict = {}
    rows, links = [], []
    row = first_row - 1
    for inst in instances:
        row += 1
        key = anchor(inst, layout)
        left = sum_expression(layout, inst.lhs, SHEET, refs)
        right = sum_expression(layout, inst.rhs, SHEET, refs)
        n = f"MAX({count_expression(layout, inst.lhs, SHEET, counts)},{count_expression(layout, inst.rhs, SHEET, counts)})"
        when = _condition(layout, inst, conditions)
        where = layout.a1(key)
        rows.append([inst.rule.id, inst.rule.severity_cn, where, (inst.where or ""),
                     f"={left}", f"={right}", f"=ROUND(E{row}-F{row},2)", f"=(MAX(1,{n})+1)*0.005",
                     status_formula(inst.op, f"G{row}", f"H{row}", when),
                     f'=IF(I{row}="不符",1,0)', f'=IF(I{row}="尾差",1,0)'])
        sheet, _, ref = where.rpartition("!")
        links.append((f"'{sheet}'!{ref}", where))
        anchors.setdefault(key, []).append((row, inst.rule.severity))
    return rows, links


LINK_FONT = Font(name=styles.FONT_NAME, size=10, color="0563C1", underline="single")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _link(cell, link: tuple[str, str]) -> None:
    """位置 as a link to the table cell (the text stays 公开01表!C33)."""
    location, display = link
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location, display=display)
    cell.font = LINK_FONT


def _verdict(ws, first: int, n: int) -> None:
    """Row 2: one overall verdict — 未通过 while an error rule fails, else 通过 (with the warnings and
    tails counted), from the summary rows."""
    last = first + n - 1
    err = f'SUMPRODUCT((B{first}:B{last}="错误")*(G{first}:G{last}="不符"))'
    warn = f'SUMPRODUCT((B{first}:B{last}<>"错误")*(G{first}:G{last}="不符"))'
    tail = f'COUNTIF(G{first}:G{last},"尾差")'
    ws["A2"] = "结论"
    ws["C2"] = (f'=IF({err}>0,"未通过："&{err}&" 条错误级规则不符（见下表状态为“不符”的行）",'
                f'IF({warn}>0,"通过，但有 "&{warn}&" 条警告级规则不符，请核实",'
                f'IF({tail}>0,"通过（"&{tail}&" 条规则有四舍五入尾差）","通过")))')
    ws["A2"].font = ws["C2"].font = Font(name=styles.FONT_NAME, size=12, bold=True)
    ws.conditional_formatting.add("C2", FormulaRule(formula=['LEFT($C$2,3)="未通过"'], fill=FAIL_FILL))
    ws.conditional_formatting.add("C2", FormulaRule(formula=['ISNUMBER(SEARCH("警告",$C$2))'], fill=WARN_FILL))


def _style(ws, summary_first, n_rules, detail_first, n_details):
    bold = Font(name=styles.FONT_NAME, size=10, bold=True)
    center = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in (summary_first - 1, detail_first):  # both header rows across the details' width
        for col in range(1, len(DETAIL_HEADER) + 1):
            c = ws.cell(row, col)
            c.font, c.alignment = bold, center
    for col, width in zip("ABCDEFGHIJK", (8, 6, 60, 18, 12, 12, 10, 9, 8, 6, 6)):
        ws.column_dimensions[col].width = width
    for row in range(summary_first, summary_first + n_rules):
        ws.cell(row, 3).alignment = _WRAP_TOP
    if n_details:
        _style_detail_row(ws, detail_first + 1)
    last = detail_first + n_details
    for area in (f"G{summary_first}:G{summary_first + n_rules - 1}", f"I{detail_first + 1}:I{last}"):
        col = area[0]
        top = area.split(":")[0][1:]
        failed = f'${col}{top}="不符"'
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'AND({failed},$B{top}="错误")'], fill=FAIL_FILL))
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'AND({failed},$B{top}="警告")'], fill=WARN_FILL))
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'OR({failed},${col}{top}="尾差")'], fill=TAIL_FILL))
    ws.freeze_panes = f"A{summary_first}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.autoFilter = False
    ws.auto_filter.ref = f"A{detail_first}:K{last}"
    _print_setup(ws, detail_first)


def _style_detail_row(ws, row: int) -> None:
    """关系 wrapped; the sides and the difference as amounts, the tolerance to three places."""
    ws.cell(row, 4).alignment = _WRAP_TOP
    for col in (5, 6, 7):
        ws.cell(row, col).number_format = styles.AMOUNT_FORMAT
    ws.cell(row, 8).number_format = "0.000"


def _print_setup(ws, detail_first: int) -> None:
    """Landscape A4, one page wide, the details' header repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{detail_first}:{detail_first}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_options.gridLines = True


def _conditional_formats(wb, layout: WorkbookLayout, anchors: dict[CellKey, list[tuple[int, str]]]) -> None:
    """Colour a table cell as the check's key says: red while an 错误 rule is 不符 there, amber while a
    警告 rule is, light blue while only 尾差 (or a 提示 rule) — the colours of the annotated copy."""
    def any_of(refs, word):
        if not refs:
            return None
        return refs[0] + f'="{word}"' if len(refs) == 1 else "OR(" + ",".join(f'{x}="{word}"' for x in refs) + ")"

    ref = lambda r: f"{sheet_prefix(SHEET)}$I${r}"
    by_sheet: dict[str, list] = {}
    for key, rows in anchors.items():
        row, col = layout.table(key.table).address(key)
        levels = {lvl: [ref(r) for r, sev in rows if LEVEL_OF[sev] == lvl] for lvl in ("error", "warning", "info")}
        rules = [(formula, fill, True) for formula, fill in (
            (any_of(levels["error"], "不符"), FAIL_FILL), (any_of(levels["warning"], "不符"), WARN_FILL),
            (any_of([ref(r) for r, _ in rows], "尾差"), TAIL_FILL), (any_of(levels["info"], "不符"), TAIL_FILL))
            if formula]
        by_sheet.setdefault(layout.sheet(key), []).append((f"{col}{row}", rules))
    for sheet, formats in by_sheet.items():
        _put_formats(wb[sheet], formats)


def _put_formats(ws, formats) -> None:
    """(range, [(formula, fill, stop)]) conditional formats onto ``ws`` (kept for the fast save when deferred)."""
    if isinstance(ws, DeferredSheet):
        ws.defer_formats(formats)
        return
    for sqref, rules in formats:
        for formula, fill, stop in rules:
            ws.conditional_formatting.add(sqref, FormulaRule(formula=[formula], fill=fill, stopIfTrue=stop))


def _text_formats(wb, texts: dict[str, list[str]]) -> None:
    """An amount typed as text is red at its cell (first of the cell's rules: it is the root cause)."""
    for sheet, ranges in texts.items():
        _put_formats(wb[sheet], [(rng, [(f"ISTEXT({rng.split(':')[0]})", FAIL_FILL, True)]) for rng in ranges])
