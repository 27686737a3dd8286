"""util.jsontext.indented writes what json.dumps(…, ensure_ascii=False, indent=2, default=str) writes, byte for
byte: on any nested value hypothesis makes, and on the results the folder check produces."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from juesuan.util.jsontext import indented

def _dumps(value, indent: str = "") -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).replace("\n", "\n" + indent)


class _Named:
    def __str__(self):
        return "对象\"名\""


class _Int(int):
    pass


class _Str(str):
    pass


class _Float(float):
    pass


_HARD = ['"', "\\", "\x00", "\x1f", "\x7f", "\n", "\r", "\t", "\u2028", "\ud800", "\udcff", "\ufffe", "😀", "中", "/"]
_TEXT = st.text(st.one_of(st.characters(), st.sampled_from(_HARD)), max_size=12)
_SCALARS = st.one_of(
    _TEXT, st.integers(), st.integers(min_value=-(10 ** 40), max_value=10 ** 40), st.floats(), st.booleans(), st.none(),
    st.decimals(), st.decimals(places=2, allow_nan=False), st.builds(Path, _TEXT), st.just(_Named()),
    st.builds(_Int, st.integers()), st.builds(_Str, _TEXT), st.builds(_Float, st.floats()),
    st.frozensets(st.integers(), max_size=3), st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 0.1 + 0.2]))
_KEYS = st.one_of(_TEXT, _TEXT, st.integers(), st.floats(), st.booleans(), st.none())
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.tuples(inner, inner), st.dictionaries(_TEXT, inner, max_size=5),
    st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=30)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_VALUES, indent=st.sampled_from(["", "    ", "  ", "\t"]))
@example(value={"a": [0.0, -0.0, 1.5, 1.5, -1.5, math.nan, math.inf, -math.inf, 1e300 * 10]}, indent="    ")
@example(value={"k": {}, "l": [], "n": [{}, [], [[]], {"x": [{"y": None}]}]}, indent="")
@example(value={1: "a", "1": "b", True: 1, None: 2, 1.5: 3}, indent="  ")
@example(value=[Decimal("1.10"), Decimal("NaN"), Decimal("-0"), Path("甲/乙.xlsx")], indent="")
def test_any_value_as_json_writes_it(value, indent):
    try:
        expected = _dumps(value, indent)
    except Exception as exc:  # what json refuses, indented refuses the same way
        with pytest.raises(type(exc)):
            indented(value, indent)
        return
    assert indented(value, indent) == expected


def test_what_json_refuses_is_refused():
    loop: dict = {"a": 1}
    loop["self"] = [loop]
    with pytest.raises(ValueError, match="Circular"):
        indented(loop)
    with pytest.raises(TypeError):
        indented({(1, 2): "a tuple key"})
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(RecursionError):
        json.dumps(deep, indent=2)
    with pytest.raises(RecursionError):
        indented(deep)


def test_real_results_as_json_writes_them(folder_results):
    """The results of a folder of real workbooks (the layouts, the samples, a 情况说明, hostile texts)."""
    for r in folder_results:
        assert indented(r, "    ") == _dumps(r, "    ")
    assert indented(folder_results) == _dumps(folder_results)
