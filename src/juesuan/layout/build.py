"""Layouts from the model: a blank template's, or a data file's rows.

The 类 and 款 rows of a coded table are generated from its 项 codes (:func:`hierarchy_rows`), or kept
as a department reported them (:func:`verbatim_rows`); 06's codes are placed block by block.
"""

from __future__ import annotations

from juesuan.catalog import Catalog
from juesuan.errors import CodeError
from juesuan.layout.tables import TOTAL_ROW, CodeRow, EconomicTable, new_table
from juesuan.layout.workbook import WorkbookLayout
from juesuan.model.profile import Profile
from juesuan.util.codes import ITEM_RE, LEVELS, is_code




def check_code(code: str, where: str = "") -> str:
    """A 项 code as given by a user: 7 digits, or a clear Chinese error."""
    if not ITEM_RE.fullmatch(code):
        hint = ""
        if is_code(code):  # a 类 or 款 code
            hint = f"（{len(code)} 位是{LEVELS[len(code)]}级代码；类、款行由项自动生成，只需给出 7 位项级代码）"
        raise CodeError(f"{where}科目代码「{code}」格式不正确：应为 7 位数字的项级功能分类代码{hint}，例如 2010101。")
    return code


def name_for(code: str, names: dict[str, str], catalog: Catalog, where: str = "",
             missing: list | None = None) -> str:
    """The name of a functional code: the user's name, else the catalog's; else, with a ``missing``
    list, the code is noted there (every one is reported at once, :func:`missing_names`) and the name
    is empty; without one, an error."""
    if code in names:
        return names[code]
    found = catalog.name(code)
    if found:
        return found
    if missing is None:
        raise missing_names([(where, code)], "cli")
    if all(c != code for _, c in missing):
        missing.append((where, code))
    return ""


def missing_names(missing: list[tuple[str, str]], via: str) -> CodeError:
    """One error naming every code without a name, with the way to give names of ``via``: ``cli``
    (``--codes 代码=名称``) or ``data`` (the data file's 科目名称)."""
    lines = [f"  {where}{code}（{LEVELS.get(len(code), '')}级）" for where, code in missing]
    if via == "data":
        how = ("请在数据文件中加上「科目名称」，例如：\n科目名称:\n"
               + "\n".join(f'  "{code}": 科目名称' for _, code in missing[:5]))
    else:
        how = ("请在代码后用 = 给出名称（类、款级代码也一样），例如 --codes "
               + ",".join(f"{code}=科目名称" for _, code in missing[:3]))
    return CodeError(f"以下 {len(missing)} 个科目代码在内置分类科目中没有名称：\n" + "\n".join(lines) + "\n" + how)


def hierarchy_rows(codes: list[str], names: dict[str, str], catalog: Catalog,
                   where=lambda code: "", missing: list | None = None) -> list[CodeRow]:
    """类/款/项 rows for 项 codes, in code order, with the 类 and 款 parents generated.

    ``where(code)`` places a 项 code in the user's input, for messages.
    """
    out: list[CodeRow] = [TOTAL_ROW]
    seen: set[str] = set()
    for code in sorted(set(codes)):
        for parent, generated in ((code[:3], True), (code[:5], True), (code, False)):
            if parent in seen:
                continue
            seen.add(parent)
            out.append(CodeRow(parent, name_for(parent, names, catalog, where(code), missing), generated))
    return out


def verbatim_rows(rows: list[tuple[str, str | None]], names: dict[str, str], catalog: Catalog,
                  where=lambda i: "", missing: list | None = None) -> list[CodeRow]:
    """Rows as a department reported them, in their order; a missing 类/款 parent of a well-formed
    code is inserted before its first child. Malformed and duplicate codes are kept as given."""
    present = {code for code, _ in rows}
    out: list[CodeRow] = [TOTAL_ROW]
    added: set[str] = set()
    for i, (code, name) in enumerate(rows):
        if is_code(code) and len(code) > 3:
            for plen in (3, 5):
                parent = code[:plen]
                if plen < len(code) and parent not in present and parent not in added:
                    added.add(parent)
                    out.append(CodeRow(parent, name_for(parent, names, catalog, where(i), missing), True))
        if name is None:
            name = name_for(code, names, catalog, where(i), missing) if code.isdigit() else ""
        out.append(CodeRow(code, name))
    return out


def economic_layout(tl: EconomicTable, catalog: Catalog, extra: set[str], names: dict[str, str]) -> None:
    """Place the 06 codes block by block (optional codes only when in ``extra``)."""
    s = tl.spec
    for block in s.blocks:
        row = s.first_row
        for code in block.codes:
            if code in s.optional_codes and code not in extra:
                continue
            tl.econ_codes.append(code)
            tl.econ_names[code] = names.get(code) or catalog.economic_name(code) or ""
            tl.econ_pos[code] = (row, block.code_col, block.name_col, block.value_col)
            row += 1
        if row - s.first_row > s.body_rows:
            raise CodeError(f"{s.number} 第一栏的科目多于 {s.body_rows} 行")


def build_layout(profile: Profile, catalog: Catalog, department: str, year: int,
                 coded_rows: dict[str, list[CodeRow]], econ_extra: set[str] = frozenset(),
                 econ_names: dict[str, str] | None = None) -> WorkbookLayout:
    """A layout from the rows of each coded table (others get the model's fixed rows)."""
    tables = {}
    for spec in profile.tables:
        tl = new_table(spec, profile)
        if tl.kind == "coded":
            tl.rows = coded_rows.get(spec.id) or [TOTAL_ROW]
        elif tl.kind == "economic":
            economic_layout(tl, catalog, set(econ_extra), econ_names or {})
        tables[spec.id] = tl
    return WorkbookLayout(profile, department, year, tables, catalog)


def template_layout(profile: Profile, catalog: Catalog, department: str, year: int,
                    code_lists: dict[str, list[str]], names: dict[str, str],
                    econ_extra: set[str] = frozenset()) -> WorkbookLayout:
    """The layout of a blank template for code lists keyed general/fund/soe/other.

    A table's ``codes_from`` names the lists feeding it; ``all`` is every list.
    """
    coded, missing = {}, []
    for spec in profile.tables:
        if spec.kind != "coded":  # the tables whose rows are codes
            continue
        codes: list[str] = []
        for src in spec.codes_from:
            if src == "all":
                for lst in code_lists.values():
                    codes.extend(lst)
            else:
                codes.extend(code_lists.get(src, []))
        coded[spec.id] = hierarchy_rows(codes, names, catalog, missing=missing) if codes else [TOTAL_ROW]
    if missing:
        raise missing_names(missing, "cli")
    return build_layout(profile, catalog, department, year, coded, econ_extra)
