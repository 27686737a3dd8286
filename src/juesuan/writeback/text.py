"""The readable Chinese text report of a check."""

from __future__ import annotations

from juesuan.validate.report import LEVELS, SEVERITY_WORD, Report, counts_text, severity_note


def render_text(report: Report) -> str:
    """The readable Chinese report: grouped by table, errors first, with counts."""
    lines = [f"检查文件：{report.file}"]
    if report.department:
        lines.append(f"部门：{report.department}　年度：{report.year or '未识别'}")
    if report.catalog:
        lines.append(f"分类科目：{report.catalog}")
    if report.profile:
        lines.append(f"表样：{report.profile['name']}")
    lines.append(f"结果：{counts_text(report.counts)}"
                 + ("（通过：没有错误）" if report.valid else "（未通过：有错误须改正）"))
    for note in report.notes:
        lines.append(f"说明：{note}")
    if report.findings:
        lines.append(f"级别：{severity_note()}")
    current = None
    for f in report.findings:
        if f.table != current:
            current = f.table
            n = [x for x in report.findings if x.table == current]
            counts = counts_text({s: sum(1 for x in n if x.severity == s) for s in LEVELS}, skip_zero=True)
            lines.append("")
            lines.append(f"【{current or '整个工作簿'}】{counts}")
        where = f.location if (f.cell or f.page) else (f.sheet or f.table)
        where = f" {where}" if where else ""
        row = f"（{f.code} {f.name}）".replace("（ ", "（") if (f.code or f.name) else ""
        lines.append(f"  [{SEVERITY_WORD[f.severity]}] {f.rule}{where}{row}：{f.message}")
        if f.relations:
            lines.append(f"      同一单元格还涉及：{'、'.join(f.relations)}")
    if not report.findings:
        lines.append("")
        lines.append("没有发现问题。")
    if report.narrative is not None:
        lines += narrative_lines(report)
    return "\n".join(lines)


def render_reading(report: Report) -> str:
    """The reading summary: for each table, where it was found, its unit, which column was taken for
    which 栏, how many rows were read, and what was left aside (``check --explain``)."""
    lines = ["", "读取情况（每张表从哪里、按什么读取）："]
    if report.profile:
        lines.append(f"  表样：{report.profile['name']}（{report.profile['id']}）")
    for r in report.reading:
        state = "" if r["readable"] else "　【读不出：依赖本表的规则未检查】"
        source = f"PDF {r['sheet']}" if r.get("pages") else f"工作表「{r['sheet']}」{r['cells']}"
        lines.append(f"  {r['table']} ← {source}，按{r['found_by']}找到{state}")
        unit = r["unit"] + (f"（{r['unit_from']}）" if r["unit_from"] else "（未标明，按万元）")
        span = f"，{r['row_span']}" if r.get("row_span") else ""
        lines.append(f"      单位：{unit}；读取 {r['rows']} {r.get('rows_unit', '行')}{span}")
        if r["columns"]:
            lines.append("      各栏：" + "；".join(f"{k} {v}" for k, v in r["columns"].items()))
        for item in r["ignored"]:
            lines.append(f"      未读取：{item}")
    found = {r["table"] for r in report.reading}
    for number in report.tables:
        if number not in found:
            lines.append(f"  {number}：没有找到")
    if report.not_evaluated:
        lines.append("  未检查的规则：" + "、".join(f"{k}（缺 {'、'.join(v)}）" for k, v in report.not_evaluated.items()))
    return "\n".join(lines)


def narrative_lines(report: Report) -> list[str]:
    """The 情况说明's findings: section and paragraph, the message, the sentence quoted."""
    fs = report.narrative or []
    counts = counts_text({s: sum(1 for x in fs if x.severity == s) for s in LEVELS})
    lines = ["", f"【情况说明】{report.narrative_file}：{counts}"]
    for f in fs:
        lines.append(f"  [{SEVERITY_WORD[f.severity]}] {f.rule} {f.section} 第{f.paragraph}段：{f.message}")
        if f.sentence:
            lines.append(f"      原文：{f.sentence}")
    if not fs:
        lines.append("  情况说明中的数字与公开表一致，没有发现问题。")
    return lines
