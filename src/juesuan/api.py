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

from juesuan.util.names import NARRATIVE_DATA_SHEET
from juesuan.render.workbook import build_workbook
from juesuan.catalog import default_catalog
from juesuan.fill.datafile import Filled, fill_from_datafile, read_datafile
from juesuan.errors import CodeError
from juesuan.layout.build import check_code, template_layout
from juesuan.layout.workbook import WorkbookLayout
from juesuan.rules.graph import graph_of
from juesuan.model.profile import DEFAULT_PROFILE, load_profile
from juesuan.util.codes import is_code


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
        if name and is_code(code) and len(code) < 7:
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
    wb = build_workbook(layout)
    add_narrative_inputs(wb, layout)
    return layout, wb


def fill_workbook(data: str | Path, profile: str | None = None, unit: str = "万元",
                  balance: bool = True) -> tuple[Filled, Workbook]:
    """The workbook a data file describes (YAML or JSON).

    With ``unit="元"`` the amounts are 元 figures: they are converted to 万元 with 舍位平衡
    (:mod:`juesuan.balance`), or with plain per-cell rounding when ``balance`` is False;
    ``filled.balance`` then holds the :class:`~juesuan.balance.BalanceResult`.
    """
    df = read_datafile(data)
    filled = fill_from_datafile(df, load_profile(profile) if profile else None)
    if unit == "元":
        filled = _from_yuan(filled, balance)
    wb = build_workbook(filled.layout, filled.values)
    add_narrative_inputs(wb, filled.layout, df.data.get(NARRATIVE_DATA_SHEET))
    return filled, wb


def narrative_items(layout: WorkbookLayout, spec) -> list[tuple[str, str]]:
    """(code, name) of the 项 the narrative explains one by one: 05's, and 07's / 08's where the
    profile's template lists them (上海), each code once."""
    out: dict[str, str] = {}
    for which, conf in spec.lists.items():
        if which in ("classes", "econ"):
            continue
        for r in layout.table(conf["table"]).rows[1:]:
            if len(r.code) == 7:
                out.setdefault(r.code, r.name)
    return list(out.items())


def add_narrative_inputs(wb, layout: WorkbookLayout, section: dict | None = None) -> list[str]:
    """Add the 情况说明数据 sheet (the narrative's inputs; ``section`` from a data file). Returns the
    labels of the inputs still empty, for the console."""
    from juesuan.narrative.inputs import data_section_values, input_rows, add_input_sheet
    from juesuan.narrative.spec import load_spec
    from juesuan.errors import ModelError

    try:
        spec = load_spec(layout.profile.id)
    except ModelError:
        return []  # a profile without a narrative template
    items = narrative_items(layout, spec)
    given = data_section_values(section)
    rows = input_rows(spec, items)
    by_label = {label: key for key, label, _ in rows}
    values = {by_label.get(k, k): v for k, v in given.items()}
    add_input_sheet(wb, spec, items, values)
    return [label for key, label, _ in rows if values.get(key) in (None, "")]


def _from_yuan(filled: Filled, balance_on: bool) -> Filled:
    """Turn 元 input figures into published 万元 values."""
    from decimal import Decimal

    from juesuan.fill import balance as bal

    layout = filled.layout
    graph = graph_of(layout)
    inputs = set(graph.inputs)
    yuan = {k: v for k, v in filled.values.items() if k in inputs and isinstance(v, Decimal)}
    for k, v in filled.values.items():
        if k in graph.definitions and isinstance(v, Decimal):
            parts = sum((n * yuan.get(leaf, Decimal(0)) for leaf, n in graph.leaf_coefficients(k).items()),
                        Decimal(0))
            if parts != v:
                filled.warnings.append(f"{layout.a1(k)} 给出的 {v} 元与其各项之和 {parts} 元不符：按各项之和计算（该格保留公式）。")
    result = bal.balance(layout, yuan) if balance_on else bal.plain(layout, yuan)
    values = {k: v for k, v in filled.values.items() if not isinstance(v, Decimal)}  # text kept as given
    for k in yuan:
        values[k] = result.values.get(k, Decimal("0.00"))
    if not balance_on:  # plain rounding: totals too are rounded on their own, as constants
        for k in graph.definitions:
            if k in result.values:
                values[k] = result.values[k]
    filled.values = values
    filled.balance = result
    return filled
