"""Outputs unchanged: every report of the golden corpus field by field, every generated workbook cell
by cell (``tests/golden.py``; ``python -m tests.golden --update`` after a deliberate change)."""

from __future__ import annotations

import pytest

from . import golden


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    return golden.compute(tmp_path_factory.mktemp("golden"))


def test_reports_are_unchanged(computed):
    reports, _ = computed
    expected = golden.read("reports")
    assert sorted(reports) == sorted(expected)
    for name, exp in expected.items():
        got = reports[name]
        for key in exp:
            if key == "findings":
                continue
            assert got[key] == exp[key], (name, key)
        assert len(got["findings"]) == len(exp["findings"]), (name, [f["rule"] for f in got["findings"]])
        for i, (g, e) in enumerate(zip(got["findings"], exp["findings"])):
            for field in e:
                assert g.get(field) == e[field], (name, i, field, g.get(field), e[field])


def test_workbooks_are_unchanged(computed):
    _, books = computed
    expected = golden.read("workbooks")
    assert sorted(books) == sorted(expected)
    for name, exp in expected.items():
        got = books[name]
        assert got["sheets"] == exp["sheets"], name
        for sheet in exp["sheets"]:
            g, e = got[sheet], exp[sheet]
            for part in ("merges", "validations", "conditional", "widths", "print"):
                assert g[part] == e[part], (name, sheet, part)
            for coord, cell in e["cells"].items():
                assert g["cells"].get(coord) == cell, (name, sheet, coord, g["cells"].get(coord), cell)
            assert sorted(g["cells"]) == sorted(e["cells"]), (name, sheet)
