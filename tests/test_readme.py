"""The README's promises: its data-file example fills, its template command runs, its rule docs match."""

from __future__ import annotations

import re

import openpyxl

from juesuan.api import fill_workbook
from juesuan.util.atomic import save_workbook

from .conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    assert ".venv/bin/juesuan demo" in README
    test_cmd = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert test_cmd in README
    assert test_cmd in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_data_file_example_fills(tmp_path):
    section = README.split("## 数据文件格式", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    data = tmp_path / "example.yaml"
    data.write_text(example, encoding="utf-8")
    filled, wb = fill_workbook(data)  # the CLI's fill is tested in test_cli
    assert filled.warnings == []
    wb = openpyxl.load_workbook(save_workbook(wb, tmp_path / "out.xlsx"))
    assert wb["公开02表"]["A8"].value == "215" and wb["公开02表"]["B11"].value == "产业发展"
    assert wb["公开07表"]["A9"].value.startswith("说明：")


def test_readme_template_example_runs(tmp_path):
    cmd = re.search(r"```bash\n(juesuan template .*?)```", README, re.S).group(1)
    args = cmd.replace("\\\n", " ").split()[1:]
    args[args.index("-o") + 1] = str(tmp_path / "t.xlsx")
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert [wb["公开08表"].cell(r, 1).value for r in range(8, 11)] == ["223", "22301", "2230105"]
