"""The model declares every check: a misspelt check, a missing parameter, a rule the validator needs
but the model lacks, fail on load with a Chinese message naming the rule; every declared check has
an implementation and every message a template."""

from __future__ import annotations

import re

import pytest

from juesuan.errors import ModelError
from juesuan.model.checks import catalogue, render, required_checks
from juesuan.model.profile import profile_from_text

from .conftest import ROOT

TEXT = (ROOT / "schemas" / "national-2024.yaml").read_text(encoding="utf-8")


def _load(text):
    return profile_from_text(text)


def _line_of(rule_id: str) -> int:
    return next(i for i, line in enumerate(TEXT.splitlines(), start=1) if line.strip() == f"- id: {rule_id}")


def test_the_shipped_model_loads():
    assert _load(TEXT).rule("X-09").param("funds")


def test_a_misspelt_check_name_fails_naming_the_rule_and_its_line():
    text = TEXT.replace("check: structural_blanks", "check: structural_blank", 1)
    with pytest.raises(ModelError) as err:
        _load(text)
    msg = str(err.value)
    assert "R01-6" in msg and "structural_blank" in msg and f"第 {_line_of('R01-6')} 行" in msg


def test_a_missing_parameter_fails_naming_the_rule():
    text = TEXT.replace("    check: no_zero_rows\n    tables: [gk02, gk03, gk05]\n", "    check: no_zero_rows\n", 1)
    assert text != TEXT
    with pytest.raises(ModelError, match=r"R02-5.*缺少参数 tables"):
        _load(text)


def test_a_parameter_naming_an_unknown_table_fails():
    text = TEXT.replace('{table: gk07, fund: 政府性基金', '{table: gk17, fund: 政府性基金', 1)
    with pytest.raises(ModelError, match=r"X-09.*gk17"):
        _load(text)


def test_a_bad_cell_reference_in_a_parameter_fails():
    text = TEXT.replace('cells: ["T01[28]", "T01[58]"]', 'cells: ["T01[28]", "T11[58]"]', 1)
    assert text != TEXT
    with pytest.raises(ModelError, match=r"R01-7.*T11"):
        _load(text)


@pytest.mark.parametrize("check", required_checks())
def test_a_rule_the_validator_needs_cannot_be_missing(check):
    # rename the check of the rule that carries it: the validator would have no rule for its findings
    m = re.search(rf"  - id: ([\w-]+)\n    severity: \w\n    text: [^\n]*\n    check: {check}\n", TEXT)
    assert m, check
    text = TEXT.replace(m.group(0), m.group(0).replace(f"check: {check}", "check: blank_zero_mix"))
    with pytest.raises(ModelError, match=check):
        _load(text)


def test_renaming_a_rule_id_keeps_the_validator_working(tmp_path):
    """Rule ids live in the model only: S-01 renamed to S-91 is what the findings say."""
    from juesuan.api import fill_workbook
    from juesuan.util.atomic import save_workbook
    from juesuan.validate.engine import check

    profile = _load(TEXT.replace("- id: S-01\n", "- id: S-91\n", 1))
    _, wb = fill_workbook(ROOT / "workbooks" / "sample-careful.yaml")
    del wb["公开09表"]
    path = save_workbook(wb, tmp_path / "no09.xlsx")
    rules = {f.rule for f in check(path, profile=profile).findings}
    assert "S-91" in rules and "S-01" not in rules


def test_every_declared_check_is_implemented_and_every_implementation_declared():
    from juesuan.validate import builtin, frames

    cat = catalogue()
    assert set(builtin.BUILTINS) | set(builtin.STAGED) == set(cat.checks)
    assert not set(builtin.BUILTINS) & set(builtin.STAGED)
    assert set(frames.CHECKS) == set(frames.FINDINGS) == set(cat.frame_checks)


def test_every_check_named_by_the_model_has_messages():
    cat = catalogue()
    profile = _load(TEXT)
    for rule in profile.rules:
        if rule.check:
            decl = cat.checks[rule.check]
            assert decl.messages or decl.frames, rule.id
            for fc in decl.frames:
                assert cat.frame_checks[fc].messages, (rule.id, fc)


def test_every_template_renders_with_its_own_placeholders():
    for tid, text in catalogue().templates.items():
        names = {m.split(":")[0] for m in re.findall(r"{([^{}]+)}", text)}
        rendered = render(tid, {n: "X" for n in names})
        assert "{" not in rendered and rendered, tid


def test_a_message_not_declared_is_an_error_not_silence():
    from juesuan.model.checks import template_id

    with pytest.raises(ModelError, match="no_such_message"):
        template_id("usually_zero", "no_such_message")
