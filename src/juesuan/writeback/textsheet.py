"""The 情况说明 sheet: the narrative `juesuan narrate` wrote, one paragraph a row, in a copy of the
workbook — so the text that is printed and the text `juesuan check` reads are the same text.

Written as the annotated copy is (:mod:`juesuan.writeback.marks`): into the original package where
that is safe (every other part untouched), else into an openpyxl copy (``not_kept`` says what that
copy lost). Every paragraph is stored as text (a line starting with “=” stays text); the output
follows :func:`juesuan.util.atomic.save_package`'s rules (an existing file only with ``force``, kept
as .bak), so the user's file is never lost.
"""

from __future__ import annotations

from pathlib import Path

from juesuan.util.names import NARRATIVE_SHEET

WIDTH = 110  # column A, in characters


def write_text_sheet(src, dst, lines: list[str], force: bool = False, backup: bool = True) -> dict:
    """Write ``src`` with a 情况说明 sheet holding ``lines`` (replacing one already there) to ``dst``."""
    from juesuan.util.atomic import save_package, save_workbook

    from .marks import OpenpyxlSurface, not_kept

    src, dst = Path(src), Path(dst)
    rows = [[line] for line in lines]
    data = _in_package(src, rows)
    if data is not None:
        save_package(data, dst, force=force, backup=backup)
        return {"writer": "package", "not_kept": []}
    import openpyxl

    from juesuan.errors import InputError

    try:
        wb = openpyxl.load_workbook(src)
    except Exception as exc:
        raise InputError(f"无法打开「{src}」写入情况说明：{exc}") from None
    surface = OpenpyxlSurface(wb)
    surface.add_sheet(NARRATIVE_SHEET)
    surface.write_table(NARRATIVE_SHEET, rows, {}, {1: WIDTH})
    save_workbook(wb, dst, force=force, backup=backup)
    return {"writer": "openpyxl", "not_kept": not_kept(src)}


def _in_package(src: Path, rows: list[list[str]]) -> bytes | None:
    from .package import PackageSurface

    surface = None
    try:
        surface = PackageSurface(src)
        surface.add_sheet(NARRATIVE_SHEET)
        surface.write_table(NARRATIVE_SHEET, rows, {}, {1: WIDTH})
        return surface.build()
    except Exception:  # Unsupported, or anything unforeseen: the openpyxl copy is the safe way
        return None
    finally:
        if surface is not None:
            surface.close()
