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
        where = f.location if f.cell else (f.sheet or f.table)
        where = f" {where}" if where else ""
        row = f"（{f.code} {f.name}）".replace("（ ", "（") if (f.code or f.name) else ""
        lines.append(f"  [{SEVERITY_WORD[f.severity]}] {f.rule}{where}{row}：{f.message}")
        if f.relations:
            lines.append(f"      同一单元格还涉及：{'、'.join(f.relations)}")
    if not report.findings:
        lines.append("")
        lines.append("没有发现问题。")
    return "\n".join(lines)
