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
