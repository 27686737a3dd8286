"""The pandera checks are vectorised (column-wise); each must say exactly what the plain per-row rule
says, on any input a workbook can hold: full-width and superscript digits, blanks, cut codes,
three-decimal and negative amounts, a hair under the next cent."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from juesuan.catalog import default_catalog
from juesuan.model.profile import load_profile
from juesuan.util.codes import is_code, parent
from juesuan.util.text import nfkc
from juesuan.validate import frames

CTX = frames.Context(default_catalog(2024), load_profile())
CHARS = st.sampled_from(list("0123456789") + ["１", "²", "٣", "a", " ", "-"])
CODES = st.one_of(st.sampled_from(["201", "20101", "2010101", "208", "20805", "2080501", "", "208050"]),
                  st.text(CHARS, max_size=8))
AMOUNTS = st.one_of(st.none(), st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False),
                    st.sampled_from([Decimal("12.34"), Decimal("0.009999999999"), Decimal("-0"),
                                     Decimal("1.0000000000001"), Decimal("5.005")]))


def _fn(name):
    return frames.CHECKS[name][1](CTX)


def _codes_frame(rows):
    return pd.DataFrame.from_records(
        [(t, c, n, nfkc(n)) for t, c, n in rows], columns=frames.FRAME_COLUMNS["code_rows"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["0:gk02", "0:gk03", "1:gk02"]), CODES,
                          st.sampled_from(["", "一般公共服务支出", "一般公共服务支出 ", "教育支出"])), max_size=30))
def test_code_checks_say_what_the_row_rules_say(rows):
    df = _codes_frame(rows)
    codes = [c for _, c, _ in rows]
    if not rows:
        return
    assert list(_fn("code_format")(df["code"])) == [is_code(c) for c in codes]
    known = CTX.catalog.functional
    assert list(_fn("known_code")(df["code"])) == [not is_code(c) or c in known for c in codes]
    present = {(t, c) for t, c, _ in rows}
    assert list(_fn("has_parent")(df)) == [
        not (is_code(c) and len(c) > 3) or (t, parent(c)) in present for t, c, _ in rows]
    expected_order, last = [], {}
    for t, c, _ in rows:
        prev = last.get(t)
        expected_order.append(not (c.isdigit() and prev is not None and c < prev))
        if c.isdigit():
            last[t] = c
    assert list(_fn("code_order")(df)) == expected_order
    names = [known.get(c) for c in codes]
    assert list(_fn("catalog_name")(df)) == [
        e is None or not n or nfkc(e.name) == nfkc(n) for e, (_, _, n) in zip(names, rows)]
    seen, dup = set(), []
    for t, c, _ in rows:
        dup.append(c != "" and (t, c) in seen)
        seen.add((t, c))
    assert list(_fn("unique_code")(df)) == [not d for d in dup]


@settings(max_examples=150, deadline=None)
@given(st.lists(AMOUNTS, min_size=1, max_size=30))
def test_amount_checks_say_what_the_row_rules_say(values):
    series = pd.Series(values, dtype=object)
    cent = Decimal("0.01")

    def two(v):
        return v is None or v == v.quantize(cent) or abs(v - v.quantize(cent)) < Decimal("1e-9")

    assert list(_fn("two_decimals")(series)) == [two(v) for v in values]
    assert list(_fn("non_negative")(series)) == [v is None or v >= 0 for v in values]


def test_a_failing_frame_gives_every_failing_row_once():
    df = _codes_frame([("0:gk02", "201", "一般公共服务支出"), ("0:gk02", "20101", "人大事务"),
                       ("0:gk02", "2080", "x"), ("0:gk02", "20101", "人大事务"), ("0:gk02", "20299", "y")])
    schemas = frames.build_schemas(CTX.profile, CTX)
    got = frames.failures(schemas["code_rows"], df)
    assert ("code_format", 2) in got and ("unique_code", 3) in got and ("has_parent", 4) in got
    assert len(got) == len(set(got))
    assert not frames.failures(schemas["code_rows"], df.iloc[:2])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.sampled_from(["A", "Z", "IU", "IV", "IW", "IZ", "JA", "HZ", "AAA", "XFD"]),
                                    st.text(st.sampled_from("ABIJVWZ"), min_size=1, max_size=3)),
                          st.one_of(st.sampled_from([1, 19999, 20000, 20001, 99999, 100000, 1048576]),
                                    st.integers(1, 2_000_000))), max_size=25))
def test_the_far_cell_scan_counts_what_a_full_scan_counts(cells):
    """The reader's fast scan for cells beyond its bounds (which only matches far references) counts
    exactly the cells a scan of every reference would."""
    import re

    from juesuan.read import xlsx
    from juesuan.util.a1 import col_index

    xml = b'<row r="1">' + b"".join(b'<c r="%s%d" s="1" xr="XFD9"><v>1</v></c>' % (c.encode(), r)
                                    for c, r in cells) + b"</row>"
    every = re.findall(rb'\br="([A-Z]{1,3})(\d+)"', xml)
    full = sum(1 for col, row in every if int(row) > xlsx.MAX_ROWS or col_index(col.decode()) > xlsx.MAX_COLS)
    assert xlsx._far_cells(xml) == full


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", None, 0.0, 1.5, "x", "  ", False, "#N/A"]), max_size=6), max_size=6),
       st.tuples(st.integers(0, 2), st.integers(0, 2)),
       st.dictionaries(st.tuples(st.integers(1, 9), st.integers(1, 9)), st.just("#REF!"), max_size=3))
def test_a_row_read_at_once_is_the_row_read_cell_by_cell(rows, start, errors):
    from juesuan.read.xlsx import Sheet

    sheet = Sheet("表", rows, start, errors=errors)
    for r in range(0, 10):
        one_by_one = [(c, sheet.value(r, c)) for c in range(1, 12) if sheet.value(r, c) is not None]
        assert sheet.row_values(r) == one_by_one


_CELL_PARTS = st.sampled_from([b'<f>SUM(D7:H7)</f>', b'<f t="shared" ref="B1:B3" si="0">A1*2</f>', b'<f/>',
                               b'<f>A1&amp;B1</f>', b'<v>12.5</v>', b'<v></v>', b'<v/>', b'\n', b' ',
                               b'<is><t>x</t></is>', b'<extLst/>', b'<fo/>', b'</c>', b'<c r="Z9">',
                               b'<r><rPr><family val="2"/></rPr><t>y</t></r>'])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([b'<c r="C7">', b'<c s="5" r="AB12" t="n">', b'<c r="A1" s="1">',
                                           b'<c  r="D3">', b'<c r="E5" x="<c r="F6"">', b'<c r="G7"/>']),
                          st.lists(_CELL_PARTS, max_size=6)), max_size=12),
       st.sampled_from([b"", b"<conditionalFormatting><cfRule><formula>A1&gt;0</formula></cfRule>"
                             b"</conditionalFormatting>", b"<dataValidation><formula1>0</formula1></dataValidation>"]))
@example([(b'<c r="E5" x="<c r="F6"">', [b'<f>SUM(D7:H7)</f>', b'<v>12.5</v>'])], b"")  # a "<" inside a tag
@example([(b'<c r="C7">', [b'<f>SUM(D7:H7)</f>', b'<v>12.5</v>', b'<c r="Z9">', b'<f>A1&amp;B1</f>', b'<v/>'])],
         b"")  # a formula cell inside an open formula cell
def test_the_formula_scan_reads_each_formula_as_the_cell_by_cell_scan(cells, tail):
    """The formula scan takes the usual cell (``<c …><f>…</f><v>…</v></c>``) in one match; on any cell
    it gives what reading the cell part by part (its general path) gives."""
    from juesuan.read import xlsx

    xml = (b'<sheetData><row r="1">' + b"".join(head + b"".join(parts) + b"</c>" for head, parts in cells)
           + b"</row></sheetData>" + tail)
    if len(cells) % 3 == 2:
        xml = xml[: xml.rfind(b"</c>")]  # a sheet cut off inside its last cell
    reference, pos = {}, 0  # every formula through the general path
    while (i := xml.find(b"<f", pos)) >= 0:
        c, end = xml.rfind(b"<c ", 0, i), xml.find(b"</c>", i)
        if c < 0 or end < 0:
            break
        xlsx._formula_cell(xml, c, i, end, reference)
        pos = end + 4
    assert xlsx.scan_formulas(xml) == reference
