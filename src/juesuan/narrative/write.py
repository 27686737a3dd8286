"""Writing a composed narrative: .docx (python-docx, Chinese fonts set for East Asian text), .md, .txt."""

from __future__ import annotations

import io
from pathlib import Path

from juesuan.errors import InputError
from juesuan.util.atomic import atomic_write

from .compose import Narrative

BODY_FONT, HEADING_FONT = "宋体", "黑体"


def _run(paragraph, text: str, font: str, size: float, bold: bool = False):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.font.bold = font, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def docx_bytes(narr: Narrative) -> bytes:
    try:
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Pt
    except ImportError:  # pragma: no cover
        raise InputError("写 .docx 需要 python-docx：pip install python-docx") from None
    doc = docx.Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    for kind, text in narr.lines():
        p = doc.add_paragraph()
        if kind == "title":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(p, text, HEADING_FONT, 16, True)
        elif kind == "heading":
            _run(p, text, HEADING_FONT, 14 if "、" in text[:4] else 12, True)
        else:
            p.paragraph_format.first_line_indent = Pt(24)
            _run(p, text, BODY_FONT, 12)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_narrative(narr: Narrative, path: str | Path, force: bool = False) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        data = docx_bytes(narr)
        return atomic_write(path, lambda fh: fh.write(data), force=force)
    if suffix in (".md", ".txt"):
        text = narr.markdown() if suffix == ".md" else narr.text()
        return atomic_write(path, lambda fh: fh.write(text), force=force, binary=False)
    raise InputError(f"不支持的输出类型「{path.suffix}」：情况说明可写成 .docx、.md 或 .txt。")
