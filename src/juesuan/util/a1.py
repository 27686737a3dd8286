"""A1 addresses, without openpyxl (which pulls numpy in): column letters ↔ numbers, ``C12`` ↔ (12, "C").

Users think in ``公开03表!E12``: every position juesuan prints is 1-based and in A1 form.
"""

from __future__ import annotations


def col_index(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27."""
    n = _INDEX.get(letters)
    if n is not None:
        return n
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letter(index: int) -> str:
    """1 → ``A``, 27 → ``AA``."""
    if 0 < index < len(_LETTERS):
        return _LETTERS[index]
    return _col_letter(index)


def _col_letter(index: int) -> str:
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


_LETTERS = ("",) + tuple(_col_letter(i) for i in range(1, 703))  # A … ZZ: every column a table uses
_INDEX = {letters: i for i, letters in enumerate(_LETTERS) if i}


def split(a1: str) -> tuple[str, int]:
    """``E12`` → (``E``, 12); a bare column gives row 0."""
    letters = a1.rstrip("0123456789")
    digits = a1[len(letters):]
    return letters, int(digits) if digits else 0


def order(a1: str) -> tuple[int, int]:
    """A sort key that reads a sheet top to bottom, then left to right: (row, column)."""
    letters, row = split(a1)
    return row, col_index(letters) if letters else 0


def range_bounds(ref: str) -> tuple[int, int, int, int]:
    """``B3:D5`` → (min_col, min_row, max_col, max_row), as openpyxl's ``range_boundaries``."""
    first, _, last = ref.partition(":")
    c1, r1 = split(first)
    c2, r2 = split(last or first)
    return col_index(c1), r1, col_index(c2), r2
