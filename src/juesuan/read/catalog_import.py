"""``juesuan catalog import``: read an official 政府收支分类科目 Excel file into the user's catalog."""

from __future__ import annotations

from juesuan.catalog import forget_imported, user_data_dir
from juesuan.util.codes import LEVELS, is_code
from juesuan.util.text import nfkc
from juesuan.util.atomic import write_text


def import_catalog(path, edition: int | None = None):
    """Read an official 政府收支分类科目 Excel file; store it as the user's catalog.

    Accepted layouts (header rows anywhere in the first 20 rows, any sheet):
    - one code column (科目编码 / 科目代码 / 编码 / 代码) with codes of 3, 5 or 7 digits, and a
      name column (科目名称 / 名称);
    - three columns 类 / 款 / 项 holding 3-, 2- and 2-digit parts (a blank part carries the one above),
      and a name column.
    Codes starting with 3 and of 3 or 5 digits whose names are economic (301 工资福利支出 …) go to
    the economic catalog; the others to the functional one. Returns (edition, functional count,
    economic count, destination folder).
    """
    import re
    from pathlib import Path

    from juesuan.errors import InputError
    from juesuan.read.xlsx import read_workbook

    path = Path(path)
    wb = read_workbook(path)
    edition = edition or _edition_from_name(path)
    functional: dict[str, tuple[str, str]] = {}
    economic: dict[str, tuple[str, str]] = {}
    for sheet in wb.sheets:
        header = None
        for r in range(1, min(sheet.max_row, 20) + 1):
            texts = {nfkc(sheet.text(r, c)): c for c in range(1, sheet.max_col + 1) if sheet.text(r, c)}
            code_col = next((texts[t] for t in ("科目编码", "科目代码", "编码", "代码", "科目编号") if t in texts), None)
            name_col = next((texts[t] for t in ("科目名称", "名称") if t in texts), None)
            parts = [texts.get(t) for t in ("类", "款", "项")]
            if name_col and (code_col or all(parts)):
                header = (r, code_col, name_col, parts)
                break
        if header is None:
            continue
        r0, code_col, name_col, parts = header
        carry = ["", "", ""]
        for r in range(r0 + 1, sheet.max_row + 1):
            name = sheet.text(r, name_col).strip()
            if code_col:
                code = nfkc(sheet.text(r, code_col))
            else:
                vals = [nfkc(sheet.text(r, c)) for c in parts]
                if not any(vals):
                    continue
                code = ""
                for i, v in enumerate(vals):
                    if v:
                        carry[i] = v.zfill(3 if i == 0 else 2)
                        carry[i + 1:] = [""] * (2 - i)
                        code = "".join(carry[: i + 1])
                code = code if len(code) in LEVELS else ""
            if not (is_code(code) and name):
                continue
            target = economic if (code[0] == "3" and len(code) in (3, 5)) else functional
            target.setdefault(code, (name, LEVELS[len(code)]))
    if not functional and not economic:
        raise InputError(f"「{path}」中没有找到分类科目：需要“科目编码/科目代码”列（或“类、款、项”三列）和“科目名称”列。")
    _looks_official(path, functional)
    folder = user_data_dir() / "catalog"
    folder.mkdir(parents=True, exist_ok=True)

    def write(name, data):
        lines = ["code,name,level,parent_code,edition,confidence,source"]
        for code in sorted(data):
            nm, level = data[code]
            parent = code[:-2] if len(code) > 3 else ""
            lines.append(",".join([code, '"' + nm.replace('"', '""') + '"', level, parent, str(edition), "official", "imported"]))
        write_text(folder / f"{name}-{edition}.csv", "\n".join(lines) + "\n")

    write("functional", functional)
    if economic:
        write("economic", economic)
    write_text(folder / f"source-{edition}.txt", path.name)
    forget_imported()
    return edition, len(functional), len(economic), folder


def _edition_from_name(path) -> int:
    """The edition a file name gives (``2025年政府收支分类科目.xlsx``); never guessed without one."""
    import re

    from juesuan.errors import InputError

    m = re.search(r"(20\d\d)", path.name)
    if not m:
        raise InputError(f"无法从文件名「{path.name}」看出分类科目的版本年度：请用 --edition 指明，例如 --edition 2025"
                         "（导入的分类科目只用于同一年度的工作簿）。")
    return int(m.group(1))


MIN_CODES, MIN_ITEMS, MIN_CLASSES = 200, 150, 15  # the official 支出功能分类 has ~26 类 and over 1000 codes


def _looks_official(path, functional: dict) -> None:
    """Refuse a file that is not a 政府收支分类科目: too few codes (a 公开 workbook has a few dozen),
    too few of the 类 the table model knows, or their names not those of the 类."""
    from juesuan.errors import InputError
    from juesuan.model.profile import load_profile

    classes = dict(load_profile().classes)
    items = sum(1 for c in functional if len(c) == 7)
    found = [c for c in classes if c in functional]
    named = [c for c in found if nfkc(functional[c][0]).replace(" ", "") == nfkc(classes[c]).replace(" ", "")]
    if len(functional) < MIN_CODES or items < MIN_ITEMS or len(found) < MIN_CLASSES or len(named) < 0.8 * len(found):
        raise InputError(
            f"「{path.name}」看起来不是《政府收支分类科目》：只有 {len(functional)} 个功能分类代码（其中项级 {items} 个），"
            f"类级科目 {len(found)} 个（名称与分类科目一致的 {len(named)} 个）。官方文件有数百个代码和全部 {len(classes)} 个类"
            f"（201 一般公共服务支出 …）。部门决算公开工作簿不能作为分类科目导入；未导入，原有设置不变。")
