"""Excel formula strings for relation instances.

Only functions that Excel, WPS and LibreOffice compute alike are used: SUM, SUMIF (exact-match
criteria, no wildcards), and plain + and −. Sheet names are always quoted.
"""

from __future__ import annotations

from juesuan.layout.workbook import WorkbookLayout
from juesuan.layout.keys import CellKey, Lookup, Term
from juesuan.rules.instances import Instance
from juesuan.util import a1


def sheet_prefix(sheet: str) -> str:
    """``'公开03表'!`` — sheet names are always quoted (valid in Excel, WPS and LibreOffice)."""
    return "'" + sheet.replace("'", "''") + "'!"


def cell_ref(layout: WorkbookLayout, key: CellKey, home: str) -> str:
    """``C8`` on the home table's own sheet, ``'公开03表'!C8`` elsewhere."""
    row, col = layout.table(key.table).address(key)
    prefix = "" if key.table == home else sheet_prefix(layout.sheet(key))
    return f"{prefix}{col}{row}"


def sumif(layout: WorkbookLayout, lookup: Lookup, home: str) -> str:
    """``SUMIF('公开03表'!$A$8:$A$31,"206",'公开03表'!$C$8:$C$31)``: the rows with that code.

    An empty table gives ``0``: there is nothing to look up.
    """
    tl = layout.table(lookup.table)
    spec = tl.spec
    if tl.is_empty:
        return "0"
    first, last = spec.first_row + 1, spec.first_row + len(tl.rows) - 1
    prefix = "" if lookup.table == home else sheet_prefix(spec.number)
    col = spec.columns[lookup.col]
    return (f'SUMIF({prefix}${spec.code_col}${first}:${spec.code_col}${last},"{lookup.code}",'
            f'{prefix}${col}${first}:${col}${last})')


def compress(cells: list[tuple[str, int, str]]) -> list[str]:
    """Join runs of adjacent cells into ranges, keeping order.

    ``cells`` are (prefix, row, column letter). ``C7, C8, C9`` → ``C7:C9``; ``D8, E8, F8`` → ``D8:F8``.
    """
    if len(cells) == 1:
        prefix, row, col = cells[0]
        return [f"{prefix}{col}{row}"]
    out: list[str] = []
    n = len(cells)
    known = _COLUMNS
    cols = [known.get(c[2]) or _col_index(c[2]) for c in cells]
    i = 0
    while i < n:
        prefix, row, col = cells[i]
        j = i
        direction = None
        while j + 1 < n:
            p2, r2, _ = cells[j + 1]
            pr, pc, c2i = cells[j][1], cols[j], cols[j + 1]
            step = "down" if (r2 == pr + 1 and c2i == pc) else "right" if (r2 == pr and c2i == pc + 1) else None
            if p2 != prefix or step is None or (direction and step != direction):
                break
            direction = step
            j += 1
        if j > i:
            _, lr, lc = cells[j]
            out.append(f"{prefix}{col}{row}:{lc}{lr}")
        else:
            out.append(f"{prefix}{col}{row}")
        i = j + 1
    return out


_COLUMNS: dict[str, int] = {}


def _col_index(letter: str) -> int:
    found = _COLUMNS.get(letter)
    if found is None:
        found = _COLUMNS[letter] = a1.col_index(letter)
    return found


def cell_parts(layout: WorkbookLayout, key: CellKey, home: str) -> tuple[str, int, str]:
    """(prefix, row, column letter) of :func:`cell_ref`: ``("'公开03表'!", 8, "C")``, ``("", 8, "C")``."""
    row, col = layout.table(key.table).address(key)
    return ("" if key.table == home else sheet_prefix(layout.sheet(key))), row, col


def sum_expression(layout: WorkbookLayout, terms: list[Term], home: str, memo: dict | None = None) -> str:
    """An expression (without ``=``) for the signed sum of ``terms`` seen from sheet ``home``.

    ``memo`` (a dict the caller keeps for one sheet's formulas) holds each term's reference once made."""
    if not terms:
        return "0"
    memo = {} if memo is None else memo
    mine = memo.get(home)
    if mine is None:  # cell parts, SUMIFs and signed references, each by term
        mine = memo[home] = ({}, {}, {})
    if all(sign == 1 for sign, _ in terms):
        split, sumifs, _ = mine
        cells, looks = [], []
        for _, t in terms:
            if isinstance(t, CellKey):
                found = split.get(t)
                if found is None:
                    found = split[t] = cell_parts(layout, t, home)
                cells.append(found)
            elif isinstance(t, Lookup):
                found = sumifs.get(t)
                if found is None:
                    found = sumifs[t] = sumif(layout, t, home)
                looks.append(found)
        args = compress(cells) + looks if cells else looks
        if len(terms) == 1 and looks:
            return args[0]  # SUMIF is a number already
        # a single cell too is SUM(C30), not =C30: a text or an error typed there is not carried upwards
        return f"SUM({','.join(args)})"
    refs = mine[2]
    parts = []
    for i, (sign, t) in enumerate(terms):
        text = refs.get(t)
        if text is None:
            text = refs[t] = cell_ref(layout, t, home) if isinstance(t, CellKey) else sumif(layout, t, home)
        parts.append(("-" if sign < 0 else ("+" if i else "")) + text)
    return "".join(parts)


def defining_formula(layout: WorkbookLayout, inst: Instance, memo: dict | None = None) -> str:
    """The formula of the cell a defining instance defines: ``=SUM(C8:C15)`` (``memo``: as for
    :func:`sum_expression`)."""
    return "=" + sum_expression(layout, inst.rhs, inst.target.table, memo)


def col_letter(index: int) -> str:
    return a1.col_letter(index)
