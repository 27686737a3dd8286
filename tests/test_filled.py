"""An empty workbook does not pass: a blank template is an error (S-04), in a file and in folder mode."""

from __future__ import annotations

import json

from juesuan.api import build_template
from juesuan.check import check
from juesuan.util.atomic import save_workbook

from .conftest import run_cli


def test_a_blank_template_is_an_error(tmp_path):
    _, wb = build_template("某局", 2024, codes=["2010101", "2080501"])
    report = check(save_workbook(wb, tmp_path / "blank.xlsx"))
    s04 = [f for f in report.findings if f.rule == "S-04"]
    assert [(f.severity, f.template) for f in s04] == [("error", "checks.filled.nothing")]
    assert not report.valid


def test_a_template_without_code_rows_names_the_tables(tmp_path):
    _, wb = build_template("某局", 2024)
    wb["公开01表"]["C7"].value = 10.0  # something is filled, but 02/03 have no rows
    report = check(save_workbook(wb, tmp_path / "norows.xlsx"))
    tables = sorted(f.table for f in report.findings if f.rule == "S-04")
    assert tables == ["公开02表", "公开03表"]


def test_folder_mode_does_not_count_a_blank_template_as_passed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _, wb = build_template("某局", 2024, codes=["2010101"])
    save_workbook(wb, folder / "空白表样.xlsx")
    res = run_cli("check", folder, "-o", tmp_path / "out", "--format", "json")
    data = json.loads(res.stdout)
    assert data["files"][0]["status"] == "未通过" and res.returncode == 1
