"""The rule list, rendered from the table model (``juesuan rules``, README)."""

from __future__ import annotations

from juesuan.model.profile import DEFAULT_PROFILE, load_profile


def rules_text(markdown: bool = False, profile: str = DEFAULT_PROFILE) -> str:
    prof = load_profile(profile)
    lines = []
    if markdown:
        lines += [f"规则来自表样模型 `schemas/{prof.id}.yaml`（{prof.name}）。", "",
                  "| 编号 | 级别 | 内容 | 关系 | 模板中 |", "|---|---|---|---|---|"]
    else:
        lines.append(f"{prof.name}：共 {len(prof.rules)} 条审核规则（级别 错误 / 警告 / 提示，即官方的强制 / 提示 / 参考）")
    for rule in prof.rules:
        rels = "；".join(_relation_text(r) for r in rule.relations)
        defines = "公式" if any(r.defines for r in rule.relations) else ("" if rule.check else "校验")
        if rule.check:
            rels = rels or f"内置检查 {rule.check}"
        if markdown:
            lines.append(f"| {rule.id} | {rule.severity_cn} | {rule.text} | `{rels}` | {defines} |")
        else:
            lines.append(f"{rule.id:6} [{rule.severity_cn}] {rule.text}")
            lines.append(f"{'':6}        {rels}")
    return "\n".join(lines)


def _relation_text(rel) -> str:
    text = rel.expr or f"{rel.hierarchy} 层级：{'、'.join(rel.levels)} = Σ 下级"
    if rel.when_zero:
        cells = "、".join(f"{r.table}[{r.row}{',' + r.col if r.col else ''}]" for r in rel.when_zero)
        text += f"（仅当 {cells} 均为 0）"
    return text
