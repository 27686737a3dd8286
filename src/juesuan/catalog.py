"""The 政府收支分类科目 catalog: 支出功能分类 (类/款/项) and 部门预算支出经济分类 (类/款).

The bundled catalog (``juesuan/catalog/*.csv``) is partial and not the official file; each row has a
confidence (corroborated / knowledge / uncertain). Names are compared after NFKC normalisation.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LEVELS = {3: "类", 5: "款", 7: "项"}


def nfkc(text: str) -> str:
    """NFKC-normalise ``text`` and drop all white space (退职（役）费 == 退职(役)费)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    level: str
    parent: str
    edition: int
    confidence: str


class Catalog:
    """Code → name lookups for one edition, functional and economic."""

    def __init__(self, functional: dict[str, Entry], economic: dict[str, Entry], edition: int,
                 source: str = "内置分类科目（非官方，部分）"):
        self.functional = functional
        self.economic = economic
        self.edition = edition
        self.source = source
        self.official = False  # True for an imported official catalog

    def name(self, code: str) -> str | None:
        entry = self.functional.get(code)
        return entry.name if entry else None

    def economic_name(self, code: str) -> str | None:
        entry = self.economic.get(code)
        return entry.name if entry else None


def _read(filename: str) -> list[dict[str, str]]:
    text = resources.files("juesuan").joinpath("catalog", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=8)
def default_catalog(year: int = 2024) -> Catalog:
    """The bundled catalog of the edition nearest to ``year`` (2024 or 2025)."""
    rows_f = _read("functional.csv")
    rows_e = _read("economic.csv")
    editions = sorted({int(r["edition"]) for r in rows_f})
    edition = min(editions, key=lambda e: (abs(e - year), -e))

    def load(rows):
        out = {}
        for r in rows:
            if int(r["edition"]) != edition:
                continue
            out[r["code"]] = Entry(r["code"], r["name"], r["level"], r["parent_code"], edition, r["confidence"])
        return out

    return Catalog(load(rows_f), load(rows_e), edition)


# --------------------------------------------------------------------------------------------------
# The user's imported official catalog


def user_data_dir() -> "Path":
    """Where juesuan keeps the user's data: ``$JUESUAN_DATA_DIR``, else the platform's place
    (``%APPDATA%\\juesuan`` on Windows, ``~/Library/Application Support/juesuan`` on macOS,
    ``$XDG_DATA_HOME/juesuan`` or ``~/.local/share/juesuan`` elsewhere)."""
    import os
    import sys
    from pathlib import Path

    if os.environ.get("JUESUAN_DATA_DIR"):
        return Path(os.environ["JUESUAN_DATA_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "juesuan"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "juesuan"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "juesuan"


def _imported_editions() -> dict[int, "Path"]:
    folder = user_data_dir() / "catalog"
    out = {}
    if folder.is_dir():
        for p in folder.glob("functional-*.csv"):
            try:
                out[int(p.stem.split("-")[1])] = p
            except (IndexError, ValueError):
                continue
    return out


def active_catalog(year: int = 2024) -> Catalog:
    """The imported official catalog nearest to ``year`` if the user imported one, else the bundled one."""
    imported = _imported_editions()
    if not imported:
        return default_catalog(year)
    edition = min(imported, key=lambda e: (abs(e - year), -e))
    return _load_imported(edition, imported[edition].stat().st_mtime)


@lru_cache(maxsize=4)
def _load_imported(edition: int, mtime: float) -> Catalog:
    folder = user_data_dir() / "catalog"
    def load(name):
        path = folder / f"{name}-{edition}.csv"
        out = {}
        if path.exists():
            for r in csv.DictReader(path.read_text(encoding="utf-8").splitlines()):
                out[r["code"]] = Entry(r["code"], r["name"], r["level"], r["parent_code"], edition, "official")
        return out
    source_file = folder / f"source-{edition}.txt"
    source = source_file.read_text(encoding="utf-8").strip() if source_file.exists() else ""
    cat = Catalog(load("functional"), load("economic"), edition, f"已导入的官方分类科目 {edition} 版（{source}）")
    cat.official = True
    # The economic list of the 06 table is fixed: fall back to the bundled names where the file has none.
    for code, entry in default_catalog(edition).economic.items():
        cat.economic.setdefault(code, entry)
    return cat


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

    from .errors import InputError
    from .reader import read_workbook

    path = Path(path)
    wb = read_workbook(path)
    if edition is None:
        m = re.search(r"(20\d\d)", path.name)
        edition = int(m.group(1)) if m else 2025
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
                code = code if len(code) in (3, 5, 7) else ""
            if not (code.isdigit() and len(code) in (3, 5, 7) and name):
                continue
            target = economic if (code[0] == "3" and len(code) in (3, 5)) else functional
            target.setdefault(code, (name, LEVELS[len(code)]))
    if not functional and not economic:
        raise InputError(f"「{path}」中没有找到分类科目：需要“科目编码/科目代码”列（或“类、款、项”三列）和“科目名称”列。")
    folder = user_data_dir() / "catalog"
    folder.mkdir(parents=True, exist_ok=True)

    def write(name, data):
        lines = ["code,name,level,parent_code,edition,confidence,source"]
        for code in sorted(data):
            nm, level = data[code]
            parent = code[:-2] if len(code) > 3 else ""
            lines.append(",".join([code, '"' + nm.replace('"', '""') + '"', level, parent, str(edition), "official", "imported"]))
        tmp = folder / f".{name}-{edition}.csv.tmp"
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(folder / f"{name}-{edition}.csv")

    write("functional", functional)
    if economic:
        write("economic", economic)
    (folder / f"source-{edition}.txt").write_text(path.name, encoding="utf-8")
    _load_imported.cache_clear()
    return edition, len(functional), len(economic), folder
