"""Reading a written 情况说明 (.docx, .txt, .md, the text layer of a .pdf) into its sections and
paragraphs, as a reader would: a sentence broken over lines (PDF text layers, hand-made line breaks)
is joined again, full-width digits and punctuation are folded (NFKC), spaces inside numbers
(“1 0.99 万元”) are dropped, table rows (tab-separated) are skipped."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from juesuan.errors import InputError

from .spec import NarrativeSpec, Section

_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_SUB = re.compile(r"^\([一二三四五六七八九十]+\)")
_ITEM = re.compile(r"^\d+(?:、|\.(?!\d))")  # “1、” “2.”, not a line that starts with an amount (“7.00 万元”)
_END = "。！？」）)"
_CN_NUM = "一二三四五六七八九十"


def norm(text: str) -> str:
    """NFKC, every white space dropped: what the checks match on."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class Para:
    section: str  # the template's section key (一, 五（二）…), "" before the first
    index: int  # paragraph number within the section, from 1
    text: str  # as written (white space collapsed)
    norm: str  # as matched

    @property
    def where(self) -> str:
        return f"{self.section} 第{self.index}段" if self.section else f"第{self.index}段"


def read_lines(path: Path) -> list[str]:
    """The paragraphs (or lines) of a document, as its format gives them."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"情况说明文件「{path}」不存在。")
    if suffix == ".docx":
        try:
            import docx
        except ImportError:  # pragma: no cover
            raise InputError("读取 .docx 需要 python-docx：pip install python-docx") from None
        try:
            return [p.text for p in docx.Document(str(path)).paragraphs]
        except Exception as exc:
            raise InputError(f"无法读取「{path}」：不是有效的 Word 文档（{type(exc).__name__}）。") from None
    if suffix == ".pdf":
        from juesuan.read.pdf import narrative_lines

        lines = narrative_lines(path)  # the pages that hold no table; refuses scans and encrypted files
        if not any(line.strip() for line in lines):
            raise InputError(f"「{path}」中没有表格以外的文字（情况说明），无法检查。")
        return lines
    if suffix in (".txt", ".md", ""):
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(enc).splitlines()
            except UnicodeDecodeError:
                continue
        raise InputError(f"「{path}」不是 UTF-8 或 GBK 编码的文本。")
    raise InputError(f"不支持的情况说明文件类型「{path.suffix}」：请用 .docx、.pdf、.txt 或 .md。")


def _starts_block(n: str) -> bool:
    return bool(_HEADING.match(n) or _SUB.match(n) or _ITEM.match(n) or n.startswith("其中:")
                or n.startswith("第") and "部分" in n[:6])


def join_lines(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a line that does not end a sentence continues on the next one,
    unless it is a heading or the next starts a heading, an item or a 其中 paragraph."""
    out: list[str] = []
    open_ = False
    for line in lines:
        if "\t" in line:  # a table row of the document (绩效自评表 …): not narrative text
            open_ = False
            continue
        text = re.sub(r"^(#+|[-*]\s)\s*", "", " ".join(line.replace("\u3000", " ").split()))
        if not text:
            continue
        n = norm(text)
        if open_ and out and not _starts_block(n):
            out[-1] += text
        else:
            out.append(text)
        last = norm(out[-1])
        open_ = not (last.endswith(tuple(_END)) or _HEADING.match(last) and len(last) < 40
                     or _SUB.match(last) and len(last) < 40)
    return out


def _groups(spec: NarrativeSpec) -> list[list[Section]]:
    groups: list[list[Section]] = []
    for s in spec.sections:
        if s.get("heading") or not groups:
            groups.append([s])
        else:
            groups[-1].append(s)
    return groups


def _match(words, n: str) -> bool:
    return any(norm(w) in n for w in words or ())


def _best(groups: list[list[Section]], n: str) -> list[Section] | None:
    """The group whose heading words match ``n`` longest (四's 财政拨款收入支出… over 一's 收入支出…)."""
    best, size = None, 0
    for g in groups:
        for w in g[0].get("words") or ():
            if norm(w) in n and len(norm(w)) > size:
                best, size = g, len(norm(w))
    return best


def split_sections(spec: NarrativeSpec, paragraphs: list[str]) -> list[Para]:
    """Each paragraph with the section it belongs to, by the headings' words (not their numbers)."""
    groups = _groups(spec)
    current: list[Section] | None = None
    key, count, out = "", 0, []
    for text in paragraphs:
        n = norm(text)
        if _HEADING.match(n) and len(n) < 40:
            found = _best(groups, n)
            if found is not None:
                current, key, count = found, found[0].key, 0
                continue
        if _SUB.match(n) and len(n) < 60 and current is not None:
            sub = next((s for s in current if _match(s.get("sub_words"), n)), None)
            if sub is not None:
                key, count = sub.key, 0
                continue
        if n.startswith("第") and "部分" in n[:6]:
            if n.startswith("第三"):  # the 情况说明 starts (again: a table of contents names it first)
                current, key, count, out = None, "", 0, []
            else:  # 第四部分 名词解释 …: not the 情况说明
                current, key = None, ""
            continue
        if current is None:
            continue
        count += 1
        out.append(Para(key, count, text, n))
    return out


def read_narrative(path: str | Path, spec: NarrativeSpec) -> list[Para]:
    return split_sections(spec, join_lines(read_lines(Path(path))))


def sheet_lines(path: str | Path) -> list[str] | None:
    """The paragraphs of a workbook's 情况说明 sheet (column A, one a row), or None without one. Read as
    the checker reads workbooks (bounded, fast); a file that cannot be read has no such sheet."""
    from juesuan.errors import JuesuanError
    from juesuan.read.xlsx import read_workbook
    from juesuan.util.names import NARRATIVE_SHEET

    if Path(path).suffix.lower() == ".pdf":
        return None
    try:
        wb = read_workbook(path, only=NARRATIVE_SHEET)
    except JuesuanError:
        return None
    sheet = next((s for s in wb.sheets if s.name == NARRATIVE_SHEET), None)
    if sheet is None:
        return None
    out = []
    for r in range(1, sheet.max_row + 1):
        v = sheet.value(r, 1)
        if v is not None and str(v).strip():
            out.append(str(v))
    return out
