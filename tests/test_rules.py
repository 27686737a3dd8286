"""The model's rules and pandera schemas: loud failures, built-in checks, the generated rule list."""

from __future__ import annotations

import copy

import pytest
import yaml

from juesuan.validate.engine import check
from juesuan.fill.datafile import fill_from_datafile, read_datafile
from juesuan.render.workbook import build_workbook
from juesuan.util.atomic import save_workbook
from juesuan.errors import ModelError
from juesuan.model.profile import profile_from_dict

from .conftest import ROOT, run_cli

RAW = yaml.safe_load((ROOT / "schemas" / "national-2024.yaml").read_text(encoding="utf-8"))


def test_a_schema_naming_an_unregistered_check_fails_loudly():
    raw = copy.deepcopy(RAW)
    raw["frames"]["amounts"]["columns"]["value"].append({"check": "no_such_check", "rule": "V-01"})
    with pytest.raises(ModelError, match="no_such_check"):
        profile_from_dict(raw)


def test_a_schema_naming_an_unknown_rule_fails_loudly():
    raw = copy.deepcopy(RAW)
    raw["frames"]["code_rows"]["columns"]["code"][0]["rule"] = "R99-9"
    with pytest.raises(ModelError, match="R99-9"):
        profile_from_dict(raw)


def test_a_relation_with_a_typo_fails_loudly():
    raw = copy.deepcopy(RAW)
    raw["rules"][0]["relations"][0]["expr"] = "T01[27] == T01[1..8]"
    with pytest.raises(ModelError):
        profile_from_dict(raw)
    raw["rules"][0]["relations"][0]["expr"] = "T11[27] = T01[1..8]"
    with pytest.raises(ModelError, match="T11"):
        profile_from_dict(raw)


def test_every_named_check_is_in_the_pandera_schemas():
    from juesuan.catalog import default_catalog
    from juesuan.model.profile import load_profile
    from juesuan.model.profile import frame_refs
    from juesuan.validate.frames import Context, build_schemas

    prof = load_profile()
    schemas = build_schemas(prof, Context(default_catalog(2024), prof))
    for frame, schema in schemas.items():
        names = [c.name for c in schema.checks] + [c.name for col in schema.columns.values() for c in col.checks]
        assert sorted(names) == sorted(r.check for r in frame_refs(prof) if r.frame == frame)


def test_rule_list_in_docs_is_generated_from_the_model():
    res = run_cli("rules", "--format", "markdown")
    assert res.returncode == 0
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").strip() == res.stdout.strip(), \
        "docs/rules.md is stale: juesuan rules --format markdown > docs/rules.md"
    ids = [r["id"] for r in RAW["rules"]]
    assert all(f"| {i} |" in res.stdout for i in ids)


def _variant(tmp_path, edit, source="tests/data/fund-department.yaml"):
    df = read_datafile(ROOT / source)
    edit(df.data)
    filled = fill_from_datafile(df)
    return check(save_workbook(build_workbook(filled.layout, filled.values), tmp_path / "v.xlsx"))


def test_x09_fund_money_with_an_empty_07(tmp_path):
    report = _variant(tmp_path, lambda d: d.pop("公开07表"))
    assert ("公开07表", "X-09", "error") in [(f.table, f.rule, f.severity) for f in report.findings]


def test_x10a_code_in_03_missing_from_02(tmp_path):
    def edit(d):
        d["公开02表"]["科目"] = d["公开02表"]["科目"][1:]  # drop 2060399 from 02
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    x = [f for f in report.findings if f.rule == "X-10a" or "X-10a" in f.relations]
    assert x and all(f.severity == "error" for f in x)
    assert any(f.table == "公开03表" and f.code == "2060399" for f in x)


def test_r02_5_all_zero_row_is_a_hint(tmp_path):
    def edit(d):
        d["公开05表"]["科目"].append([2089999, None, None, 0, 0])
        d["公开03表"]["科目"].append([2089999, None, None, 0, 0, 0, 0, 0])
        d["公开02表"]["科目"].append([2089999, None, None, 0, 0, 0, 0, 0, 0])
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    hints = [(f.table, f.code) for f in report.findings if f.rule == "R02-5"]
    assert sorted(hints) == [(t, "2089999") for t in ("公开02表", "公开03表", "公开05表")]  # not its 款 20899 again
    assert report.errors == 0


def test_r02_5_an_empty_table_is_one_hint(tmp_path):
    from juesuan.api import build_template

    _, wb = build_template("某局", 2024, codes=["2010101", "2080501"])
    report = check(save_workbook(wb, tmp_path / "blank.xlsx"))
    r025 = [(f.table, f.cell) for f in report.findings if f.rule == "R02-5"]
    assert sorted(r025) == [("公开02表", ""), ("公开03表", ""), ("公开05表", "")]


def test_r01_7_balance_use_is_a_warning(tmp_path):
    def edit(d):
        d["公开01表"]["28"] = 5
        d["公开01表"]["59"] = 5
    report = _variant(tmp_path, edit, "workbooks/sample-careful.yaml")
    assert ("公开01表!C34", "R01-7", "warning") in [(f.location, f.rule, f.severity) for f in report.findings]
