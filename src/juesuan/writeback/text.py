"""The readable Chinese text report of a check."""

from __future__ import annotations

from juesuan.validate.report import LEVELS, SEVERITY_WORD, Report, counts_text


def render_text(report: Report) -> str:
    """The readable Chinese report: grouped by table, errors first, with counts."""
    lines = [f"检查文件：{report.file}"]
    if report.department:
        lines.append(f"部门：{report.department}　年度：{report.year or '未识别'}")
    if report.catalog:
        lines.append(f"分类科目：{report.catalog}")
    lines.append(f"结果：{counts_text(report.counts)}"
                 + ("（通过：没有错误）" if report.valid else "（未通过：有错误须改正）"))
    for note in report.notes:
        lines.append(f"说明：{note}")
    current = None
    for f in report.findings:
        if f.table != current:
            current = f.table
            n = [x for x in report.findings if x.table == current]
            counts = counts_text({s: sum(1 for x in n if x.severity == s) for s in LEVELS}, skip_zero=True)
            lines.append("")
            lines.append(f"【{current or '整个工作簿'}】{counts}")
        where = f.location if f.cell else (f.sheet or f.table)
        row = f"（{f.code} {f.name}）".replace("（ ", "（") if (f.code or f.name) else ""
        lines.append(f"  [{SEVERITY_WORD[f.severity]}·{f.severity_cn}] {f.rule} {where}{row}：{f.message}")
        if f.relations:
            lines.append(f"      同一单元格还涉及：{'、'.join(f.relations)}")
    if not report.findings:
        lines.append("")
        lines.append("没有发现问题。")
    if report.narrative is not None:
        lines += narrative_lines(report)
    return "\n".join(lines)


def narrative_lines(report: Report) -> list[str]:
    """The 情况说明's findings: section and paragraph, the message, the sentence quoted."""
    fs = report.narrative or []
    counts = counts_text({s: sum(1 for x in fs if x.severity == s) for s in LEVELS})
    lines = ["", f"【情况说明】{report.narrative_file}：{counts}"]
    for f in fs:
        lines.append(f"  [{SEVERITY_WORD[f.severity]}·{f.severity_cn}] {f.rule} {f.section} 第{f.paragraph}段：{f.message}")
        if f.sentence:
            lines.append(f"      原文：{f.sentence}")
    if not fs:
        lines.append("  情况说明中的数字与公开表一致，没有发现问题。")
    return lines
