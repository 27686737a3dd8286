"""The 情况说明数据 sheet: what the narrative needs and the tables cannot give (上年数, 年初预算,
reasons, counts). ``template``/``fill`` add it (labels in Chinese, inputs unlocked); narrate and the
check read it back by its labels."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from juesuan.render import styles
from juesuan.render.cells import put
from juesuan.util.money import parse_amount
from juesuan.util.names import NARRATIVE_DATA_SHEET
from juesuan.util.text import nfkc

from .spec import NarrativeSpec

HEADER = ["项目", "填写", "说明"]
KIND_NOTE = {"amount": "金额，万元，两位小数", "count": "数量（整数）", "text": "文字"}


def item_label(template: str, code: str, name: str) -> str:
    return template.format(code=code, name=name)


def input_rows(spec: NarrativeSpec, items: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(key, label, kind) of every input: the department's, then per 项 of 05 (``年初预算@2060399``)."""
    rows = [(i["key"], i["label"], i.get("kind", "amount")) for i in spec.inputs]
    for code, name in items:
        rows += [(f"{i['key']}@{code}", item_label(i["label"], code, name), i.get("kind", "amount"))
                 for i in spec.item_inputs]
    return rows


def add_input_sheet(wb, spec: NarrativeSpec, items: list[tuple[str, str]], values: dict | None = None) -> None:
    """Add the 情况说明数据 sheet to an openpyxl workbook (replacing one already there)."""
    values = values or {}
    if NARRATIVE_DATA_SHEET in wb.sheetnames:
        del wb[NARRATIVE_DATA_SHEET]
    ws = wb.create_sheet(NARRATIVE_DATA_SHEET)
    kinds = _kinds(ws)
    put(ws.cell(1, 1), "情况说明数据（第三部分 情况说明所需、公开表中没有的数据；金额单位：万元）")
    kinds.apply(ws.cell(1, 1), "title")
    for c, text in enumerate(HEADER, start=1):
        put(ws.cell(2, c), text)
        kinds.apply(ws.cell(2, c), "header")
    for r, (key, label, kind) in enumerate(input_rows(spec, items), start=3):
        put(ws.cell(r, 1), label)
        cell = ws.cell(r, 2)
        v = values.get(key)
        if v is not None:
            put(cell, float(v) if isinstance(v, Decimal) else v)
        kinds.apply(cell, "amount" if kind == "amount" else "input")
        put(ws.cell(r, 3), KIND_NOTE[kind])
        for c in (1, 3):
            kinds.apply(ws.cell(r, c), "body")
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 52, 40
    ws.column_dimensions["C"].width = 22
    ws.protection.sheet = True
    ws.protection.formatColumns = False


def _kinds(ws) -> styles.CellKinds:
    """The sheet's kinds of cell: title, header, label / note, input (text, count) and amount input."""
    framed = dict(border=styles.BORDER)
    given = dict(framed, protection=styles.UNLOCKED, fill=styles.INPUT_FILL)
    return styles.CellKinds(ws, title=dict(font=styles.HEADER_FONT), header=dict(framed, font=styles.HEADER_FONT),
                            body=dict(framed, font=styles.BODY_FONT), input=given,
                            amount=dict(given, number_format=styles.AMOUNT_FORMAT))


def _value(kind: str, raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind == "text":
        return str(raw).strip()
    v, ok = parse_amount(raw)
    return v if ok else None


def read_inputs(path: str | Path, spec: NarrativeSpec) -> tuple[dict, dict]:
    """The inputs of a workbook's 情况说明数据 sheet: department inputs, and per 项 code. Labels are
    matched as written (NFKC, no spaces); a sheet that is absent gives nothing."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return {}, {}
    try:
        if NARRATIVE_DATA_SHEET not in wb.sheetnames:
            return {}, {}
        rows = [(r[0], r[1] if len(r) > 1 else None) for r in wb[NARRATIVE_DATA_SHEET].iter_rows(values_only=True)
                if r and r[0] is not None]
    finally:
        wb.close()
    by_label = {nfkc(i["label"]): (i["key"], i.get("kind", "amount")) for i in spec.inputs}
    items_by_prefix = {nfkc(i["label"].split("{")[0]): (i["key"], i.get("kind", "amount")) for i in spec.item_inputs}
    inputs: dict = {}
    items: dict = {}
    for label, raw in rows:
        text = nfkc(str(label))
        if text in by_label:
            key, kind = by_label[text]
            v = _value(kind, raw)
            if v is not None:
                inputs[key] = v
            continue
        for prefix, (key, kind) in items_by_prefix.items():
            m = re.match(re.escape(prefix) + r"(\d{7})", text)
            if m:
                v = _value(kind, raw)
                if v is not None:
                    items.setdefault(m.group(1), {})[key] = v
    return inputs, items


def data_section_values(section: dict | None) -> dict:
    """The data file's 情况说明数据 section (label or key → value; 项 inputs as ``年初预算@code``)."""
    out = {}
    for k, v in (section or {}).items():
        if isinstance(v, dict):  # 年初预算: {2060399: 0, …}
            for code, x in v.items():
                out[f"{k}@{code}"] = x
        else:
            out[str(k)] = v
    return out
