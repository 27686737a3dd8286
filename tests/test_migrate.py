"""`juesuan migrate`: every input value carried cell by cell; nothing dropped silently."""

from __future__ import annotations

import pytest

from juesuan.validate.engine import check, load
from juesuan.rules.graph import graph_of

from .conftest import run_cli


@pytest.fixture(scope="module")
def careful_xlsx(sample_xlsx):
    return sample_xlsx("careful")


def _inputs(path):
    """(table, code or 行次 or 经济分类, 栏次) → value of every input cell with a value."""
    ctx = load(path)
    layout = ctx.layout
    out = {}
    for key, cell in ctx.cells.items():
        if key in graph_of(layout).definitions or cell.raw is None:
            continue
        tl = layout.table(key.table)
        row = tl.rows[key.row].code if tl.kind == "coded" else key.row
        out[(key.table, row, key.col)] = cell.value
    return out


def _findings(report, added=()):
    """Findings without their cells (rows move), and without the hints about the rows just added: a
    freshly added code is still empty (R02-5 不涉及的不列, V-04 blanks beside zeros)."""
    return sorted((f.table, f.rule, f.code, f.name, f.severity, f.message) for f in report.findings
                  if not (f.rule in ("R02-5", "V-04") and f.code and any(c.startswith(f.code) for c in added)))


def test_migrate_with_extra_codes_keeps_every_value_and_every_finding(careful_xlsx, tmp_path):
    new = tmp_path / "new.xlsx"
    res = run_cli("migrate", careful_xlsx, "-o", new, "--add-codes", "2010101,2150517=产业发展",
                  "--add-fund-codes", "2120801")
    assert res.returncode == 0, res.stderr
    old_inputs, new_inputs = _inputs(careful_xlsx), _inputs(new)
    assert old_inputs and all(new_inputs.get(k) == v for k, v in old_inputs.items())
    ctx = load(new)
    codes05 = [r.code for r in ctx.layout.table("gk05").rows[1:]]
    assert {"2010101", "2150517", "20101", "201"} <= set(codes05) and "2120801" not in codes05
    assert "2120801" in [r.code for r in ctx.layout.table("gk07").rows[1:]]
    added = ("2010101", "2150517", "2120801")
    assert _findings(check(careful_xlsx), added) == _findings(check(new), added)


def test_a_removed_code_with_amounts_is_listed_and_nothing_is_written(careful_xlsx, tmp_path):
    new = tmp_path / "new.xlsx"
    res = run_cli("migrate", careful_xlsx, "-o", new, "--remove-codes", "2080505")
    assert res.returncode == 1 and not new.exists()
    assert "公开02表!D18" in res.stderr and "2080505" in res.stderr and "26.51" in res.stderr
    res = run_cli("migrate", careful_xlsx, "-o", new, "--remove-codes", "2080505", "--force")
    assert res.returncode == 0 and new.exists()
    assert "2080505" not in {k[1] for k in _inputs(new)}


def test_migrate_to_the_next_year(careful_xlsx, tmp_path):
    new = tmp_path / "2025.xlsx"
    res = run_cli("migrate", careful_xlsx, "-o", new, "--year", "2025")
    assert res.returncode == 0, res.stderr
    report = check(new)
    assert report.year == 2025 and report.errors == 0
    assert _inputs(new) == _inputs(careful_xlsx)


def test_published_sample_lists_what_has_no_place(sample_xlsx, tmp_path):
    old = sample_xlsx("published")
    res = run_cli("migrate", old, "-o", tmp_path / "new.xlsx")
    assert res.returncode == 1
    assert "公开02表!D10（206039" in res.stderr and "不是 7 位项级代码" in res.stderr
    assert "公开06表!C39（人员经费合计）= 454.49" in res.stderr
