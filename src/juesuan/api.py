"""The Python API: build a template, fill a workbook from a data file.

    >>> from juesuan import build_template
    >>> layout, wb = build_template("某某局", 2024, codes=["2010101"])
    >>> wb["公开01表"]["C33"].value
    '=SUM(C7:C14)'
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from openpyxl import Workbook

from .builder import build_workbook
from .catalog import default_catalog
from .datafile import Filled, fill_from_datafile, read_datafile
from .errors import CodeError
from .layout import WorkbookLayout, check_code, template_layout
from .model import DEFAULT_PROFILE, load_profile


def parse_code_list(text: str | None, option: str = "--codes") -> tuple[list[str], dict[str, str]]:
    """``"2010101,2080501=行政单位离退休,21505=工业和信息产业监管"`` → (项 codes, names).

    Items are separated by commas (also ，、; or spaces); ``code=名称`` gives a name. A 3- or
    5-digit code is accepted only with a name: it names a 类 or 款 parent.
    """
    codes: list[str] = []
    names: dict[str, str] = {}
    if not text:
        return codes, names
    text = unicodedata.normalize("NFKC", text)
    for item in (p.strip() for p in text.replace("、", ",").replace(";", ",").replace("\n", ",").split(",")):
        if not item:
            continue
        code, _, name = item.partition("=")
        code, name = code.strip(), name.strip()
        if name and code.isdigit() and len(code) in (3, 5):
            names[code] = name
            continue
        check_code(code, f"{option} 中的")
        if "=" in item and not name:
            raise CodeError(f"{option} 中的「{item}」：等号后缺少科目名称。")
        codes.append(code)
        if name:
            names[code] = name
    return codes, names


def build_template(department: str, year: int = 2024, codes=(), fund_codes=(), soe_codes=(), other_codes=(),
                   names: dict[str, str] | None = None, profile: str = DEFAULT_PROFILE,
                   econ_extra=()) -> tuple[WorkbookLayout, Workbook]:
    """A blank template: ``codes`` feed 02/03/05, ``fund_codes`` 02/03/07, ``soe_codes`` 02/03/08,
    ``other_codes`` (non-财政拨款 spending) 02/03 only."""
    prof = load_profile(profile)
    catalog = default_catalog(year)
    for lst, opt in ((codes, "--codes"), (fund_codes, "--fund-codes"), (soe_codes, "--soe-codes"),
                     (other_codes, "--other-codes")):
        for code in lst:
            check_code(code, f"{opt} 中的")
    layout = template_layout(prof, catalog, department, year,
                             {"general": list(codes), "fund": list(fund_codes), "soe": list(soe_codes),
                              "other": list(other_codes)}, dict(names or {}), set(econ_extra))
    return layout, build_workbook(layout)


def fill_workbook(data: str | Path, profile: str | None = None) -> tuple[Filled, Workbook]:
    """The workbook a data file describes (YAML or JSON, amounts in 万元)."""
    df = read_datafile(data)
    filled = fill_from_datafile(df, load_profile(profile) if profile else None)
    return filled, build_workbook(filled.layout, filled.values)
