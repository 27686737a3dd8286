"""The 政府收支分类科目 catalog: 支出功能分类 (类/款/项) and 部门预算支出经济分类 (类/款).

The bundled catalog (``juesuan/catalog/*.csv``) is partial and not the official file; each row has a
confidence (corroborated / knowledge / uncertain). Names are compared after NFKC normalisation.
"""

from __future__ import annotations

import csv
from pathlib import Path
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources



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


def _text(filename: str) -> str:
    return resources.files("juesuan").joinpath("catalog", filename).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def default_catalog(year: int = 2024) -> Catalog:
    """The bundled catalog of the edition nearest to ``year`` (2024 or 2025), compiled once per content
    of the bundled files (:mod:`juesuan.util.cache`)."""
    from juesuan.util.cache import cached

    texts = [_text("functional.csv"), _text("economic.csv")]
    return cached(f"catalog-{year}", [str(year), *texts], lambda: _bundled(year, *texts))


def _bundled(year: int, functional: str, economic: str) -> Catalog:
    rows_f = list(csv.DictReader(functional.splitlines()))
    rows_e = list(csv.DictReader(economic.splitlines()))
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
    """The official catalog the user imported for ``year``'s edition, else the bundled one: editions are
    kept apart (a 2025 import applies to 2025 workbooks only)."""
    imported = _imported_editions()
    if year not in imported:
        return default_catalog(year)
    return _load_imported(year, imported[year].stat().st_mtime)


def imported_catalogs() -> list[Catalog]:
    """Every imported official catalog, by edition."""
    return [active_catalog(e) for e in sorted(_imported_editions())]


def remove_imported(edition: int) -> list["Path"]:
    """Remove the imported catalog of ``edition``; returns the files removed (none if there was none)."""
    folder = user_data_dir() / "catalog"
    removed = []
    for name in ("functional", "economic", "source"):
        p = folder / f"{name}-{edition}.{'txt' if name == 'source' else 'csv'}"
        if p.exists():
            p.unlink()
            removed.append(p)
    forget_imported()
    return removed


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


def forget_imported() -> None:
    """Forget the imported catalogs read so far (after an import or a removal)."""
    _load_imported.cache_clear()
